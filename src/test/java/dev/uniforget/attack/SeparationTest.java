package dev.uniforget.attack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.uniforget.stats.Interval;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The memorized-vs-never-seen separation of the attack, on hand-made curves. */
class SeparationTest {
  private static AttackRun.Curve curve(String kind, String init, double[]... perStep) {
    AttackRun.Curve c = new AttackRun.Curve();
    c.images = kind;
    c.init = init;
    for (int k = 0; k < perStep.length; k++) {
      c.steps.add(10 * k);
      c.ownRatio.add(perStep[k]);
    }
    return c;
  }

  @Test
  void memorizedImagesThatComeBackCloserScoreOneAndIndistinguishableOnesOneHalf() {
    double[] same = {0.9, 0.95, 1.0, 0.97};
    double[] closer = {0.3, 0.4, 0.35, 0.5};
    AttackRun.Options o = new AttackRun.Options();
    List<AttackRun.Separation> s = AttackRun.separation(
        List.of(curve("memorized", "prompt", same, closer), curve("memorized", "noise", same, same)),
        List.of(curve("never-seen", "prompt", same, same), curve("never-seen", "noise", same, same)), o);
    assertEquals(2, s.size());
    AttackRun.Separation prompt = s.get(0);
    assertEquals("prompt", prompt.init);
    assertEquals(List.of(0, 10), prompt.steps);
    assertEquals(0.5, prompt.auc.get(0).estimate(), 1e-12, "identical ratios: no separation");
    Interval last = prompt.auc.get(1);
    assertEquals(1.0, last.estimate(), 1e-12, "every memorized image closer than every never-seen one");
    assertTrue(last.lo() <= last.estimate() && last.estimate() <= last.hi());
    assertEquals(0.5, s.get(1).auc.get(1).estimate(), 1e-12);
  }

  @Test
  void aStartWithoutItsNeverSeenCurveHasNoSeparation() {
    double[] r = {0.5, 0.6};
    List<AttackRun.Separation> s = AttackRun.separation(List.of(curve("memorized", "neutral", r)), List.of(curve("never-seen", "prompt", r)),
        new AttackRun.Options());
    assertTrue(s.isEmpty());
  }
}
