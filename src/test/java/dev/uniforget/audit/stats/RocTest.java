package dev.uniforget.audit.stats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class RocTest {
  static final double[] POS = {0.9, 0.8, 0.4};
  static final double[] NEG = {0.7, 0.5, 0.4, 0.1};

  @Test
  void perfectlySeparated() {
    double[] pos = {5, 6, 7};
    double[] neg = {1, 2, 3, 4};
    assertEquals(1, Roc.auc(pos, neg), 0);
    assertEquals(1, Roc.tprAtFpr(pos, neg, 0.01), 0);
    assertEquals(4, Roc.atFpr(pos, neg, 0.01).threshold(), 0);
  }

  @Test
  void reversed() {
    double[] pos = {1, 2, 3, 4};
    double[] neg = {5, 6, 7};
    assertEquals(0, Roc.auc(pos, neg), 0);
    assertEquals(0, Roc.tprAtFpr(pos, neg, 0.01), 0);
  }

  @Test
  void identicalDistributionsWithTiesGiveHalf() {
    double[] x = {1, 1, 2, 2};
    assertEquals(0.5, Roc.auc(x, x.clone()), 0);
    assertEquals(0.5, Roc.auc(new double[] {3, 3}, new double[] {3, 3, 3}), 0);
  }

  @Test
  void handComputedAuc() {
    // pairs won: 0.9 -> 4, 0.8 -> 4, 0.4 -> 1 (beats 0.1) + 0.5 (tie with 0.4): 9.5 / 12
    assertEquals(9.5 / 12, Roc.auc(POS, NEG), 1e-15);
  }

  @Test
  void tprAtFprUsesStrictlyGreaterRule() {
    // negatives sorted 0.1 0.4 0.5 0.7; FPR of "score > t": t=0.1 -> 3/4, 0.4 -> 2/4, 0.5 -> 1/4, 0.7 -> 0
    assertEquals(2.0 / 3, Roc.tprAtFpr(POS, NEG, 0), 1e-15);
    assertEquals(2.0 / 3, Roc.tprAtFpr(POS, NEG, 0.25), 1e-15);
    Roc.OperatingPoint half = Roc.atFpr(POS, NEG, 0.5);
    assertEquals(0.4, half.threshold(), 0);
    assertEquals(0.5, half.fpr(), 0);
    assertEquals(2.0 / 3, half.tpr(), 1e-15); // the positive at 0.4 is not > 0.4
    assertEquals(1, Roc.tprAtFpr(POS, NEG, 0.75), 0);
    Roc.OperatingPoint all = Roc.atFpr(POS, NEG, 1);
    assertEquals(Double.NEGATIVE_INFINITY, all.threshold(), 0);
    assertEquals(1, all.fpr(), 0);
    assertEquals(1, all.tpr(), 0);
  }

  @Test
  void handComputedCurve() {
    Roc.Curve c = Roc.curve(POS, NEG);
    assertArrayEquals(new double[] {0, 0, 0, 0.25, 0.5, 0.75, 1}, c.fpr(), 1e-15);
    assertArrayEquals(new double[] {0, 1.0 / 3, 2.0 / 3, 2.0 / 3, 2.0 / 3, 1, 1}, c.tpr(), 1e-15);
    assertEquals(19.0 / 24, c.area(), 1e-15);
  }

  @Test
  void curveIsMonotoneEndsAtOneOneAndMatchesAuc() {
    Random r = new Random(9);
    double[] pos = new double[300];
    double[] neg = new double[500];
    for (int i = 0; i < pos.length; i++) pos[i] = Math.round(r.nextGaussian() * 4 + 3) / 4.0; // coarse: many ties
    for (int i = 0; i < neg.length; i++) neg[i] = Math.round(r.nextGaussian() * 4) / 4.0;
    Roc.Curve c = Roc.curve(pos, neg);
    int n = c.fpr().length;
    assertEquals(0, c.fpr()[0], 0);
    assertEquals(0, c.tpr()[0], 0);
    assertEquals(1, c.fpr()[n - 1], 0);
    assertEquals(1, c.tpr()[n - 1], 0);
    for (int i = 1; i < n; i++) {
      assertTrue(c.fpr()[i] >= c.fpr()[i - 1] && c.tpr()[i] >= c.tpr()[i - 1], "monotone at " + i);
    }
    double auc = Roc.auc(pos, neg);
    assertTrue(auc > 0.6 && auc < 0.8, "shift of 0.75 sd, expected about 0.70: " + auc);
    assertEquals(auc, c.area(), 1e-12);
  }

  @Test
  void rejectsBadInput() {
    assertThrows(IllegalArgumentException.class, () -> Roc.auc(new double[0], NEG));
    assertThrows(IllegalArgumentException.class, () -> Roc.auc(POS, new double[] {Double.NaN}));
    assertThrows(IllegalArgumentException.class, () -> Roc.tprAtFpr(POS, NEG, 1.5));
    assertThrows(IllegalArgumentException.class, () -> Roc.tprAtFpr(POS, NEG, -0.1));
  }
}
