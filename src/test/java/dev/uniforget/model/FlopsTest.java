package dev.uniforget.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class FlopsTest {
  @Test
  void countsMatchAHandCountAndShrinkWithPrunedWidths() {
    ModelConfig c = TestModels.tinyConfig(TestModels.tokenizer()); // 8x8, patch 4, D 32, depth 2, MLP 64
    long d = 32, np = 4, t = np + c.maxTokens, p = 16;
    long block = 2 * d * 6 * d + 2 * t * d * 3 * d + 4 * t * t * d + 2 * t * d * d + 4 * t * d * 64;
    long expected = 2 * np * p * d + 2 * (c.timeFreqDim * d + d * d) + 2 * block + 2 * d * 2 * d + 2 * np * d * p;
    assertEquals(expected, Flops.perVelocity(c));
    ModelConfig pruned = c.copy();
    pruned.ffnWidths.set(0, 16);
    assertEquals(expected - 4 * t * d * 48, Flops.perVelocity(pruned));
    assertTrue(Flops.perImage(c, 10, 3f) == 2 * (Flops.perPrompt(c) + 10 * Flops.perVelocity(c)));
    assertTrue(Flops.perImage(c, 10, 1f) == Flops.perPrompt(c) + 10 * Flops.perVelocity(c));
  }

  @Test
  void doubleStreamBlocksCountEachStreamOnItsOwnTokensAndTheJointAttentionOnce() {
    ModelConfig c = TestModels.tinyDoubleConfig(TestModels.tokenizer()); // 1 double (MLP 48 img, 40 txt), 1 single (64)
    long d = 32, np = 4, l = c.maxTokens, t = np + l, p = 16;
    long img = 2 * d * 6 * d + 2 * np * d * 3 * d + 2 * np * d * d + 4 * np * d * 48;
    long txt = 2 * d * 6 * d + 2 * l * d * 3 * d + 2 * l * d * d + 4 * l * d * 40;
    long joint = 4 * t * t * d;
    long single = 2 * d * 6 * d + 2 * t * d * 3 * d + 4 * t * t * d + 2 * t * d * d + 4 * t * d * 64;
    long expected = 2 * np * p * d + 2 * (c.timeFreqDim * d + d * d) + img + txt + joint + single + 2 * d * 2 * d + 2 * np * d * p;
    assertEquals(expected, Flops.perVelocity(c));
    ModelConfig pruned = c.copy();
    pruned.doubleTxtFfnWidths.set(0, 0);
    assertEquals(expected - 4 * l * d * 40, Flops.perVelocity(pruned));
  }
}
