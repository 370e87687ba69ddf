package dev.uniforget.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.uniforget.nn.ParameterStore;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FlowModelTest {
  static final float[] T = {0.1f, 0.5f, 0.9f};
  static final String[] PROMPTS = {"a red square", "", "a blue circle on green grass"};

  NDManager root;
  WordTokenizer tok;
  ModelConfig config;

  @BeforeEach
  void setUp() {
    root = NDManager.newBaseManager();
    tok = TestModels.tokenizer();
    config = TestModels.tinyConfig(tok);
  }

  @AfterEach
  void tearDown() {
    root.close();
  }

  private FlowModel randomModel(ModelConfig c, long seed) {
    FlowModel m = FlowModel.initialize(c, tok, root, seed);
    TestModels.randomize(m.params(), seed + 1, 0.2);
    return m;
  }

  private NDArray images(NDManager m, ModelConfig c, int b, long seed) {
    float[] x = TestModels.gaussians(new SplittableRandom(seed), b * c.channels * c.imageSize * c.imageSize, 1);
    return m.create(x, new Shape(b, c.channels, c.imageSize, c.imageSize));
  }

  private float[] velocity(FlowModel model, NDManager m, NDArray x, UnitMasks masks) {
    return model.velocity(x, T, model.encodeText(model.tokenize(m, PROMPTS)), masks).toFloatArray();
  }

  /**
   * Without autograd the velocity frees each block's intermediates when the block ends: the
   * arrays left grow by at most two per extra block (under autograd, by every array a block
   * makes), and nothing lands in the caller's manager; autograd gives the same velocity bit for
   * bit, in both layouts.
   */
  @Test
  void theVelocityWithoutAutogradFreesBlockIntermediatesAndEqualsTheAutogradOne() {
    for (int doubles : new int[] {0, 1}) {
      int[] left = new int[2], kept = new int[2];
      for (int extra = 0; extra < 2; extra++) {
        ModelConfig c = doubles == 0 ? TestModels.tinyConfig(tok) : TestModels.tinyDoubleConfig(tok);
        c.setBlocks(doubles, 1 + 2 * extra, 64);
        if (doubles > 0) c.doubleImgFfnWidths.set(0, 48);
        try (FlowModel model = randomModel(c, 7 + doubles); NDManager m = root.newSubManager()) {
          NDArray x = images(m, c, 3, 8);
          TextEncoding text = model.encodeText(model.tokenize(m, PROMPTS));
          int before = m.getManagedArrays().size();
          float[] plain, recorded;
          try (NDManager step = m.newSubManager()) {
            x.tempAttach(step);
            plain = model.velocity(x, T, text, UnitMasks.NONE).toFloatArray();
            left[extra] = step.getManagedArrays().size();
          }
          assertEquals(before, m.getManagedArrays().size(), "nothing landed in the caller's longer-lived manager");
          try (NDManager step = m.newSubManager(); ai.djl.training.GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
            x.tempAttach(step);
            recorded = model.velocity(x, T, text, UnitMasks.NONE).toFloatArray();
            kept[extra] = step.getManagedArrays().size();
          }
          assertArrayEquals(plain, recorded, 0f, doubles + " double blocks");
          assertTrue(TestModels.maxAbs(text.states().toFloatArray()) > 0, "the text states are still usable");
        }
      }
      assertTrue(left[1] - left[0] <= 4, "two more single blocks left " + (left[1] - left[0]) + " more arrays (" + left[0] + " -> " + left[1] + ")");
      assertTrue(kept[1] - kept[0] > 20, "under autograd two more blocks keep " + (kept[1] - kept[0]) + " more arrays");
    }
  }

  /**
   * The velocity skips the text columns that are padding in every row and the text rows of the
   * last block; a probe makes it run the whole sequence. Both give the same velocity, in both
   * layouts (rope included), masked or not, without autograd (in place) and under it.
   */
  @Test
  void skippingTheWorkThatCannotReachTheOutputLeavesTheVelocity() {
    String[] prompts = {"a red square", "", "blue circle"}; // the longest has 3 of 6 words
    UnitMasks.Probe none = (group, a) -> {};
    for (ModelConfig c : List.of(TestModels.tinyConfig(tok), TestModels.tinyDoubleConfig(tok))) {
      try (FlowModel model = randomModel(c, 31); NDManager m = root.newSubManager()) {
        NDArray x = images(m, c, 3, 32);
        TextEncoding text = model.encodeText(model.tokenize(m, prompts));
        assertEquals(3, text.withoutTrailingPadding(m).states().getShape().get(1), "3 text columns kept of " + c.maxTokens);
        Map<String, NDArray> half = new HashMap<>();
        for (UnitGroup g : PrunableUnits.groups(c, false)) {
          float[] v = new float[g.size()];
          for (int i = 0; i < v.length; i++) v[i] = i % 2;
          half.put(g.name(), m.create(v));
        }
        for (Map<String, NDArray> masks : List.of(Map.<String, NDArray>of(), half)) {
          float[] skipped = model.velocity(x, T, text, new UnitMasks(masks)).toFloatArray();
          float[] whole = model.velocity(x, T, text, new UnitMasks(masks, none)).toFloatArray();
          float[] recorded;
          try (ai.djl.training.GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
            recorded = model.velocity(x, T, text, new UnitMasks(masks)).toFloatArray();
          }
          String what = c.doubleBlocks + " double blocks, " + (masks.isEmpty() ? "unmasked" : "masked");
          assertTrue(TestModels.maxAbs(whole) > 1e-2, what + ": a velocity to compare");
          assertTrue(TestModels.maxAbsDiff(skipped, whole) <= 1e-5, what + ": " + TestModels.maxAbsDiff(skipped, whole));
          assertArrayEquals(skipped, recorded, 0f, what + ": in place and under autograd, bit for bit");
        }
      }
    }
  }

  /** Only columns that are padding in every row go; at least one stays; nothing to drop gives the same encoding. */
  @Test
  void withoutTrailingPaddingDropsOnlyColumnsPaddedInEveryRow() {
    try (FlowModel model = randomModel(config, 33); NDManager m = root.newSubManager()) {
      int np = config.numPatches();
      for (Object[] row : new Object[][] {{new String[] {"", ""}, 1}, {new String[] {"red", ""}, 1}, {new String[] {"", "a red square"}, 3},
          {new String[] {"a blue circle on green grass", "red"}, 6}}) {
        TextEncoding text = model.encodeText(model.tokenize(m, (String[]) row[0]));
        TextEncoding kept = text.withoutTrailingPadding(m);
        int l = (int) row[1];
        assertEquals(new Shape(2, l, config.hiddenSize), kept.states().getShape(), java.util.Arrays.toString((String[]) row[0]));
        assertEquals(new Shape(2, 1, 1, np + l), kept.keyBias().getShape());
        assertArrayEquals(text.states().get(":, :" + l + ", :").toFloatArray(), kept.states().toFloatArray(), 0f);
        assertArrayEquals(text.keyBias().get(":, :, :, :" + (np + l)).toFloatArray(), kept.keyBias().toFloatArray(), 0f);
        if (l == config.maxTokens) assertTrue(kept == text, "nothing to drop: the same encoding");
      }
    }
  }

  @Test
  void patchifyLaysOutPatchesRowMajorChannelsOutermostAndUnpatchifyInvertsIt() {
    config.channels = 3;
    try (FlowModel model = FlowModel.initialize(config, tok, root, 1); NDManager m = root.newSubManager()) {
      int s = config.imageSize, p = config.patchSize, g = config.gridSize();
      float[] x = new float[2 * 3 * s * s];
      for (int i = 0; i < x.length; i++) x[i] = i;
      NDArray xs = m.create(x, new Shape(2, 3, s, s));
      NDArray tokens = model.patchify(xs);
      assertEquals(new Shape(2, g * g, 3 * p * p), tokens.getShape());
      float[] tk = tokens.toFloatArray();
      // token (image 1, patch row 1, patch col 0), element (channel 2, row 3, col 1)
      int patch = 1 * g + 0, elem = 2 * p * p + 3 * p + 1;
      float expected = x[((1 * 3 + 2) * s + (1 * p + 3)) * s + (0 * p + 1)];
      assertEquals(expected, tk[(1 * g * g + patch) * 3 * p * p + elem]);
      NDArray back = model.unpatchify(tokens);
      assertEquals(xs.getShape(), back.getShape());
      assertArrayEquals(x, back.toFloatArray());
    }
  }

  @Test
  void velocityHasTheImageShape() {
    try (FlowModel model = randomModel(config, 3); NDManager m = root.newSubManager()) {
      NDArray v = model.velocity(images(m, config, 3, 4), T, model.encodeText(model.tokenize(m, PROMPTS)),
          UnitMasks.NONE);
      assertEquals(new Shape(3, 1, 8, 8), v.getShape());
      assertTrue(TestModels.maxAbs(v.toFloatArray()) > 1e-3, "a random model predicts a non-zero velocity");
    }
  }

  @Test
  void freshModelPredictsExactlyZeroVelocity() {
    try (FlowModel model = FlowModel.initialize(config, tok, root, 5); NDManager m = root.newSubManager()) {
      float[] v = velocity(model, m, images(m, config, 3, 6), UnitMasks.NONE);
      for (float f : v) assertEquals(0f, f);
      // ... while its text encoder is not trivial: init must not zero everything.
      TextEncoding text = model.encodeText(model.tokenize(m, PROMPTS));
      assertTrue(TestModels.maxAbs(text.states().toFloatArray()) > 1e-3);
    }
  }

  @Test
  void maskOfAllOnesEqualsNoMask() {
    try (FlowModel model = randomModel(config, 7); NDManager m = root.newSubManager()) {
      NDArray x = images(m, config, 3, 8);
      Map<String, NDArray> ones = new HashMap<>();
      for (UnitGroup g : PrunableUnits.groups(config, true)) ones.put(g.name(), m.ones(new Shape(g.size())));
      assertEquals(2 * 3 + 1, ones.size());
      float[] plain = velocity(model, m, x, UnitMasks.NONE);
      float[] masked = velocity(model, m, x, new UnitMasks(ones));
      assertTrue(TestModels.maxAbsDiff(plain, masked) <= 1e-6, "diff " + TestModels.maxAbsDiff(plain, masked));
      // and a zero mask on one head does change the output
      Map<String, NDArray> oneHeadOff = Map.of(PrunableUnits.heads(1), m.create(new float[] {1f, 0f}));
      assertTrue(TestModels.maxAbsDiff(plain, velocity(model, m, x, new UnitMasks(oneHeadOff))) > 1e-4);
    }
  }

  /** Zeroing MLP units by mask equals physically removing them (the pruning contract). */
  @Test
  void maskingFfnUnitsEqualsSlicingThemOut() {
    int width = config.ffnWidths.get(0);
    int[] keep = {0, 2, 3, 7, 10, 31, 40, 63};
    ModelConfig small = config.copy();
    small.ffnWidths.set(0, keep.length);
    try (FlowModel model = randomModel(config, 9); NDManager m = root.newSubManager()) {
      ParameterStore sliced = new ParameterStore(root);
      int d = config.hiddenSize;
      for (String name : model.params().names()) {
        float[] v = model.params().get(name).toFloatArray();
        Shape shape = model.params().get(name).getShape();
        switch (name) {
          case "blocks.0.ffn.fc1.weight" -> {
            float[] s = new float[keep.length * d];
            for (int r = 0; r < keep.length; r++) System.arraycopy(v, keep[r] * d, s, r * d, d);
            sliced.put(name, s, new Shape(keep.length, d));
          }
          case "blocks.0.ffn.fc1.bias" -> {
            float[] s = new float[keep.length];
            for (int r = 0; r < keep.length; r++) s[r] = v[keep[r]];
            sliced.put(name, s, new Shape(keep.length));
          }
          case "blocks.0.ffn.fc2.weight" -> {
            float[] s = new float[d * keep.length];
            for (int r = 0; r < d; r++) for (int k = 0; k < keep.length; k++) s[r * keep.length + k] = v[r * width + keep[k]];
            sliced.put(name, s, new Shape(d, keep.length));
          }
          default -> sliced.put(name, v, shape);
        }
      }
      float[] mask = new float[width];
      for (int k : keep) mask[k] = 1f;
      try (FlowModel pruned = new FlowModel(small, tok, sliced)) {
        NDArray x = images(m, config, 3, 10);
        float[] masked = velocity(model, m, x, new UnitMasks(Map.of(PrunableUnits.ffn(0), m.create(mask))));
        float[] physical = velocity(pruned, m, x, UnitMasks.NONE);
        double diff = TestModels.maxAbsDiff(masked, physical);
        assertTrue(diff <= 1e-5, "masked vs sliced differ by " + diff);
        assertTrue(TestModels.maxAbsDiff(masked, velocity(model, m, x, UnitMasks.NONE)) > 1e-4, "mask had no effect");
      }
    }
  }

  /** Padding keys are switched off: more padding (a longer max_tokens) changes nothing. */
  @Test
  void paddingDoesNotChangeTheOutput() {
    WordTokenizer longTok = new WordTokenizer(tok.vocab(), 9);
    ModelConfig longConfig = config.copy();
    longConfig.maxTokens = 9;
    try (FlowModel model = randomModel(config, 11);
        FlowModel longModel = FlowModel.initialize(longConfig, longTok, root, 12);
        NDManager m = root.newSubManager()) {
      TestModels.randomize(longModel.params(), 13, 0.2); // random extra position rows
      for (String name : model.params().names()) {
        if (!name.equals("text.pos_emb")) longModel.params().set(name, model.params().get(name).toFloatArray());
      }
      float[] pos = longModel.params().get("text.pos_emb").toFloatArray();
      float[] shortPos = model.params().get("text.pos_emb").toFloatArray();
      System.arraycopy(shortPos, 0, pos, 0, shortPos.length);
      longModel.params().set("text.pos_emb", pos);

      String[] prompts = {"a red square", "blue circle", ""};
      NDArray x = images(m, config, 3, 14);
      TextEncoding a = model.encodeText(model.tokenize(m, prompts));
      TextEncoding b = longModel.encodeText(longModel.tokenize(m, prompts));
      assertTrue(TestModels.maxAbsDiff(a.pooled().toFloatArray(), b.pooled().toFloatArray()) <= 1e-5);
      // the states of the real words agree (prompt 0: 3 words)
      float[] sa = a.states().get("0, :3, :").toFloatArray();
      float[] sb = b.states().get("0, :3, :").toFloatArray();
      assertTrue(TestModels.maxAbsDiff(sa, sb) <= 1e-5, "word states differ: " + TestModels.maxAbsDiff(sa, sb));
      float[] va = model.velocity(x, T, a, UnitMasks.NONE).toFloatArray();
      float[] vb = longModel.velocity(x, T, b, UnitMasks.NONE).toFloatArray();
      double diff = TestModels.maxAbsDiff(va, vb);
      assertTrue(diff <= 1e-5, "velocity depends on padding length: " + diff);
    }
  }

  @Test
  void emptyPromptPoolsToZeroBeforeTheProjection() {
    try (FlowModel model = randomModel(config, 15); NDManager m = root.newSubManager()) {
      TextEncoding text = model.encodeText(model.tokenize(m, "", "a red square"));
      float[] pooled = text.pooled().toFloatArray();
      int d = config.hiddenSize;
      // pooled_in(0) = its bias
      float[] bias = model.params().get("pooled_in.bias").toFloatArray();
      for (int i = 0; i < d; i++) assertEquals(bias[i], pooled[i], 1e-6f, "empty prompt, channel " + i);
      float[] second = java.util.Arrays.copyOfRange(pooled, d, 2 * d);
      assertTrue(TestModels.maxAbsDiff(bias, second) > 1e-3, "a real prompt pools to something else");
      float[] keyBias = text.keyBias().toFloatArray();
      int np = config.numPatches(), l = config.maxTokens;
      assertEquals(new Shape(2, 1, 1, np + l), text.keyBias().getShape());
      for (int j = 0; j < np + l; j++) {
        float expected = j < np ? 0f : FlowModel.PAD_BIAS;
        assertEquals(expected, keyBias[j], "empty prompt key " + j);
      }
      assertEquals(0f, keyBias[(np + l) + np + 2], "third word of prompt 2");
      assertEquals(FlowModel.PAD_BIAS, keyBias[(np + l) + np + 3], "padding after it");
    }
  }

  @Test
  void batchRowsAreIndependent() {
    try (FlowModel model = randomModel(config, 17); NDManager m = root.newSubManager()) {
      NDArray x = images(m, config, 3, 18);
      float[] all = velocity(model, m, x, UnitMasks.NONE);
      NDArray x1 = x.get("1:2");
      float[] one = model.velocity(x1, new float[] {T[1]}, model.encodeText(model.tokenize(m, PROMPTS[1])),
          UnitMasks.NONE).toFloatArray();
      int per = 64;
      assertTrue(TestModels.maxAbsDiff(java.util.Arrays.copyOfRange(all, per, 2 * per), one) <= 1e-5);
    }
  }

  @Test
  void constructorRejectsMismatchedTokenizerAndMissingParameters() {
    WordTokenizer other = WordTokenizer.build(List.of("one two"), 6);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FlowModel.initialize(config, other, root, 1));
    assertTrue(e.getMessage().contains("vocab_size"), e.getMessage());
    ParameterStore empty = new ParameterStore(root);
    e = assertThrows(IllegalArgumentException.class, () -> new FlowModel(config, tok, empty));
    assertTrue(e.getMessage().contains("text.tok_emb"), e.getMessage());
  }

  @Test
  void aPromptLongerThanTheModelReadsIsSaidOnceNotCutSilently() {
    java.io.PrintStream old = System.err;
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    try (NDManager root = NDManager.newBaseManager()) {
      WordTokenizer tok = TestModels.tokenizer(); // reads 6 words
      FlowModel model = FlowModel.initialize(TestModels.tinyConfig(tok), tok, root, 1);
      String longPrompt = "a red square a blue circle on green grass dark light";
      System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
      model.tokenize(root, longPrompt, "dark");
      model.tokenize(root, longPrompt);
    } finally {
      System.setErr(old);
    }
    String said = err.toString(java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(said.contains("has 11 words; the model reads the first 6"), said);
    assertEquals(1, said.split("warning:", -1).length - 1, "said once: " + said);
  }
}
