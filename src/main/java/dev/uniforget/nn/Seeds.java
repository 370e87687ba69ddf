package dev.uniforget.nn;

import java.util.SplittableRandom;

/** The one seed policy: the starting noise of an image depends on its seed alone. */
public final class Seeds {
  private Seeds() {}

  /** Standard normal noise of {@code count} values for {@code seed} (Box-Muller on SplittableRandom). */
  public static float[] noise(long seed, int count) {
    float[] out = new float[count];
    fillGaussian(new SplittableRandom(mix(seed)), out, 0, count);
    return out;
  }

  public static void fillGaussian(SplittableRandom rng, float[] out, int from, int count) {
    for (int i = 0; i < count; i += 2) {
      double u1 = 1.0 - rng.nextDouble();
      double u2 = rng.nextDouble();
      double r = Math.sqrt(-2 * Math.log(u1));
      out[from + i] = (float) (r * Math.cos(2 * Math.PI * u2));
      if (i + 1 < count) out[from + i + 1] = (float) (r * Math.sin(2 * Math.PI * u2));
    }
  }

  public static double gaussian(SplittableRandom rng) {
    double u1 = 1.0 - rng.nextDouble();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * rng.nextDouble());
  }

  /** A well-mixed stream seed from a base seed and a counter (training step, image index). */
  public static long mix(long seed, long counter) {
    return mix(seed * 0x9E3779B97F4A7C15L + counter);
  }

  public static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
