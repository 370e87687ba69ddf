package dev.uniforget.sampling;

import dev.uniforget.nn.Seeds;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.ModelConfig;
import dev.uniforget.model.TestModels;
import dev.uniforget.model.UnitMasks;
import dev.uniforget.model.WordTokenizer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class EulerSamplerTest {
  static final EulerSampler.Settings SETTINGS = new EulerSampler.Settings(4, 2.5f);

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

  private FlowModel randomModel() {
    FlowModel m = FlowModel.initialize(config, tok, root, 1);
    TestModels.randomize(m.params(), 2, 0.2);
    return m;
  }

  @Test
  void anImageDependsOnItsSeedAloneNotOnItsBatch() {
    try (FlowModel model = randomModel()) {
      List<String> prompts = List.of("a red square", "a blue circle", "a red square");
      List<Integer> progress = new ArrayList<>();
      float[][] batch3 = EulerSampler.sample(model, root, prompts, new long[] {1, 2, 3}, SETTINGS, UnitMasks.NONE, 3,
          progress::add);
      assertEquals(List.of(3), progress);
      progress.clear();
      float[][] batch2 = EulerSampler.sample(model, root, prompts, new long[] {1, 2, 3}, SETTINGS, UnitMasks.NONE, 2,
          progress::add);
      assertEquals(List.of(2, 3), progress);
      float[][] alone = EulerSampler.sample(model, root, List.of("a blue circle"), new long[] {2}, SETTINGS,
          UnitMasks.NONE, 1, null);
      assertEquals(3, batch3.length);
      assertEquals(64, batch3[1].length);
      for (int i = 0; i < 3; i++) {
        assertTrue(TestModels.maxAbsDiff(batch3[i], batch2[i]) <= 1e-5, "image " + i);
      }
      assertTrue(TestModels.maxAbsDiff(batch3[1], alone[0]) <= 1e-5,
          "seed 2 alone vs in a batch: " + TestModels.maxAbsDiff(batch3[1], alone[0]));
      // same prompt, different seeds: different images
      assertTrue(TestModels.maxAbsDiff(batch3[0], batch3[2]) > 0.1);
      // the starting noise itself is exactly the seed's
      try (NDManager m = root.newSubManager()) {
        float[] noise = EulerSampler.noise(m, model, new long[] {1, 2, 3}).toFloatArray();
        assertArrayEquals(Seeds.noise(2, 64), Arrays.copyOfRange(noise, 64, 128));
      }
    }
  }

  @Test
  void aZeroInitialisedModelReturnsTheNoise() {
    try (FlowModel model = FlowModel.initialize(config, tok, root, 3)) {
      float[][] out = EulerSampler.sample(model, root, List.of("a red square", ""), new long[] {5, 6}, SETTINGS,
          UnitMasks.NONE, 2, null);
      assertArrayEquals(Seeds.noise(5, 64), out[0]);
      assertArrayEquals(Seeds.noise(6, 64), out[1]);
    }
  }

  @Test
  void guidanceMixesConditionalAndUnconditionalVelocities() {
    try (FlowModel model = randomModel(); NDManager m = root.newSubManager()) {
      NDArray x = EulerSampler.noise(m, model, new long[] {7});
      float t = 0.6f;
      List<String> prompt = List.of("a blue circle");
      float[] cond = model.velocity(x, new float[] {t}, model.encodeText(model.tokenize(m, "a blue circle")),
          UnitMasks.NONE).toFloatArray();
      float[] uncond = model.velocity(x, new float[] {t}, model.encodeText(model.tokenize(m, "")), UnitMasks.NONE)
          .toFloatArray();
      assertTrue(TestModels.maxAbsDiff(cond, uncond) > 1e-3, "the prompt must matter");
      for (float w : new float[] {0f, 1f, 3f}) {
        float[] v = EulerSampler.guidedVelocity(
            model, x, t, EulerSampler.encodeForGuidance(model, m, prompt, w), w, UnitMasks.NONE).toFloatArray();
        float[] expected = new float[v.length];
        for (int i = 0; i < v.length; i++) expected[i] = uncond[i] + w * (cond[i] - uncond[i]);
        assertTrue(TestModels.maxAbsDiff(expected, v) <= 1e-5, "guidance " + w);
      }
    }
  }

  @Test
  void oneStepIsAnEulerStepFromOneToZero() {
    try (FlowModel model = randomModel(); NDManager m = root.newSubManager()) {
      EulerSampler.Settings one = new EulerSampler.Settings(1, 1f);
      float[][] out = EulerSampler.sample(model, root, List.of("a red square"), new long[] {9}, one, UnitMasks.NONE,
          1, null);
      NDArray x = EulerSampler.noise(m, model, new long[] {9});
      float[] v = model.velocity(x, new float[] {1f}, model.encodeText(model.tokenize(m, "a red square")),
          UnitMasks.NONE).toFloatArray();
      float[] noise = x.toFloatArray();
      float[] expected = new float[64];
      for (int i = 0; i < 64; i++) expected[i] = noise[i] - v[i];
      assertTrue(TestModels.maxAbsDiff(expected, out[0]) <= 1e-5);
      assertEquals(1f, EulerSampler.time(0, 4));
      assertEquals(0.25f, EulerSampler.time(3, 4));
      assertEquals(0f, EulerSampler.time(4, 4));
    }
  }

  @Test
  void settingsRejectNonPositiveStepsAndNegativeGuidance() {
    assertThrows(IllegalArgumentException.class, () -> new EulerSampler.Settings(0, 1f));
    assertThrows(IllegalArgumentException.class, () -> new EulerSampler.Settings(-3, 1f));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new EulerSampler.Settings(4, -0.5f));
    assertTrue(e.getMessage().contains("guidance"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new EulerSampler.Settings(4, Float.NaN));
    assertEquals(0f, new EulerSampler.Settings(1, 0f).guidance());
  }

  @Test
  void sampleRejectsMismatchedPromptsAndSeeds() {
    try (FlowModel model = FlowModel.initialize(config, tok, root, 3)) {
      assertThrows(IllegalArgumentException.class, () -> EulerSampler.sample(
          model, root, List.of("a", "b"), new long[] {1}, SETTINGS, UnitMasks.NONE, 2, null));
    }
  }

  /**
   * A batch size of 0 used to loop forever with guidance 1 (the batch start never advanced) and
   * to fail with an IndexOutOfBoundsException otherwise.
   */
  @Test
  void sampleRejectsANonPositiveBatchSize() {
    try (FlowModel model = FlowModel.initialize(config, tok, root, 3)) {
      for (EulerSampler.Settings s : List.of(SETTINGS, new EulerSampler.Settings(2, 1f))) {
        for (int bad : new int[] {0, -2}) {
          IllegalArgumentException e = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertThrows(
              IllegalArgumentException.class,
              () -> EulerSampler.sample(model, root, List.of("a"), new long[] {1}, s, UnitMasks.NONE, bad, null)));
          assertTrue(e.getMessage().contains("batch size"), e.getMessage());
        }
      }
    }
  }
}
