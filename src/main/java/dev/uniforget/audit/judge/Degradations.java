package dev.uniforget.audit.judge;

import dev.uniforget.nn.Seeds;
import java.util.SplittableRandom;

/**
 * The image degradations and augmentations of the judge and the copy descriptor, in one place.
 * Images are square, row-major, planar {@code channels*size*size} floats in [0, 1] (one plane for
 * gray, three for RGB; spatial changes apply to every plane alike); every method returns a
 * new array (the input is never modified), clamps to [0, 1], and draws its randomness from the
 * {@link SplittableRandom} it is given only, so a seeded generator gives identical output.
 */
public final class Degradations {
  /** The artefact families a heavily pruned generator was seen to produce (lab notes, point 6). */
  public enum Kind {
    NOISE,
    SPECKLE,
    BLUR,
    PATCH_GRID
  }

  /** Side of the blocks of {@link #patchGrid}: the patch size of the flow model. */
  public static final int PATCH = 4;

  private Degradations() {}

  /** Adds Gaussian noise of standard deviation {@code sigma} to every pixel. */
  public static float[] noise(float[] img, float sigma, SplittableRandom rng) {
    float[] g = new float[img.length];
    Seeds.fillGaussian(rng, g, 0, g.length);
    float[] out = new float[img.length];
    for (int i = 0; i < img.length; i++) out[i] = clamp(img[i] + sigma * g[i]);
    return out;
  }

  /** Salt and pepper: each pixel, with probability {@code fraction}, becomes 0 or 1 (equally likely). */
  public static float[] speckle(float[] img, float fraction, SplittableRandom rng) {
    float[] out = img.clone();
    for (int i = 0; i < out.length; i++) {
      if (rng.nextDouble() < fraction) out[i] = rng.nextBoolean() ? 1f : 0f;
    }
    return out;
  }

  /** {@code passes} applications of the separable binomial [1 2 1]/4 filter, edges replicated. */
  public static float[] blur(float[] img, int size, int passes) {
    int planes = planes(img, size), n = size * size;
    float[] a = img.clone();
    float[] b = new float[a.length];
    for (int p = 0; p < passes; p++) {
      for (int c = 0; c < planes; c++) {
        int o = c * n;
        for (int y = 0; y < size; y++) {
          for (int x = 0; x < size; x++) {
            int l = Math.max(0, x - 1), r = Math.min(size - 1, x + 1);
            b[o + y * size + x] = 0.25f * a[o + y * size + l] + 0.5f * a[o + y * size + x] + 0.25f * a[o + y * size + r];
          }
        }
        for (int y = 0; y < size; y++) {
          int u = Math.max(0, y - 1), d = Math.min(size - 1, y + 1);
          for (int x = 0; x < size; x++) {
            a[o + y * size + x] = 0.25f * b[o + u * size + x] + 0.5f * b[o + y * size + x] + 0.25f * b[o + d * size + x];
          }
        }
      }
    }
    for (int i = 0; i < a.length; i++) a[i] = clamp(a[i]);
    return a;
  }

  /**
   * Moves the content {@code dx} pixels right and {@code dy} down: out(y, x) = in(y - dy, x - dx);
   * pixels shifted in from outside are 0 (the background).
   */
  public static float[] shift(float[] img, int size, int dx, int dy) {
    int planes = planes(img, size), n = size * size;
    float[] out = new float[img.length];
    for (int c = 0; c < planes; c++) {
      int o = c * n;
      for (int y = 0; y < size; y++) {
        int sy = y - dy;
        if (sy < 0 || sy >= size) continue;
        for (int x = 0; x < size; x++) {
          int sx = x - dx;
          if (sx >= 0 && sx < size) out[o + y * size + x] = img[o + sy * size + sx];
        }
      }
    }
    return out;
  }

  /** v -> (v - 0.5) * contrast + 0.5 + brightness, clamped. */
  public static float[] contrast(float[] img, float contrast, float brightness) {
    float[] out = new float[img.length];
    for (int i = 0; i < img.length; i++) out[i] = clamp((img[i] - 0.5f) * contrast + 0.5f + brightness);
    return out;
  }

