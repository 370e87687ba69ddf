package dev.uniforget.audit.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class KidTest {
  /** n rows of d-dimensional features, non-negative-ish like pooled CNN features, shifted by {@code shift}. */
  static double[][] features(int n, int d, long seed, double shift) {
    Random r = new Random(seed);
    double[][] x = new double[n][d];
    for (int i = 0; i < n; i++) {
      double shared = r.nextGaussian();
      for (int j = 0; j < d; j++) x[i][j] = 0.5 * r.nextGaussian() + 0.3 * shared + 0.1 * (j % 5) + shift;
    }
    return x;
  }

  @Test
  void handComputedTinyCase() {
    // 1-D, k(x, y) = (x y + 1)^3; X = {0, 1}, Y = {2, 3}
    double[][] x = {{0}, {1}};
    double[][] y = {{2}, {3}};
    double kxx = 2 * Math.pow(0 * 1 + 1, 3); // both ordered pairs i != j
    double kyy = 2 * Math.pow(2 * 3 + 1, 3);
    double kxy = Math.pow(0 * 2 + 1, 3) + Math.pow(0 * 3 + 1, 3) + Math.pow(1 * 2 + 1, 3) + Math.pow(1 * 3 + 1, 3);
    double expected = kxx / (2 * 1) + kyy / (2 * 1) - 2 * kxy / (2 * 2); // 1 + 343 - 46.5
    assertEquals(297.5, expected, 0);
    assertEquals(expected, Kid.mmd2(x, y), 1e-12);
    Kid.Result one = Kid.distance(x, y, 1, 1000, 5);
    assertEquals(expected, one.mean(), 1e-12);
    assertEquals(0, one.std(), 0);
    assertEquals(2, one.subsetSize());
    assertEquals(1, one.subsets());
    // every subset holds all points, by either evaluation strategy
    for (Boolean cache : new Boolean[] {true, false, null}) {
      Kid.Result many = Kid.distance(x, y, 10, 2, 5, cache);
      assertEquals(expected, many.mean(), 1e-12);
      assertEquals(0, many.std(), 1e-12);
    }
  }

  @Test
  void handComputedThreePointsInTwoDimensions() {
    double[][] x = {{1, 0}, {0, 1}, {1, 1}};
    double[][] y = {{2, 0}, {0, 0}, {-1, 1}};
    double sxx = 0;
    double syy = 0;
    double sxy = 0;
    for (int i = 0; i < 3; i++) {
      for (int j = 0; j < 3; j++) {
        if (i != j) sxx += Math.pow((x[i][0] * x[j][0] + x[i][1] * x[j][1]) / 2 + 1, 3);
        if (i != j) syy += Math.pow((y[i][0] * y[j][0] + y[i][1] * y[j][1]) / 2 + 1, 3);
        sxy += Math.pow((x[i][0] * y[j][0] + x[i][1] * y[j][1]) / 2 + 1, 3);
      }
    }
    double expected = sxx / 6 + syy / 6 - 2 * sxy / 9;
    assertEquals(expected, Kid.mmd2(x, y), 1e-12);
    assertEquals(expected, Kid.distance(x, y, 4, 3, 1).mean(), 1e-12);
    assertEquals(Math.pow(1.5, 3), Kid.kernel(new double[] {1, 0}, new double[] {1, 1}), 1e-15);
  }

  @Test
  void sameDistributionIsNearZeroAndCanBeNegative() {
    int negative = 0;
    double sum = 0;
    double shifted = Kid.mmd2(features(150, 16, 100, 0), features(150, 16, 200, 0.3));
    for (int t = 0; t < 12; t++) {
      double v = Kid.mmd2(features(150, 16, 2 * t, 0), features(150, 16, 2 * t + 1, 0));
      if (v < 0) negative++;
      sum += v;
      assertTrue(Math.abs(v) < 0.2 * shifted, "same-distribution KID " + v + " vs shifted " + shifted);
    }
    assertTrue(negative > 0, "unbiased: some same-distribution estimates fall below 0");
    assertTrue(Math.abs(sum / 12) < 0.05 * shifted, "mean " + sum / 12 + " vs shifted " + shifted);
  }

  @Test
  void increasesWithMeanShift() {
    double[][] a = features(300, 32, 1, 0);
    double previous = Double.NEGATIVE_INFINITY;
    for (double shift : new double[] {0, 0.1, 0.2, 0.4, 0.8}) {
      Kid.Result r = Kid.distance(a, features(300, 32, 2, shift), 20, 150, 3);
      assertTrue(r.mean() > previous, "shift " + shift + ": " + r + " after " + previous);
      previous = r.mean();
    }
  }

  @Test
  void symmetric() {
    double[][] a = features(120, 8, 11, 0);
    double[][] b = features(90, 8, 12, 0.2);
    assertEquals(Kid.mmd2(a, b), Kid.mmd2(b, a), 1e-12 * Math.abs(Kid.mmd2(a, b)));
    // the mean over random subsets is unbiased for the all-pairs value, in either order
    double full = Kid.mmd2(a, b);
    Kid.Result ab = Kid.distance(a, b, 400, 40, 1);
    Kid.Result ba = Kid.distance(b, a, 400, 40, 2);
    assertEquals(full, ab.mean(), 5 * ab.std() / Math.sqrt(400));
    assertEquals(full, ba.mean(), 5 * ba.std() / Math.sqrt(400));
    assertEquals(40, ab.subsetSize());
  }

  @Test
  void strategiesAgreeAndSeedsReproduce() {
    double[][] a = features(70, 12, 21, 0);
    double[][] b = features(50, 12, 22, 0.1);
    Kid.Result cached = Kid.distance(a, b, 30, 20, 9, true);
    Kid.Result direct = Kid.distance(a, b, 30, 20, 9, false);
    assertEquals(cached.mean(), direct.mean(), 1e-12 * Math.abs(cached.mean()) + 1e-14);
    assertEquals(cached.std(), direct.std(), 1e-9 * cached.std());
    assertEquals(Kid.distance(a, b, 30, 20, 9), Kid.distance(a, b, 30, 20, 9));
    assertTrue(Kid.distance(a, b, 30, 20, 9).mean() != Kid.distance(a, b, 30, 20, 10).mean());
    Kid.Result defaults = Kid.distance(a, b, 4);
    assertEquals(Kid.DEFAULT_SUBSETS, defaults.subsets());
    assertEquals(50, defaults.subsetSize()); // min(1000, 70, 50)
  }

  @Test
  void matchesNumpy() throws Exception {
    File python = new File("/usr/bin/python3");
    Assumptions.assumeTrue(python.canExecute(), "no /usr/bin/python3");
    Assumptions.assumeTrue(run("import numpy").exit == 0, "no numpy");
    Random r = new Random(77);
    double[][] x6 = grid(6, 5, r);
    double[][] y6 = grid(6, 5, r);
    double[][] x7 = grid(7, 5, r);
    double[][] y4 = grid(4, 5, r);
    String script =
        String.join(
            "\n",
            "import numpy as np",
            "def k(a, b): return (a @ b.T / a.shape[1] + 1) ** 3",
            "def mmd(x, y):",
            "  n, m = len(x), len(y)",
            "  kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)",
            "  return (kxx.sum() - np.trace(kxx)) / (n * (n - 1)) + (kyy.sum() - np.trace(kyy)) / (m * (m - 1)) - 2 * kxy.sum() / (n * m)",
            "def cleanfid(x, y):", // clean-fid's kernel_distance body for one subset holding all m rows
            "  m, n = len(x), x.shape[1]",
            "  a = (x @ x.T / n + 1) ** 3 + (y @ y.T / n + 1) ** 3",
            "  b = (x @ y.T / n + 1) ** 3",
            "  return ((a.sum() - np.diag(a).sum()) / (m - 1) - b.sum() * 2 / m) / m",
            "x6 = np.array(" + literal(x6) + ")",
            "y6 = np.array(" + literal(y6) + ")",
            "x7 = np.array(" + literal(x7) + ")",
            "y4 = np.array(" + literal(y4) + ")",
            "print(repr(float(cleanfid(x6, y6))))",
            "print(repr(float(mmd(x6, y6))))",
            "print(repr(float(mmd(x7, y4))))");
    PyOut out = run(script);
    assertEquals(0, out.exit, out.text);
    String[] lines = out.text.trim().split("\\s+");
    double cleanFid = Double.parseDouble(lines[0]);
    double equalSizes = Double.parseDouble(lines[1]);
    double unequal = Double.parseDouble(lines[2]);
    assertEquals(cleanFid, equalSizes, 1e-12 * Math.max(1, Math.abs(cleanFid)));
    assertEquals(equalSizes, Kid.distance(x6, y6, 1, 1000, 3).mean(), 1e-12 * Math.max(1, Math.abs(equalSizes)));
    assertEquals(equalSizes, Kid.distance(x6, y6, 25, 6, 3).mean(), 1e-12 * Math.max(1, Math.abs(equalSizes)));
    assertEquals(unequal, Kid.mmd2(x7, y4), 1e-12 * Math.max(1, Math.abs(unequal)));
  }

  @Test
  void fastEnoughForAudits() {
    double[][] a = features(3000, 128, 31, 0);
    double[][] b = features(3000, 128, 32, 0.05);
    long start = System.nanoTime();
    Kid.Result r = Kid.distance(a, b, 7);
    double seconds = (System.nanoTime() - start) / 1e9;
    assertEquals(1000, r.subsetSize());
    assertTrue(r.mean() > 0 && r.std() > 0, r.toString());
    assertTrue(seconds < 30, "took " + seconds + " s"); // about 1 s on one core; generous for loaded machines
  }

  @Test
  void rejectsBadArguments() {
    double[][] ok = {{1, 2}, {3, 4}};
    assertMessage("featuresA", () -> Kid.distance(new double[][] {{1, 2}}, ok, 1));
    assertMessage("featuresB row 1", () -> Kid.distance(ok, new double[][] {{1, 2}, {3}}, 1));
    assertMessage("featuresB row 0", () -> Kid.mmd2(ok, new double[][] {{Double.NaN, 2}, {3, 4}}));
    assertMessage("dimensions differ", () -> Kid.distance(ok, new double[][] {{1}, {2}}, 1));
    assertMessage("subsets", () -> Kid.distance(ok, ok, 0, 10, 1));
    assertMessage("subsetSize", () -> Kid.distance(ok, ok, 10, 1, 1));
    assertMessage("length", () -> Kid.kernel(new double[] {1}, new double[] {1, 2}));
  }

  private static double[][] grid(int n, int d, Random r) {
    double[][] x = new double[n][d];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < d; j++) x[i][j] = Math.round(r.nextGaussian() * 1000) / 1000.0 + 0.2;
    }
    return x;
  }

  private static String literal(double[][] x) {
    StringBuilder s = new StringBuilder("[");
    for (double[] row : x) {
      s.append('[');
      for (double v : row) s.append(Double.toString(v)).append(',');
      s.append("],");
    }
    return s.append(']').toString();
  }

  private record PyOut(int exit, String text) {}

  private static PyOut run(String script) throws Exception {
    Process p = new ProcessBuilder("/usr/bin/python3", "-c", script).redirectErrorStream(true).start();
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    try (InputStream in = p.getInputStream()) {
      in.transferTo(buf);
    }
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return new PyOut(-1, "timeout");
    }
    return new PyOut(p.exitValue(), buf.toString(StandardCharsets.UTF_8));
  }

  private static void assertMessage(String fragment, org.junit.jupiter.api.function.Executable call) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    assertTrue(e.getMessage().contains(fragment), e.getMessage());
  }
}
