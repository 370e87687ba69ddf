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
 * A copy descriptor: a small CNN mapping an image in [0, 1] (gray or RGB, planar) to an L2-normalised
 * embedding, trained by contrastive instance discrimination so that an image under noise,
 * speckle, blur, small shifts and contrast changes keeps a cosine near 1 to itself and lower to
 * other images. A descriptor directory holds {@code descriptor.json} ({@link DescriptorConfig})
 * and {@code descriptor.safetensors}.
 */
public final class CopyDescriptor implements AutoCloseable {
  public static final String CONFIG = "descriptor.json";
  public static final String WEIGHTS = "descriptor.safetensors";
  private static final int CHUNK = 256;

  private final DescriptorConfig config;
  private final ParameterStore params;

  CopyDescriptor(DescriptorConfig config, ParameterStore params) {
    config.validate();
    this.config = config;
    this.params = params;
  }

  /** A descriptor with fresh random weights (seeded), owned by a sub-manager of {@code parent}. */
  public static CopyDescriptor initialize(DescriptorConfig config, NDManager parent, long seed) {
    config.validate();
    ParameterStore p = new ParameterStore(parent);
    ConvTrunk.initialize(p, shapes(config), new SplittableRandom(seed));
    return new CopyDescriptor(config, p);
  }

  static Map<String, Shape> shapes(DescriptorConfig c) {
    Map<String, Shape> m = ConvTrunk.shapes(c.imageSize, c.channels, c.width, c.featureDim, c.finalPool);
    m.put("proj.weight", new Shape(c.embedDim, c.featureDim));
    m.put("proj.bias", new Shape(c.embedDim));
    return m;
  }

  /** The configuration (architecture, training, metrics) written to {@code descriptor.json}. */
  public DescriptorConfig config() {
    return config;
  }

  /** The named weights; closing the descriptor closes them. */
  public ParameterStore params() {
    return params;
  }

  /** (B, embedDim) unit embeddings of (B, 1, S, S), (B, S, S) or (B, S*S) images, in their manager. */
  public NDArray embed(NDArray images) {
    NDArray f = ConvTrunk.features(images, params, config.imageSize, config.channels, config.finalPool);
    return Losses.l2Normalize(Layers.linear(f, params, "proj"));
  }

  /** Unit embeddings of flat images ({@code S*S} floats each in [0, 1]); float[B][embedDim]. */
  public float[][] embed(List<float[]> images) {
    int numel = config.channels * config.imageSize * config.imageSize;
    float[][] out = new float[images.size()][];
    for (int from = 0; from < images.size(); from += CHUNK) {
      int to = Math.min(images.size(), from + CHUNK);
      try (NDManager m = params.manager().newSubManager()) {
        NDArray x = m.create(ConvTrunk.pack(images, from, to, numel), new Shape(to - from, numel));
        float[][] rows = ConvTrunk.rows(embed(x));
        System.arraycopy(rows, 0, out, from, rows.length);
      }
    }
    return out;
  }

  /** Cosine of two unit embeddings (their dot product). */
  public static double cosine(float[] a, float[] b) {
    if (a.length != b.length) throw new IllegalArgumentException("embeddings of " + a.length + " and " + b.length + " values");
    double s = 0;
    for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
    return s;
  }

  /** Writes {@code dir} atomically (replacing an existing directory only if {@code replace}). */
  public void save(Path dir, boolean replace) throws IOException {
    ConvTrunk.saveDirectory(dir, replace, CONFIG, config, WEIGHTS, params, DescriptorConfig.FORMAT);
  }

  /** Loads a descriptor directory; errors say what is missing or inconsistent. */
  public static CopyDescriptor load(Path dir, NDManager parent) throws IOException {
    DescriptorConfig c = ConvTrunk.readConfig(dir, "copy-descriptor", CONFIG, WEIGHTS, DescriptorConfig.class, DescriptorConfig::validate);
    return new CopyDescriptor(c, ConvTrunk.loadChecked(dir.resolve(WEIGHTS), shapes(c), parent));
  }

  @Override
  public void close() {
    params.close();
  }
}