  /**
   * Patch-grid artefacts: {@code blocks} random {@link #PATCH}-aligned blocks are replaced by a
   * constant value or a one-pixel checkerboard of two random values.
   */
  public static float[] patchGrid(float[] img, int size, int blocks, SplittableRandom rng) {
    int planes = planes(img, size), n = size * size;
    float[] out = img.clone();
    int per = size / PATCH;
    for (int k = 0; k < blocks; k++) {
      int by = rng.nextInt(per) * PATCH, bx = rng.nextInt(per) * PATCH;
      boolean checker = rng.nextBoolean();
      for (int c = 0; c < planes; c++) {
        float v0 = (float) rng.nextDouble(), v1 = (float) rng.nextDouble();
        for (int y = 0; y < PATCH; y++) {
          for (int x = 0; x < PATCH; x++) {
            out[c * n + (by + y) * size + bx + x] = checker && ((x + y) & 1) == 1 ? v1 : v0;
          }
        }
      }
    }
    return out;
  }

  /**
   * An occluder: a rectangle of 1/8 to 1/2 of the side, filled with one random value per plane
   * (sometimes black or white), at a random position. A negative for concept detectors: a patch
   * of colour is not a logo.
   */
  public static float[] occlude(float[] img, int size, SplittableRandom rng) {
    int planes = planes(img, size), n = size * size;
    float[] out = img.clone();
    int h = Math.max(1, size / 8 + rng.nextInt(Math.max(1, size / 2 - size / 8 + 1)));
    int w = Math.max(1, size / 8 + rng.nextInt(Math.max(1, size / 2 - size / 8 + 1)));
    int y0 = rng.nextInt(size - h + 1), x0 = rng.nextInt(size - w + 1);
    int mode = rng.nextInt(3);
    for (int c = 0; c < planes; c++) {
      float v = mode == 0 ? 0f : mode == 1 ? 1f : (float) rng.nextDouble();
      for (int y = y0; y < y0 + h; y++) for (int x = x0; x < x0 + w; x++) out[c * n + y * size + x] = v;
    }
    if (rng.nextBoolean()) {
      float[] sp = speckle(new float[out.length], 0.1f * (float) rng.nextDouble(), rng);
      for (int c = 0; c < planes; c++) {
        for (int y = y0; y < y0 + h; y++) for (int x = x0; x < x0 + w; x++) if (sp[c * n + y * size + x] > 0) out[c * n + y * size + x] = 1f;
      }
    }
    return out;
  }

  /** Intensity curve v -> v^gamma (a change family the copy descriptor is not trained on). */
  public static float[] gamma(float[] img, float gamma) {
    float[] out = new float[img.length];
    for (int i = 0; i < img.length; i++) out[i] = clamp((float) Math.pow(Math.max(0f, img[i]), gamma));
    return out;
  }

  /** Resolution loss: 2x2 average pooling, then nearest upsampling (not in the descriptor's training). */
  public static float[] downscale(float[] img, int size) {
    int planes = planes(img, size), n = size * size;
    float[] out = new float[img.length];
    for (int c = 0; c < planes; c++) {
      for (int y = 0; y < size; y += 2) {
        for (int x = 0; x < size; x += 2) {
          int y1 = Math.min(size - 1, y + 1), x1 = Math.min(size - 1, x + 1);
          float m = 0.25f * (img[c * n + y * size + x] + img[c * n + y * size + x1] + img[c * n + y1 * size + x] + img[c * n + y1 * size + x1]);
          out[c * n + y * size + x] = m;
          out[c * n + y * size + x1] = m;
          out[c * n + y1 * size + x] = m;
          out[c * n + y1 * size + x1] = m;
        }
      }
    }
    return out;
  }

  /**
   * Erasure: a square of a quarter of the side set to the image's corner value (its background),
   * at a random position (not in the descriptor's training).
   */
  public static float[] erase(float[] img, int size, SplittableRandom rng) {
    int planes = planes(img, size), n = size * size;
    float[] out = img.clone();
    int s = Math.max(1, size / 4);
    int y0 = rng.nextInt(size - s + 1), x0 = rng.nextInt(size - s + 1);
    for (int c = 0; c < planes; c++) {
      float bg = img[c * n];
      for (int y = y0; y < y0 + s; y++) for (int x = x0; x < x0 + s; x++) out[c * n + y * size + x] = bg;
    }
    return out;
  }

  /** A gray image of pure artefacts of {@code kind} (no object), of random strength. */
  public static float[] artefactImage(Kind kind, int size, SplittableRandom rng) {
    return artefactImage(kind, size, 1, rng);
  }

