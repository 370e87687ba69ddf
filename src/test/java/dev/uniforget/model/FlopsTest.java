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
}
