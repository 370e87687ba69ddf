package dev.uniforget.stats;

import java.util.Arrays;
import java.util.Locale;

/**
 * A point estimate with a confidence interval, as reported next to every audit statistic so that
 * small-sample numbers (a few dozen prompts, three seeds) are not read as exact. A plain record of
 * numbers, so it serializes to JSON as {@code {"estimate", "lo", "hi", "level", "n", "resamples"}}
 * (snake_case names are the same). Bounds are NaN when no interval could be computed (one value
 * for a t interval, or mostly undefined bootstrap resamples); the estimate is still reported.
 *
 * @param estimate the statistic on the full data
 * @param lo lower bound of the interval
 * @param hi upper bound of the interval
 * @param level nominal coverage in (0, 1), e.g. 0.95
 * @param n number of top-level units the statistic was computed over (prompts, images, seeds)
 * @param resamples bootstrap resamples the bounds rest on (0 for an analytic interval)
 */
public record Interval(double estimate, double lo, double hi, double level, int n, int resamples) {
  /** The usual coverage, 95%. */
  public static final double DEFAULT_LEVEL = 0.95;

  /** @throws IllegalArgumentException if {@code level} is outside (0, 1) or a count is negative */
  public Interval {
    checkLevel(level);
    if (n < 0) throw new IllegalArgumentException("n must be >= 0, found " + n);
    if (resamples < 0) throw new IllegalArgumentException("resamples must be >= 0, found " + resamples);
  }

  /**
   * Percentile interval from bootstrap replicates: the {@code (1 - level) / 2} and
   * {@code (1 + level) / 2} quantiles of the replicates (linear interpolation, as numpy's default
   * percentile). NaN replicates (a statistic undefined on that resample) are dropped; if more than
   * half are NaN, the bounds are NaN, since the rest would be a biased selection. {@code resamples}
   * of the result counts the replicates kept. The replicates array is not modified.
   *
   * @param estimate the statistic on the full data
   * @param replicates the statistic on each resample, non-empty
   * @param level coverage in (0, 1)
   * @param n number of top-level units
   * @throws IllegalArgumentException on empty replicates, a level outside (0, 1) or negative n
   */
  public static Interval of(double estimate, double[] replicates, double level, int n) {
    checkLevel(level);
    if (replicates.length == 0) throw new IllegalArgumentException("replicates must not be empty");
    double[] kept = Arrays.stream(replicates).filter(v -> !Double.isNaN(v)).sorted().toArray();
    if (2 * (replicates.length - kept.length) > replicates.length) {
      return new Interval(estimate, Double.NaN, Double.NaN, level, n, kept.length);
    }
    double alpha = (1 - level) / 2;
    return new Interval(estimate, quantile(kept, alpha), quantile(kept, 1 - alpha), level, n, kept.length);
  }

  /** {@code hi - lo}; NaN when there is no interval. */
  public double width() {
    return hi - lo;
  }

  /**
   * Like {@code "0.75 [0.50, 0.94]"}: two decimals, or more when the values or the width are
   * small, so that at least two significant digits show (e.g. {@code "0.0034 [0.0012, 0.0051]"}).
   */
  @Override
  public String toString() {
    int decimals = 2;
    double scale = Math.max(Math.abs(finiteOr0(estimate)), Math.max(Math.abs(finiteOr0(lo)), Math.abs(finiteOr0(hi))));
    for (double s : new double[] {scale, width()}) {
      if (s > 0 && Double.isFinite(s)) decimals = Math.max(decimals, 1 - (int) Math.floor(Math.log10(s)));
    }
    decimals = Math.min(decimals, 15);
    return format(estimate, decimals) + " [" + format(lo, decimals) + ", " + format(hi, decimals) + "]";
  }

  /** The q-quantile (q in [0, 1]) of sorted, NaN-free values with linear interpolation. */
  static double quantile(double[] sorted, double q) {
    double h = (sorted.length - 1) * q;
    int i = (int) Math.floor(h);
    if (i >= sorted.length - 1) return sorted[sorted.length - 1];
    double frac = h - i;
    if (frac == 0 || sorted[i] == sorted[i + 1]) return sorted[i];
    return sorted[i] + frac * (sorted[i + 1] - sorted[i]);
  }

  static void checkLevel(double level) {
    if (!(level > 0 && level < 1)) throw new IllegalArgumentException("level must be in (0, 1), found " + level);
  }

  private static double finiteOr0(double v) {
    return Double.isFinite(v) ? v : 0;
  }

  private static String format(double v, int decimals) {
    if (!Double.isFinite(v)) return Double.toString(v);
    return String.format(Locale.ROOT, "%." + decimals + "f", v);
  }
}
