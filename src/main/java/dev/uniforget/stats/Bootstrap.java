package dev.uniforget.stats;

import java.util.SplittableRandom;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * Percentile bootstrap confidence intervals (Efron): recompute a statistic on data resampled with
 * replacement and take quantiles of the replicates ({@link Interval#of}). The audits have few
 * units (tens of prompts, a handful of seeds each), so every rate and AUC they report needs an
 * interval. Resampling is driven by {@link SplittableRandom} from a seed, so the same seed gives
 * the same interval. A statistic may return NaN on a resample where it is undefined (say an empty
 * group); such replicates are skipped, and if more than half are NaN the bounds are NaN.
 */
public final class Bootstrap {
  /** Default number of resamples. */
  public static final int DEFAULT_RESAMPLES = 2000;

  private Bootstrap() {}

  /**
   * The generic core: bootstraps a statistic of {@code n} exchangeable units (prompts, images). The
   * statistic receives an array of n unit indices in [0, n): for the estimate {@code 0, 1, ..., n-1};
   * for each resample n indices drawn uniformly with replacement (a fresh array each time).
   *
   * @param n number of units, at least 1
   * @param statistic the statistic of the units at the given indices; NaN where undefined
   * @param resamples number of resamples, at least 1
   * @param level coverage in (0, 1), e.g. 0.95
   * @param seed seed of the resampling
   * @return the interval, with {@code n} units
   * @throws IllegalArgumentException on n or resamples below 1, or a level outside (0, 1)
   */
  public static Interval overUnits(int n, ToDoubleFunction<int[]> statistic, int resamples, double level, long seed) {
    if (n < 1) throw new IllegalArgumentException("n must be >= 1, found " + n);
    check(resamples, level);
    int[] identity = new int[n];
    for (int i = 0; i < n; i++) identity[i] = i;
    double estimate = statistic.applyAsDouble(identity);
    SplittableRandom random = new SplittableRandom(seed);
    double[] replicates = new double[resamples];
    for (int r = 0; r < resamples; r++) {
      int[] idx = new int[n];
      for (int i = 0; i < n; i++) idx[i] = random.nextInt(n);
      replicates[r] = statistic.applyAsDouble(idx);
    }
    return Interval.of(estimate, replicates, level, n);
  }

  /** {@link #overUnits(int, ToDoubleFunction, int, double, long)} with 2000 resamples and 95% coverage. */
  public static Interval overUnits(int n, ToDoubleFunction<int[]> statistic, long seed) {
    return overUnits(n, statistic, DEFAULT_RESAMPLES, Interval.DEFAULT_LEVEL, seed);
  }

  /**
   * Hierarchical (two-level) bootstrap of a prompts x seeds table: each resample draws as many rows
   * (prompts) as there are, with replacement, and then, within each drawn row, as many cells (seeds)
   * as that row has, with replacement. Both the choice of prompts and the seed noise within a prompt
   * thus enter the interval, as they should for rates such as "share of target prompts where at
   * least half of the seeds give a copy" or "share of samples that are copies". Rows may differ in
   * length (a resampled row keeps its source's length) but must not be empty. The statistic sees a
   * fresh table each time (the estimate a copy of {@code values}); it may return NaN where undefined.
   *
   * @param values rows (prompts) of cells (seeds), at least one non-empty row
   * @param statistic the statistic of a table; null is taken as NaN
   * @param resamples number of resamples, at least 1
   * @param level coverage in (0, 1)
   * @param seed seed of the resampling
   * @return the interval, with {@code n} = number of rows
   * @throws IllegalArgumentException on an empty table or row, resamples below 1 or a level outside (0, 1)
   */
  public static Interval twoLevel(
      double[][] values, Function<double[][], Double> statistic, int resamples, double level, long seed) {
    checkTable(values);
    check(resamples, level);
    int rows = values.length;
    double[][] copy = new double[rows][];
    for (int i = 0; i < rows; i++) copy[i] = values[i].clone();
    double estimate = unbox(statistic.apply(copy));
    SplittableRandom random = new SplittableRandom(seed);
    double[] replicates = new double[resamples];
    for (int r = 0; r < resamples; r++) {
      double[][] sample = new double[rows][];
      for (int i = 0; i < rows; i++) {
        double[] source = values[random.nextInt(rows)];
        double[] row = new double[source.length];
        for (int j = 0; j < row.length; j++) row[j] = source[random.nextInt(source.length)];
        sample[i] = row;
      }
      replicates[r] = unbox(statistic.apply(sample));
    }
    return Interval.of(estimate, replicates, level, rows);
  }

  /** {@link #twoLevel(double[][], Function, int, double, long)} with 2000 resamples and 95% coverage. */
  public static Interval twoLevel(double[][] values, Function<double[][], Double> statistic, long seed) {
    return twoLevel(values, statistic, DEFAULT_RESAMPLES, Interval.DEFAULT_LEVEL, seed);
  }

  /**
   * {@link #twoLevel} for the plain mean over all cells (every cell weighs the same, so with
   * ragged rows a prompt with more seeds weighs more), e.g. the share of samples that are copies
   * from a 0/1 table.
   *
   * @throws IllegalArgumentException as {@link #twoLevel}, or on a non-finite value
   */
  public static Interval twoLevelMean(double[][] values, int resamples, double level, long seed) {
    checkTable(values);
    for (int i = 0; i < values.length; i++) {
      for (double v : values[i]) {
        if (!Double.isFinite(v)) throw new IllegalArgumentException("values[" + i + "] contains a non-finite value: " + v);
      }
    }
    return twoLevel(values, Bootstrap::cellMean, resamples, level, seed);
  }

  /** {@link #twoLevelMean(double[][], int, double, long)} with 2000 resamples and 95% coverage. */
  public static Interval twoLevelMean(double[][] values, long seed) {
    return twoLevelMean(values, DEFAULT_RESAMPLES, Interval.DEFAULT_LEVEL, seed);
  }

  /**
   * Bootstrap of a statistic of two independent groups (e.g. ROC AUC of target vs neutral prompt
   * scores, {@code Roc::auc}): each resample draws each group from itself with replacement, keeping
   * the group sizes. The statistic sees fresh arrays each time (the estimate copies of the inputs).
   *
   * @param a first group, non-empty
   * @param b second group, non-empty
   * @param statistic the statistic of the two groups; null is taken as NaN
   * @param resamples number of resamples, at least 1
   * @param level coverage in (0, 1)
   * @param seed seed of the resampling
   * @return the interval, with {@code n} = {@code a.length + b.length}
   * @throws IllegalArgumentException on an empty group, resamples below 1 or a level outside (0, 1)
   */
  public static Interval twoGroups(
      double[] a, double[] b, BiFunction<double[], double[], Double> statistic, int resamples, double level, long seed) {
    if (a.length == 0) throw new IllegalArgumentException("a must not be empty");
    if (b.length == 0) throw new IllegalArgumentException("b must not be empty");
    check(resamples, level);
    double estimate = unbox(statistic.apply(a.clone(), b.clone()));
    SplittableRandom random = new SplittableRandom(seed);
    double[] replicates = new double[resamples];
    for (int r = 0; r < resamples; r++) {
      replicates[r] = unbox(statistic.apply(resample(a, random), resample(b, random)));
    }
    return Interval.of(estimate, replicates, level, a.length + b.length);
  }

  /** {@link #twoGroups(double[], double[], BiFunction, int, double, long)} with 2000 resamples and 95% coverage. */
  public static Interval twoGroups(double[] a, double[] b, BiFunction<double[], double[], Double> statistic, long seed) {
    return twoGroups(a, b, statistic, DEFAULT_RESAMPLES, Interval.DEFAULT_LEVEL, seed);
  }

  private static double[] resample(double[] x, SplittableRandom random) {
    double[] out = new double[x.length];
    for (int i = 0; i < out.length; i++) out[i] = x[random.nextInt(x.length)];
    return out;
  }

  private static Double cellMean(double[][] table) {
    double sum = 0;
    long count = 0;
    for (double[] row : table) {
      for (double v : row) sum += v;
      count += row.length;
    }
    return sum / count;
  }

  private static double unbox(Double v) {
    return v == null ? Double.NaN : v;
  }

  private static void checkTable(double[][] values) {
    if (values.length == 0) throw new IllegalArgumentException("values must have at least one row");
    for (int i = 0; i < values.length; i++) {
      if (values[i] == null || values[i].length == 0) {
        throw new IllegalArgumentException("values[" + i + "] must not be empty");
      }
    }
  }

  private static void check(int resamples, double level) {
    if (resamples < 1) throw new IllegalArgumentException("resamples must be >= 1, found " + resamples);
    Interval.checkLevel(level);
  }
}
