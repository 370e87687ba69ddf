package dev.uniforget.forget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The t quantiles and the mean / sd / t-interval of repeats. */
class RepeatsStatsTest {
  @Test
  void tQuantilesMatchTheTable() {
    // t_{0.975, df} from standard tables (R: qt(0.975, df)).
    double[][] table = {
      {1, 12.7062047}, {2, 4.3026527}, {3, 3.1824463}, {4, 2.7764451}, {5, 2.5705818}, {6, 2.4469119},
      {7, 2.3646243}, {8, 2.3060041}, {9, 2.2621572}, {10, 2.2281389}, {15, 2.1314495}, {20, 2.0859634},
      {29, 2.0452296}, {30, 2.0422725}, {60, 2.0002978}, {120, 1.9799304}, {1000, 1.9623391}
    };
    for (double[] row : table) assertEquals(row[1], dev.uniforget.stats.SmallSample.tQuantile(0.975, row[0]), 1e-6, "df " + row[0]);
    assertEquals(6.3137515, dev.uniforget.stats.SmallSample.tQuantile(0.95, 1), 1e-6);
    assertEquals(2.0150484, dev.uniforget.stats.SmallSample.tQuantile(0.95, 5), 1e-6);
    assertEquals(-4.3026527, dev.uniforget.stats.SmallSample.tQuantile(0.025, 2), 1e-6);
    assertEquals(0, dev.uniforget.stats.SmallSample.tQuantile(0.5, 3), 0);
    assertEquals(1.0, dev.uniforget.stats.SmallSample.tQuantile(0.75, 1), 1e-9); // Cauchy: tan(pi/4)
    assertThrows(IllegalArgumentException.class, () -> dev.uniforget.stats.SmallSample.tQuantile(1, 3));
    assertThrows(IllegalArgumentException.class, () -> dev.uniforget.stats.SmallSample.tQuantile(0.9, 0));
  }

  @Test
  void meanSdAndIntervalOfRepeats() {
    Repeats.Stat s = Repeats.stat(new double[] {1, 2, 3});
    assertEquals(3, s.n);
    assertEquals(2, s.mean, 1e-12);
    assertEquals(1, s.sd, 1e-12);
    assertEquals(4.3026527, s.t, 1e-6);
    assertEquals(2 - 4.3026527 / Math.sqrt(3), s.ciLow, 1e-6);
    assertEquals(2 + 4.3026527 / Math.sqrt(3), s.ciHigh, 1e-6);
    assertEquals(List.of(1.0, 2.0, 3.0), s.values);
    Repeats.Stat one = Repeats.stat(new double[] {0.4});
    assertEquals(0.4, one.mean, 0);
    assertTrue(Double.isNaN(one.sd) && Double.isNaN(one.ciLow) && Double.isNaN(one.ciHigh));
    assertThrows(IllegalArgumentException.class, () -> Repeats.stat(new double[] {1, Double.NaN}));
  }

  @Test
  void summaryKeepsTheNumbersEveryRepeatMeasured() {
    ForgetRun.Report a = new ForgetRun.Report(), b = new ForgetRun.Report();
    a.deactivatedShare.put("ffn", 0.2);
    a.deactivatedShare.put("whole_mask", 0.1);
    b.deactivatedShare.put("ffn", 0.4);
    b.deactivatedShare.put("whole_mask", 0.3);
    a.neutralSampleMse = 0.01;
    b.neutralSampleMse = 0.03;
    a.parametersAfter = 100;
    b.parametersAfter = 80;
    Repeats.Run ra = new Repeats.Run(), rb = new Repeats.Run();
    ra.seed = 5;
    ra.dir = Repeats.dirName(Repeats.FORGET, 5);
    rb.seed = 6;
    rb.dir = Repeats.dirName(Repeats.FORGET, 6);
    Repeats.Summary s = Repeats.summarize(Repeats.FORGET, List.of(ra, rb), List.of(a, b));
    assertEquals(List.of("deactivated_share.ffn", "deactivated_share.whole_mask", "neutral_sample_mse", "parameters_after"),
        List.copyOf(s.stats.keySet()), "the retrain MSE (NaN: not retrained) and the unmeasured speed are left out");
    a.speedup = 1.2;
    b.speedup = 1.4;
    assertEquals(1.3, Repeats.summarize(Repeats.FORGET, List.of(ra, rb), List.of(a, b)).stats.get("sampling_speedup").mean, 1e-12);
    assertEquals(0.3, s.stats.get("deactivated_share.ffn").mean, 1e-12);
    assertEquals(Math.sqrt(0.02), s.stats.get("deactivated_share.ffn").sd, 1e-12);
    assertEquals(12.7062047, s.stats.get("parameters_after").t, 1e-6);
    assertEquals(90 - 12.7062047 * Math.sqrt(200) / Math.sqrt(2), s.stats.get("parameters_after").ciLow, 1e-4);
    assertEquals("seed_5", ra.dir);
    assertEquals("draw_5", Repeats.dirName(Repeats.RANDOM_CONTROL, 5));
    assertFalse(s.summary().isBlank());
  }
}
