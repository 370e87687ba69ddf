package dev.uniforget.stats;

import dev.uniforget.audit.stats.Roc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

class BootstrapTest {
  static double[] gaussian(int n, long seed, double mean, double sd) {
    Random r = new Random(seed);
    double[] x = new double[n];
    for (int i = 0; i < n; i++) x[i] = mean + sd * r.nextGaussian();
    return x;
  }

  static ToDoubleFunction<int[]> meanOf(double[] x) {
    return idx -> {
      double s = 0;
      for (int i : idx) s += x[i];
      return s / idx.length;
    };
  }

  @Test
  void meanIntervalMatchesNormalTheory() {
    double[] x = gaussian(400, 1, 3, 2);
    Interval ci = Bootstrap.overUnits(x.length, meanOf(x), 4000, 0.95, 7);
    double mean = 0;
    for (double v : x) mean += v;
    mean /= x.length;
    double ss = 0;
    for (double v : x) ss += (v - mean) * (v - mean);
    double se = Math.sqrt(ss / (x.length - 1) / x.length);
    assertEquals(mean, ci.estimate(), 1e-12);
    assertEquals(mean - 1.96 * se, ci.lo(), 0.15 * 1.96 * se);
    assertEquals(mean + 1.96 * se, ci.hi(), 0.15 * 1.96 * se);
    assertEquals(400, ci.n());
    assertEquals(4000, ci.resamples());
    assertEquals(0.95, ci.level(), 0);
  }

  @Test
  void deterministicForASeed() {
    double[] x = gaussian(30, 2, 0, 1);
    Interval a = Bootstrap.overUnits(x.length, meanOf(x), 500, 0.9, 42);
    Interval b = Bootstrap.overUnits(x.length, meanOf(x), 500, 0.9, 42);
    Interval c = Bootstrap.overUnits(x.length, meanOf(x), 500, 0.9, 43);
    assertEquals(a, b);
    assertNotEquals(a.lo(), c.lo());
    assertEquals(Bootstrap.overUnits(x.length, meanOf(x), 11), Bootstrap.overUnits(x.length, meanOf(x), 11));
    assertEquals(Bootstrap.DEFAULT_RESAMPLES, Bootstrap.overUnits(x.length, meanOf(x), 11).resamples());
  }

  @Test
  void indicesAreUnitsWithReplacement() {
    int n = 5;
    boolean[] sawRepeat = {false};
    Interval ci =
        Bootstrap.overUnits(
            n,
            idx -> {
              assertEquals(n, idx.length);
              boolean[] seen = new boolean[n];
              for (int i : idx) {
                assertTrue(i >= 0 && i < n);
                if (seen[i]) sawRepeat[0] = true;
                seen[i] = true;
              }
              return 0;
            },
            50,
            0.95,
            3);
    assertTrue(sawRepeat[0]);
    assertEquals(0, ci.lo(), 0);
    assertEquals(0, ci.hi(), 0);
  }

  @Test
  void constantDataGiveAPointInterval() {
    double[] x = {2, 2, 2, 2};
    Interval ci = Bootstrap.overUnits(x.length, meanOf(x), 100, 0.95, 1);
    assertEquals(2, ci.lo(), 0);
    assertEquals(2, ci.hi(), 0);
  }

  @Test
  void nanResamplesAreSkippedUnlessMostAre() {
    // NaN when unit 0 is missing: probability 0.9^10 = 0.35 per resample, so the interval stands
    ToDoubleFunction<int[]> needsZero = idx -> java.util.Arrays.stream(idx).anyMatch(i -> i == 0) ? 1 : Double.NaN;
    Interval kept = Bootstrap.overUnits(10, needsZero, 1000, 0.95, 5);
    assertEquals(1, kept.lo(), 0);
    assertTrue(kept.resamples() > 500 && kept.resamples() < 800, "kept " + kept.resamples());
    // NaN when unit 0 is present: probability 0.65, so no interval
    ToDoubleFunction<int[]> hatesZero = idx -> java.util.Arrays.stream(idx).anyMatch(i -> i == 0) ? Double.NaN : 1;
    Interval none = Bootstrap.overUnits(10, hatesZero, 1000, 0.95, 5);
    assertTrue(Double.isNaN(none.lo()) && Double.isNaN(none.hi()));
    assertTrue(Double.isNaN(none.estimate())); // the full data contain unit 0
  }

  @Test
  void twoLevelResamplesRowsThenCellsWithinRows() {
    // row r holds 10 r + c, so the source row of every cell is recoverable; rows are ragged
    double[][] values = {{0, 1, 2}, {10, 11}, {20, 21, 22, 23}, {30}};
    int[] lengths = {3, 2, 4, 1};
    boolean[] sawRowRepeat = {false};
    boolean[] sawCellRepeat = {false};
    Bootstrap.twoLevel(
        values,
        table -> {
          assertEquals(4, table.length);
          boolean[] rows = new boolean[4];
          for (double[] row : table) {
            int source = (int) Math.floor(row[0] / 10);
            assertEquals(lengths[source], row.length);
            if (rows[source]) sawRowRepeat[0] = true;
            rows[source] = true;
            boolean[] cells = new boolean[10];
            for (double v : row) {
              assertEquals(source, (int) Math.floor(v / 10));
              int c = (int) v % 10;
              if (cells[c]) sawCellRepeat[0] = true;
              cells[c] = true;
            }
          }
          return 0.0;
        },
        200,
        0.95,
        9);
    assertTrue(sawRowRepeat[0]);
    assertTrue(sawCellRepeat[0]);
    assertArrayEquals(new double[] {20, 21, 22, 23}, values[2], 0); // input untouched
  }

