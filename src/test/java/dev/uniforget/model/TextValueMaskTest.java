package dev.uniforget.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The value channels on the text tokens (NeMo's neurons): runtime masks, the config's text_value_off, and what they touch. */
class TextValueMaskTest {
  @TempDir Path tmp;
  static final String[] PROMPTS = {"a red square", "", "a blue circle on green grass"};

  private static float[] velocity(FlowModel m, NDManager root, UnitMasks masks) {
    try (NDManager s = root.newSubManager()) {
      SplittableRandom rng = new SplittableRandom(5);
      NDArray x = s.create(TestModels.gaussians(rng, 3 * 64, 1.0), new Shape(3, 1, 8, 8));
      return m.velocity(x, new float[] {1f, 0.5f, 0.2f}, m.encodeText(m.tokenize(s, PROMPTS)), masks).toFloatArray();
    }
  }

  private static float[] row(float[] v, int i) {
    return java.util.Arrays.copyOfRange(v, i * 64, (i + 1) * 64);
  }

  @Test
  void theConfigsSwitchedOffChannelsEqualARuntimeMaskAndTheEmptyPromptIsUntouched() throws Exception {
    WordTokenizer tok = TestModels.tokenizer();
    try (NDManager root = NDManager.newBaseManager()) {
      FlowModel m = FlowModel.initialize(TestModels.tinyConfig(tok), tok, root, 3);
      TestModels.randomize(m.params(), 11, 0.3);
      float[] mask = new float[32];
      java.util.Arrays.fill(mask, 1f);
      for (int c : new int[] {0, 5, 17, 31}) mask[c] = 0f;
      String group = "blocks.1.attn.text_value";
      float[] full = velocity(m, root, UnitMasks.NONE);
      float[] masked = velocity(m, root, new UnitMasks(Map.of(group, root.create(mask))));
      // Only prompts with words feel it: the empty prompt's text keys are all padding.
      double words = Math.max(TestModels.maxAbsDiff(row(full, 0), row(masked, 0)), TestModels.maxAbsDiff(row(full, 2), row(masked, 2)));
      assertTrue(words > 1e-3, "prompts with words change: " + words);
      assertEquals(0.0, TestModels.maxAbsDiff(row(full, 1), row(masked, 1)), 1e-6, "the empty prompt does not");

      ModelConfig c = m.config().copy();
      c.textValueOff.put(group, List.of(0, 5, 17, 31));
      Path dir = tmp.resolve("edited");
      ModelDir.save(new FlowModel(c, tok, m.params().copy(root)), dir, false, Map.of());
      try (FlowModel edited = ModelDir.load(dir, root)) {
        assertEquals(List.of(0, 5, 17, 31), edited.config().textValueOff.get(group));
        assertEquals(0.0, TestModels.maxAbsDiff(masked, velocity(edited, root, UnitMasks.NONE)), 1e-6, "config == runtime mask");
      }

      ModelConfig bad = m.config().copy();
      bad.textValueOff.put("blocks.7.attn.text_value", List.of(1));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, bad::validate);
      assertTrue(e.getMessage().contains("text_value_off"), e.getMessage());
      ModelConfig range = m.config().copy();
      range.textValueOff.put(group, List.of(32));
      assertThrows(IllegalArgumentException.class, range::validate);
    }
  }

  /** In a double block's text stream the text values are its own value projection: masking a channel = zeroing its qkv row. */
  @Test
  void inADoubleBlocksTextStreamTheMaskEqualsZeroingTheValueRows() {
    WordTokenizer tok = TestModels.tokenizer();
    try (NDManager root = NDManager.newBaseManager()) {
      FlowModel m = FlowModel.initialize(TestModels.tinyDoubleConfig(tok), tok, root, 3);
      TestModels.randomize(m.params(), 12, 0.3);
      String group = "double.0.txt.attn.text_value";
      float[] mask = new float[32];
      java.util.Arrays.fill(mask, 1f);
      int[] off = {2, 9, 30};
      for (int c : off) mask[c] = 0f;
      float[] masked = velocity(m, root, new UnitMasks(Map.of(group, root.create(mask))));
      float[] w = m.params().get("double.0.txt.attn.qkv.weight").toFloatArray(), b = m.params().get("double.0.txt.attn.qkv.bias").toFloatArray();
      for (int c : off) {
        java.util.Arrays.fill(w, (64 + c) * 32, (64 + c + 1) * 32, 0f); // rows 2d + c of the fused qkv: the value channel c
        b[64 + c] = 0f;
      }
      m.params().set("double.0.txt.attn.qkv.weight", w);
      m.params().set("double.0.txt.attn.qkv.bias", b);
      assertEquals(0.0, TestModels.maxAbsDiff(masked, velocity(m, root, UnitMasks.NONE)), 1e-5);
      assertThrows(IllegalStateException.class, () -> m.config().streams().get(0).textValue(), "an image stream has no text values");
    }
  }
}
