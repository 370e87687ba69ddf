package dev.uniforget.audit.stats;

import java.util.Arrays;

/**
 * ROC statistics for a score where higher means "more likely positive" (e.g. the text-conditional
 * magnitude of memorized vs ordinary prompts). Scores must be finite; both classes non-empty.
 */
public final class Roc {
  private Roc() {}

  /**
   * A ROC curve: {@code fpr[i], tpr[i]} for the rule "score >= the i-th largest distinct score",
   * starting at (0, 0) (nothing flagged) and ending at (1, 1) (everything flagged). Tied scores of
   * both classes give one diagonal step.
   */
  public record Curve(double[] fpr, double[] tpr) {
    /** Trapezoidal area under the curve; equals {@link Roc#auc} (ties count 1/2). */
    public double area() {
      double a = 0;
      for (int i = 1; i < fpr.length; i++) a += (fpr[i] - fpr[i - 1]) * (tpr[i] + tpr[i - 1]) / 2;
      return a;
    }
  }

  /**
   * An operating point of the rule "flag when score > threshold".
   *
   * @param threshold the threshold ({@code -Infinity} flags everything)
   * @param fpr share of negatives with score > threshold
   * @param tpr share of positives with score > threshold
   */
  public record OperatingPoint(double threshold, double fpr, double tpr) {}

  /**
   * Area under the ROC curve as the Mann–Whitney statistic: the probability that a random positive
   * scores above a random negative, a tie counting 1/2.
   */
  public static double auc(double[] positives, double[] negatives) {
    check(positives, "positives");
    double[] neg = sortedCopy(negatives, "negatives");
    double wins = 0;
    for (double p : positives) {
      int below = lowerBound(neg, p);
      int notAbove = upperBound(neg, p);
      wins += below + 0.5 * (notAbove - below);
    }
    return wins / ((double) positives.length * neg.length);
  }

  /**
   * Highest true-positive rate of the rule "flag when score > t" (strictly greater) over all
   * thresholds t whose false-positive rate on the negatives is at most {@code maxFpr}.
   */
  public static double tprAtFpr(double[] positives, double[] negatives, double maxFpr) {
    return atFpr(positives, negatives, maxFpr).tpr();
  }

  /**
   * The operating point behind {@link #tprAtFpr}: the lowest threshold t (so the highest TPR) of the
   * rule "flag when score > t" with {@code fpr <= maxFpr}. Candidate thresholds are the negative
   * scores themselves, plus {@code -Infinity} when {@code maxFpr >= 1}.
   *
   * @throws IllegalArgumentException if {@code maxFpr} is outside [0, 1]
   */
  public static OperatingPoint atFpr(double[] positives, double[] negatives, double maxFpr) {
    if (!(maxFpr >= 0 && maxFpr <= 1)) throw new IllegalArgumentException("maxFpr must be in [0, 1], found " + maxFpr);
    check(positives, "positives");
    double[] neg = sortedCopy(negatives, "negatives");
    int n = neg.length;
    double threshold = Double.NEGATIVE_INFINITY;
    double fpr = 1;
    if (maxFpr < 1) {
      for (int i = 0; i < n; i++) {
        int above = n - upperBound(neg, neg[i]);
        double rate = (double) above / n;
        if (rate <= maxFpr) {
          threshold = neg[i];
          fpr = rate;
          break;
        }
      }
    }
    int flagged = 0;
    for (double p : positives) {
      if (p > threshold) flagged++;
    }
    return new OperatingPoint(threshold, fpr, (double) flagged / positives.length);
  }

  /** The ROC curve, one point per distinct score, from (0, 0) to (1, 1). */
  public static Curve curve(double[] positives, double[] negatives) {
    double[] pos = sortedCopy(positives, "positives");
    double[] neg = sortedCopy(negatives, "negatives");
    int ip = pos.length;
    int in = neg.length;
    double[] fpr = new double[pos.length + neg.length + 1];
    double[] tpr = new double[fpr.length];
    int k = 1;
    while (ip > 0 || in > 0) {
      double t = Math.max(ip > 0 ? pos[ip - 1] : Double.NEGATIVE_INFINITY, in > 0 ? neg[in - 1] : Double.NEGATIVE_INFINITY);
      while (ip > 0 && pos[ip - 1] == t) ip--;
      while (in > 0 && neg[in - 1] == t) in--;
      fpr[k] = (double) (neg.length - in) / neg.length;
      tpr[k] = (double) (pos.length - ip) / pos.length;
      k++;
    }
    return new Curve(Arrays.copyOf(fpr, k), Arrays.copyOf(tpr, k));
  }

  private static void check(double[] x, String name) {
    if (x.length == 0) throw new IllegalArgumentException(name + " must not be empty");
    for (double v : x) {
      if (!Double.isFinite(v)) throw new IllegalArgumentException(name + " contains a non-finite score: " + v);
    }
  }

  private static double[] sortedCopy(double[] x, String name) {
    check(x, name);
    double[] s = x.clone();
    Arrays.sort(s);
    return s;
  }

  /** First index with {@code a[i] >= v}. */
  private static int lowerBound(double[] a, double v) {
    int lo = 0;
    int hi = a.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (a[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First index with {@code a[i] > v}. */
  private static int upperBound(double[] a, double v) {
    int lo = 0;
    int hi = a.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (a[mid] <= v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
