package dev.uniforget.audit.judge;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.uniforget.nn.Layers;
import dev.uniforget.nn.ParameterStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A small CNN image classifier of the audit (see {@link ClassifierConfig} for its two roles): the
 * {@link ConvTrunk} with its final pooling, then one linear head. A classifier directory holds
 * {@code classifier.json} and {@code classifier.safetensors}.
 */
public final class Classifier implements AutoCloseable {
  public static final String CONFIG = "classifier.json";
  public static final String WEIGHTS = "classifier.safetensors";
  private static final int CHUNK = 256;

  private final ClassifierConfig config;
  private final ParameterStore params;

  Classifier(ClassifierConfig config, ParameterStore params) {
    config.validate();
    this.config = config;
    this.params = params;
  }

  /** A classifier with fresh random weights (seeded), owned by a sub-manager of {@code parent}. */
  public static Classifier initialize(ClassifierConfig config, NDManager parent, long seed) {
    config.validate();
    ParameterStore p = new ParameterStore(parent);
    ConvTrunk.initialize(p, shapes(config), new SplittableRandom(seed));
    return new Classifier(config, p);
  }

  static Map<String, Shape> shapes(ClassifierConfig c) {
    Map<String, Shape> m = ConvTrunk.shapes(c.imageSize, c.channels, c.width, c.featureDim, true);
    m.put("head.weight", new Shape(c.labels.size(), c.featureDim));
    m.put("head.bias", new Shape(c.labels.size()));
    return m;
  }

  public ClassifierConfig config() {
    return config;
  }

  public ParameterStore params() {
    return params;
  }

  public List<String> labels() {
    return config.labels;
  }

  /** Values per image: channels x size x size. */
  public int numel() {
    return config.channels * config.imageSize * config.imageSize;
  }

  /** (B, featureDim) penultimate features of (B, C, S, S) or (B, C*S*S) images, in their manager. */
  public NDArray features(NDArray images) {
    return ConvTrunk.features(images, params, config.imageSize, config.channels, true);
  }

  /** (B, labels) logits. */
  public NDArray logits(NDArray images) {
    return Layers.linear(features(images), params, "head");
  }

  /** (B, labels) probabilities: softmax over classes (quality), a sigmoid per concept (concepts). */
  public NDArray probabilities(NDArray images) {
    NDArray z = logits(images);
    return config.multiLabel() ? ai.djl.nn.Activation.sigmoid(z) : z.softmax(1);
  }

  /** Features of flat images, in batches; float[B][featureDim]. */
  public float[][] features(List<float[]> images) {
    return batched(images, true);
  }

  /** Probabilities of flat images; float[B][labels]. */
  public float[][] probabilities(List<float[]> images) {
    return batched(images, false);
  }

  private float[][] batched(List<float[]> images, boolean features) {
    float[][] out = new float[images.size()][];
    for (int from = 0; from < images.size(); from += CHUNK) {
      int to = Math.min(images.size(), from + CHUNK);
      try (NDManager m = params.manager().newSubManager()) {
        NDArray x = m.create(ConvTrunk.pack(images, from, to, numel()), new Shape(to - from, numel()));
        float[][] rows = ConvTrunk.rows(features ? features(x) : probabilities(x));
        System.arraycopy(rows, 0, out, from, rows.length);
      }
    }
    return out;
  }

  /** Writes {@code dir} atomically (replacing an existing directory only if {@code replace}). */
  public void save(Path dir, boolean replace) throws IOException {
    ConvTrunk.saveDirectory(dir, replace, CONFIG, config, WEIGHTS, params, ClassifierConfig.FORMAT);
  }

  /** Loads a classifier directory; errors say what is missing or inconsistent. */
  public static Classifier load(Path dir, NDManager parent) throws IOException {
    ClassifierConfig c = ConvTrunk.readConfig(dir, "classifier", CONFIG, WEIGHTS, ClassifierConfig.class, ClassifierConfig::validate);
    return new Classifier(c, ConvTrunk.loadChecked(dir.resolve(WEIGHTS), shapes(c), parent));
  }

  @Override
  public void close() {
    params.close();
  }
}
