package dev.uniforget.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.uniforget.audit.judge.Classifier;
import dev.uniforget.audit.judge.ClassifierTrainer;
import dev.uniforget.audit.judge.CopyDescriptor;
import dev.uniforget.audit.judge.Degradations;
import dev.uniforget.audit.stats.Frechet;
import dev.uniforget.data.FashionMnist;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The audit's instruments on real Fashion-MNIST images. FID in the feature space of a quality
 * network trained here on clean training images (a shortened run of the project's trainer) orders
 * clean, blurred and noise images as it must. The calibrated copy detector, with the copy
 * descriptor that an older `uniforget judge train` trained on the demo lab (default options, no
 * held-out share: {@code heldout_one_in} absent; stored as F16 under
 * src/test/resources/lab-descriptor, 1.8 MB, because a descriptor good enough for this takes 15
 * minutes to train), sees exact, speckled, noisy, blurred and shifted copies, while held-out
 * images are not copies of their nearest training image.
 */
class RealDataAuditTest {
  static final int SIZE = 28;
  static NDManager root;
  static FashionMnist.LabeledImages train, test;
  static Classifier quality;
  static CopyDescriptor descriptor;
  static double qualitySeconds;

  @BeforeAll
  static void trainInstruments() throws IOException {
    Assumptions.assumeTrue(Files.isDirectory(FashionMnist.DEFAULT_DIR) || System.getenv("CI") != null,
        "Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)");
    root = NDManager.newBaseManager();
    train = first(FashionMnist.load(true), 4000);
    test = FashionMnist.load(false);
    ClassifierTrainer.Options qo = new ClassifierTrainer.Options();
    qo.steps = 300;
    qo.batchSize = 64;
    qo.warmupSteps = 20;
    qo.width = 8;
    qo.featureDim = 64;
    long t0 = System.nanoTime();
    quality = ClassifierTrainer.trainQuality(FashionMnist.CLASS_NAMES, SIZE, 1, labelled(train, 0, 4000), labelled(test, 5000, 5500),
        qo, root, null);
    qualitySeconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf("quality network on 4000 clean Fashion-MNIST images: %.1f s, %s%n", qualitySeconds, quality.config().metrics);
    try {
      descriptor = CopyDescriptor.load(Path.of(RealDataAuditTest.class.getResource("/lab-descriptor/descriptor.json").toURI()).getParent(), root);
    } catch (java.net.URISyntaxException e) {
      throw new IOException(e);
    }
  }

  @AfterAll
  static void close() {
    if (root != null) root.close();
  }

  @Test
  void fidInQualityFeatureSpaceOrdersCleanBlurredAndNoiseImages() {
    double[][] reference = features(images(test, 0, 800));
    double[][] clean = features(images(train, 3000, 3800));
    double[][] blurred = features(map(images(test, 800, 1600), x -> Degradations.blur(x, SIZE, 2)));
    SplittableRandom rng = new SplittableRandom(4);
    List<float[]> noiseImages = new ArrayList<>();
    for (int i = 0; i < 800; i++) noiseImages.add(Degradations.artefactImage(Degradations.Kind.NOISE, SIZE, rng));
    double[][] noise = features(noiseImages);
    double fidClean = Frechet.distance(clean, reference);
    double fidBlur = Frechet.distance(blurred, reference);
    double fidNoise = Frechet.distance(noise, reference);
    System.out.printf("FID vs test: train %.2f, blurred test %.2f, noise %.2f%n", fidClean, fidBlur, fidNoise);
    assertTrue(fidClean < fidBlur && fidBlur < fidNoise, "expected train < blurred < noise");
    assertTrue(fidClean < 0.25 * fidBlur, "train vs test should be small next to blur: " + fidClean + " vs " + fidBlur);
    assertEquals(fidClean, Frechet.distance(reference, clean), 1e-6 * fidClean, "symmetric");
  }

  @Test
  void theQuickQualityNetworkClassifiesHeldOutImages() {
    double acc = (Double) quality.config().metrics.get("heldout_class_accuracy");
    assertEquals(500, quality.config().metrics.get("heldout_images"));
    assertTrue(acc > 0.7, "held-out class accuracy " + acc + " (chance 0.1)");
    assertTrue(qualitySeconds < 120, "the quick quality network took " + qualitySeconds + " s");
  }

  @Test
  void calibratedDetectorSeesThroughSpeckleBlurAndShiftButNotToAnotherImage() {
    assertEquals(0, descriptor.config().heldoutOneIn, "the committed descriptor predates the held-out share");
    List<float[]> training = images(train, 0, 3000);
    CopyDetector detector = new CopyDetector(descriptor, new NearestNeighbors(training), SIZE, root);
    CopyDetector.Calibrated cal = detector.calibrate(images(test, 0, 1000), 700, 99, 0.95, 1);
    double t = cal.threshold().threshold();
    System.out.printf("copy threshold %.4f, recall on changed copies %.3f; d1/d2 threshold %.3f, recall %.3f; either: "
        + "held-out %.3f, recall %.3f (trained families %.3f, others %.3f) by change %s%n", t, cal.threshold().positiveRecall(),
        cal.ratioThreshold(), cal.ratioRecall(), cal.combinedNegativeRate(), cal.combinedRecall(), cal.recallSeenFamilies(),
        cal.recallUnseenFamilies(), cal.recallByChange());
    // an old descriptor saw every training image: its positives are in-sample, and flagged so
    assertFalse(cal.positivesUnseen());
    assertEquals(3000, cal.positiveSourceImages());
    assertTrue(cal.combinedNegativeRate() <= 0.025, "either test fires on " + cal.combinedNegativeRate() + " of held-out images");
    assertTrue(cal.recallSeenFamilies() >= 0.95, "recall on copies under the descriptor's training changes " + cal.recallSeenFamilies());
    for (CopyDetector.Change c : CopyDetector.Change.values()) {
      if (c.inDescriptorTraining) assertTrue(cal.recallByChange().get(c) >= 0.9, c + ": recall " + cal.recallByChange().get(c));
    }
    assertEquals(CopyDetector.Change.values().length, cal.recallByChange().size());
    double weighted = 0, seen = 0, unseen = 0;
    int nSeen = 0, nUnseen = 0;
    for (CopyDetector.Change c : cal.changes()) {
      double r = cal.recallByChange().get(c);
      weighted += r / cal.changes().length;
      if (c.inDescriptorTraining) {
        seen += r;
        nSeen++;
      } else {
        unseen += r;
        nUnseen++;
      }
    }
    assertEquals(cal.combinedRecall(), weighted, 1e-9, "per-change recalls weighted by their counts");
    assertEquals(cal.recallSeenFamilies(), seen / nSeen, 1e-9);
    assertEquals(cal.recallUnseenFamilies(), unseen / nUnseen, 1e-9);

    List<float[]> originals = images(train, 100, 300);
    SplittableRandom rng = new SplittableRandom(8);
    assertCopies(detector, cal, originals, x -> x, 1.0, "exact");
    assertCopies(detector, cal, originals, x -> Degradations.speckle(x, 0.04f, rng), 0.9, "speckled (4%)");
    assertCopies(detector, cal, originals, x -> Degradations.noise(x, 0.1f, rng), 0.9, "noisy (sigma 0.1)");
    assertCopies(detector, cal, originals, x -> Degradations.blur(x, SIZE, 1), 0.9, "blurred");
    assertCopies(detector, cal, originals, x -> Degradations.shift(x, SIZE, 1, 0), 0.9, "shifted 1 px");

    // Held-out images (not used for calibration): their nearest training image is usually one of
    // their own class, yet they are not copies of it.
    List<float[]> others = images(test, 2000, 2400);
    CopyDetector.Matches n = detector.match(others);
    int sameClass = 0, copies = 0;
    for (int i = 0; i < others.size(); i++) {
      if (train.label(n.descriptor().index()[i]) == test.label(2000 + i)) sameClass++;
      if (n.isCopy(i, cal, -1)) copies++;
    }
    System.out.printf("held-out: nearest of the same class %d/%d, called copies %d%n", sameClass, others.size(), copies);
    assertTrue(sameClass > 0.6 * others.size(), "the nearest training image is mostly of the same class");
    assertTrue(copies <= 0.03 * others.size(), copies + " of " + others.size() + " held-out images called copies");
  }

  private static void assertCopies(CopyDetector d, CopyDetector.Calibrated cal, List<float[]> originals,
      UnaryOperator<float[]> change, double minShare, String what) {
    List<float[]> changed = map(originals, change);
    CopyDetector.Matches n = d.match(changed);
    int copies = 0, byDescriptor = 0, own = 0;
    for (int i = 0; i < changed.size(); i++) {
      if (n.isCopy(i, cal, 100 + i)) copies++;
      if (n.descriptor().score()[i] > cal.threshold().threshold()) byDescriptor++;
      if (n.descriptor().index()[i] == 100 + i) own++;
    }
    double share = (double) copies / changed.size();
    System.out.printf("%-18s copies of the original %.3f (descriptor alone %.3f), descriptor-nearest is the original %.3f%n",
        what, share, (double) byDescriptor / changed.size(), (double) own / changed.size());
    assertTrue(share >= minShare, what + ": only " + share + " found as copies of their original");
    assertTrue(own >= 0.95 * changed.size(), what + ": the original is the nearest for only " + own);
  }

  private static double[][] features(List<float[]> images) {
    float[][] f = quality.features(images);
    return Arrays.stream(f).map(r -> {
      double[] d = new double[r.length];
      for (int i = 0; i < r.length; i++) d[i] = r[i];
      return d;
    }).toArray(double[][]::new);
  }

  private static List<float[]> map(List<float[]> images, UnaryOperator<float[]> f) {
    List<float[]> out = new ArrayList<>(images.size());
    for (float[] x : images) out.add(f.apply(x));
    return out;
  }

  static List<float[]> images(FashionMnist.LabeledImages d, int from, int to) {
    List<float[]> out = new ArrayList<>(to - from);
    for (int i = from; i < to; i++) out.add(d.imageAsFloat(i));
    return out;
  }

  static List<ClassifierTrainer.LabelledImage> labelled(FashionMnist.LabeledImages d, int from, int to) {
    List<ClassifierTrainer.LabelledImage> out = new ArrayList<>(to - from);
    for (int i = from; i < to; i++) out.add(new ClassifierTrainer.LabelledImage(d.imageAsFloat(i), d.label(i), new int[0]));
    return out;
  }

  static FashionMnist.LabeledImages first(FashionMnist.LabeledImages d, int n) {
    int numel = d.rows() * d.cols();
    return new FashionMnist.LabeledImages(d.rows(), d.cols(), Arrays.copyOf(d.pixels(), n * numel), Arrays.copyOf(d.labels(), n));
  }
}
