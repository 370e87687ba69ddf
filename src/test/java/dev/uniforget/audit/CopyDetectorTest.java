package dev.uniforget.audit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.uniforget.audit.judge.CopyDescriptor;
import dev.uniforget.audit.judge.Degradations;
import dev.uniforget.audit.judge.DescriptorConfig;
import dev.uniforget.audit.judge.SyntheticImages;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CopyDetectorTest {
  static final int S = 16;
  NDManager root;

  @BeforeEach
  void setUp() {
    root = NDManager.newBaseManager();
  }

  @AfterEach
  void tearDown() {
    root.close();
  }

  static DescriptorConfig descriptorConfig(int channels, int heldoutOneIn) {
    DescriptorConfig c = new DescriptorConfig();
    c.imageSize = S;
    c.channels = channels;
    c.width = 4;
    c.featureDim = 16;
    c.embedDim = 8;
    c.finalPool = false;
    c.heldoutOneIn = heldoutOneIn;
    c.splitSeed = 0;
    return c;
  }

  @Test
  void eachChangeDoesWhatItsDocumentationSays() {
    assertEquals(EnumSet.of(CopyDetector.Change.NOISE, CopyDetector.Change.SPECKLE, CopyDetector.Change.BLUR, CopyDetector.Change.SHIFT),
        EnumSet.copyOf(Arrays.stream(CopyDetector.Change.values()).filter(c -> c.inDescriptorTraining).toList()));
    int n = S * S;
    for (int ch : new int[] {1, 3}) {
      for (int trial = 0; trial < 10; trial++) {
        float[] img = SyntheticImages.randomImage(ch * n, 50 + trial);
        for (int i = 0; i < img.length; i++) img[i] = 0.2f + 0.6f * img[i]; // away from the bounds: no clamping
        for (CopyDetector.Change c : CopyDetector.Change.values()) {
          float[] out = CopyDetector.augmentedCopy(img, S, c, new SplittableRandom(trial));
          assertEquals(img.length, out.length, c.name());
          String at = c + " (" + ch + " planes, trial " + trial + ")";
          switch (c) {
            case NOISE -> {
              double sq = 0;
              for (int i = 0; i < img.length; i++) sq += (out[i] - img[i]) * (out[i] - img[i]);
              double sigma = Math.sqrt(sq / img.length);
              assertTrue(sigma > 0.04 && sigma < 0.17, at + ": noise sigma " + sigma);
            }
            case SPECKLE -> {
              int changed = 0;
              for (int i = 0; i < img.length; i++) {
                if (out[i] != img[i]) {
                  changed++;
                  assertTrue(out[i] == 0f || out[i] == 1f, at);
                }
              }
              double share = (double) changed / img.length;
              assertTrue(share > 0.005 && share < 0.09, at + ": speckled share " + share);
            }
            case BLUR -> assertArrayEquals(Degradations.blur(img, S, 1), out, at);
            case SHIFT -> {
              boolean found = false;
              for (int dx = 1; dx <= 2; dx++) for (int dy = -1; dy <= 1; dy++) found |= Arrays.equals(Degradations.shift(img, S, dx, dy), out);
              assertTrue(found, at + ": a shift of 1-2 px right and -1..1 px down");
            }
            case GAMMA -> {
              double g = Math.log(out[0]) / Math.log(img[0]);
              assertTrue((g >= 0.5 - 1e-3 && g <= 0.8 + 1e-3) || (g >= 1.3 - 1e-3 && g <= 2.0 + 1e-3), at + ": gamma " + g);
              assertArrayEquals(Degradations.gamma(img, (float) g), out, 1e-4f, at);
            }
            case DOWNSCALE -> assertArrayEquals(Degradations.downscale(img, S), out, at);
            case ERASE -> {
              int changed = 0;
              for (int p = 0; p < ch; p++) {
                for (int i = 0; i < n; i++) {
                  if (out[p * n + i] != img[p * n + i]) {
                    changed++;
                    assertEquals(img[p * n], out[p * n + i], at + ": erased to the plane's corner value");
                  }
                }
              }
              int side = S / 4;
              assertTrue(changed <= ch * side * side && changed >= ch * (side * side - 1), at + ": " + changed + " erased values");
            }
          }
        }
      }
    }
  }

  /**
   * Training images of two kinds: bright singletons (uniform in [0, 1]), and pairs of dark
   * near-twins (uniform in [0, 0.2], and the same image with one pixel changed by 0.01). Any
   * changed copy of a twin is as close to its twin as to itself (d1/d2 near 1: no copy for the
   * ratio test), while a changed copy of a singleton is far closer to it than to any other image.
   * The singletons are exactly the images the descriptor's held-out share keeps from training, so
   * the ratio test's recall tells which sources the positives came from. (The negatives, bright
   * too, have singletons as their nearest images: their d1/d2 is that of unrelated images.)
   */
  static List<float[]> singletonsAndTwins(DescriptorConfig split, int singletons, int pairs, long seed) {
    List<float[]> out = new ArrayList<>();
    SplittableRandom rng = new SplittableRandom(seed);
    int s = 0, p = 0;
    while (s < singletons || p < pairs) {
      float[] img = SyntheticImages.randomImage(S * S, rng.nextLong());
      if (split.heldOutFromTraining(img)) {
        if (s < singletons) {
          out.add(img);
          s++;
        }
        continue;
      }
      if (p == pairs) continue;
      float[] dark = img.clone();
      for (int i = 0; i < dark.length; i++) dark[i] *= 0.2f;
      if (split.heldOutFromTraining(dark)) continue;
      float[] twin;
      do {
        twin = dark.clone();
        int k = rng.nextInt(twin.length);
        twin[k] += 0.01f;
      } while (split.heldOutFromTraining(twin));
      out.add(dark);
      out.add(twin);
      p++;
    }
    return out;
  }

  static List<float[]> negatives(int count, long seed) {
    List<float[]> out = new ArrayList<>();
    for (int i = 0; i < count; i++) out.add(SyntheticImages.randomImage(S * S, seed + i));
    return out;
  }

  @Test
  void calibrationDrawsItsPositivesFromImagesTheDescriptorNeverSaw() {
    DescriptorConfig split = descriptorConfig(1, 10);
    List<float[]> training = singletonsAndTwins(split, 20, 90, 1);
    int unseen = 0;
    for (float[] img : training) if (split.heldOutFromTraining(img)) unseen++;
    assertEquals(20, unseen);
    try (CopyDescriptor d = CopyDescriptor.initialize(split, root, 1)) {
      CopyDetector detector = new CopyDetector(d, new NearestNeighbors(training), S, root);
      CopyDetector.Calibrated cal = detector.calibrate(negatives(200, 1000), 140, 99, 0.95, 7);
      System.out.printf("unseen positives: ratio threshold %.3f, ratio recall %.3f, by change %s%n", cal.ratioThreshold(),
          cal.ratioRecall(), cal.recallByChange());
      assertTrue(cal.positivesUnseen());
      assertEquals(20, cal.positiveSourceImages());
      // copies of singletons only: the ratio test finds (nearly) all of them
      assertTrue(cal.ratioRecall() >= 0.9, "ratio recall " + cal.ratioRecall());
      assertPerFamilyRecallIsReported(cal, 140);
    }
  }

  @Test
  void anOlderDescriptorWithoutAHeldOutShareGivesInSamplePositivesFlaggedAsSuch() {
    DescriptorConfig split = descriptorConfig(1, 10);
    List<float[]> training = singletonsAndTwins(split, 20, 90, 1);
    try (CopyDescriptor old = CopyDescriptor.initialize(descriptorConfig(1, 0), root, 1)) {
      CopyDetector detector = new CopyDetector(old, new NearestNeighbors(training), S, root);
      CopyDetector.Calibrated cal = detector.calibrate(negatives(200, 1000), 140, 99, 0.95, 7);
      System.out.printf("in-sample positives: ratio recall %.3f%n", cal.ratioRecall());
      assertFalse(cal.positivesUnseen());
      assertEquals(200, cal.positiveSourceImages(), "every training image is a source");
      // most sources are twins now, whose copies the ratio test cannot single out
      assertTrue(cal.ratioRecall() <= 0.35, "ratio recall " + cal.ratioRecall());
      assertPerFamilyRecallIsReported(cal, 140);
    }
  }

  private static void assertPerFamilyRecallIsReported(CopyDetector.Calibrated cal, int positives) {
    assertEquals(positives, cal.changes().length);
    assertEquals(positives, cal.positives().length);
    assertEquals(EnumSet.allOf(CopyDetector.Change.class), cal.recallByChange().keySet());
    int[] count = new int[CopyDetector.Change.values().length];
    for (CopyDetector.Change c : cal.changes()) count[c.ordinal()]++;
    for (int k : count) assertEquals(positives / count.length, k, "the changes take turns");
    double all = 0, seen = 0, unseen = 0;
    for (CopyDetector.Change c : CopyDetector.Change.values()) {
      double r = cal.recallByChange().get(c);
      assertTrue(r >= 0 && r <= 1);
      all += r / count.length;
      if (c.inDescriptorTraining) seen += r / 4;
      else unseen += r / 3;
    }
    assertEquals(cal.combinedRecall(), all, 1e-9);
    assertEquals(cal.recallSeenFamilies(), seen, 1e-9);
    assertEquals(cal.recallUnseenFamilies(), unseen, 1e-9);
    assertTrue(cal.combinedRecall() >= cal.ratioRecall() - 1e-12, "the union finds at least what the ratio test finds");
    assertTrue(cal.combinedNegativeRate() >= cal.ratioNegativeRate() - 1e-12);
  }

  @Test
  void rgbCopiesAreFoundAndAlignedOnEveryPlane() {
    List<float[]> training = SyntheticImages.blobs(40, S, 3, 3);
    try (CopyDescriptor d = CopyDescriptor.initialize(descriptorConfig(3, 10), root, 2)) {
      NearestNeighbors nn = new NearestNeighbors(training);
      CopyDetector detector = new CopyDetector(d, nn, S, root);
      CopyDetector.Calibrated cal = detector.calibrate(SyntheticImages.blobs(40, S, 3, 4), 14, 99, 0.95, 1);
      List<float[]> queries = new ArrayList<>();
      for (int i = 0; i < 5; i++) queries.add(training.get(i).clone());
      for (int i = 0; i < 5; i++) queries.add(Degradations.shift(training.get(i), S, 1, -1));
      CopyDetector.Matches m = detector.match(queries);
      for (int i = 0; i < 10; i++) {
        int own = i % 5;
        assertEquals(own, m.aligned()[i].nearest(), "query " + i);
        assertTrue(m.isCopy(i, cal, own), "query " + i + " is a copy of training image " + own);
        if (i < 5) {
          assertEquals(0.0, m.pixels()[i].d1(), 1e-6);
          assertEquals(own, m.descriptor().index()[i]);
          assertEquals(1.0, m.descriptor().score()[i], 1e-5);
        } else {
          // shifting the query back restores every plane but what left the image
          float[] img = training.get(own);
          double lost = NearestNeighbors.l2(Degradations.shift(queries.get(i), S, -1, 1), img);
          assertEquals(lost, m.aligned()[i].d1(), 1e-4, "aligned " + m.aligned()[i] + " vs unaligned " + m.pixels()[i]);
          assertTrue(lost < m.pixels()[i].d1(), "alignment helps: " + lost + " vs " + m.pixels()[i].d1());
        }
      }
      int unseen = 0;
      for (float[] img : training) if (d.config().heldOutFromTraining(img)) unseen++;
      assertTrue(unseen > 0 && unseen < training.size(), unseen + " of " + training.size() + " held out");
      assertTrue(cal.positivesUnseen());
      assertEquals(unseen, cal.positiveSourceImages());
    }
  }

  /**
   * The low-pass copy rule finds copies drowned in fresh salt-and-pepper noise (what a pruned or
   * defended model draws over a memorized picture), which the full-resolution ratio misses, and
   * its false alarms on held-out images stay at the calibrated rate.
   */
  @Test
  void theLowPassRuleFindsCopiesUnderHeavyGrainThatTheFullResolutionRatioMisses() {
    int size = 28; // the lab's side: 7 x 7 after the 4 x 4 boxes
    List<float[]> training = SyntheticImages.blobs(150, size, 1, 11);
    List<float[]> heldOut = SyntheticImages.blobs(300, size, 1, 12);
    DescriptorConfig dc = descriptorConfig(1, 10);
    dc.imageSize = size;
    try (CopyDescriptor d = CopyDescriptor.initialize(dc, root, 3)) {
      CopyDetector detector = new CopyDetector(d, new NearestNeighbors(training), size, root);
      CopyDetector.Calibrated cal = detector.calibrate(heldOut, 70, 99, 0.95, 5);
      assertTrue(cal.lowPassNegativeRate() <= 0.02, "false alarms on held-out images " + cal.lowPassNegativeRate());
      assertEquals(EnumSet.allOf(CopyDetector.Change.class), cal.lowPassRecallByChange().keySet());
      SplittableRandom rng = new SplittableRandom(9);
      List<float[]> grainy = new ArrayList<>();
      for (int i = 0; i < 30; i++) grainy.add(Degradations.speckle(training.get(i), 0.15f, rng));
      CopyDetector.Matches m = detector.match(grainy);
      int low = 0, full = 0;
      for (int i = 0; i < grainy.size(); i++) {
        if (m.isLowPassCopy(i, cal, i)) low++;
        if (m.aligned()[i].ratio() < cal.ratioThreshold() && m.aligned()[i].nearest() == i) full++;
      }
      System.out.printf("grainy copies: low-pass rule %d of 30, full-resolution ratio %d of 30 (thresholds %.3f, %.3f)%n", low, full,
          cal.lowPassThreshold(), cal.ratioThreshold());
      assertTrue(low >= 15, "the low-pass rule finds " + low + " of 30");
      assertTrue(full <= 5, "the full-resolution ratio finds " + full + " of 30");
      // A held-out image (never trained on) is not a copy of its nearest training image.
      CopyDetector.Matches neg = detector.match(SyntheticImages.blobs(100, size, 1, 13));
      int alarms = 0;
      for (int i = 0; i < 100; i++) if (neg.isLowPassCopy(i, cal, -1)) alarms++;
      assertTrue(alarms <= 5, alarms + " of 100 new held-out images called copies");
    }
  }
}
