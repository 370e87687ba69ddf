package dev.uniforget.audit.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DiversityTest {
  @Test
  void identicalImagesGiveZero() {
    float[] im = {0.1f, 0.5f, 0.9f};
    assertEquals(0, Diversity.meanPairwiseL2(List.of(im, im.clone(), im.clone())), 0);
  }

  @Test
  void knownDistances() {
    float[] a = {0, 0};
    float[] b = {3, 4};
    float[] c = {6, 8};
    assertEquals(5, Diversity.meanPairwiseL2(List.of(a, b)), 1e-12);
    assertEquals(20.0 / 3, Diversity.meanPairwiseL2(List.of(a, b, c)), 1e-12); // pairs 5, 10, 5
    assertEquals(20.0 / 3, Diversity.meanPairwiseL2(List.of(a, b, c), 3, 1), 1e-12); // all pairs fit: exact
  }

  @Test
  void sampledEstimateIsDeterministicAndClose() {
    Random r = new Random(4);
    List<float[]> images = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      float[] im = new float[64];
      for (int k = 0; k < im.length; k++) im[k] = r.nextFloat();
      images.add(im);
    }
    double exact = Diversity.meanPairwiseL2(images);
    double sampled = Diversity.meanPairwiseL2(images, 200, 17);
    assertEquals(sampled, Diversity.meanPairwiseL2(images, 200, 17), 0);
    assertEquals(exact, sampled, 0.05 * exact);
  }

  @Test
  void rejectsBadInput() {
    assertThrows(IllegalArgumentException.class, () -> Diversity.meanPairwiseL2(List.of(new float[3])));
    assertThrows(IllegalArgumentException.class, () -> Diversity.meanPairwiseL2(List.of(new float[3], new float[4])));
    assertThrows(IllegalArgumentException.class, () -> Diversity.meanPairwiseL2(List.of(new float[3], new float[3]), 0, 1));
  }

  @Test
  void boxPoolAveragesEachBoxPerChannelAndDropsTheRemainder() {
    // 2 channels of 5x5: channel c, pixel (y, x) = 100 c + 10 y + x; factor 2 -> 2x2 per channel.
    float[] im = new float[2 * 25];
    for (int c = 0; c < 2; c++) for (int y = 0; y < 5; y++) for (int x = 0; x < 5; x++) im[c * 25 + y * 5 + x] = 100 * c + 10 * y + x;
    float[] p = Diversity.boxPool(im, 2, 5, 2);
    assertEquals(8, p.length);
    assertEquals(5.5f, p[0], 1e-5); // mean of 0, 1, 10, 11
    assertEquals(7.5f, p[1], 1e-5); // 2, 3, 12, 13
    assertEquals(25.5f, p[2], 1e-5); // 20, 21, 30, 31 (row 4 and column 4 dropped)
    assertEquals(127.5f, p[7], 1e-5); // channel 1: 122, 123, 132, 133
    assertThrows(IllegalArgumentException.class, () -> Diversity.boxPool(im, 2, 5, 0));
    assertThrows(IllegalArgumentException.class, () -> Diversity.boxPool(new float[24], 1, 5, 2));
  }

  /**
   * The case the low-pass view exists for: one fixed picture under fresh per-seed salt-and-pepper
   * noise looks as diverse as varied pictures at full resolution, but not after 4x4 pooling.
   */
  @Test
  void lowPassSeparatesNoisyCopiesOfOnePictureFromVariedPictures() {
    Random r = new Random(9);
    int size = 28;
    float[] picture = smoothPicture(r, size);
    List<float[]> noisyCopies = new ArrayList<>(), varied = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      float[] n = picture.clone();
      for (int k = 0; k < n.length; k++) if (r.nextDouble() < 0.08) n[k] = r.nextBoolean() ? 1f : 0f;
      noisyCopies.add(n);
      varied.add(smoothPicture(r, size));
    }
    double full = Diversity.meanPairwiseL2(noisyCopies) / Diversity.meanPairwiseL2(varied);
    double low = Diversity.meanPairwiseL2(Diversity.boxPool(noisyCopies, 1, size, 4))
        / Diversity.meanPairwiseL2(Diversity.boxPool(varied, 1, size, 4));
    assertTrue(full > 0.5, "at full resolution the noise looks like diversity: " + full);
    assertTrue(low < full / 2.5, "low-pass " + low + " vs full " + full);
  }

  /** A random blob picture: a few soft discs on a plain ground. */
  private static float[] smoothPicture(Random r, int size) {
    float[] im = new float[size * size];
    for (int d = 0; d < 3; d++) {
      double cx = r.nextDouble() * size, cy = r.nextDouble() * size, rad = 4 + r.nextDouble() * 6, v = r.nextDouble();
      for (int y = 0; y < size; y++) for (int x = 0; x < size; x++) if (Math.hypot(x - cx, y - cy) < rad) im[y * size + x] = (float) v;
    }
    return im;
  }
}
