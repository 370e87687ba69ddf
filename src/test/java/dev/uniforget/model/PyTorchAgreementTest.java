package dev.uniforget.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.uniforget.io.Safetensors;
import dev.uniforget.io.SafetensorsFile;
import dev.uniforget.nn.Layers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java forward pass against the independent PyTorch re-implementation in
 * {@code src/test/python/flow_reference.py}, on a 28x28 model whose every parameter (the
 * zero-initialised modulation and output layers included) is random.
 */
class PyTorchAgreementTest {
  static final String PYTHON = "/usr/bin/python3";
  static final Path SCRIPT = Path.of("src/test/python/flow_reference.py");
  static final double TOLERANCE = 1e-4;

  @TempDir Path tmp;

  @Test
  void forwardMatchesPyTorch() throws Exception {
    WordTokenizer tok = tokenizer();
    ModelConfig c = smallConfig(tok);
    c.ffnWidths = new ArrayList<>(List.of(96, 128, 0, 64)); // block 2 has no MLP
    SplittableRandom rng = new SplittableRandom(42);
    Map<String, float[]> masks = new LinkedHashMap<>();
    masks.put(PrunableUnits.ffn(0), randomMask(rng, c.ffnWidths.get(0)));
    masks.put(PrunableUnits.modulation(1), randomMask(rng, c.blockModulationWidth()));
    masks.put(PrunableUnits.heads(0), new float[] {0.7f, 0f, 1f, 0.25f});
    masks.put(PrunableUnits.FINAL_MODULATION, randomMask(rng, c.finalModulationWidth()));
    compareWithReference(c, tok, masks);
  }

  /**
   * The FLUX layout: two double-stream blocks (the text stream of the second without an MLP)
   * then two single-stream blocks, 2-D rotary position embeddings, masks on both streams.
   */
  @Test
  void doubleStreamModelWithRopeMatchesPyTorch() throws Exception {
    WordTokenizer tok = tokenizer();
    ModelConfig c = smallConfig(tok);
    c.setBlocks(2, 2, 96);
    c.doubleTxtFfnWidths.set(1, 0);
    c.ffnWidths.set(1, 80);
    c.rope = true;
    c.validate();
    SplittableRandom rng = new SplittableRandom(43);
    List<Stream> streams = c.streams();
    assertEquals(List.of("double.0.img", "double.0.txt", "double.1.img", "double.1.txt", "blocks.0", "blocks.1"),
        streams.stream().map(Stream::prefix).toList());
    Map<String, float[]> masks = new LinkedHashMap<>();
    masks.put(streams.get(0).ffn(), randomMask(rng, 96));
    masks.put(streams.get(1).ffn(), randomMask(rng, 96));
    masks.put(streams.get(1).mod(), randomMask(rng, c.blockModulationWidth()));
    masks.put(streams.get(2).mod(), randomMask(rng, c.blockModulationWidth()));
    masks.put(streams.get(3).attn(), new float[] {1f, 0f, 0.5f, 1f});
    masks.put(streams.get(0).attn(), new float[] {0.3f, 1f, 1f, 0f});
    masks.put(PrunableUnits.ffn(1), randomMask(rng, 80));
    masks.put(PrunableUnits.FINAL_MODULATION, randomMask(rng, c.finalModulationWidth()));
    compareWithReference(c, tok, masks);
  }

  private static WordTokenizer tokenizer() {
    return WordTokenizer.build(
        List.of("a red square", "a blue circle on green grass", "small dark shoe", "bright yellow shirt"), 12);
  }

  private static ModelConfig smallConfig(WordTokenizer tok) {
    ModelConfig c = ModelConfig.labPreset(tok.vocabSize());
    c.hiddenSize = 64;
    c.numHeads = 4;
    c.textHeads = 2;
    c.textLayers = 2;
    c.textFfnWidth = 96;
    c.maxTokens = tok.maxLength();
    return c;
  }

