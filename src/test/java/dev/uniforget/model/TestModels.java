package dev.uniforget.model;

import ai.djl.ndarray.NDArray;
import dev.uniforget.io.Safetensors;
import dev.uniforget.io.SafetensorsFile;
import dev.uniforget.nn.ParameterStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Tiny models and helpers shared by the model, sampling and training tests. */
public final class TestModels {
  public static final List<String> CAPTIONS =
      List.of("a red square", "a blue circle on green grass", "dark", "light");

  private TestModels() {}

  public static WordTokenizer tokenizer() {
    return WordTokenizer.build(CAPTIONS, 6);
  }

  /** 8x8 gray images, patch 4 (4 image tokens), hidden 32, depth 2, 2 heads. */
  public static ModelConfig tinyConfig(WordTokenizer tok) {
    ModelConfig c = new ModelConfig();
    c.imageSize = 8;
    c.channels = 1;
    c.patchSize = 4;
    c.hiddenSize = 32;
    c.depth = 2;
    c.numHeads = 2;
    c.ffnWidths = new ArrayList<>(List.of(64, 64));
    c.textLayers = 1;
    c.textHeads = 2;
    c.textFfnWidth = 64;
    c.maxTokens = tok.maxLength();
    c.vocabSize = tok.vocabSize();
    c.timeFreqDim = 32;
    c.sampler.steps = 4;
    c.validate();
    return c;
  }

  /**
   * The FLUX layout at the tiny size: one double-stream block (MLP widths 48 image, 40 text),
   * one single-stream block (64), 2-D rotary positions.
   */
  public static ModelConfig tinyDoubleConfig(WordTokenizer tok) {
    ModelConfig c = tinyConfig(tok);
    c.setBlocks(1, 1, 64);
    c.doubleImgFfnWidths.set(0, 48);
    c.doubleTxtFfnWidths.set(0, 40);
    c.rope = true;
    c.validate();
    return c;
  }

  /** Saves a model of {@code config} (on {@link #tokenizer()}) with random weights ({@link #randomize}, std 0.3) to {@code dir}. */
  public static Path saveRandom(Path dir, ModelConfig config, long seed) throws IOException {
    try (ai.djl.ndarray.NDManager root = ai.djl.ndarray.NDManager.newBaseManager()) {
      WordTokenizer tok = tokenizer();
      FlowModel m = FlowModel.initialize(config, tok, root, 3);
      randomize(m.params(), seed, 0.3);
      ModelDir.save(m, dir, false, Map.of());
    }
    return dir;
  }

  /**
   * Overwrites every parameter with random values (zero-initialised ones included): LayerNorm
   * weights 1 + std N(0,1), everything else std N(0,1).
   */
  public static void randomize(ParameterStore p, long seed, double std) {
    SplittableRandom rng = new SplittableRandom(seed);
    for (String name : p.names()) {
      NDArray a = p.get(name);
      float[] v = new float[(int) a.getShape().size()];
      boolean normWeight = name.endsWith(".weight") && a.getShape().dimension() == 1;
      for (int i = 0; i < v.length; i++) v[i] = (float) ((normWeight ? 1 : 0) + std * gaussian(rng));
      p.set(name, v);
    }
  }

  public static double gaussian(SplittableRandom rng) {
    return ParameterSpec.gaussian(rng);
  }

  public static float[] gaussians(SplittableRandom rng, int n, double std) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) out[i] = (float) (std * gaussian(rng));
    return out;
  }

  public static double maxAbsDiff(float[] a, float[] b) {
    if (a.length != b.length) throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
    double m = 0;
    for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs((double) a[i] - b[i]));
    return m;
  }

  public static double maxAbs(float[] a) {
    double m = 0;
    for (float v : a) m = Math.max(m, Math.abs(v));
    return m;
  }

  /** Reads every tensor of a safetensors file as floats, in header order. */
  public static Map<String, float[]> readAll(Path file) throws IOException {
    Map<String, float[]> out = new LinkedHashMap<>();
    try (SafetensorsFile f = Safetensors.open(file)) {
      for (String n : f.names()) out.put(n, f.readFloats(n));
    }
    return out;
  }

  /** Reads every tensor of a safetensors file as F32 tensors to write back (shapes kept). */
  public static Map<String, Safetensors.Tensor> readTensors(Path file) throws IOException {
    Map<String, Safetensors.Tensor> out = new LinkedHashMap<>();
    try (SafetensorsFile f = Safetensors.open(file)) {
      for (String n : f.names()) out.put(n, Safetensors.Tensor.f32(f.info(n).shape(), f.readFloats(n)));
    }
    return out;
  }
}
