package dev.uniforget.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SmallSampleTest {
  @Test
  void tableValuesOfTheTQuantile() {
    assertEquals(12.7062, SmallSample.tQuantile(0.975, 1), 1e-4);
    assertEquals(4.3027, SmallSample.tQuantile(0.975, 2), 1e-4);
    assertEquals(3.1824, SmallSample.tQuantile(0.975, 3), 1e-4);
    assertEquals(2.7764, SmallSample.tQuantile(0.975, 4), 1e-4);
    assertEquals(2.2281, SmallSample.tQuantile(0.975, 10), 1e-4);
    assertEquals(2.0423, SmallSample.tQuantile(0.975, 30), 1e-4);
    assertEquals(63.6567, SmallSample.tQuantile(0.995, 1), 1e-3);
    assertEquals(9.9248, SmallSample.tQuantile(0.995, 2), 1e-4);
    assertEquals(2.9200, SmallSample.tQuantile(0.95, 2), 1e-4);
    assertEquals(1.8856, SmallSample.tQuantile(0.9, 2), 1e-4);
    assertEquals(1.3722, SmallSample.tQuantile(0.9, 10), 1e-4);
    assertEquals(1.959964, SmallSample.tQuantile(0.975, 1e7), 1e-5); // tends to the normal quantile
  }

  @Test
  void closedFormsForOneAndTwoDegreesOfFreedom() {
    for (double p : new double[] {1e-6, 0.01, 0.1, 0.3, 0.5, 0.6, 0.9, 0.975, 0.999, 1 - 1e-6}) {
      double cauchy = Math.tan(Math.PI * (p - 0.5));
      assertEquals(cauchy, SmallSample.tQuantile(p, 1), 1e-9 * Math.max(1, Math.abs(cauchy)), "p=" + p);
      double two = (2 * p - 1) / Math.sqrt(2 * p * (1 - p));
      assertEquals(two, SmallSample.tQuantile(p, 2), 1e-9 * Math.max(1, Math.abs(two)), "p=" + p);
    }
  }

  @Test
  void quantileInvertsTheCdfAndIsSymmetric() {
    for (double df : new double[] {0.5, 1, 2, 3.5, 7, 29, 200}) {
      for (double p : new double[] {0.001, 0.05, 0.25, 0.5, 0.8, 0.975, 0.9999}) {
        double t = SmallSample.tQuantile(p, df);
        assertEquals(p, SmallSample.tCdf(t, df), 1e-10, "df=" + df + " p=" + p);
        assertEquals(-t, SmallSample.tQuantile(1 - p, df), 1e-8 * Math.max(1, Math.abs(t)));
      }
    }
    assertEquals(0.5, SmallSample.tCdf(0, 3), 1e-15);
    assertEquals(1, SmallSample.tCdf(Double.POSITIVE_INFINITY, 3), 0);
    assertEquals(0, SmallSample.tCdf(Double.NEGATIVE_INFINITY, 3), 0);
  }

  @Test
  void incompleteBetaAndGammaHelpers() {
    assertEquals(0, SmallSample.logGamma(1), 1e-14);
    assertEquals(Math.log(24), SmallSample.logGamma(5), 1e-13);
    assertEquals(0.5 * Math.log(Math.PI), SmallSample.logGamma(0.5), 1e-14);
    assertEquals(Math.log(Math.sqrt(Math.PI) / 2), SmallSample.logGamma(1.5), 1e-14);
    // I_x(1, 1) = x; I_x(2, 1) = x^2; I_x(a, b) = 1 - I_{1-x}(b, a)
    assertEquals(0.3, SmallSample.regularizedBeta(0.3, 1, 1), 1e-14);
    assertEquals(0.09, SmallSample.regularizedBeta(0.3, 2, 1), 1e-14);
    assertEquals(1 - SmallSample.regularizedBeta(0.6, 4.5, 2), SmallSample.regularizedBeta(0.4, 2, 4.5), 1e-14);
  }

  @Test
  void threeSeedsInterval() {
    Interval ci = SmallSample.tInterval(new double[] {1, 2, 3});
    double half = 4.302652729911275 / Math.sqrt(3); // sd = 1
    assertEquals(2, ci.estimate(), 1e-15);
    assertEquals(2 - half, ci.lo(), 1e-9);
    assertEquals(2 + half, ci.hi(), 1e-9);
    assertEquals(3, ci.n());
    assertEquals(0, ci.resamples());
    assertEquals(0.95, ci.level(), 0);
    Interval ninety = SmallSample.tInterval(new double[] {0.8, 0.9, 0.85, 0.95}, 0.9);
    double sd = Math.sqrt( // deviations -0.075 0.025 -0.025 0.075
        (0.075 * 0.075 * 2 + 0.025 * 0.025 * 2) / 3);
    assertEquals(0.875 + 2.353363434801823 * sd / 2, ninety.hi(), 1e-9);
  }

  @Test
  void oneValueHasNoWidth() {
    Interval ci = SmallSample.tInterval(new double[] {0.7});
    assertEquals(0.7, ci.estimate(), 0);
    assertTrue(Double.isNaN(ci.lo()) && Double.isNaN(ci.hi()) && Double.isNaN(ci.width()));
    assertEquals(1, ci.n());
  }

  @Test
  void identicalValuesGiveAPoint() {
    Interval ci = SmallSample.tInterval(new double[] {0.5, 0.5, 0.5});
    assertEquals(0.5, ci.lo(), 1e-15);
    assertEquals(0.5, ci.hi(), 1e-15);
  }

  @Test
  void rejectsBadArguments() {
    assertMessage("values", () -> SmallSample.tInterval(new double[0]));
    assertMessage("values", () -> SmallSample.tInterval(new double[] {1, Double.NaN}));
    assertMessage("level", () -> SmallSample.tInterval(new double[] {1, 2}, 1));
    assertMessage("p ", () -> SmallSample.tQuantile(0, 3));
    assertMessage("p ", () -> SmallSample.tQuantile(1, 3));
    assertMessage("df", () -> SmallSample.tQuantile(0.9, 0));
    assertMessage("df", () -> SmallSample.tQuantile(0.9, Double.POSITIVE_INFINITY));
    assertMessage("t ", () -> SmallSample.tCdf(Double.NaN, 3));
  }

  @Test
  void medianAndRangeOfAFewValues() {
    double[] odd = {3, 1, 2}, even = {4, 1, 3, 2};
    assertEquals(2, SmallSample.median(odd));
    assertEquals(2.5, SmallSample.median(even));
    assertEquals(3, odd[0], "the input is left as it was");
    org.junit.jupiter.api.Assertions.assertArrayEquals(new double[] {1, 4}, SmallSample.range(even));
    assertTrue(Double.isNaN(SmallSample.range(new double[0])[0]));
  }

  private static void assertMessage(String fragment, org.junit.jupiter.api.function.Executable call) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    assertTrue(e.getMessage().contains(fragment), e.getMessage());
  }
}
