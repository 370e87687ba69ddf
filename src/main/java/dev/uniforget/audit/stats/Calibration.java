package dev.uniforget.audit.stats;

import java.util.Arrays;

/**
 * Percentiles and copy-detection thresholds calibrated on scores where higher means "more likely a
 * copy" (e.g. a descriptor similarity; negate distance ratios such as d1/d2 before use).
 */
public final class Calibration {
  private Calibration() {}

  /**
   * A calibrated threshold for the rule "copy when score > threshold".
   *
   * @param threshold the calibrated threshold
   * @param negativeRate share of negatives with score > threshold (the false-alarm rate)
   * @param positiveRecall share of positives with score > threshold
   * @param meetsRecall whether {@code positiveRecall >= minPositiveRecall}
   */
  public record Threshold(double threshold, double negativeRate, double positiveRecall, boolean meetsRecall) {}

  /**
   * The p-th percentile with linear interpolation between order statistics, as numpy's default
   * ({@code method="linear"}): with sorted values x[0..n-1] and h = (n - 1) p / 100, the result is
   * {@code x[floor(h)] + (h - floor(h)) (x[floor(h) + 1] - x[floor(h)])}. The input is not modified.
   *
   * @param p percentile in [0, 100]
   * @throws IllegalArgumentException on empty or non-finite values, or p outside [0, 100]
   */
  public static double percentile(double[] values, double p) {
    if (!(p >= 0 && p <= 100)) throw new IllegalArgumentException("percentile must be in [0, 100], found " + p);
    if (values.length == 0) throw new IllegalArgumentException("values must not be empty");
    double[] x = values.clone();
    for (double v : x) {
      if (!Double.isFinite(v)) throw new IllegalArgumentException("values contain a non-finite value: " + v);
    }
    Arrays.sort(x);
    double h = (x.length - 1) * p / 100;
    int lo = (int) Math.floor(h);
    if (lo >= x.length - 1) return x[x.length - 1];
    return x[lo] + (h - lo) * (x[lo + 1] - x[lo]);
  }

  /**
   * Sets the threshold at the {@code negativePercentile}-th percentile of the negative scores (so
   * about {@code 100 - negativePercentile} percent of negatives exceed it) and reports how many
   * positives exceed it.
   *
   * @param negativeScores scores of known non-copies, non-empty
   * @param positiveScores scores of known copies, non-empty
   * @param negativePercentile e.g. 99
   * @param minPositiveRecall required share of positives above the threshold, in [0, 1], e.g. 0.95
   */
  public static Threshold copyThreshold(
      double[] negativeScores, double[] positiveScores, double negativePercentile, double minPositiveRecall) {
    if (!(minPositiveRecall >= 0 && minPositiveRecall <= 1)) {
      throw new IllegalArgumentException("minPositiveRecall must be in [0, 1], found " + minPositiveRecall);
    }
    if (positiveScores.length == 0) throw new IllegalArgumentException("positiveScores must not be empty");
    double t = percentile(negativeScores, negativePercentile);
    double negativeRate = shareAbove(negativeScores, t);
    double recall = shareAbove(positiveScores, t);
    return new Threshold(t, negativeRate, recall, recall >= minPositiveRecall);
  }

  private static double shareAbove(double[] x, double t) {
    int above = 0;
    for (double v : x) {
      if (Double.isNaN(v)) throw new IllegalArgumentException("scores contain NaN");
      if (v > t) above++;
    }
    return (double) above / x.length;
  }
}