  /**
   * Saves a model of config {@code c} with every parameter random, runs the PyTorch reference
   * on it and compares text states, pooled vector, the first double and single block, the
   * velocity and the velocity under {@code maskValues}.
   */
  private void compareWithReference(ModelConfig c, WordTokenizer tok, Map<String, float[]> maskValues) throws Exception {
    requireTorch();
    String[] prompts = {
      "a red square",
      "", // unconditional: all padding
      "a blue circle on green grass and a small dark shoe near a bright yellow shirt red", // truncated
      "zebra red", // unknown word
    };
    int b = prompts.length;
    float[] t = {0f, 0.3f, 0.77f, 1f};
    SplittableRandom rng = new SplittableRandom(42);
    Path modelDir = tmp.resolve("model");
    Path inputs = tmp.resolve("inputs.safetensors");
    Path out = tmp.resolve("out.safetensors");

    try (NDManager root = NDManager.newBaseManager();
        FlowModel model = FlowModel.initialize(c, tok, root, 7)) {
      TestModels.randomize(model.params(), 11, 0.1);
      ModelDir.save(model, modelDir, false, Map.of());

      long[] xShape = {b, c.channels, c.imageSize, c.imageSize};
      float[] x = TestModels.gaussians(rng, b * c.channels * c.imageSize * c.imageSize, 1.0);

      try (NDManager m = root.newSubManager()) {
        NDArray tokens = model.tokenize(m, prompts);
        long[] ids = tokens.toLongArray();
        assertTrue(ids[1 * c.maxTokens] == WordTokenizer.PAD_ID, "prompt 1 is all padding");
        assertTrue(ids[c.maxTokens - 1] == WordTokenizer.PAD_ID, "prompt 0 is padded");
        float[] tokenFloats = new float[ids.length];
        for (int i = 0; i < ids.length; i++) tokenFloats[i] = ids[i];

        Map<String, Safetensors.Tensor> in = new LinkedHashMap<>();
        in.put("x", Safetensors.Tensor.f32(xShape, x));
        in.put("t", Safetensors.Tensor.f32(new long[] {b}, t));
        in.put("tokens", Safetensors.Tensor.f32(new long[] {b, c.maxTokens}, tokenFloats));
        for (Map.Entry<String, float[]> e : maskValues.entrySet()) {
          in.put("mask." + e.getKey(), Safetensors.Tensor.f32(new long[] {e.getValue().length}, e.getValue()));
        }
        Safetensors.write(inputs, in, null);
        runReference(modelDir, inputs, out);

        NDArray xs = m.create(x, new Shape(xShape));
        TextEncoding text = model.encodeText(tokens);
        NDArray condAct = Layers.silu(model.conditioning(m, t, text));
        Map<String, NDArray> masks = new LinkedHashMap<>();
        maskValues.forEach((k, v) -> masks.put(k, m.create(v)));
        Map<String, NDArray> java = new LinkedHashMap<>();
        java.put("text_states", text.states());
        java.put("pooled", text.pooled());
        if (c.doubleBlocks > 0) {
          NDList d0 = model.doubleBlock(model.imageTokens(xs), text.states(), condAct, text.keyBias(), 0, UnitMasks.NONE);
          java.put("double0_img", d0.get(0));
          java.put("double0_txt", d0.get(1));
        } else {
          java.put("block0", model.block(model.inputSequence(xs, text), condAct, text.keyBias(), 0, UnitMasks.NONE));
        }
        java.put("velocity", model.velocity(xs, t, text, UnitMasks.NONE));
        java.put("velocity_masked", model.velocity(xs, t, text, new UnitMasks(masks)));

        StringBuilder report = new StringBuilder();
        List<String> failures = new ArrayList<>();
        try (SafetensorsFile f = Safetensors.open(out)) {
          for (Map.Entry<String, NDArray> e : java.entrySet()) {
            String name = e.getKey();
            assertTrue(f.contains(name), "reference output lacks " + name);
            assertArrayEquals(e.getValue().getShape().getShape(), f.info(name).shape(), name + " shape");
            float[] mine = e.getValue().toFloatArray();
            float[] ref = f.readFloats(name);
            double diff = TestModels.maxAbsDiff(mine, ref);
            report.append(String.format("%s: max |diff| %.3g (max |value| %.3g)%n", name, diff, TestModels.maxAbs(ref)));
            if (!(diff <= TOLERANCE)) failures.add(name);
            assertTrue(TestModels.maxAbs(ref) > 1e-2, name + " is trivially small: " + report);
          }
        }
        // The batch without its long prompt: the text columns after its longest prompt (3 words)
        // are padding in every row, and the Java model drops them (TextEncoding
        // withoutTrailingPadding); the reference keeps all max_tokens columns.
        int[] rows = {0, 1, 3};
        String[] shortPrompts = {prompts[0], prompts[1], prompts[3]};
        float[] shortT = {t[0], t[1], t[3]};
        int per = c.channels * c.imageSize * c.imageSize;
        float[] shortX = new float[rows.length * per];
        for (int i = 0; i < rows.length; i++) System.arraycopy(x, rows[i] * per, shortX, i * per, per);
        NDArray xShort = m.create(shortX, new Shape(rows.length, c.channels, c.imageSize, c.imageSize));
        TextEncoding shortText = model.encodeText(model.tokenize(m, shortPrompts));
        assertEquals(3, shortText.withoutTrailingPadding(m).states().getShape().get(1), "the short batch keeps 3 text columns");
        float[] mineShort = model.velocity(xShort, shortT, shortText, UnitMasks.NONE).toFloatArray();
        float[] refShort = new float[rows.length * per];
        try (SafetensorsFile f = Safetensors.open(out)) {
          float[] ref = f.readFloats("velocity");
          for (int i = 0; i < rows.length; i++) System.arraycopy(ref, rows[i] * per, refShort, i * per, per);
        }
        double shortDiff = TestModels.maxAbsDiff(mineShort, refShort);
        report.append(String.format("velocity, batch without the long prompt (3 of %d text columns): max |diff| %.3g%n", c.maxTokens, shortDiff));
        if (!(shortDiff <= TOLERANCE)) failures.add("velocity of the short batch");
        System.out.print("PyTorchAgreementTest (" + c.doubleBlocks + " double, " + c.depth + " single blocks, rope "
            + c.rope + ")\n" + report);
        assertTrue(failures.isEmpty(), "Java and PyTorch disagree on " + failures + ":\n" + report);
        // The masks must matter, or the masked comparison proves nothing.
        double maskEffect = TestModels.maxAbsDiff(
            java.get("velocity").toFloatArray(), java.get("velocity_masked").toFloatArray());
        assertTrue(maskEffect > 1e-2, "masks changed the velocity by only " + maskEffect);
      }
    }
  }

