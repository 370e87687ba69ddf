package dev.uniforget.audit.stats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CalibrationTest {
  @Test
  void percentileMatchesNumpyLinear() {
    double[] x = {3, 1, 4, 2};
    assertEquals(2.5, Calibration.percentile(x, 50), 1e-15); // np.percentile([3,1,4,2], 50)
    assertEquals(1.75, Calibration.percentile(x, 25), 1e-15);
    assertEquals(1, Calibration.percentile(x, 0), 0);
    assertEquals(4, Calibration.percentile(x, 100), 0);
    assertEquals(4.6, Calibration.percentile(new double[] {1, 2, 3, 4, 5}, 90), 1e-12);
    assertEquals(7, Calibration.percentile(new double[] {7}, 37), 0);
    assertArrayEquals(new double[] {3, 1, 4, 2}, x, 0); // input untouched
  }

  @Test
  void copyThresholdAtNinetyNinthPercentile() {
    double[] neg = new double[100];
    for (int i = 0; i < 100; i++) neg[i] = 99 - i; // 0..99 in reverse
    double[] pos = {97, 98.5, 99, 100, 150};
    // h = 99 * 0.99 = 98.01 -> threshold 98.01; negatives above: {99} -> 0.01; positives above: 4 of 5
    Calibration.Threshold t = Calibration.copyThreshold(neg, pos, 99, 0.95);
    assertEquals(98.01, t.threshold(), 1e-12);
    assertEquals(0.01, t.negativeRate(), 0);
    assertEquals(0.8, t.positiveRecall(), 0);
    assertFalse(t.meetsRecall());
    assertTrue(Calibration.copyThreshold(neg, pos, 99, 0.8).meetsRecall());
  }

  @Test
  void tiedNegativesAreNotCountedAboveThreshold() {
    Calibration.Threshold t = Calibration.copyThreshold(new double[] {0.2, 0.5, 0.5, 0.5}, new double[] {0.5, 0.6}, 90, 0.5);
    assertEquals(0.5, t.threshold(), 0);
    assertEquals(0, t.negativeRate(), 0);
    assertEquals(0.5, t.positiveRecall(), 0);
    assertTrue(t.meetsRecall());
  }

  @Test
  void rejectsBadInput() {
    assertThrows(IllegalArgumentException.class, () -> Calibration.percentile(new double[0], 50));
    assertThrows(IllegalArgumentException.class, () -> Calibration.percentile(new double[] {1}, 101));
    assertThrows(IllegalArgumentException.class, () -> Calibration.percentile(new double[] {Double.NaN}, 50));
    assertThrows(IllegalArgumentException.class, () -> Calibration.copyThreshold(new double[] {1}, new double[0], 99, 0.9));
    assertThrows(IllegalArgumentException.class, () -> Calibration.copyThreshold(new double[] {1}, new double[] {2}, 99, 95));
  }
}
