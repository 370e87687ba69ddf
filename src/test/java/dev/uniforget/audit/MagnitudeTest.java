package dev.uniforget.audit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.TestModels;
import dev.uniforget.model.UnitMasks;
import dev.uniforget.model.WordTokenizer;
import dev.uniforget.sampling.EulerSampler;
import java.util.List;
import org.junit.jupiter.api.Test;

class MagnitudeTest {
  @Test
  void magnitudeIsZeroForTheEmptyPromptAndPositiveForText() {
    try (NDManager root = NDManager.newBaseManager()) {
      WordTokenizer tok = TestModels.tokenizer();
      FlowModel model = FlowModel.initialize(TestModels.tinyConfig(tok), tok, root, 1);
      TestModels.randomize(model.params(), 2, 0.1);
      List<String> prompts = List.of("", "a red square", "dark");
      long[] seeds = {1, 2, 3};
      EulerSampler.Settings s = new EulerSampler.Settings(4, 3f);
      Magnitude mag = new Magnitude(3);
      float[][] observed = EulerSampler.sample(model, root, prompts, seeds, s, UnitMasks.NONE, 2, null, mag);
      float[][] plain = EulerSampler.sample(model, root, prompts, seeds, s, UnitMasks.NONE, 3, null);
      for (int i = 0; i < 3; i++) assertArrayEquals(plain[i], observed[i], 1e-4f, "observing changes nothing");
      assertEquals(0.0, mag.of(0), 1e-6, "v(x, empty) - v(x, empty) = 0");
      assertTrue(mag.of(1) > 1e-3 && mag.of(2) > 1e-3, mag.of(1) + " " + mag.of(2));
      assertTrue(mag.of(1) != mag.of(2));
    }
  }
}
