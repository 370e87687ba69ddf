package dev.uniforget.audit.judge;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.uniforget.lab.LabManifest;
import dev.uniforget.nn.Layers;
import dev.uniforget.nn.ParameterStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The concept judge: a small CNN on 28x28 gray images in [0, 1] with a garment-class head and a
 * motif head ("none" + one class per lab motif). Its penultimate features are the space of the
 * judge FID. A judge directory holds {@code judge.json} ({@link JudgeConfig}) and
 * {@code judge.safetensors}.
 */
public final class Judge implements AutoCloseable {
  public static final String CONFIG = "judge.json";
  public static final String WEIGHTS = "judge.safetensors";
  private static final int CHUNK = 256;

  private final JudgeConfig config;
  private final ParameterStore params;

  /** Forward outputs of one batch, all in the manager of the input images. */
  public record Outputs(NDArray features, NDArray classLogits, NDArray motifLogits) {}

  Judge(JudgeConfig config, ParameterStore params) {
    config.validate();
    this.config = config;
    this.params = params;
  }

  /** A judge with fresh random weights (seeded) for {@code config}, owned by a sub-manager of {@code parent}. */
  public static Judge initialize(JudgeConfig config, NDManager parent, long seed) {
    config.validate();
    ParameterStore p = new ParameterStore(parent);
    ConvTrunk.initialize(p, shapes(config), new SplittableRandom(seed));
    return new Judge(config, p);
  }

  static Map<String, Shape> shapes(JudgeConfig c) {
    Map<String, Shape> m = ConvTrunk.shapes(c.imageSize, c.width, c.featureDim, true);
    m.put("class_head.weight", new Shape(c.classes.size(), c.featureDim));
    m.put("class_head.bias", new Shape(c.classes.size()));
    m.put("motif_head.weight", new Shape(c.motifNames.size() + 1, c.featureDim));
    m.put("motif_head.bias", new Shape(c.motifNames.size() + 1));
    return m;
  }

  /** The configuration (architecture, lab, metrics) written to the directory's JSON file. */
  public JudgeConfig config() {
    return config;
  }

  /** The named weights; closing the judge closes them. */
  public ParameterStore params() {
    return params;
  }

  /** Motif head labels in order: "none", then the lab's motif names. */
  public List<String> motifLabels() {
    List<String> out = new ArrayList<>();
    out.add("none");
    out.addAll(config.motifNames);
    return out;
  }

  /** Features and both heads' logits of (B, 1, S, S), (B, S, S) or (B, S*S) images. */
  public Outputs forward(NDArray images) {
    checkBatch(images);
    NDArray f = ConvTrunk.features(images, params, config.imageSize, true);
    return new Outputs(f, Layers.linear(f, params, "class_head"), Layers.linear(f, params, "motif_head"));
  }

  /** The (B, featureDim) penultimate features (the FID space). */
  public NDArray features(NDArray images) {
    checkBatch(images);
    return ConvTrunk.features(images, params, config.imageSize, true);
  }

  /** (B, classes) softmax probabilities of the garment classes. */
  public NDArray classProbabilities(NDArray images) {
    return forward(images).classLogits().softmax(1);
  }

  /** (B, motifs + 1) softmax probabilities; column 0 is "none", see {@link #motifLabels()}. */
  public NDArray motifProbabilities(NDArray images) {
    return forward(images).motifLogits().softmax(1);
  }

  /** Features of flat images ({@code S*S} floats each), in batches; float[B][featureDim]. */
  public float[][] features(List<float[]> images) {
    return batched(images, 0);
  }

  /** Class probabilities of flat images; float[B][classes]. */
  public float[][] classProbabilities(List<float[]> images) {
    return batched(images, 1);
  }

  /** Motif probabilities of flat images; float[B][motifs + 1], column 0 "none". */
  public float[][] motifProbabilities(List<float[]> images) {
    return batched(images, 2);
  }

  private float[][] batched(List<float[]> images, int what) {
    int numel = config.imageSize * config.imageSize;
    float[][] out = new float[images.size()][];
    for (int from = 0; from < images.size(); from += CHUNK) {
      int to = Math.min(images.size(), from + CHUNK);
      try (NDManager m = params.manager().newSubManager()) {
        NDArray x = m.create(ConvTrunk.pack(images, from, to, numel), new Shape(to - from, numel));
        NDArray r = what == 0 ? features(x) : what == 1 ? classProbabilities(x) : motifProbabilities(x);
        float[][] rows = ConvTrunk.rows(r);
        System.arraycopy(rows, 0, out, from, rows.length);
      }
    }
    return out;
  }

  private void checkBatch(NDArray images) {
    long numel = images.getShape().size() / Math.max(1, images.getShape().get(0));
    if (numel != (long) config.imageSize * config.imageSize) {
      throw new IllegalArgumentException("judge expects " + config.imageSize + "x" + config.imageSize
          + " gray images, got shape " + images.getShape());
    }
  }

  /**
   * Throws IllegalArgumentException unless this judge was trained for {@code lab}: same lab
   * format, image size, gray images and the same motifs (names, glyphs, sizes) in the same order.
   */
  public void checkCompatible(LabManifest lab) {
    List<String> labNames = lab.motifs.stream().map(m -> m.name).toList();
    String problem = null;
    if (config.labFormat != null && !config.labFormat.equals(lab.format)) {
      problem = "lab format " + lab.format + ", judge trained for " + config.labFormat;
    } else if (lab.imageSize != config.imageSize || lab.channels != config.channels) {
      problem = "lab images are " + lab.imageSize + "x" + lab.imageSize + "x" + lab.channels + ", judge expects "
          + config.imageSize + "x" + config.imageSize + "x" + config.channels;
    } else if (!labNames.equals(config.motifNames)) {
      problem = "lab motifs " + labNames + ", judge motifs " + config.motifNames;
    } else {
      for (int i = 0; i < lab.motifs.size(); i++) {
        LabManifest.Motif m = lab.motifs.get(i);
        if (!m.glyph.equals(config.motifGlyphs.get(i)) || m.size != config.motifSizes.get(i)) {
          problem = "motif " + m.name + " is a " + m.glyph + " of " + m.size + " px in the lab, a "
              + config.motifGlyphs.get(i) + " of " + config.motifSizes.get(i) + " px for the judge";
          break;
        }
      }
    }
    if (problem != null) {
      throw new IllegalArgumentException("this judge was trained for another lab (" + problem
          + "); train a judge for this lab");
    }
  }

  /** Writes {@code dir} atomically (replacing an existing judge directory only if {@code replace}). */
  public void save(Path dir, boolean replace) throws IOException {
    ConvTrunk.saveDirectory(dir, replace, CONFIG, config, WEIGHTS, params, JudgeConfig.FORMAT);
  }

  /** Loads a judge directory; errors say what is missing or inconsistent. */
  public static Judge load(Path dir, NDManager parent) throws IOException {
    JudgeConfig c = ConvTrunk.readConfig(dir, "judge", CONFIG, WEIGHTS, JudgeConfig.class, JudgeConfig::validate);
    return new Judge(c, ConvTrunk.loadChecked(dir.resolve(WEIGHTS), shapes(c), parent));
  }

  @Override
  public void close() {
    params.close();
  }
}
