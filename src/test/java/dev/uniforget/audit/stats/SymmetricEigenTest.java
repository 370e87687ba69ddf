package dev.uniforget.audit.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SymmetricEigenTest {
  static double[][] randomSymmetric(int n, Random r) {
    double[][] a = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = i; j < n; j++) {
        a[i][j] = r.nextGaussian();
        a[j][i] = a[i][j];
      }
    }
    return a;
  }

  @Test
  void reconstructsRandomSymmetricMatrices() {
    Random r = new Random(42);
    for (int n : new int[] {1, 2, 5, 20, 60}) {
      double[][] a = randomSymmetric(n, r);
      SymmetricEigen e = SymmetricEigen.of(a);
      double[] w = e.values();
      double[][] v = e.vectors();
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          double rec = 0;
          double dot = 0;
          for (int k = 0; k < n; k++) {
            rec += v[i][k] * w[k] * v[j][k];
            dot += v[k][i] * v[k][j];
          }
          assertEquals(a[i][j], rec, 1e-9, "n=" + n + " A[" + i + "][" + j + "]");
          assertEquals(i == j ? 1 : 0, dot, 1e-10, "n=" + n + " orthonormality");
        }
      }
      for (int i = 1; i < n; i++) assertTrue(w[i - 1] <= w[i], "eigenvalues ascending");
    }
  }

  @Test
  void knownTwoByTwo() {
    SymmetricEigen e = SymmetricEigen.of(new double[][] {{2, 1}, {1, 2}});
    assertEquals(1, e.values()[0], 1e-14);
    assertEquals(3, e.values()[1], 1e-14);
    double[][] v = e.vectors();
    assertEquals(Math.sqrt(0.5), Math.abs(v[0][1]), 1e-14);
    assertEquals(v[0][1], v[1][1], 1e-14); // (1, 1) / sqrt 2 for eigenvalue 3
    assertEquals(v[0][0], -v[1][0], 1e-14); // (1, -1) / sqrt 2 for eigenvalue 1
  }

  @Test
  void squareRootSquaresBackAndClampsNegatives() {
    Random r = new Random(7);
    int n = 6;
    double[][] b = randomSymmetric(n, r);
    double[][] spd = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        for (int k = 0; k < n; k++) spd[i][j] += b[i][k] * b[j][k];
      }
    }
    double[][] s = SymmetricEigen.of(spd).sqrtPsd();
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        double sq = 0;
        for (int k = 0; k < n; k++) sq += s[i][k] * s[k][j];
        assertEquals(spd[i][j], sq, 1e-9);
      }
    }
    double[][] root = SymmetricEigen.of(new double[][] {{-1e-18, 0}, {0, 4}}).sqrtPsd();
    assertEquals(0, root[0][0], 0);
    assertEquals(2, root[1][1], 1e-15);
  }

  @Test
  void rejectsBadInput() {
    assertThrows(IllegalArgumentException.class, () -> SymmetricEigen.of(new double[][] {{1, 2}, {3}}));
    assertThrows(IllegalArgumentException.class, () -> SymmetricEigen.of(new double[0][0]));
    assertThrows(IllegalArgumentException.class, () -> SymmetricEigen.of(new double[][] {{Double.NaN}}));
  }
}
