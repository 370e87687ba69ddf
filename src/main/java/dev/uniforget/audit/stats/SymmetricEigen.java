package dev.uniforget.audit.stats;

import java.util.Arrays;

/**
 * Eigen-decomposition {@code A = V diag(w) V^T} of a real symmetric matrix by the cyclic Jacobi
 * method. Accurate to near machine precision; cost is O(n^3) per sweep, fine up to a few hundred
 * dimensions. Only the symmetric part {@code (A + A^T) / 2} of the input is used.
 */
public final class SymmetricEigen {
  private static final int MAX_SWEEPS = 100;

  private final double[] values;
  private final double[][] vectors;

  private SymmetricEigen(double[] values, double[][] vectors) {
    this.values = values;
    this.vectors = vectors;
  }

  /**
   * Decomposes a square symmetric matrix (not modified).
   *
   * @throws IllegalArgumentException if {@code a} is empty, not square or has non-finite entries
   * @throws ArithmeticException if the iteration does not converge (should not happen for finite input)
   */
  public static SymmetricEigen of(double[][] a) {
    int n = a.length;
    if (n == 0) throw new IllegalArgumentException("matrix must not be empty");
    double[][] m = new double[n][n];
    for (int i = 0; i < n; i++) {
      if (a[i].length != n) {
        throw new IllegalArgumentException("matrix must be square: row " + i + " has " + a[i].length + " entries, expected " + n);
      }
    }
    double fro = 0;
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        double v = 0.5 * (a[i][j] + a[j][i]);
        if (!Double.isFinite(v)) throw new IllegalArgumentException("matrix has a non-finite entry at (" + i + ", " + j + ")");
        m[i][j] = v;
        fro += v * v;
      }
    }
    double[][] v = identity(n);
    double tol = 1e-15 * Math.sqrt(fro);
    for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
      if (Math.sqrt(offDiagonalSquares(m)) <= tol) return sorted(m, v);
      for (int p = 0; p < n - 1; p++) {
        for (int q = p + 1; q < n; q++) rotate(m, v, p, q);
      }
    }
    if (Math.sqrt(offDiagonalSquares(m)) <= 1e-12 * Math.sqrt(fro)) return sorted(m, v);
    throw new ArithmeticException("Jacobi eigen solver did not converge in " + MAX_SWEEPS + " sweeps");
  }

  /** Eigenvalues in ascending order (a copy). */
  public double[] values() {
    return values.clone();
  }

  /** Eigenvectors as columns, {@code vectors()[k][i]} is entry k of the vector for {@code values()[i]} (a copy). */
  public double[][] vectors() {
    double[][] c = new double[vectors.length][];
    for (int i = 0; i < c.length; i++) c[i] = vectors[i].clone();
    return c;
  }

  /**
   * {@code V diag(f(w)) V^T} with {@code f(w) = sqrt(max(w, 0))}: the principal square root of a
   * positive semi-definite matrix, tiny negative eigenvalues from rounding clamped to 0.
   */
  public double[][] sqrtPsd() {
    int n = values.length;
    double[] s = new double[n];
    for (int i = 0; i < n; i++) s[i] = Math.sqrt(Math.max(values[i], 0));
    double[][] r = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = i; j < n; j++) {
        double sum = 0;
        for (int k = 0; k < n; k++) sum += vectors[i][k] * s[k] * vectors[j][k];
        r[i][j] = sum;
        r[j][i] = sum;
      }
    }
    return r;
  }

  /** Zeroes {@code m[p][q]} by a Jacobi rotation, accumulating it into {@code v}. */
  private static void rotate(double[][] m, double[][] v, int p, int q) {
    double apq = m[p][q];
    if (apq == 0) return;
    double theta = (m[q][q] - m[p][p]) / (2 * apq);
    double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
    if (theta == 0) t = 1;
    double c = 1 / Math.sqrt(t * t + 1);
    double s = t * c;
    int n = m.length;
    for (int k = 0; k < n; k++) {
      if (k == p || k == q) continue;
      double akp = m[k][p];
      double akq = m[k][q];
      double np = c * akp - s * akq;
      double nq = s * akp + c * akq;
      m[k][p] = np;
      m[p][k] = np;
      m[k][q] = nq;
      m[q][k] = nq;
    }
    m[p][p] -= t * apq;
    m[q][q] += t * apq;
    m[p][q] = 0;
    m[q][p] = 0;
    for (int k = 0; k < n; k++) {
      double vkp = v[k][p];
      double vkq = v[k][q];
      v[k][p] = c * vkp - s * vkq;
      v[k][q] = s * vkp + c * vkq;
    }
  }

  private static double offDiagonalSquares(double[][] m) {
    double sum = 0;
    for (int i = 0; i < m.length; i++) {
      for (int j = i + 1; j < m.length; j++) sum += 2 * m[i][j] * m[i][j];
    }
    return sum;
  }

  private static double[][] identity(int n) {
    double[][] r = new double[n][n];
    for (int i = 0; i < n; i++) r[i][i] = 1;
    return r;
  }

  private static SymmetricEigen sorted(double[][] m, double[][] v) {
    int n = m.length;
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) order[i] = i;
    Arrays.sort(order, (x, y) -> Double.compare(m[x][x], m[y][y]));
    double[] w = new double[n];
    double[][] vs = new double[n][n];
    for (int i = 0; i < n; i++) {
      w[i] = m[order[i]][order[i]];
      for (int k = 0; k < n; k++) vs[k][i] = v[k][order[i]];
    }
    return new SymmetricEigen(w, vs);
  }
}
