package dev.uniforget.forget;

/**
 * Quantiles of Student's t distribution, for intervals over a few repeats (mask seeds, random
 * draws): {@code quantile(0.975, 2) = 4.302653}. The upper tail is
 * {@code P(T > t) = I_{df/(df+t^2)}(df/2, 1/2) / 2} (regularized incomplete beta, continued
 * fraction), inverted by bisection to relative precision about 1e-12.
 */
public final class StudentT {
  private static final double[] LANCZOS = {
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
    -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
    1.5056327351493116e-7
  };

  private StudentT() {}

  /** The p-quantile for {@code df} degrees of freedom (df > 0, not necessarily whole). */
  public static double quantile(double p, double df) {
    if (!(p > 0 && p < 1)) throw new IllegalArgumentException("p must be in (0, 1), found " + p);
    if (!(df > 0) || Double.isInfinite(df)) throw new IllegalArgumentException("degrees of freedom must be > 0 and finite, found " + df);
    if (p == 0.5) return 0;
    double tail = Math.min(p, 1 - p);
    double lo = 0, hi = 1;
    while (upperTail(hi, df) > tail) {
      lo = hi;
      hi *= 2;
    }
    for (int i = 0; i < 200 && hi - lo > 1e-13 * hi; i++) {
      double mid = 0.5 * (lo + hi);
      if (upperTail(mid, df) > tail) lo = mid;
      else hi = mid;
    }
    double t = 0.5 * (lo + hi);
    return p > 0.5 ? t : -t;
  }

  /** P(T > t) for t >= 0. */
  static double upperTail(double t, double df) {
    return 0.5 * regularizedBeta(df / (df + t * t), df / 2, 0.5);
  }

  /** I_x(a, b), the regularized incomplete beta function. */
  static double regularizedBeta(double x, double a, double b) {
    if (x <= 0) return 0;
    if (x >= 1) return 1;
    double front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
    if (x < (a + 1) / (a + b + 2)) return front * continuedFraction(x, a, b) / a;
    return 1 - front * continuedFraction(1 - x, b, a) / b;
  }

  /** The continued fraction of the incomplete beta function (modified Lentz). */
  private static double continuedFraction(double x, double a, double b) {
    final double tiny = 1e-300;
    double c = 1, d = 1 - (a + b) * x / (a + 1);
    if (Math.abs(d) < tiny) d = tiny;
    d = 1 / d;
    double h = d;
    for (int m = 1; m <= 10_000; m++) {
      int m2 = 2 * m;
      double aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
      d = 1 + aa * d;
      if (Math.abs(d) < tiny) d = tiny;
      c = 1 + aa / c;
      if (Math.abs(c) < tiny) c = tiny;
      d = 1 / d;
      h *= d * c;
      aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
      d = 1 + aa * d;
      if (Math.abs(d) < tiny) d = tiny;
      c = 1 + aa / c;
      if (Math.abs(c) < tiny) c = tiny;
      d = 1 / d;
      double del = d * c;
      h *= del;
      if (Math.abs(del - 1) < 1e-15) break;
    }
    return h;
  }

  /** log Gamma(x) for x > 0 (Lanczos, g = 7). */
  static double logGamma(double x) {
    if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
    x -= 1;
    double a = LANCZOS[0], t = x + 7.5;
    for (int i = 1; i < LANCZOS.length; i++) a += LANCZOS[i] / (x + i);
    return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
  }
}
