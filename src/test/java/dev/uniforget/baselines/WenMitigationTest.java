package dev.uniforget.baselines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.TestModels;
import dev.uniforget.model.UnitMasks;
import dev.uniforget.model.WordTokenizer;
import dev.uniforget.sampling.EulerSampler;
import java.util.List;
import org.junit.jupiter.api.Test;

class WenMitigationTest {
  static final List<String> PROMPTS = List.of("a red square", "a blue circle on green grass", "dark");
  static final long[] SEEDS = {1, 2, 3};

  private static FlowModel model(NDManager root) {
    WordTokenizer tok = TestModels.tokenizer();
    FlowModel m = FlowModel.initialize(TestModels.tinyConfig(tok), tok, root, 3);
    TestModels.randomize(m.params(), 11, 0.3);
    return m;
  }

  private static WenMitigation.Options options(double target) {
    WenMitigation.Options o = new WenMitigation.Options();
    o.target = target;
    return o;
  }

  @Test
  void shrinksTheFirstStepMagnitudeTowardTheTargetAndLeavesTheWeightsAlone() {
    try (NDManager root = NDManager.newBaseManager(); FlowModel model = model(root)) {
      EulerSampler.Settings s = new EulerSampler.Settings(4, 3f);
      float[] before = model.params().get("blocks.0.ffn.fc1.weight").toFloatArray();
      float[][] plain = EulerSampler.sample(model, root, PROMPTS, SEEDS, s, UnitMasks.NONE, 8, null);

      // A target far below what the prompts give: every image optimises all 10 iterations.
      WenMitigation low = new WenMitigation(options(1e-6));
      float[][] mitigated = EulerSampler.sample(model, root, PROMPTS, SEEDS, s, UnitMasks.NONE, 8, null, null, low);
      WenMitigation.Stats st = low.stats();
      assertEquals(3, st.images);
      assertEquals(30, st.iterations);
      assertTrue(st.magnitudeAfter < 0.9 * st.magnitudeBefore, "magnitude " + st.magnitudeBefore + " -> " + st.magnitudeAfter);
      assertTrue(TestModels.maxAbsDiff(plain[0], mitigated[0]) > 1e-4, "the samples change");
      assertEquals(0.0, TestModels.maxAbsDiff(before, model.params().get("blocks.0.ffn.fc1.weight").toFloatArray()), 0.0);
      assertTrue(st.seconds > 0);

      // A target above every image's magnitude: nothing to do, the samples are the unmitigated ones.
      WenMitigation high = new WenMitigation(options(1e9));
      float[][] same = EulerSampler.sample(model, root, PROMPTS, SEEDS, s, UnitMasks.NONE, 8, null, null, high);
      assertEquals(0, high.stats().iterations);
      assertEquals(3, high.stats().reachedTarget);
      for (int i = 0; i < 3; i++) assertEquals(0.0, TestModels.maxAbsDiff(plain[i], same[i]), 1e-6);

      // A target between: the images stop on their own, each at or below it or after 10 steps.
      double mid = st.magnitudeBefore / 3 * 0.95;
      WenMitigation some = new WenMitigation(options(mid));
      EulerSampler.sample(model, root, PROMPTS, SEEDS, s, UnitMasks.NONE, 8, null, null, some);
      assertTrue(some.stats().iterations > 0 && some.stats().iterations <= 30, "iterations " + some.stats().iterations);

      assertThrows(IllegalArgumentException.class, () -> EulerSampler.sample(model, root, PROMPTS, SEEDS,
          new EulerSampler.Settings(4, 1f), UnitMasks.NONE, 8, null, null, new WenMitigation(options(1))));
    }
    assertThrows(IllegalArgumentException.class, () -> new WenMitigation(options(Double.NaN)));
    assertThrows(IllegalArgumentException.class, () -> new WenMitigation(options(-1)));
  }
}
