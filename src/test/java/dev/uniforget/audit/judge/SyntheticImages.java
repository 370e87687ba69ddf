package dev.uniforget.audit.judge;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Synthetic lab-like images for the audit tests, so they need no data set: square images (gray or
 * planar RGB) of four shape classes, and a protected "concept": a small badge (a white ring of
 * one pixel around a black centre) stamped in one corner.
 */
public final class SyntheticImages {
  public static final List<String> CLASSES = List.of("bar", "pillar", "frame", "blob");
  /** Side of the concept badge. */
  public static final int BADGE = 4;

  private SyntheticImages() {}

  /**
   * One image of class {@code cls}: a horizontal bar, a vertical bar, a hollow square or a filled
   * disc near the centre (jittered by up to 2 px), of random brightness (0.35-0.8) with a random
   * texture, on a dark background; for RGB each plane is scaled by a random colour.
   */
  public static float[] shape(int cls, int size, int channels, SplittableRandom rng) {
    int n = size * size;
    float[] plane = new float[n];
    double c = (size - 1) / 2.0;
    double cy = c + rng.nextInt(5) - 2, cx = c + rng.nextInt(5) - 2;
    double level = 0.35 + 0.45 * rng.nextDouble();
    double half = size / 4.0; // the shapes span about half the side
    for (int y = 0; y < size; y++) {
      for (int x = 0; x < size; x++) {
        double dy = y - cy, dx = x - cx;
        boolean on = switch (cls) {
          case 0 -> Math.abs(dy) <= 1.5 && Math.abs(dx) <= half + 1;
          case 1 -> Math.abs(dx) <= 1.5 && Math.abs(dy) <= half + 1;
          case 2 -> Math.max(Math.abs(dx), Math.abs(dy)) <= half && Math.max(Math.abs(dx), Math.abs(dy)) >= half - 1.5;
          case 3 -> Math.hypot(dx, dy) <= half;
          default -> throw new IllegalArgumentException("class " + cls);
        };
        if (on) plane[y * size + x] = (float) (level * (0.75 + 0.25 * rng.nextDouble()));
        else plane[y * size + x] = (float) (0.06 * rng.nextDouble());
      }
    }
    if (channels == 1) return plane;
    float[] out = new float[channels * n];
    for (int ch = 0; ch < channels; ch++) {
      double colour = 0.5 + 0.5 * rng.nextDouble();
      for (int i = 0; i < n; i++) out[ch * n + i] = (float) (plane[i] * colour);
    }
    return out;
  }

  /** Stamps the concept badge into corner {@code corner} (0..3) of every plane, in place. */
  public static void stampBadge(float[] img, int size, int corner) {
    int n = size * size, planes = img.length / n;
    int y0 = corner < 2 ? 0 : size - BADGE, x0 = corner % 2 == 0 ? 0 : size - BADGE;
    for (int p = 0; p < planes; p++) {
      for (int y = 0; y < BADGE; y++) {
        for (int x = 0; x < BADGE; x++) {
          boolean border = y == 0 || x == 0 || y == BADGE - 1 || x == BADGE - 1;
          img[p * n + (y0 + y) * size + x0 + x] = border ? 1f : 0f;
        }
      }
    }
  }

  /**
   * {@code count} labelled images: classes in turn, a share {@code conceptShare} of them (every
   * k-th) carrying the badge (concept 0) in a random corner.
   */
  public static List<ClassifierTrainer.LabelledImage> labelled(int count, int size, int channels, double conceptShare, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<ClassifierTrainer.LabelledImage> out = new ArrayList<>(count);
    int every = conceptShare <= 0 ? Integer.MAX_VALUE : (int) Math.round(1 / conceptShare);
    for (int i = 0; i < count; i++) {
      int cls = i % CLASSES.size();
      float[] px = shape(cls, size, channels, rng);
      boolean concept = i % every == every - 1;
      if (concept) stampBadge(px, size, rng.nextInt(4));
      out.add(new ClassifierTrainer.LabelledImage(px, cls, concept ? new int[] {0} : new int[0]));
    }
    return out;
  }

  /** {@code count} unlabelled shape images (classes in turn). */
  public static List<float[]> images(int count, int size, int channels, long seed) {
    List<float[]> out = new ArrayList<>(count);
    for (ClassifierTrainer.LabelledImage x : labelled(count, size, channels, 0, seed)) out.add(x.pixels());
    return out;
  }

  /**
   * {@code count} images that differ as whole images (for the copy descriptor, which tells
   * instances apart): 2-4 rectangles of random sides (3 to half the side), places and brightness
   * (0.3-1, per plane for RGB) on a black background.
   */
  public static List<float[]> blobs(int count, int size, int channels, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<float[]> out = new ArrayList<>(count);
    int n = size * size;
    for (int i = 0; i < count; i++) {
      float[] img = new float[channels * n];
      int k = 2 + rng.nextInt(3);
      for (int r = 0; r < k; r++) {
        int h = 3 + rng.nextInt(size / 2 - 2), w = 3 + rng.nextInt(size / 2 - 2);
        int y0 = rng.nextInt(size - h + 1), x0 = rng.nextInt(size - w + 1);
        for (int c = 0; c < channels; c++) {
          float v = (float) (0.3 + 0.7 * rng.nextDouble());
          for (int y = y0; y < y0 + h; y++) for (int x = x0; x < x0 + w; x++) img[c * n + y * size + x] = v;
        }
      }
      out.add(img);
    }
    return out;
  }

  /** An image of uniform random values in [0, 1]. */
  public static float[] randomImage(int numel, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] out = new float[numel];
    for (int i = 0; i < out.length; i++) out[i] = (float) rng.nextDouble();
    return out;
  }
}
