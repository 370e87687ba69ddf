package dev.uniforget.audit.stats;

/**
 * Fréchet distance between Gaussians, the statistic behind FID:
 * {@code |mu1 - mu2|^2 + Tr(C1 + C2 - 2 (C1^{1/2} C2 C1^{1/2})^{1/2})}. The matrix square roots
 * are taken by symmetric eigen-decomposition ({@link SymmetricEigen}), with tiny negative
 * eigenvalues from rounding clamped to 0, so singular covariances (fewer samples than
 * dimensions) are handled.
 */
public final class Frechet {
  private Frechet() {}

  /**
   * Fits a Gaussian to each feature set (mean and unbiased covariance, divisor n - 1) and returns
   * the Fréchet distance between them.
   *
   * @param featuresA samples x dimensions, at least 2 samples
   * @param featuresB samples x dimensions, at least 2 samples, same dimension as {@code featuresA}
   * @throws IllegalArgumentException on fewer than 2 samples, ragged rows, mismatched dimensions or non-finite values
   */
  public static double distance(double[][] featuresA, double[][] featuresB) {
    int d = dimension(featuresA, "featuresA");
    int db = dimension(featuresB, "featuresB");
    if (d != db) throw new IllegalArgumentException("feature dimensions differ: " + d + " vs " + db);
    double[] muA = mean(featuresA);
    double[] muB = mean(featuresB);
    return distance(muA, covariance(featuresA, muA), muB, covariance(featuresB, muB));
  }

  /**
   * Fréchet distance between {@code N(muA, covA)} and {@code N(muB, covB)}. Covariances must be
   * symmetric positive semi-definite (only their symmetric part is used). The result is clamped
   * at 0 against rounding.
   *
   * @throws IllegalArgumentException on mismatched dimensions, non-square covariances or non-finite values
   */
  public static double distance(double[] muA, double[][] covA, double[] muB, double[][] covB) {
    int d = muA.length;
    if (d == 0) throw new IllegalArgumentException("mean vectors must not be empty");
    if (muB.length != d) throw new IllegalArgumentException("mean dimensions differ: " + d + " vs " + muB.length);
    checkSquare(covA, d, "covA");
    checkSquare(covB, d, "covB");
    double meanTerm = 0;
    for (int i = 0; i < d; i++) {
      double diff = muA[i] - muB[i];
      meanTerm += diff * diff;
    }
    if (!Double.isFinite(meanTerm)) throw new IllegalArgumentException("mean vectors must be finite");
    double[][] sqrtA = SymmetricEigen.of(covA).sqrtPsd();
    double[][] middle = multiply(multiply(sqrtA, covB), sqrtA);
    double traceSqrt = 0;
    for (double w : SymmetricEigen.of(middle).values()) traceSqrt += Math.sqrt(Math.max(w, 0));
    double fd = meanTerm + trace(covA) + trace(covB) - 2 * traceSqrt;
    return Math.max(fd, 0);
  }

  /** Column means of a samples x dimensions matrix. */
  static double[] mean(double[][] x) {
    int d = x[0].length;
    double[] mu = new double[d];
    for (double[] row : x) {
      for (int j = 0; j < d; j++) mu[j] += row[j];
    }
    for (int j = 0; j < d; j++) mu[j] /= x.length;
    return mu;
  }

  /** Unbiased (divisor n - 1) covariance of a samples x dimensions matrix around {@code mu}. */
  static double[][] covariance(double[][] x, double[] mu) {
    int d = mu.length;
    double[][] c = new double[d][d];
    double[] centered = new double[d];
    for (double[] row : x) {
      for (int j = 0; j < d; j++) centered[j] = row[j] - mu[j];
      for (int i = 0; i < d; i++) {
        double ci = centered[i];
        for (int j = i; j < d; j++) c[i][j] += ci * centered[j];
      }
    }
    for (int i = 0; i < d; i++) {
      for (int j = i; j < d; j++) {
        c[i][j] /= x.length - 1;
        c[j][i] = c[i][j];
      }
    }
    return c;
  }

  private static int dimension(double[][] x, String name) {
    if (x.length < 2) throw new IllegalArgumentException(name + " needs at least 2 samples, found " + x.length);
    int d = x[0].length;
    if (d == 0) throw new IllegalArgumentException(name + " has zero-dimensional features");
    for (int i = 0; i < x.length; i++) {
      if (x[i].length != d) {
        throw new IllegalArgumentException(name + " row " + i + " has dimension " + x[i].length + ", expected " + d);
      }
      for (double v : x[i]) {
        if (!Double.isFinite(v)) throw new IllegalArgumentException(name + " row " + i + " has a non-finite value");
      }
    }
    return d;
  }

  private static void checkSquare(double[][] c, int d, String name) {
    if (c.length != d) throw new IllegalArgumentException(name + " has " + c.length + " rows, expected " + d);
    for (double[] row : c) {
      if (row.length != d) throw new IllegalArgumentException(name + " must be " + d + " x " + d);
    }
  }

  private static double[][] multiply(double[][] a, double[][] b) {
    int n = a.length;
    int m = b[0].length;
    double[][] r = new double[n][m];
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < b.length; k++) {
        double aik = a[i][k];
        if (aik == 0) continue;
        for (int j = 0; j < m; j++) r[i][j] += aik * b[k][j];
      }
    }
    return r;
  }

  private static double trace(double[][] a) {
    double t = 0;
    for (int i = 0; i < a.length; i++) t += a[i][i];
    return t;
  }
}
