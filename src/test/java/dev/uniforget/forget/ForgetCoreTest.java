package dev.uniforget.forget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.ModelConfig;
import dev.uniforget.model.PrunableUnits;
import dev.uniforget.model.TestModels;
import dev.uniforget.model.TextEncoding;
import dev.uniforget.model.UnitMasks;
import dev.uniforget.model.WordTokenizer;
import dev.uniforget.sampling.EulerSampler;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ForgetCoreTest {
  NDManager root;
  FlowModel model;

  @BeforeEach
  void setUp() {
    root = NDManager.newBaseManager();
    WordTokenizer tok = TestModels.tokenizer();
    ModelConfig c = TestModels.tinyConfig(tok);
    model = FlowModel.initialize(c, tok, root, 3);
    TestModels.randomize(model.params(), 11, 0.3);
  }

  @AfterEach
  void tearDown() {
    root.close();
  }

  @Test
  void relaxationValuesAtKnownLogits() {
    HardConcrete hc = HardConcrete.DEFAULT;
    assertEquals(1.0, hc.deterministic(3.0), 0); // initial logit: fully on
    assertEquals(0.5, hc.deterministic(0.0), 1e-12);
    assertEquals(0.0, hc.deterministic(-3.0), 0);
    assertEquals(0.5, hc.sample(0.0, 0.5), 1e-12);
    double expected = 1.2 / (1 + Math.exp(-Math.log(1.5) / 0.83)) - 0.1; // l = 0, u = 0.6
    assertEquals(expected, hc.sample(0.0, 0.6), 1e-12);
    assertEquals(0.643707, expected, 1e-6);
    assertEquals(1 / (1 + Math.exp(-2.2)), HardConcrete.keepProxy(3.0), 1e-12);
    // The engine's masks agree with the Java formulas.
    NDArray l = root.create(new float[] {-3f, -0.5f, 0f, 0.7f, 3f});
    NDArray noise = root.create(new float[] {0f, (float) HardConcrete.logisticNoise(0.3), (float) HardConcrete.logisticNoise(0.6), 0.2f, -4f});
    float[] det = hc.deterministic(root.create(0f), l).toFloatArray();
    float[] smp = hc.sample(noise, l).toFloatArray();
    float[] lv = l.toFloatArray(), nv = noise.toFloatArray();
    for (int i = 0; i < lv.length; i++) {
      assertEquals(hc.deterministic(lv[i]), det[i], 1e-6);
      double u = 1 / (1 + Math.exp(-nv[i]));
      assertEquals(hc.sample(lv[i], u), smp[i], 1e-5);
    }
  }

  @Test
  void gradientThroughTheWholeSamplerMatchesFiniteDifferences() {
    MaskLogits logits = new MaskLogits(model.config(), true, HardConcrete.DEFAULT, root);
    SplittableRandom rng = new SplittableRandom(5);
    for (String g : logits.store().names()) {
      int n = (int) logits.store().get(g).getShape().size();
      float[] v = new float[n];
      for (int i = 0; i < n; i++) v[i] = (float) (rng.nextDouble() * 2.4 - 1.2); // masks inside (0, 1)
      logits.store().set(g, v);
    }
    EulerSampler.Settings s = new EulerSampler.Settings(3, 2.0f);
    List<String> prompts = List.of("a red square", "dark");
    NDArray noise = EulerSampler.noise(root, model, new long[] {1, 2});
    NDArray target = root.create(TestModels.gaussians(rng, 2 * 64, 0.5), new Shape(2, 1, 8, 8));
    TextEncoding text = EulerSampler.encodeForGuidance(model, root, prompts, s.guidance());

    logits.store().setRequiresGradient(true);
    SamplerBackprop.backward(model, root, noise, target, text, s, logits::deterministic);
    Map<String, float[]> grads = new java.util.LinkedHashMap<>();
    for (String g : logits.store().names()) grads.put(g, logits.store().get(g).getGradient().toFloatArray());
    logits.store().setRequiresGradient(false);

    double eps = 2e-2;
    int checked = 0;
    for (String g : List.of(PrunableUnits.ffn(0), PrunableUnits.modulation(1), PrunableUnits.heads(1), PrunableUnits.FINAL_MODULATION)) {
      float[] base = logits.store().get(g).toFloatArray();
      for (int i : new int[] {0, base.length / 2, base.length - 1}) {
        float[] plus = base.clone(), minus = base.clone();
        plus[i] += (float) eps;
        minus[i] -= (float) eps;
        logits.store().set(g, plus);
        double lp = loss(noise, target, text, s, logits);
        logits.store().set(g, minus);
        double lm = loss(noise, target, text, s, logits);
        logits.store().set(g, base);
        double fd = (lp - lm) / (2 * eps), an = grads.get(g)[i];
        assertEquals(fd, an, 2e-3 + 0.05 * Math.abs(fd), g + "[" + i + "]: finite difference " + fd + " vs backprop " + an);
        checked++;
      }
    }
    assertEquals(12, checked);
    double total = 0;
    for (float[] v : grads.values()) for (float x : v) total += Math.abs(x);
    assertTrue(total > 1e-3, "the gradient reaches the logits");
  }

  private double loss(NDArray noise, NDArray target, TextEncoding text, EulerSampler.Settings s, MaskLogits logits) {
    try (NDManager m = root.newSubManager()) {
      NDArray x = noise.duplicate();
      x.attach(m);
      for (int k = 0; k < s.steps(); k++) x = EulerSampler.step(model, x, k, s, text, logits.deterministic(m));
      return x.sub(target).square().mean().getFloat();
    }
  }

  @Test
  void prunedModelEqualsMaskedModelWithHardMasks() {
    MaskLogits logits = new MaskLogits(model.config(), true, HardConcrete.DEFAULT, root);
    Map<String, boolean[]> keep = randomKeep(logits, 9, 0.6);
    keep.put(PrunableUnits.ffn(1), new boolean[model.config().ffnWidths.get(1)]); // a whole MLP pruned
    FlowModel pruned = Pruner.prune(model, keep, root);
    assertEquals(0, pruned.config().ffnWidths.get(1));
    int kept = Pruner.indices(keep.get(PrunableUnits.ffn(0))).length;
    assertTrue(kept % 8 != 0, "this mask keeps an odd width (" + kept + "), so the padding is exercised");
    assertEquals(Pruner.physicalWidth(kept), pruned.config().ffnWidths.get(0));
    assertTrue(pruned.params().parameterCount() < model.params().parameterCount());

    assertPrunedEqualsMasked(model, pruned, keep);
  }

  @Test
  void prunedWidthsArePaddedWithZeroUnitsThatStayZeroWhenRetrained() {
    assertEquals(0, Pruner.physicalWidth(0));
    assertEquals(8, Pruner.physicalWidth(1));
    assertEquals(8, Pruner.physicalWidth(8));
    assertEquals(312, Pruner.physicalWidth(309));
    MaskLogits logits = new MaskLogits(model.config(), true, HardConcrete.DEFAULT, root);
    Map<String, boolean[]> keep = randomKeep(logits, 9, 0.6);
    FlowModel pruned = Pruner.prune(model, keep, root);
    int kept = Pruner.indices(keep.get(PrunableUnits.ffn(0))).length, stored = pruned.config().ffnWidths.get(0);
    assertTrue(stored > kept, kept + " kept units stored as " + stored);
    assertPaddingZero(pruned, kept, stored, "after pruning");

    List<String> neutral = List.of("a red square", "a blue circle on green grass");
    EulerSampler.Settings s = new EulerSampler.Settings(2, 3f);
    NeutralPool pool = NeutralPool.build(model, neutral, 2, 7, s, root, null);
    float[] before = pruned.params().get("blocks.0.ffn.fc1.weight").toFloatArray();
    Retrainer.retrain(model, pruned, Pruner.masksForPruned(keep, root), pool, 3, 4, 1e-2f, 5, root, null);
    float[] after = pruned.params().get("blocks.0.ffn.fc1.weight").toFloatArray();
    assertTrue(TestModels.maxAbsDiff(before, after) > 1e-4, "retraining moved the kept units");
    assertPaddingZero(pruned, kept, stored, "after retraining");
  }

  /** The rows {@code kept..stored} of fc1 (and their bias) and those columns of fc2 of block 0 are all zero. */
  private static void assertPaddingZero(FlowModel m, int kept, int stored, String when) {
    int d = m.config().hiddenSize;
    float[] fc1 = m.params().get("blocks.0.ffn.fc1.weight").toFloatArray();
    float[] b1 = m.params().get("blocks.0.ffn.fc1.bias").toFloatArray();
    float[] fc2 = m.params().get("blocks.0.ffn.fc2.weight").toFloatArray();
    for (int j = kept; j < stored; j++) {
      assertEquals(0f, b1[j], when);
      for (int i = 0; i < d; i++) {
        assertEquals(0f, fc1[j * d + i], when + ": fc1 row " + j);
        assertEquals(0f, fc2[i * stored + j], when + ": fc2 column " + j);
      }
    }
  }

  /** Each unit of every group kept with probability {@code p}. */
  private static Map<String, boolean[]> randomKeep(MaskLogits logits, long seed, double p) {
    SplittableRandom rng = new SplittableRandom(seed);
    Map<String, boolean[]> keep = new java.util.LinkedHashMap<>();
    for (var g : logits.groups()) {
      boolean[] k = new boolean[g.size()];
      for (int i = 0; i < k.length; i++) k[i] = rng.nextDouble() < p;
      keep.put(g.name(), k);
    }
    return keep;
  }

  /** Samples of the pruned model equal the masked model's with hard masks, and differ from the full model's. */
  private void assertPrunedEqualsMasked(FlowModel full, FlowModel pruned, Map<String, boolean[]> keep) {
    long[] seeds = {4, 5, 6};
    List<String> prompts = List.of("a red square", "", "a blue circle on green grass");
    EulerSampler.Settings s = new EulerSampler.Settings(4, 3f);
    float[][] masked = EulerSampler.sample(full, root, prompts, seeds, s, Pruner.hardMasks(keep, root), 8, null);
    float[][] cut = EulerSampler.sample(pruned, root, prompts, seeds, s, UnitMasks.NONE, 8, null);
    double max = 0;
    for (int i = 0; i < seeds.length; i++) max = Math.max(max, TestModels.maxAbsDiff(masked[i], cut[i]));
    assertTrue(max <= 1e-5, "pruned vs masked max abs diff " + max);
    float[][] unpruned = EulerSampler.sample(full, root, prompts, seeds, s, UnitMasks.NONE, 8, null);
    assertTrue(TestModels.maxAbsDiff(unpruned[0], cut[0]) > 1e-3, "the pruning changed something");
  }

  /** The same on the FLUX layout: units of both streams of a double block, one stream's MLP pruned whole. */
  @Test
  void prunedDoubleStreamModelEqualsMaskedModelWithHardMasks() {
    WordTokenizer tok = TestModels.tokenizer();
    FlowModel flux = FlowModel.initialize(TestModels.tinyDoubleConfig(tok), tok, root, 3);
    TestModels.randomize(flux.params(), 12, 0.3);
    MaskLogits logits = new MaskLogits(flux.config(), true, HardConcrete.DEFAULT, root);
    assertEquals(List.of("double.0.img.ffn", "double.0.img.mod", "double.0.img.attn", "double.0.txt.ffn",
        "double.0.txt.mod", "double.0.txt.attn", "blocks.0.ffn", "blocks.0.mod", "blocks.0.attn", "final.mod"),
        logits.groups().stream().map(g -> g.name()).toList());
    Map<String, boolean[]> keep = randomKeep(logits, 10, 0.6);
    keep.put("double.0.txt.ffn", new boolean[40]); // the text stream's whole MLP
    FlowModel pruned = Pruner.prune(flux, keep, root);
    assertEquals(0, pruned.config().doubleTxtFfnWidths.get(0));
    assertEquals(Pruner.physicalWidth(Pruner.indices(keep.get("double.0.img.ffn")).length), pruned.config().doubleImgFfnWidths.get(0));
    assertEquals(Pruner.physicalWidth(Pruner.indices(keep.get("blocks.0.ffn")).length), pruned.config().ffnWidths.get(0));
    assertTrue(pruned.params().parameterCount() < flux.params().parameterCount());
    assertTrue(dev.uniforget.model.Flops.perVelocity(pruned.config()) < dev.uniforget.model.Flops.perVelocity(flux.config()));
    ForgetRun.Report shares = Measures.shares(logits, keep);
    assertEquals(1.0, shares.deactivatedShare.get("ffn_txt"), 1e-12, "the text stream's MLP is gone");
    assertEquals(40, shares.deactivatedUnits.get("ffn_txt"));
    for (String k : List.of("ffn_img", "ffn_single", "modulation_img", "modulation_txt", "modulation_single")) {
      assertTrue(shares.deactivatedShare.containsKey(k), k + " in " + shares.deactivatedShare.keySet());
    }

    assertPrunedEqualsMasked(flux, pruned, keep);

    Map<String, boolean[]> alien = new java.util.LinkedHashMap<>(keep);
    alien.put("double.7.img.ffn", new boolean[48]);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Pruner.prune(flux, alien, root));
    assertTrue(e.getMessage().contains("double.7.img.ffn"), e.getMessage());
  }

  /** Mask training reaches the units of both streams of a double block. */
  @Test
  void maskTrainingOnTheDoubleStreamLayoutMovesLogitsOfBothStreams() {
    WordTokenizer tok = TestModels.tokenizer();
    FlowModel flux = FlowModel.initialize(TestModels.tinyDoubleConfig(tok), tok, root, 3);
    TestModels.randomize(flux.params(), 12, 0.3);
    MaskLogits logits = new MaskLogits(flux.config(), false, HardConcrete.DEFAULT, root);
    ForgetConfig cfg = new ForgetConfig();
    cfg.beta = 50;
    cfg.steps = 6;
    cfg.batchSize = 2;
    cfg.samplerSteps = 2;
    cfg.seedsPerPrompt = 1;
    List<MaskTrainer.StepLog> log = MaskTrainer.train(flux, List.of("a red square", "dark"), logits, cfg, root, null);
    for (MaskTrainer.StepLog l : log) assertTrue(Double.isFinite(l.loss()));
    for (String g : List.of("double.0.img.ffn", "double.0.img.mod", "double.0.txt.ffn", "double.0.txt.mod", "blocks.0.ffn")) {
      float[] l = logits.store().get(g).toFloatArray();
      double moved = 0;
      for (float v : l) moved = Math.max(moved, Math.abs(v - HardConcrete.DEFAULT.initialLogit()));
      assertTrue(moved > 1e-3, g + " logits did not move: " + moved);
    }
  }

  /** The smallest-magnitude control keeps as many units per group as the mask and drops the smallest. */
  @Test
  void smallestMagnitudeControlDropsTheSmallestUnitsPerGroup() {
    MaskLogits logits = new MaskLogits(model.config(), true, HardConcrete.DEFAULT, root);
    Map<String, boolean[]> like = randomKeep(logits, 5, 0.7);
    // One unit made tiny by hand must be among the dropped ones.
    float[] fc1 = model.params().get("blocks.0.ffn.fc1.weight").toFloatArray();
    java.util.Arrays.fill(fc1, 7 * 32, 8 * 32, 1e-6f);
    model.params().set("blocks.0.ffn.fc1.weight", fc1);
    Map<String, double[]> mag = Pruner.unitMagnitudes(model);
    Map<String, boolean[]> keep = Pruner.largestLike(model, like);
    assertTrue(!keep.get("blocks.0.ffn")[7], "the tiny unit is dropped");
    for (var e : keep.entrySet()) {
      boolean[] k = e.getValue();
      assertEquals(Pruner.indices(like.get(e.getKey())).length, Pruner.indices(k).length, e.getKey());
      double minKept = Double.MAX_VALUE, maxDropped = -1;
      for (int i = 0; i < k.length; i++) {
        if (k[i]) minKept = Math.min(minKept, mag.get(e.getKey())[i]);
        else maxDropped = Math.max(maxDropped, mag.get(e.getKey())[i]);
      }
      assertTrue(maxDropped <= minKept, e.getKey() + ": dropped " + maxDropped + " > kept " + minKept);
    }
    Map<String, boolean[]> alien = new java.util.LinkedHashMap<>(like);
    alien.put("blocks.9.ffn", new boolean[3]);
    assertThrows(IllegalArgumentException.class, () -> Pruner.largestLike(model, alien));
  }

  @Test
  void keepRatioKeepsTheHighestLogits() {
    MaskLogits logits = new MaskLogits(model.config(), false, HardConcrete.DEFAULT, root);
    float[] v = new float[64];
    for (int i = 0; i < 64; i++) v[i] = i;
    logits.store().set(PrunableUnits.ffn(0), v);
    Map<String, boolean[]> keep = Pruner.keepRatio(logits, 0.5);
    int kept = 0, all = 0;
    for (boolean[] k : keep.values()) for (boolean b : k) {
      if (b) kept++;
      all++;
    }
    assertEquals(Math.round(0.5 * all), kept);
    assertTrue(keep.get(PrunableUnits.ffn(0))[63]);
    assertThrows(IllegalArgumentException.class, () -> Pruner.keepRatio(logits, 0));
  }

  @Test
  void maskTrainingPrunesUnderAStrongSparsityWeightAndRejectsBadSettings() {
    MaskLogits logits = new MaskLogits(model.config(), false, HardConcrete.DEFAULT, root);
    ForgetConfig cfg = new ForgetConfig();
    cfg.beta = 50;
    cfg.steps = 12;
    cfg.batchSize = 3;
    cfg.samplerSteps = 2;
    cfg.seedsPerPrompt = 1;
    List<MaskTrainer.StepLog> log = MaskTrainer.train(model, List.of("a red square", "dark"), logits, cfg, root, null);
    assertEquals(12, log.size());
    assertTrue(log.get(11).keptShare() < 1.0, "strong beta switches units off: kept " + log.get(11).keptShare());
    assertTrue(log.get(11).sparsityTerm() < log.get(0).sparsityTerm());
    for (MaskTrainer.StepLog l : log) assertTrue(Double.isFinite(l.loss()));

    ForgetConfig bad = new ForgetConfig();
    bad.beta = -1;
    assertThrows(IllegalArgumentException.class, () -> MaskTrainer.train(model, List.of("dark"), logits, bad, root, null));
    ForgetConfig bad2 = new ForgetConfig();
    bad2.steps = 0;
    assertThrows(IllegalArgumentException.class, bad2::validate);
    assertThrows(IllegalArgumentException.class, () -> MaskTrainer.train(model, List.of(), logits, new ForgetConfig(), root, null));
  }

  @Test
  void aMaskFileOfTheWrongRankOrValuesIsAClearError(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
    java.nio.file.Path file = tmp.resolve(ForgetRun.MASK).resolve(ForgetRun.MASK_FILE);
    java.nio.file.Files.createDirectories(file.getParent());
    dev.uniforget.io.Safetensors.write(file, Map.of("keep.blocks.0.ffn", dev.uniforget.io.Safetensors.Tensor.f32(new long[] {2, 2}, new float[] {1, 0, 1, 1})), null);
    java.io.IOException e = assertThrows(java.io.IOException.class, () -> ForgetRun.readKeep(tmp));
    assertTrue(e.getMessage().contains("keep.blocks.0.ffn") && e.getMessage().contains("one dimension"), e.getMessage());
    dev.uniforget.io.Safetensors.write(file, Map.of("keep.blocks.0.ffn", dev.uniforget.io.Safetensors.Tensor.f32(new long[] {3}, new float[] {1, 0.5f, 1})), null);
    e = assertThrows(java.io.IOException.class, () -> ForgetRun.readKeep(tmp));
    assertTrue(e.getMessage().contains("0/1") && e.getMessage().contains("0.5"), e.getMessage());
  }
}
