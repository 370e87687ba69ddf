package dev.uniforget.stats;

/**
 * Intervals for a mean over a few repeats (e.g. three mask seeds), where a bootstrap would be
 * meaningless: the Student-t interval {@code mean +- t_{(1+level)/2, n-1} * sd / sqrt(n)}, with the
 * t quantile computed from the regularized incomplete beta function (accurate to about 1e-10);
 * and the median and range of a few values (e.g. timing repeats).
 */
public final class SmallSample {
  /** The median (the mean of the two middle values for an even count). */
  public static double median(double[] v) {
    double[] c = v.clone();
    java.util.Arrays.sort(c);
    return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
  }

  /** {min, max}; NaN for no values. */
  public static double[] range(double[] v) {
    return new double[] {java.util.Arrays.stream(v).min().orElse(Double.NaN), java.util.Arrays.stream(v).max().orElse(Double.NaN)};
  }

  private static final double[] LANCZOS = {
    0.99999999999980993,
    676.5203681218851,
    -1259.1392167224028,
    771.32342877765313,
    -176.61502916214059,
    12.507343278686905,
    -0.13857109526572012,
    9.9843695780195716e-6,
    1.5056327351493116e-7
  };

  private SmallSample() {}

  /**
   * Mean of {@code values} with a Student-t interval at coverage {@code level}, using the sample
   * standard deviation (divisor n - 1) and n - 1 degrees of freedom. With three values at 95% that
   * is {@code mean +- 4.3027 sd / sqrt(3)}: wide, honestly. A single value has no spread estimate,
   * so its interval has NaN bounds (NaN width); the estimate is still the value. The result has
   * {@code n = values.length} and {@code resamples = 0}.
   *
   * @throws IllegalArgumentException on empty or non-finite values, or a level outside (0, 1)
   */
  public static Interval tInterval(double[] values, double level) {
    Interval.checkLevel(level);
    int n = values.length;
    if (n == 0) throw new IllegalArgumentException("values must not be empty");
    double sum = 0;
    for (double v : values) {
      if (!Double.isFinite(v)) throw new IllegalArgumentException("values contain a non-finite value: " + v);
      sum += v;
    }
    double mean = sum / n;
    if (n == 1) return new Interval(mean, Double.NaN, Double.NaN, level, 1, 0);
    double ss = 0;
    for (double v : values) ss += (v - mean) * (v - mean);
    double half = tQuantile((1 + level) / 2, n - 1) * Math.sqrt(ss / (n - 1) / n);
    return new Interval(mean, mean - half, mean + half, level, n, 0);
  }

  /** {@link #tInterval(double[], double)} at 95%. */
  public static Interval tInterval(double[] values) {
    return tInterval(values, Interval.DEFAULT_LEVEL);
  }

  /**
   * The p-quantile of Student's t distribution with {@code df} degrees of freedom (e.g.
   * {@code tQuantile(0.975, 2) = 4.3027}), found by bisection on the tail probability
   * {@code P(T > t) = I_{df/(df+t^2)}(df/2, 1/2) / 2}, to relative precision near 1e-12.
   *
   * @param p probability in (0, 1)
   * @param df degrees of freedom, positive (need not be an integer)
   * @throws IllegalArgumentException on p outside (0, 1) or df not positive and finite
   */
  public static double tQuantile(double p, double df) {
    if (!(p > 0 && p < 1)) throw new IllegalArgumentException("p must be in (0, 1), found " + p);
    checkDf(df);
    if (p == 0.5) return 0;
    double tail = p > 0.5 ? 1 - p : p; // P(T > t) for the positive quantile
    double lo = 0;
    double hi = 1;
    while (upperTail(hi, df) > tail) {
      lo = hi;
      hi *= 2;
      if (Double.isInfinite(hi)) break;
    }
    for (int i = 0; i < 2000 && hi - lo > 1e-13 * hi; i++) {
      double mid = 0.5 * (lo + hi);
      if (upperTail(mid, df) > tail) lo = mid;
      else hi = mid;
    }
    double t = 0.5 * (lo + hi);
    return p > 0.5 ? t : -t;
  }

  /**
   * The distribution function {@code P(T <= t)} of Student's t with {@code df} degrees of freedom.
   *
   * @throws IllegalArgumentException on NaN t or df not positive and finite
   */
  public static double tCdf(double t, double df) {
    if (Double.isNaN(t)) throw new IllegalArgumentException("t must not be NaN");
    checkDf(df);
    return t >= 0 ? 1 - upperTail(t, df) : upperTail(-t, df);
  }

  /** {@code P(T > t)} for t >= 0. */
  private static double upperTail(double t, double df) {
    if (Double.isInfinite(t)) return 0;
    double x = df / (df + t * t);
    return 0.5 * regularizedBeta(x, df / 2, 0.5);
  }

  private static void checkDf(double df) {
    if (!(df > 0 && Double.isFinite(df))) throw new IllegalArgumentException("df must be positive and finite, found " + df);
  }

  /**
   * The regularized incomplete beta function {@code I_x(a, b)} for x in [0, 1], a, b > 0, by its
   * continued fraction (evaluated with the modified Lentz method) on the side where it converges
   * fast, and the symmetry {@code I_x(a, b) = 1 - I_{1-x}(b, a)} on the other.
   */
  static double regularizedBeta(double x, double a, double b) {
    if (x <= 0) return 0;
    if (x >= 1) return 1;
    double logFront = a * Math.log(x) + b * Math.log1p(-x) - logBeta(a, b);
    if (x < (a + 1) / (a + b + 2)) return Math.exp(logFront) * betaFraction(x, a, b) / a;
    return 1 - Math.exp(logFront) * betaFraction(1 - x, b, a) / b;
  }

  /**
   * The continued fraction {@code 1 / (1 + d1 / (1 + d2 / (1 + ...)))} with
   * {@code d_{2m+1} = -(a+m)(a+b+m) x / ((a+2m)(a+2m+1))} and
   * {@code d_{2m} = m (b-m) x / ((a+2m-1)(a+2m))}.
   */
  private static double betaFraction(double x, double a, double b) {
    final double tiny = 1e-300;
    double c = 1;
    double d = 1 - (a + b) * x / (a + 1);
    if (Math.abs(d) < tiny) d = tiny;
    d = 1 / d;
    double f = d;
    for (int m = 1; m <= 10000; m++) {
      double even = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
      d = 1 + even * d;
      if (Math.abs(d) < tiny) d = tiny;
      c = 1 + even / c;
      if (Math.abs(c) < tiny) c = tiny;
      d = 1 / d;
      f *= d * c;
      double odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
      d = 1 + odd * d;
      if (Math.abs(d) < tiny) d = tiny;
      c = 1 + odd / c;
      if (Math.abs(c) < tiny) c = tiny;
      d = 1 / d;
      double step = d * c;
      f *= step;
      if (Math.abs(step - 1) < 1e-15) return f;
    }
    return f;
  }

  private static double logBeta(double a, double b) {
    return logGamma(a) + logGamma(b) - logGamma(a + b);
  }

  /** {@code ln Gamma(x)} for x > 0 by the Lanczos approximation (g = 7), relative error near 1e-15. */
  static double logGamma(double x) {
    if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
    double z = x - 1;
    double sum = LANCZOS[0];
    for (int i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i] / (z + i);
    double t = z + 7.5;
    return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
  }
}
