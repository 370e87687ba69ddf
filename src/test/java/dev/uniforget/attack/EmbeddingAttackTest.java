package dev.uniforget.attack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.TestModels;
import dev.uniforget.model.TextEncoding;
import dev.uniforget.model.UnitMasks;
import dev.uniforget.model.WordTokenizer;
import dev.uniforget.sampling.EulerSampler;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class EmbeddingAttackTest {
  private static FlowModel model(NDManager root, boolean doubleStream) {
    WordTokenizer tok = TestModels.tokenizer();
    FlowModel m = FlowModel.initialize(doubleStream ? TestModels.tinyDoubleConfig(tok) : TestModels.tinyConfig(tok), tok, root, 3);
    TestModels.randomize(m.params(), 11, 0.3);
    return m;
  }

  private static List<float[]> images(int n, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<float[]> out = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) {
      float[] img = new float[64];
      for (int j = 0; j < 64; j++) img[j] = rng.nextDouble() < 0.5 ? 0.05f : 0.95f;
      out.add(img);
    }
    return out;
  }

  private static Map<String, float[]> weights(FlowModel m) {
    Map<String, float[]> w = new HashMap<>();
    for (String n : m.params().names()) w.put(n, m.params().get(n).toFloatArray());
    return w;
  }

  private static double mean(double[][] loss, int from, int to) {
    double s = 0;
    int n = 0;
    for (int i = from; i < to; i++) for (double v : loss[i]) {
      s += v;
      n++;
    }
    return s / n;
  }

  private static EmbeddingAttack.Options options(int steps) {
    EmbeddingAttack.Options o = new EmbeddingAttack.Options();
    o.steps = steps;
    o.batchSize = 32;
    o.snapshots = List.of(0, steps);
    return o;
  }

  @Test
  void theCopyAttackLowersItsLossAndChangesOnlyTheEmbedding() {
    for (boolean doubleStream : new boolean[] {false, true}) {
      try (NDManager root = NDManager.newBaseManager(); FlowModel model = model(root, doubleStream)) {
        Map<String, float[]> before = weights(model);
        List<float[]> imgs = images(2, 5);
        TextEncoding init = model.encodeText(model.tokenize(root, "a red square", "dark"));
        EmbeddingAttack.Rows rows = EmbeddingAttack.learnRows(model, imgs, init, options(60), root, null);
        double first = mean(rows.loss(), 0, 10), last = mean(rows.loss(), 50, 60);
        assertTrue(last < 0.9 * first, "the attack should lower the training loss: " + first + " -> " + last + " (double " + doubleStream + ")");
        assertArrayEquals(init.states().toFloatArray(), rows.states().get(0), "snapshot 0 is the start");
        assertTrue(TestModels.maxAbsDiff(rows.states().get(0), rows.states().get(1)) > 1e-3, "the embedding moved");
        assertTrue(TestModels.maxAbsDiff(rows.pooled().get(0), rows.pooled().get(1)) > 1e-3, "the pooled vector moved");
        Map<String, float[]> after = weights(model);
        for (String n : before.keySet()) assertArrayEquals(before.get(n), after.get(n), n + " must not change");
        for (NDArray a : model.params().arrays()) assertTrue(!a.hasGradient() || a.getGradient().abs().max().getFloat() == 0f, "no gradient on weights");
      }
    }
  }

  @Test
  void snapshotZeroFromAPromptSamplesExactlyWhatThePromptDoes() {
    try (NDManager root = NDManager.newBaseManager(); FlowModel model = model(root, false)) {
      List<String> prompts = List.of("a red square", "a blue circle on green grass");
      TextEncoding init = model.encodeText(model.tokenize(root, prompts.toArray(new String[0])));
      EmbeddingAttack.Rows rows = EmbeddingAttack.learnRows(model, images(2, 6), init, options(2), root, null);
      EulerSampler.Settings s = new EulerSampler.Settings(4, 3f);
      long[] seeds = {4, 5, 6, 7};
      float[][] byPrompt = EulerSampler.sample(model, root, List.of(prompts.get(0), prompts.get(0), prompts.get(1), prompts.get(1)), seeds, s,
          UnitMasks.NONE, 3, null);
      float[][] byRows = EulerSampler.sample(model, root, rows.conditioning(model, 0, new int[] {0, 0, 1, 1}), seeds, s, UnitMasks.NONE, 3,
          null, null, null);
      for (int i = 0; i < 4; i++) assertTrue(TestModels.maxAbsDiff(byPrompt[i], byRows[i]) < 1e-5 * Math.max(1, TestModels.maxAbs(byPrompt[i])), "image " + i + ": " + TestModels.maxAbsDiff(byPrompt[i], byRows[i]) + " of " + TestModels.maxAbs(byPrompt[i]));
      float[][] learned = EulerSampler.sample(model, root, rows.conditioning(model, 1, new int[] {0, 0, 1, 1}), seeds, s, UnitMasks.NONE, 3,
          null, null, null);
      assertTrue(TestModels.maxAbsDiff(byPrompt[0], learned[0]) > 1e-4, "the learned embedding samples something else");
    }
  }

  @Test
  void substitutingAWordsOwnVectorChangesNothingAndAnotherChangesOnlyItsRows() {
    try (NDManager root = NDManager.newBaseManager(); FlowModel model = model(root, false)) {
      int red = model.tokenizer().idOf("red"), d = model.config().hiddenSize;
      assertTrue(red > 1);
      assertEquals(-1, model.tokenizer().idOf("zephka"));
      NDArray tokens = model.tokenize(root, "a red square", "a red square", "dark");
      float[] table = model.params().get("text.tok_emb").toFloatArray();
      float[] own = java.util.Arrays.copyOfRange(table, red * d, (red + 1) * d);
      int[] word = {0, -1, 0};
      TextEncoding plain = model.encodeText(tokens);
      TextEncoding same = model.encodeText(tokens, EmbeddingAttack.substitute(model, tokens, word, new int[] {red}, root.create(own, new ai.djl.ndarray.types.Shape(1, d))));
      assertTrue(TestModels.maxAbsDiff(plain.states().toFloatArray(), same.states().toFloatArray()) < 1e-6);
      float[] other = TestModels.gaussians(new SplittableRandom(1), d, 1.0);
      TextEncoding changed = model.encodeText(tokens, EmbeddingAttack.substitute(model, tokens, word, new int[] {red}, root.create(other, new ai.djl.ndarray.types.Shape(1, d))));
      float[] a = plain.pooled().toFloatArray(), b = changed.pooled().toFloatArray();
      double row0 = 0, row1 = 0, row2 = 0;
      for (int j = 0; j < d; j++) {
        row0 = Math.max(row0, Math.abs(a[j] - b[j]));
        row1 = Math.max(row1, Math.abs(a[d + j] - b[d + j]));
        row2 = Math.max(row2, Math.abs(a[2 * d + j] - b[2 * d + j]));
      }
      assertTrue(row0 > 1e-3, "row 0 has 'red' replaced");
      assertEquals(0, row1, 1e-6, "row 1 is told not to replace");
      assertEquals(0, row2, 1e-6, "row 2 has no 'red'");
    }
  }

  @Test
  void theConceptAttackLearnsAWordVectorThatLowersItsLoss() {
    try (NDManager root = NDManager.newBaseManager(); FlowModel model = model(root, true)) {
      Map<String, float[]> before = weights(model);
      int red = model.tokenizer().idOf("red"), d = model.config().hiddenSize;
      float[] start = new float[d];
      EmbeddingAttack.Words w = EmbeddingAttack.learnWords(model, List.of(images(3, 9)), List.of(List.of("a red square", "a red square", "red")),
          new int[] {red}, new float[][] {start}, options(60), root, null);
      double first = mean(w.loss(), 0, 10), last = mean(w.loss(), 50, 60);
      assertTrue(last < first, "the word vector should lower the loss: " + first + " -> " + last);
      assertTrue(TestModels.maxAbs(w.vectors().get(1)) > 1e-3);
      Map<String, float[]> after = weights(model);
      for (String n : before.keySet()) assertArrayEquals(before.get(n), after.get(n), n + " must not change");
      // A caption without the word is refused (its vector would learn nothing from it).
      assertThrows(IllegalArgumentException.class, () -> EmbeddingAttack.learnWords(model, List.of(images(1, 9)), List.of(List.of("dark")),
          new int[] {red}, new float[][] {start}, options(2), root, null));
    }
  }

  @Test
  void badOptionsAreClearErrors() {
    EmbeddingAttack.Options o = new EmbeddingAttack.Options();
    o.snapshots = List.of(0, 60);
    assertTrue(assertThrows(IllegalArgumentException.class, o::validate).getMessage().contains("--snapshots"));
    o.snapshots = List.of(10, 5);
    assertTrue(assertThrows(IllegalArgumentException.class, o::validate).getMessage().contains("increasing"));
    o = new EmbeddingAttack.Options();
    o.learningRate = Float.NaN;
    assertTrue(assertThrows(IllegalArgumentException.class, o::validate).getMessage().contains("--attack-lr"));
  }
}