  @Test
  void twoLevelSeesBothSourcesOfVariation() {
    // rows constant: only the choice of prompts varies
    Interval between = Bootstrap.twoLevelMean(new double[][] {{0, 0, 0}, {1, 1, 1}, {0, 0, 0}, {1, 1, 1}}, 1000, 0.95, 1);
    assertEquals(0.5, between.estimate(), 1e-12);
    assertTrue(between.lo() < 0.3 && between.hi() > 0.7, between.toString());
    // rows identical: only the seeds within a prompt vary
    Interval within = Bootstrap.twoLevelMean(new double[][] {{0, 1}, {0, 1}, {0, 1}, {0, 1}}, 1000, 0.95, 1);
    assertEquals(0.5, within.estimate(), 1e-12);
    assertTrue(within.lo() < 0.4 && within.hi() > 0.6, within.toString());
    assertEquals(4, within.n());
    // no variation at all
    Interval none = Bootstrap.twoLevelMean(new double[][] {{1, 1}, {1, 1, 1}}, 100, 0.95, 1);
    assertEquals(1, none.lo(), 0);
    assertEquals(1, none.hi(), 0);
  }

  @Test
  void twoLevelShareOfPromptsWithMostlyCopies() {
    // 1 = this seed's sample is a copy; a prompt counts when at least half of its seeds copy
    double[][] copies = {{1, 1, 0, 1}, {0, 0, 0, 1}, {1, 1, 1, 1}, {0, 0, 0, 0}, {1, 0, 1, 0}, {0, 0, 1, 0}};
    Interval ci =
        Bootstrap.twoLevel(
            copies,
            table -> {
              int flagged = 0;
              for (double[] row : table) {
                double sum = 0;
                for (double v : row) sum += v;
                if (2 * sum >= row.length) flagged++;
              }
              return (double) flagged / table.length;
            },
            2000,
            0.95,
            4);
    assertEquals(0.5, ci.estimate(), 1e-12); // rows 0, 2, 4
    assertTrue(ci.lo() < 0.5 && ci.hi() > 0.5 && ci.lo() >= 0 && ci.hi() <= 1, ci.toString());
    assertEquals(6, ci.n());
    Interval share = Bootstrap.twoLevelMean(copies, 5);
    assertEquals(11.0 / 24, share.estimate(), 1e-12);
    assertEquals(share, Bootstrap.twoLevelMean(copies, 5));
  }

  @Test
  void twoGroupsAucOfTargetVsNeutral() {
    double[] target = gaussian(40, 3, 1.5, 1);
    double[] neutral = gaussian(60, 4, 0, 1);
    Interval ci = Bootstrap.twoGroups(target, neutral, Roc::auc, 2000, 0.95, 8);
    assertEquals(Roc.auc(target, neutral), ci.estimate(), 0);
    assertTrue(ci.lo() < ci.estimate() && ci.estimate() < ci.hi(), ci.toString());
    assertTrue(ci.lo() > 0.6 && ci.hi() <= 1, ci.toString());
    assertTrue(ci.width() > 0.1 && ci.width() < 0.3, ci.toString()); // Hanley-McNeil SE here is about 0.045
    assertEquals(100, ci.n());
    // groups keep their sizes and their own values
    Bootstrap.twoGroups(
        new double[] {1, 2, 3},
        new double[] {-1, -2},
        (a, b) -> {
          assertEquals(3, a.length);
          assertEquals(2, b.length);
          for (double v : a) assertTrue(v > 0);
          for (double v : b) assertTrue(v < 0);
          return 0.0;
        },
        100,
        0.95,
        1);
    // perfectly separated groups stay separated in every resample
    Interval sep = Bootstrap.twoGroups(new double[] {5, 6, 7}, new double[] {1, 2}, Roc::auc, 7);
    assertEquals(1, sep.lo(), 0);
    assertEquals(1, sep.hi(), 0);
  }

  @Test
  void nullStatisticCountsAsNan() {
    Interval ci = Bootstrap.twoGroups(new double[] {1}, new double[] {2}, (a, b) -> null, 10, 0.95, 1);
    assertTrue(Double.isNaN(ci.estimate()) && Double.isNaN(ci.lo()));
    assertEquals(0, ci.resamples());
  }

  @Test
  void rejectsBadArguments() {
    ToDoubleFunction<int[]> zero = idx -> 0;
    assertMessage("n", () -> Bootstrap.overUnits(0, zero, 10, 0.95, 1));
    assertMessage("resamples", () -> Bootstrap.overUnits(3, zero, 0, 0.95, 1));
    assertMessage("level", () -> Bootstrap.overUnits(3, zero, 10, 0, 1));
    assertMessage("level", () -> Bootstrap.overUnits(3, zero, 10, 1.5, 1));
    assertMessage("values", () -> Bootstrap.twoLevel(new double[0][], t -> 0.0, 10, 0.95, 1));
    assertMessage("values[1]", () -> Bootstrap.twoLevel(new double[][] {{1}, {}}, t -> 0.0, 10, 0.95, 1));
    assertMessage("values[0]", () -> Bootstrap.twoLevelMean(new double[][] {{Double.NaN}}, 10, 0.95, 1));
    assertMessage("a must", () -> Bootstrap.twoGroups(new double[0], new double[] {1}, Roc::auc, 10, 0.95, 1));
    assertMessage("b must", () -> Bootstrap.twoGroups(new double[] {1}, new double[0], Roc::auc, 10, 0.95, 1));
  }

  private static void assertMessage(String fragment, org.junit.jupiter.api.function.Executable call) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    assertTrue(e.getMessage().contains(fragment), e.getMessage());
  }
}