  /** Random values in [0, 1] with every third one exactly 0 and one exactly 1. */
  private static float[] randomMask(SplittableRandom rng, int n) {
    float[] m = new float[n];
    for (int i = 0; i < n; i++) m[i] = i % 3 == 0 ? 0f : (float) rng.nextDouble();
    m[n - 1] = 1f;
    return m;
  }

  private void runReference(Path modelDir, Path inputs, Path out) throws Exception {
    Path log = tmp.resolve("python.log");
    Process p = new ProcessBuilder(PYTHON, SCRIPT.toString(), "forward", modelDir.toString(), inputs.toString(),
        out.toString())
        .directory(projectRoot().toFile())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    if (!p.waitFor(180, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("flow_reference.py did not finish in 180 s:\n" + Files.readString(log, StandardCharsets.UTF_8));
    }
    assertEquals(0, p.exitValue(), () -> "flow_reference.py failed:\n" + readQuietly(log));
    assertTrue(Files.isRegularFile(out), () -> "flow_reference.py wrote no output:\n" + readQuietly(log));
  }

  private static Path projectRoot() {
    Path root = Path.of("").toAbsolutePath();
    assertTrue(Files.isRegularFile(root.resolve(SCRIPT)), "run from the project root: no " + root.resolve(SCRIPT));
    return root;
  }

  /** Fails on CI, skips elsewhere, when /usr/bin/python3 cannot import torch. */
  private static void requireTorch() throws InterruptedException {
    String problem;
    try {
      Process p = new ProcessBuilder(PYTHON, "-c", "import torch").redirectErrorStream(true).start();
      byte[] output = p.getInputStream().readAllBytes();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        problem = "'" + PYTHON + " -c \"import torch\"' did not finish in 60 s";
      } else {
        problem = p.exitValue() == 0 ? null
            : PYTHON + " cannot import torch: " + new String(output, StandardCharsets.UTF_8).strip();
      }
    } catch (IOException e) {
      problem = "cannot run " + PYTHON + ": " + e.getMessage();
    }
    if (problem == null) return;
    String hint = problem + " (install it with: apt-get install -y python3-torch)";
    if (System.getenv("CI") != null) fail("CI is set, so the PyTorch reference check must run: " + hint);
    Assumptions.abort("skipping the PyTorch agreement check: " + hint);
  }

  private static String readQuietly(Path log) {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }
}
