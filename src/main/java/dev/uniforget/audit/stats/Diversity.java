package dev.uniforget.audit.stats;

import java.util.List;
import java.util.Random;

/** Diversity of a set of generations: mean pairwise L2 distance between flattened images. */
public final class Diversity {
  private Diversity() {}

  /**
   * Mean over all unordered pairs {i < j} of {@code ||images[i] - images[j]||_2}.
   *
   * @throws IllegalArgumentException on fewer than 2 images or images of different lengths
   */
  public static double meanPairwiseL2(List<float[]> images) {
    check(images);
    int n = images.size();
    double sum = 0;
    for (int i = 0; i < n; i++) {
      for (int j = i + 1; j < n; j++) sum += l2(images.get(i), images.get(j));
    }
    return sum / ((long) n * (n - 1) / 2);
  }

  /**
   * Like {@link #meanPairwiseL2(List)}, but when there are more than {@code maxPairs} pairs it
   * averages {@code maxPairs} pairs drawn uniformly (with replacement) from {@code Random(seed)}.
   * Deterministic for a given seed; exact when all pairs fit.
   */
  public static double meanPairwiseL2(List<float[]> images, int maxPairs, long seed) {
    if (maxPairs < 1) throw new IllegalArgumentException("maxPairs must be >= 1, found " + maxPairs);
    check(images);
    int n = images.size();
    if ((long) n * (n - 1) / 2 <= maxPairs) return meanPairwiseL2(images);
    Random random = new Random(seed);
    double sum = 0;
    for (int k = 0; k < maxPairs; k++) {
      int i = random.nextInt(n);
      int j = random.nextInt(n - 1);
      if (j >= i) j++;
      sum += l2(images.get(i), images.get(j));
    }
    return sum / maxPairs;
  }

  /**
   * The image (C, H, W flattened, H = W = {@code size}) averaged over {@code factor} x
   * {@code factor} boxes: (C, size / factor, size / factor), the remainder rows and columns
   * dropped. A low-pass view in which independent per-pixel noise (grain, salt and pepper) is
   * averaged down by {@code factor} in L2 while shapes and layout stay: seed diversity measured
   * on it is not raised by per-seed noise on one fixed picture.
   */
  public static float[] boxPool(float[] image, int channels, int size, int factor) {
    if (factor < 1 || factor > size) throw new IllegalArgumentException("factor must be in 1.." + size + ", found " + factor);
    if (image.length != channels * size * size) {
      throw new IllegalArgumentException("image has " + image.length + " values, expected " + channels + "x" + size + "x" + size);
    }
    int out = size / factor;
    float[] pooled = new float[channels * out * out];
    float inv = 1f / (factor * factor);
    for (int c = 0; c < channels; c++) {
      for (int y = 0; y < out * factor; y++) {
        for (int x = 0; x < out * factor; x++) {
          pooled[(c * out + y / factor) * out + x / factor] += image[(c * size + y) * size + x] * inv;
        }
      }
    }
    return pooled;
  }

  /** {@link #boxPool} of every image. */
  public static List<float[]> boxPool(List<float[]> images, int channels, int size, int factor) {
    return images.stream().map(img -> boxPool(img, channels, size, factor)).toList();
  }

  private static void check(List<float[]> images) {
    if (images.size() < 2) throw new IllegalArgumentException("need at least 2 images, found " + images.size());
    int len = images.get(0).length;
    for (int i = 1; i < images.size(); i++) {
      if (images.get(i).length != len) {
        throw new IllegalArgumentException("image " + i + " has " + images.get(i).length + " values, expected " + len);
      }
    }
  }

  private static double l2(float[] a, float[] b) {
    double s = 0;
    for (int k = 0; k < a.length; k++) {
      double d = (double) a[k] - b[k];
      s += d * d;
    }
    return Math.sqrt(s);
  }
}
