package dev.uniforget.audit.judge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class DegradationsTest {
  static final int S = 28;

  private static List<Function<SplittableRandom, float[]>> all(float[] img) {
    return List.of(
        r -> Degradations.noise(img, 0.5f, r),
        r -> Degradations.speckle(img, 0.3f, r),
        r -> Degradations.blur(img, S, 3),
        r -> Degradations.shift(img, S, 2, -1),
        r -> Degradations.contrast(img, 1.8f, 0.2f),
        r -> Degradations.patchGrid(img, S, 10, r),
        r -> Degradations.mild(img, S, r),
        r -> Degradations.augmentView(img, S, r),
        r -> Degradations.randomDegradation(img, S, r),
        r -> Degradations.artefactImage(Degradations.Kind.values()[r.nextInt(4)], S, r));
  }

  @Test
  void everyOperationKeepsShapeAndRangeAndLeavesItsInputAlone() {
    float[] img = TestData.randomImage(S, 1);
    float[] before = img.clone();
    for (int trial = 0; trial < 20; trial++) {
      for (Function<SplittableRandom, float[]> op : all(img)) {
        float[] out = op.apply(new SplittableRandom(trial));
        assertEquals(S * S, out.length);
        for (float v : out) assertTrue(v >= 0f && v <= 1f, "value " + v + " outside [0, 1]");
      }
    }
    assertArrayEquals(before, img);
  }

  @Test
  void sameGeneratorSeedGivesTheSameImage() {
    float[] img = TestData.randomImage(S, 2);
    for (Function<SplittableRandom, float[]> op : all(img)) {
      assertArrayEquals(op.apply(new SplittableRandom(5)), op.apply(new SplittableRandom(5)));
    }
    assertFalse(Arrays.equals(Degradations.noise(img, 0.1f, new SplittableRandom(5)),
        Degradations.noise(img, 0.1f, new SplittableRandom(6))));
  }

  @Test
  void shiftMovesContentRightAndDownAndFillsWithBackground() {
    float[] img = new float[S * S];
    img[5 * S + 7] = 1f;
    img[0] = 0.5f;
    float[] out = Degradations.shift(img, S, 2, -1); // 2 right, 1 up
    assertEquals(1f, out[4 * S + 9]);
    assertEquals(1f, sum(out), 1e-6, "the corner pixel must have left the image");
    float[] back = Degradations.shift(out, S, -2, 1);
    assertEquals(1f, back[5 * S + 7]);
    assertEquals(0f, back[0]);
  }

  @Test
  void speckleChangesTheExpectedShareOfPixels() {
    float[] grey = new float[100 * 100];
    Arrays.fill(grey, 0.5f);
    float[] out = Degradations.speckle(grey, 0.2f, new SplittableRandom(3));
    int changed = 0, white = 0;
    for (float v : out) {
      if (v != 0.5f) {
        changed++;
        assertTrue(v == 0f || v == 1f);
        if (v == 1f) white++;
      }
    }
    assertEquals(0.2, changed / 10000.0, 0.015);
    assertEquals(0.5, white / (double) changed, 0.05);
  }

  @Test
  void noiseHasTheRequestedSpreadAwayFromTheBounds() {
    float[] grey = new float[100 * 100];
    Arrays.fill(grey, 0.5f);
    float[] out = Degradations.noise(grey, 0.05f, new SplittableRandom(4));
    double sq = 0;
    for (float v : out) sq += (v - 0.5) * (v - 0.5);
    assertEquals(0.05, Math.sqrt(sq / out.length), 0.003);
  }

  @Test
  void blurKeepsConstantsAndSmoothsAnEdge() {
    float[] flat = new float[S * S];
    Arrays.fill(flat, 0.3f);
    assertArrayEquals(flat, Degradations.blur(flat, S, 2), 1e-6f);
    float[] edge = new float[S * S];
    for (int y = 0; y < S; y++) for (int x = S / 2; x < S; x++) edge[y * S + x] = 1f;
    float[] out = Degradations.blur(edge, S, 1);
    assertEquals(0.25f, out[10 * S + S / 2 - 1], 1e-6f);
    assertEquals(0.75f, out[10 * S + S / 2], 1e-6f);
    assertEquals(sum(edge), sum(out), 1e-3, "the binomial filter with replicated edges keeps the mass here");
  }

  @Test
  void patchGridOnlyTouchesAlignedBlocks() {
    float[] img = TestData.randomImage(S, 9);
    float[] out = Degradations.patchGrid(img, S, 5, new SplittableRandom(1));
    int changedBlocks = 0;
    for (int by = 0; by < S; by += 4) {
      for (int bx = 0; bx < S; bx += 4) {
        boolean changed = false;
        for (int y = 0; y < 4; y++) for (int x = 0; x < 4; x++) changed |= out[(by + y) * S + bx + x] != img[(by + y) * S + bx + x];
        if (changed) {
          changedBlocks++;
          // a block is a constant or a checkerboard of two values
          float a = out[by * S + bx], b = out[by * S + bx + 1];
          for (int y = 0; y < 4; y++) for (int x = 0; x < 4; x++) assertEquals(((x + y) & 1) == 0 ? a : b, out[(by + y) * S + bx + x]);
        }
      }
    }
    assertTrue(changedBlocks >= 1 && changedBlocks <= 5, changedBlocks + " blocks changed");
  }

  @Test
  void wrongImageSizeIsRejected() {
    assertThrows(IllegalArgumentException.class, () -> Degradations.blur(new float[10], S, 1));
  }

  private static double sum(float[] a) {
    double s = 0;
    for (float v : a) s += v;
    return s;
  }
}
