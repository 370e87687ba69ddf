package dev.uniforget.audit.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class FrechetTest {
  /** n samples of a correlated d-dimensional Gaussian-ish cloud. */
  static double[][] cloud(int n, int d, long seed, double scale) {
    Random r = new Random(seed);
    double[][] x = new double[n][d];
    for (int i = 0; i < n; i++) {
      double shared = r.nextGaussian();
      for (int j = 0; j < d; j++) x[i][j] = scale * (r.nextGaussian() + 0.5 * shared) + j;
    }
    return x;
  }

  static double[][] diag(double... v) {
    double[][] m = new double[v.length][v.length];
    for (int i = 0; i < v.length; i++) m[i][i] = v[i];
    return m;
  }

  @Test
  void identicalSetsGiveZero() {
    double[][] a = cloud(200, 8, 1, 1.5);
    assertEquals(0, Frechet.distance(a, a), 1e-8);
    double[][] few = cloud(3, 10, 2, 1); // singular covariance: rank 2 in 10 dimensions
    assertEquals(0, Frechet.distance(few, few), 1e-7);
  }

  @Test
  void oneDimensionalClosedForm() {
    // N(1, 2^2) vs N(3, 3^2): (1 - 3)^2 + (2 - 3)^2 = 5
    assertEquals(5, Frechet.distance(new double[] {1}, new double[][] {{4}}, new double[] {3}, new double[][] {{9}}), 1e-12);
  }

  @Test
  void diagonalCovariancesSumOverDimensions() {
    double[] mu1 = {0, 1, -2};
    double[] mu2 = {1, 1, 0};
    double[] v1 = {1, 4, 0.25};
    double[] v2 = {9, 4, 1};
    double expected = 0;
    for (int i = 0; i < 3; i++) {
      expected += Math.pow(mu1[i] - mu2[i], 2) + Math.pow(Math.sqrt(v1[i]) - Math.sqrt(v2[i]), 2);
    }
    assertEquals(expected, Frechet.distance(mu1, diag(v1), mu2, diag(v2)), 1e-12);
    assertEquals(1 + 4 + 4 + 0 + 0.25, expected, 1e-12);
  }

  @Test
  void handComputedTwoByTwo() {
    // C1 = [[2,1],[1,2]], C2 = diag(1, 4): Tr sqrt(C1 C2) = sqrt(tr(C1 C2) + 2 sqrt(det C1 det C2))
    // = sqrt(10 + 4 sqrt 3); FD = |(1,2)|^2 + 4 + 5 - 2 sqrt(10 + 4 sqrt 3).
    double expected = 5 + 9 - 2 * Math.sqrt(10 + 4 * Math.sqrt(3));
    double[][] c1 = {{2, 1}, {1, 2}};
    assertEquals(expected, Frechet.distance(new double[] {0, 0}, c1, new double[] {1, 2}, diag(1, 4)), 1e-12);
  }

  @Test
  void handComputedFromFeatureSets() {
    // A: square corners, mean (1,1), unbiased covariance (4/3) I. B = 2 A + (3, 0): mean (5,2), cov (16/3) I.
    // FD = 16 + 1 + 2 (2/sqrt3 - 4/sqrt3)^2 = 17 + 8/3.
    double[][] a = {{0, 0}, {2, 0}, {0, 2}, {2, 2}};
    double[][] b = {{3, 0}, {7, 0}, {3, 4}, {7, 4}};
    assertEquals(17 + 8.0 / 3, Frechet.distance(a, b), 1e-12);
  }

  @Test
  void matchesClosedFormForRandomTwoByTwo() {
    Random r = new Random(3);
    for (int t = 0; t < 20; t++) {
      double[][] c1 = randomSpd2(r);
      double[][] c2 = randomSpd2(r);
      double tr12 = c1[0][0] * c2[0][0] + c1[0][1] * c2[1][0] + c1[1][0] * c2[0][1] + c1[1][1] * c2[1][1];
      double det1 = c1[0][0] * c1[1][1] - c1[0][1] * c1[1][0];
      double det2 = c2[0][0] * c2[1][1] - c2[0][1] * c2[1][0];
      double expected = c1[0][0] + c1[1][1] + c2[0][0] + c2[1][1] - 2 * Math.sqrt(tr12 + 2 * Math.sqrt(det1 * det2));
      assertEquals(expected, Frechet.distance(new double[2], c1, new double[2], c2), 1e-10);
    }
  }

  @Test
  void commutingCovariancesInHighDimension() {
    // C1 = Q diag(a) Q^T, C2 = Q diag(b) Q^T share eigenvectors: FD = sum (sqrt a - sqrt b)^2.
    int d = 30;
    Random r = new Random(5);
    double[][] q = SymmetricEigen.of(SymmetricEigenTest.randomSymmetric(d, r)).vectors();
    double[] a = new double[d];
    double[] b = new double[d];
    double expected = 0;
    for (int i = 0; i < d; i++) {
      a[i] = 0.1 + r.nextDouble() * 3;
      b[i] = 0.1 + r.nextDouble() * 3;
      expected += Math.pow(Math.sqrt(a[i]) - Math.sqrt(b[i]), 2);
    }
    assertEquals(expected, Frechet.distance(new double[d], rotate(q, a), new double[d], rotate(q, b)), 1e-9);
  }

  @Test
  void symmetricInItsArguments() {
    double[][] a = cloud(50, 5, 11, 1);
    double[][] b = cloud(70, 5, 12, 2.5);
    double ab = Frechet.distance(a, b);
    assertTrue(ab > 1, "different spreads give a clear distance: " + ab);
    assertEquals(ab, Frechet.distance(b, a), 1e-9 * ab);
  }

  @Test
  void shiftGrowsQuadratically() {
    double[][] a = cloud(40, 4, 21, 1);
    double[] u = {1, -2, 0.5, 0};
    for (double delta : new double[] {1, 2, 3}) {
      double[][] b = new double[a.length][];
      for (int i = 0; i < a.length; i++) {
        b[i] = a[i].clone();
        for (int j = 0; j < u.length; j++) b[i][j] += delta * u[j];
      }
      assertEquals(delta * delta * 5.25, Frechet.distance(a, b), 1e-8);
    }
  }

  @Test
  void rejectsBadInput() {
    double[][] a = cloud(5, 3, 1, 1);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Frechet.distance(a, cloud(5, 4, 2, 1)));
    assertTrue(e.getMessage().contains("3 vs 4"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Frechet.distance(a, new double[][] {{1, 2, 3}}));
    assertTrue(e.getMessage().contains("at least 2 samples"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Frechet.distance(a, new double[][] {{1, 2, 3}, {1, 2}}));
    assertThrows(
        IllegalArgumentException.class,
        () -> Frechet.distance(new double[] {0, 0}, diag(1, 1), new double[] {0}, diag(1)));
    assertThrows(
        IllegalArgumentException.class,
        () -> Frechet.distance(new double[] {0, 0}, diag(1, 1), new double[] {0, 0}, diag(1, 1, 1)));
  }

  private static double[][] randomSpd2(Random r) {
    double x = r.nextGaussian();
    double y = r.nextGaussian();
    double z = r.nextGaussian();
    double w = r.nextGaussian();
    return new double[][] {{x * x + y * y + 0.1, x * z + y * w}, {x * z + y * w, z * z + w * w + 0.1}};
  }

  private static double[][] rotate(double[][] q, double[] w) {
    int d = w.length;
    double[][] m = new double[d][d];
    for (int i = 0; i < d; i++) {
      for (int j = 0; j < d; j++) {
        for (int k = 0; k < d; k++) m[i][j] += q[i][k] * w[k] * q[j][k];
      }
    }
    return m;
  }
}
