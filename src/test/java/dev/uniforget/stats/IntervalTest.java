package dev.uniforget.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.uniforget.io.Jsons;
import org.junit.jupiter.api.Test;

class IntervalTest {
  @Test
  void percentileBoundsFollowNumpyLinear() {
    double[] reps = new double[101];
    for (int i = 0; i < reps.length; i++) reps[100 - i] = i; // unsorted on purpose
    Interval ninety = Interval.of(50, reps, 0.9, 7);
    assertEquals(5, ninety.lo(), 1e-12);
    assertEquals(95, ninety.hi(), 1e-12);
    Interval ci = Interval.of(50, reps, 0.95, 7);
    assertEquals(2.5, ci.lo(), 1e-12); // h = 100 * 0.025 = 2.5, halfway between 2 and 3
    assertEquals(97.5, ci.hi(), 1e-12);
    assertEquals(50, ci.estimate(), 0);
    assertEquals(7, ci.n());
    assertEquals(101, ci.resamples());
    assertEquals(100, reps[0], 0); // input not modified
  }

  @Test
  void nanReplicatesAreSkippedUnlessMostAreNan() {
    double nan = Double.NaN;
    Interval half = Interval.of(1, new double[] {1, 2, 3, 4, 5, nan, nan, nan, nan, nan}, 0.5, 3);
    assertEquals(5, half.resamples());
    assertEquals(2, half.lo(), 1e-12); // quantiles 0.25 and 0.75 of 1..5
    assertEquals(4, half.hi(), 1e-12);
    Interval most = Interval.of(1, new double[] {1, 2, 3, 4, nan, nan, nan, nan, nan, nan}, 0.5, 3);
    assertTrue(Double.isNaN(most.lo()) && Double.isNaN(most.hi()));
    assertEquals(1, most.estimate(), 0);
    assertEquals(4, most.resamples());
  }

  @Test
  void infiniteReplicatesDoNotPoisonBounds() {
    double inf = Double.POSITIVE_INFINITY;
    Interval ci = Interval.of(1, new double[] {1, 1, 1, 1, 1, 1, 1, 1, inf, inf}, 0.5, 3);
    assertEquals(1, ci.lo(), 0);
    assertEquals(1, ci.hi(), 0);
  }

  @Test
  void toStringShowsTwoSignificantDigits() {
    assertEquals("0.75 [0.50, 0.94]", new Interval(0.75, 0.5, 0.94, 0.95, 40, 2000).toString());
    assertEquals("0.0034 [0.0012, 0.0051]", new Interval(0.0034, 0.0012, 0.0051, 0.95, 40, 2000).toString());
    assertEquals("23.40 [20.10, 27.90]", new Interval(23.4, 20.1, 27.9, 0.95, 40, 2000).toString());
    assertEquals("0.7510 [0.7490, 0.7530]", new Interval(0.751, 0.749, 0.753, 0.95, 40, 2000).toString());
    assertEquals("1.00 [NaN, NaN]", new Interval(1, Double.NaN, Double.NaN, 0.95, 1, 0).toString());
    assertEquals("0.00 [0.00, 0.00]", new Interval(0, 0, 0, 0.95, 5, 10).toString());
    assertEquals("-0.20 [-0.50, 0.10]", new Interval(-0.2, -0.5, 0.1, 0.95, 5, 10).toString());
  }

  @Test
  void jsonRoundTripWithProjectMapper() throws Exception {
    Interval ci = new Interval(0.75, 0.5, 0.94, 0.95, 40, 2000);
    String json = Jsons.MAPPER.writeValueAsString(ci);
    for (String key : new String[] {"estimate", "lo", "hi", "level", "n", "resamples"}) {
      assertTrue(json.contains("\"" + key + "\""), json);
    }
    assertTrue(!json.contains("width"), json);
    assertEquals(ci, Jsons.MAPPER.readValue(json, Interval.class));
    Interval none = new Interval(1, Double.NaN, Double.NaN, 0.95, 1, 0);
    assertEquals(none, Jsons.MAPPER.readValue(Jsons.MAPPER.writeValueAsString(none), Interval.class));
  }

  @Test
  void rejectsBadArguments() {
    assertThrows(IllegalArgumentException.class, () -> new Interval(0, 0, 0, 1, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> new Interval(0, 0, 0, 0.95, -1, 1));
    assertThrows(IllegalArgumentException.class, () -> new Interval(0, 0, 0, 0.95, 1, -1));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Interval.of(0, new double[0], 0.95, 1));
    assertTrue(e.getMessage().contains("replicates"));
    e = assertThrows(IllegalArgumentException.class, () -> Interval.of(0, new double[] {1}, Double.NaN, 1));
    assertTrue(e.getMessage().contains("level"));
  }
}