  /** An image of {@code channels} planes of pure artefacts of {@code kind}, of random strength. */
  public static float[] artefactImage(Kind kind, int size, int channels, SplittableRandom rng) {
    float[] base = new float[channels * size * size];
    float level = rng.nextInt(3) == 0 ? 0f : (float) rng.nextDouble();
    java.util.Arrays.fill(base, level);
    return switch (kind) {
      case NOISE -> noise(base, 0.2f + 0.4f * (float) rng.nextDouble(), rng);
      case SPECKLE -> speckle(base, 0.05f + 0.45f * (float) rng.nextDouble(), rng);
      case BLUR -> blur(noise(base, 0.5f, rng), size, 1 + rng.nextInt(3));
      case PATCH_GRID -> patchGrid(base, size, 4 + rng.nextInt((size / PATCH) * (size / PATCH)), rng);
    };
  }

  /** {@code img} degraded by {@code kind} at a random, possibly heavy, strength. */
  public static float[] degrade(float[] img, int size, Kind kind, SplittableRandom rng) {
    return switch (kind) {
      case NOISE -> noise(img, 0.05f + 0.45f * (float) rng.nextDouble(), rng);
      case SPECKLE -> speckle(img, 0.02f + 0.28f * (float) rng.nextDouble(), rng);
      case BLUR -> blur(img, size, 1 + rng.nextInt(3));
      case PATCH_GRID -> patchGrid(img, size, 1 + rng.nextInt(24), rng);
    };
  }

  /** A random kind of degradation applied to {@code img}, sometimes two kinds in sequence. */
  public static float[] randomDegradation(float[] img, int size, SplittableRandom rng) {
    Kind[] kinds = Kind.values();
    float[] out = degrade(img, size, kinds[rng.nextInt(kinds.length)], rng);
    if (rng.nextInt(3) == 0) out = degrade(out, size, kinds[rng.nextInt(kinds.length)], rng);
    return out;
  }

  /**
   * A mild degradation that leaves a stamped motif recognisable: light noise, light speckle, one
   * blur pass, a 1-pixel shift, or a contrast change.
   */
  public static float[] mild(float[] img, int size, SplittableRandom rng) {
    return switch (rng.nextInt(5)) {
      case 0 -> noise(img, 0.02f + 0.08f * (float) rng.nextDouble(), rng);
      case 1 -> speckle(img, 0.01f + 0.03f * (float) rng.nextDouble(), rng);
      case 2 -> blur(img, size, 1);
      case 3 -> shift(img, size, rng.nextInt(3) - 1, rng.nextInt(3) - 1);
      default -> contrast(img, 0.7f + 0.5f * (float) rng.nextDouble(), 0.1f * (float) (rng.nextDouble() - 0.5));
    };
  }

  /**
   * A view for contrastive training of the copy descriptor: a 0-2 pixel shift, then, each with
   * its own probability, contrast/brightness, noise, speckle, blur and a few patch-grid blocks.
   */
  public static float[] augmentView(float[] img, int size, SplittableRandom rng) {
    float[] out = shift(img, size, rng.nextInt(5) - 2, rng.nextInt(5) - 2);
    if (rng.nextDouble() < 0.5) {
      out = contrast(out, 0.6f + 0.6f * (float) rng.nextDouble(), 0.2f * (float) (rng.nextDouble() - 0.5));
    }
    if (rng.nextDouble() < 0.3) out = blur(out, size, 1 + rng.nextInt(2));
    if (rng.nextDouble() < 0.5) out = noise(out, 0.2f * (float) rng.nextDouble(), rng);
    if (rng.nextDouble() < 0.4) out = speckle(out, 0.1f * (float) rng.nextDouble(), rng);
    if (rng.nextDouble() < 0.2) out = patchGrid(out, size, 1 + rng.nextInt(4), rng);
    return out;
  }

  private static float clamp(float v) {
    return v < 0f ? 0f : (v > 1f ? 1f : v);
  }

  /** Number of planes of {@code img} (1 or 3) for side {@code size}; an error for any other length. */
  static int planes(float[] img, int size) {
    int n = size * size;
    if (n == 0 || (img.length != n && img.length != 3 * n)) {
      throw new IllegalArgumentException("image has " + img.length + " values, expected " + size + "x" + size
          + " (gray) or 3x" + size + "x" + size + " (RGB)");
    }
    return img.length / n;
  }
}
