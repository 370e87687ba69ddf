package dev.uniforget.audit.judge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class DegradationsTest {
  static final int S = 28;

  /** Every operation on {@code img} (gray or planar RGB of side S). */
  private static List<Function<SplittableRandom, float[]>> all(float[] img) {
    int ch = img.length / (S * S);
    List<Function<SplittableRandom, float[]>> ops = new ArrayList<>(List.of(
        r -> Degradations.noise(img, 0.5f, r),
        r -> Degradations.speckle(img, 0.3f, r),
        r -> Degradations.blur(img, S, 3),
        r -> Degradations.shift(img, S, 2, -1),
        r -> Degradations.contrast(img, 1.8f, 0.2f),
        r -> Degradations.patchGrid(img, S, 10, r),
        r -> Degradations.occlude(img, S, r),
        r -> Degradations.gamma(img, 0.5f + 1.5f * (float) r.nextDouble()),
        r -> Degradations.downscale(img, S),
        r -> Degradations.erase(img, S, r),
        r -> Degradations.mild(img, S, r),
        r -> Degradations.augmentView(img, S, r),
        r -> Degradations.randomDegradation(img, S, r),
        r -> Degradations.artefactImage(Degradations.Kind.values()[r.nextInt(4)], S, ch, r)));
    for (Degradations.Kind k : Degradations.Kind.values()) ops.add(r -> Degradations.degrade(img, S, k, r));
    return ops;
  }

  @Test
  void everyOperationKeepsShapeAndRangeAndLeavesItsInputAlone() {
    for (int ch : new int[] {1, 3}) {
      float[] img = SyntheticImages.randomImage(ch * S * S, 1);
      float[] before = img.clone();
      for (int trial = 0; trial < 20; trial++) {
        for (Function<SplittableRandom, float[]> op : all(img)) {
          float[] out = op.apply(new SplittableRandom(trial));
          assertEquals(ch * S * S, out.length);
          for (float v : out) assertTrue(v >= 0f && v <= 1f, "value " + v + " outside [0, 1]");
        }
      }
      assertArrayEquals(before, img);
    }
  }

  @Test
  void sameGeneratorSeedGivesTheSameImage() {
    float[] img = SyntheticImages.randomImage(S * S, 2);
    for (Function<SplittableRandom, float[]> op : all(img)) {
      assertArrayEquals(op.apply(new SplittableRandom(5)), op.apply(new SplittableRandom(5)));
    }
    float[] rgb = SyntheticImages.randomImage(3 * S * S, 2);
    for (Function<SplittableRandom, float[]> op : all(rgb)) {
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
    float[] img = SyntheticImages.randomImage(S * S, 9);
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
  void gammaIsAPowerCurve() {
    float[] img = SyntheticImages.randomImage(S * S, 10);
    float[] g2 = Degradations.gamma(img, 2f), g05 = Degradations.gamma(img, 0.5f);
    assertArrayEquals(img, Degradations.gamma(img, 1f), 1e-6f);
    for (int i = 0; i < img.length; i++) {
      assertEquals(img[i] * img[i], g2[i], 1e-6f);
      assertEquals(Math.sqrt(img[i]), g05[i], 1e-6f);
      assertTrue(g2[i] <= img[i] && g05[i] >= img[i], "gamma > 1 darkens, < 1 brightens");
    }
    float[] ends = {0f, 1f};
    assertArrayEquals(ends, Degradations.gamma(ends, 1.7f), 0f);
  }

  @Test
  void downscaleReplacesEveryTwoByTwoBlockByItsMean() {
    for (int ch : new int[] {1, 3}) {
      float[] img = SyntheticImages.randomImage(ch * S * S, 11);
      float[] out = Degradations.downscale(img, S);
      int n = S * S;
      for (int c = 0; c < ch; c++) {
        for (int y = 0; y < S; y += 2) {
          for (int x = 0; x < S; x += 2) {
            int o = c * n;
            float mean = 0.25f * (img[o + y * S + x] + img[o + y * S + x + 1] + img[o + (y + 1) * S + x] + img[o + (y + 1) * S + x + 1]);
            for (int k : new int[] {y * S + x, y * S + x + 1, (y + 1) * S + x, (y + 1) * S + x + 1}) assertEquals(mean, out[o + k], 1e-6f);
          }
        }
      }
      float[] flat = new float[ch * S * S];
      Arrays.fill(flat, 0.4f);
      assertArrayEquals(flat, Degradations.downscale(flat, S), 1e-6f, "a constant image loses no resolution");
    }
    // an odd side: the last row and column are their own (half) blocks
    float[] odd = SyntheticImages.randomImage(5 * 5, 12);
    float[] out = Degradations.downscale(odd, 5);
    assertEquals(odd[24], out[24], 1e-6f);
    assertEquals(0.5f * (odd[4] + odd[9]), out[4], 1e-6f);
  }

  @Test
  void eraseSetsAQuarterSideSquareToTheCornerValueOfEachPlane() {
    int n = S * S, side = S / 4;
    for (int trial = 0; trial < 20; trial++) {
      float[] img = SyntheticImages.randomImage(3 * n, 20 + trial);
      float[] bg = {0.01f, 0.02f, 0.03f};
      for (int c = 0; c < 3; c++) {
        img[c * n] = bg[c];
        for (int i = 1; i < n; i++) img[c * n + i] = 0.1f + 0.9f * img[c * n + i]; // nothing else equals the corner
      }
      float[] out = Degradations.erase(img, S, new SplittableRandom(trial));
      int[] box = changedBox(img, out, 0);
      assertEquals(side, box[2] - box[0] + 1, "erased square height");
      assertEquals(side, box[3] - box[1] + 1, "erased square width");
      for (int c = 0; c < 3; c++) {
        assertArrayEquals(box, changedBox(img, out, c), "the same square on every plane");
        int changed = 0;
        for (int i = 0; i < n; i++) {
          if (out[c * n + i] != img[c * n + i]) {
            changed++;
            assertEquals(bg[c], out[c * n + i], "plane " + c + " filled with its own corner value");
          }
        }
        if (box[0] > 0 || box[1] > 0) assertEquals(side * side, changed);
      }
    }
  }

  @Test
  void occludeFillsOneRectangleOfAnEighthToHalfTheSide() {
    int n = S * S, minSide = S, maxSide = 0;
    for (int trial = 0; trial < 200; trial++) {
      float[] img = SyntheticImages.randomImage(3 * n, 100 + trial);
      float[] out = Degradations.occlude(img, S, new SplittableRandom(trial));
      int[] box = changedBox(img, out, 0);
      int h = box[2] - box[0] + 1, w = box[3] - box[1] + 1;
      assertTrue(h <= S / 2 && w <= S / 2, "rectangle " + h + "x" + w);
      minSide = Math.min(minSide, Math.min(h, w));
      maxSide = Math.max(maxSide, Math.max(h, w));
      for (int c = 0; c < 3; c++) {
        // outside the rectangle nothing changes; inside, one fill value per plane (and white specks)
        Float fill = null;
        for (int y = 0; y < S; y++) {
          for (int x = 0; x < S; x++) {
            float v = out[c * n + y * S + x];
            boolean inside = y >= box[0] && y <= box[2] && x >= box[1] && x <= box[3];
            if (!inside) {
              assertEquals(img[c * n + y * S + x], v);
            } else if (v != 1f) {
              if (fill == null) fill = v;
              assertEquals(fill, v, "one fill value per plane");
            }
          }
        }
      }
    }
    assertTrue(minSide <= S / 8 + 1 && maxSide >= S / 2 - 1, "sides from " + minSide + " to " + maxSide);
  }

  @Test
  void rgbPlanesAreChangedAlikeAndNeverMixed() {
    int n = S * S;
    float[] r = SyntheticImages.randomImage(n, 30), g = SyntheticImages.randomImage(n, 31), b = SyntheticImages.randomImage(n, 32);
    float[] rgb = new float[3 * n];
    System.arraycopy(r, 0, rgb, 0, n);
    System.arraycopy(g, 0, rgb, n, n);
    System.arraycopy(b, 0, rgb, 2 * n, n);
    List<Function<float[], float[]>> spatial = List.of(
        x -> Degradations.shift(x, S, 2, -1),
        x -> Degradations.blur(x, S, 2),
        x -> Degradations.downscale(x, S),
        x -> Degradations.gamma(x, 1.5f));
    for (Function<float[], float[]> op : spatial) {
      float[] out = op.apply(rgb);
      assertArrayEquals(op.apply(r), Arrays.copyOfRange(out, 0, n), 1e-6f);
      assertArrayEquals(op.apply(g), Arrays.copyOfRange(out, n, 2 * n), 1e-6f);
      assertArrayEquals(op.apply(b), Arrays.copyOfRange(out, 2 * n, 3 * n), 1e-6f);
    }
    // a random spatial change hits the same place on every plane
    float[] grid = Degradations.patchGrid(rgb, S, 3, new SplittableRandom(4));
    for (int i = 0; i < n; i++) {
      boolean changed = grid[i] != rgb[i];
      assertEquals(changed, grid[n + i] != rgb[n + i], "pixel " + i);
      assertEquals(changed, grid[2 * n + i] != rgb[2 * n + i], "pixel " + i);
    }
    for (Degradations.Kind k : Degradations.Kind.values()) {
      assertEquals(3 * n, Degradations.artefactImage(k, S, 3, new SplittableRandom(1)).length);
      assertEquals(n, Degradations.artefactImage(k, S, new SplittableRandom(1)).length);
    }
  }

  @Test
  void wrongImageSizeIsRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Degradations.blur(new float[10], S, 1));
    assertTrue(e.getMessage().contains("10 values"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Degradations.shift(new float[2 * S * S], S, 1, 0), "two planes are neither gray nor RGB");
    assertThrows(IllegalArgumentException.class, () -> Degradations.downscale(new float[2 * S * S], S));
    assertThrows(IllegalArgumentException.class, () -> Degradations.erase(new float[S * S + 1], S, new SplittableRandom(1)));
    assertThrows(IllegalArgumentException.class, () -> Degradations.occlude(new float[4 * S * S], S, new SplittableRandom(1)));
  }

  /** {minY, minX, maxY, maxX} of the pixels of plane {@code c} that differ. */
  private static int[] changedBox(float[] a, float[] b, int c) {
    int n = S * S;
    int[] box = {S, S, -1, -1};
    for (int y = 0; y < S; y++) {
      for (int x = 0; x < S; x++) {
        if (a[c * n + y * S + x] != b[c * n + y * S + x]) {
          box[0] = Math.min(box[0], y);
          box[1] = Math.min(box[1], x);
          box[2] = Math.max(box[2], y);
          box[3] = Math.max(box[3], x);
        }
      }
    }
    return box;
  }

  private static double sum(float[] a) {
    double s = 0;
    for (float v : a) s += v;
    return s;
  }
}
