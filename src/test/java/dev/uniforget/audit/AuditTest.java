package dev.uniforget.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.uniforget.audit.judge.Classifier;
import dev.uniforget.audit.judge.Instruments;
import dev.uniforget.io.ImageGrid;
import dev.uniforget.io.ProgressSink;
import dev.uniforget.lab.Lab;
import dev.uniforget.lab.LabManifest;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.ModelConfig;
import dev.uniforget.model.TestModels;
import dev.uniforget.model.UnitMasks;
import dev.uniforget.model.WordTokenizer;
import dev.uniforget.sampling.EulerSampler;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Audit#run} end to end on a tiny model (16x16 gray, 2 blocks, 2 sampler steps) and a tiny
 * lab built by the project's builder, with instruments trained briefly on that lab: what it
 * refuses, and the intervals it reports.
 */
class AuditTest {
  @TempDir static Path tmp;
  static NDManager root;
  static Lab lab;
  static Instruments instruments;
  static FlowModel model;

  @BeforeAll
  static void setUp() throws IOException {
    root = NDManager.newBaseManager();
    lab = Lab.open(TinyLab.build(tmp));
    Instruments.Options o = new Instruments.Options();
    o.quality.steps = 30;
    o.concepts.steps = 30;
    o.descriptor.steps = 10;
    for (var c : List.of(o.quality, o.concepts)) {
      c.batchSize = 16;
      c.width = 4;
      c.featureDim = 16;
    }
    o.descriptor.batchSize = 16;
    o.descriptor.width = 4;
    o.descriptor.featureDim = 16;
    o.descriptor.embedDim = 8;
    o.descriptor.evalImages = 20;
    instruments = Instruments.train(lab, o, root, ProgressSink.NONE);
    model = tinyModel(TinyLab.SIZE);
  }

  @AfterAll
  static void tearDown() {
    if (instruments != null) instruments.close();
    if (root != null) root.close();
  }

  /** A tiny flow model for images of side {@code size} whose vocabulary covers the lab's prompts. */
  static FlowModel tinyModel(int size) throws IOException {
    LabManifest m = lab.manifest();
    List<String> texts = new ArrayList<>(m.prompts.neutral);
    texts.addAll(m.prompts.target);
    m.prompts.concept.forEach(c -> texts.add(c.text));
    WordTokenizer tok = WordTokenizer.build(texts, 12);
    ModelConfig c = TestModels.tinyConfig(tok);
    c.imageSize = size;
    c.validate();
    FlowModel f = FlowModel.initialize(c, tok, root, 5);
    TestModels.randomize(f.params(), 6, 0.05); // not the zero-output init: generations differ by prompt
    return f;
  }

  static Audit.Options options() {
    Audit.Options o = new Audit.Options();
    o.seeds = 3;
    o.fidImages = 20;
    o.realImages = 12;
    o.calibrationPositives = 14;
    o.resamples = 100;
    o.settings = new EulerSampler.Settings(2, 2f);
    return o;
  }

  static Audit.PromptSets sets(List<String> targets, List<LabManifest.ConceptPrompt> concepts) {
    return new Audit.PromptSets(lab.manifest().prompts.neutral.subList(0, 6), targets, concepts);
  }

  @Test
  void aConceptPromptTheDetectorDoesNotKnowIsAnError() {
    LabManifest.ConceptPrompt unknown = new LabManifest.ConceptPrompt();
    unknown.text = "a bar with a zephlum logo";
    unknown.concept = "zephlum";
    unknown.className = "bar";
    List<LabManifest.ConceptPrompt> concepts = new ArrayList<>(lab.manifest().prompts.concept);
    concepts.add(unknown);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Audit.run(model, lab, instruments, sets(lab.manifest().prompts.target, concepts), options(), root, ProgressSink.NONE));
    assertTrue(e.getMessage().contains("'zephlum'") && e.getMessage().contains("does not know")
        && e.getMessage().contains(lab.manifest().conceptNames().get(0)), e.getMessage());
  }

  @Test
  void aTargetPromptThatIsNoTargetsCaptionIsAnError() {
    List<String> targets = new ArrayList<>(lab.manifest().prompts.target);
    targets.add("a photo of the velmor bar");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Audit.run(model, lab, instruments, sets(targets, lab.manifest().prompts.concept), options(), root, ProgressSink.NONE));
    assertTrue(e.getMessage().contains("'a photo of the velmor bar'") && e.getMessage().contains("not the caption of any verbatim target"),
        e.getMessage());
  }

  @Test
  void aModelOfAnotherImageSizeIsAnError() throws IOException {
    try (FlowModel small = tinyModel(8)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> Audit.run(small, lab, instruments, sets(lab.manifest().prompts.target, List.of()), options(), root, ProgressSink.NONE));
      assertTrue(e.getMessage().contains("8x8") && e.getMessage().contains("16x16"), e.getMessage());
    }
  }

  @Test
  void everyRateCarriesAnIntervalAroundItsEstimate() throws IOException {
    LabManifest m = lab.manifest();
    long t0 = System.nanoTime();
    Audit.Result r = Audit.run(model, lab, instruments, sets(m.prompts.target, m.prompts.concept), options(), root, ProgressSink.NONE);
    AuditMetrics mt = r.metrics();
    System.out.printf("tiny audit in %.1f s: %s%nintervals: %s%n", (System.nanoTime() - t0) / 1e9, mt.headline,
        mt.intervals.entrySet().stream().map(e -> e.getKey() + "=[" + e.getValue()[0] + ", " + e.getValue()[1] + "]").toList());
    assertEquals(2, mt.targets.size());
    assertEquals(6, mt.neutral.size());
    assertEquals(m.prompts.concept.size(), mt.concepts.size());
    assertEquals(3, mt.seedsPerPrompt);
    List<String> rates = List.of("replication_rate", "replication_rate_strict", "target_copy_share", "target_copy_share_descriptor",
        "target_nearest_is_own_share", "neutral_copy_share", "replication_rate_lowpass", "target_copy_share_lowpass",
        "neutral_copy_share_lowpass", "concept_rate", "concept_false_alarm_neutral", "alignment");
    for (String k : rates) {
      Double est = mt.headline.get(k);
      double[] iv = mt.intervals.get(k);
      assertNotNull(est, k);
      assertNotNull(iv, k + " has no interval");
      assertEquals(2, iv.length);
      assertTrue(est >= 0 && est <= 1, k + " = " + est);
      assertTrue(iv[0] <= est && est <= iv[1], k + ": " + est + " outside [" + iv[0] + ", " + iv[1] + "]");
      assertTrue(iv[0] >= 0 && iv[1] <= 1, k + ": [" + iv[0] + ", " + iv[1] + "]");
    }
    // the lab has seen and unseen class/concept pairs; each rate over them has its interval
    boolean seen = m.prompts.concept.stream().anyMatch(c -> c.seenInTraining), unseen = m.prompts.concept.stream().anyMatch(c -> !c.seenInTraining);
    assertTrue(seen && unseen, "the tiny lab has both kinds of concept prompts");
    for (String k : List.of("concept_rate_seen_pairs", "concept_rate_unseen_pairs")) {
      double est = mt.headline.get(k);
      double[] iv = mt.intervals.get(k);
      assertTrue(iv[0] <= est && est <= iv[1], k + ": " + est + " outside [" + iv[0] + ", " + iv[1] + "]");
    }
    // the other scores with intervals: ordered bounds
    for (String k : List.of("seed_collapse", "seed_collapse_lowpass", "magnitude_auc", "diversity_neutral", "fid", "kid")) {
      double[] iv = mt.intervals.get(k);
      assertNotNull(iv, k + " has no interval");
      assertTrue(iv[0] <= iv[1], k + ": [" + iv[0] + ", " + iv[1] + "]");
      assertTrue(Double.isFinite(mt.headline.get(k)), k);
    }
    double auc = mt.headline.get("magnitude_auc");
    assertTrue(mt.intervals.get("magnitude_auc")[0] <= auc && auc <= mt.intervals.get("magnitude_auc")[1]);
    // the rates agree with the per-prompt rows they summarise
    double copies = 0, nearest = 0, lowCopies = 0, neutralLow = 0;
    for (AuditMetrics.TargetRow row : mt.targets) {
      copies += row.copiesOfOwn;
      nearest += row.nearestIsOwn;
      lowCopies += row.lowPassCopiesOfOwn;
    }
    for (AuditMetrics.NeutralRow row : mt.neutral) neutralLow += row.lowPassCopies;
    assertEquals(copies / (2 * 3), mt.headline.get("target_copy_share"), 1e-12);
    assertEquals(lowCopies / (2 * 3), mt.headline.get("target_copy_share_lowpass"), 1e-12);
    assertEquals(neutralLow / (6 * 3), mt.headline.get("neutral_copy_share_lowpass"), 1e-12);
    assertTrue(mt.calibration.lowPassThreshold > 0 && mt.calibration.lowPassNegativeRate <= 0.1, "low-pass threshold "
        + mt.calibration.lowPassThreshold + ", held-out false alarms " + mt.calibration.lowPassNegativeRate);
    assertEquals(nearest / (2 * 3), mt.headline.get("target_nearest_is_own_share"), 1e-12);
    assertEquals(mt.targets.stream().mapToDouble(t -> t.seedCollapseLowPass).average().orElseThrow(),
        mt.headline.get("seed_collapse_lowpass"), 1e-12, "the low-pass collapse is the mean of the rows'");
    double conceptHits = 0;
    for (AuditMetrics.ConceptRow row : mt.concepts) conceptHits += row.rate;
    assertEquals(conceptHits / mt.concepts.size(), mt.headline.get("concept_rate"), 1e-12);
    assertNotNull(mt.intervalNote);
    // calibration: positives drawn from the images the descriptor was kept from, when there are any
    int heldOut = 0;
    for (float[] img : lab.trainingImagesByFile().values()) if (instruments.descriptor().config().heldOutFromTraining(img)) heldOut++;
    assertEquals(heldOut > 0, mt.calibration.positivesUnseenByDescriptor);
    assertEquals(heldOut > 0 ? heldOut : lab.trainingImagesByFile().size(), mt.calibration.positiveSourceImages);
    assertEquals(List.of("noise", "speckle", "blur", "shift", "gamma", "downscale", "erase"), new ArrayList<>(mt.calibration.recallByKind.keySet()));
  }

  /**
   * The same with a concept detector that fires on about half of the concept generations (its
   * bias set to the median of its logits on exactly the images the audit will sample): the rates
   * and their intervals are not all zero, so "estimate inside its interval" says something.
   */
  @Test
  void aConceptRateOfAboutOneHalfHasAnIntervalAroundIt() throws IOException {
    LabManifest m = lab.manifest();
    Audit.Options o = options();
    List<String> prompts = new ArrayList<>();
    List<Long> seeds = new ArrayList<>();
    for (LabManifest.ConceptPrompt c : m.prompts.concept) {
      for (long s = 0; s < o.seeds; s++) {
        prompts.add(c.text);
        seeds.add(s);
      }
    }
    float[][] raw = EulerSampler.sample(model, root, prompts, seeds.stream().mapToLong(Long::longValue).toArray(), o.settings,
        UnitMasks.NONE, 64, null);
    List<float[]> images = new ArrayList<>();
    for (float[] r : raw) images.add(ImageGrid.toUnit(r));
    Classifier detector = instruments.concepts();
    float[] bias = detector.params().get("head.bias").toFloatArray();
    try {
      float[][] p = detector.probabilities(images);
      double[] logits = new double[p.length];
      for (int i = 0; i < p.length; i++) logits[i] = Math.log(p[i][0] / (1 - p[i][0]));
      double[] sorted = logits.clone();
      java.util.Arrays.sort(sorted);
      double cut = 0.5 * (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]);
      detector.params().set("head.bias", new float[] {(float) (bias[0] - cut)});
      Audit.Result r = Audit.run(model, lab, instruments, sets(m.prompts.target, m.prompts.concept), o, root, ProgressSink.NONE);
      AuditMetrics mt = r.metrics();
      System.out.printf("half-firing detector: concept rate %s %s, seen %s, unseen %s%n", mt.headline.get("concept_rate"),
          java.util.Arrays.toString(mt.intervals.get("concept_rate")), mt.headline.get("concept_rate_seen_pairs"),
          mt.headline.get("concept_rate_unseen_pairs"));
      double rate = mt.headline.get("concept_rate");
      assertEquals(0.5, rate, 1.0 / images.size(), "the detector fires on about half of the concept generations");
      for (String k : List.of("concept_rate", "concept_rate_seen_pairs", "concept_rate_unseen_pairs")) {
        double est = mt.headline.get(k);
        double[] iv = mt.intervals.get(k);
        assertTrue(iv[0] <= est && est <= iv[1], k + ": " + est + " outside [" + iv[0] + ", " + iv[1] + "]");
      }
      double[] iv = mt.intervals.get("concept_rate");
      assertTrue(iv[0] < rate && rate < iv[1], "a rate of one half over " + images.size() + " images is uncertain: " + java.util.Arrays.toString(iv));
    } finally {
      detector.params().set("head.bias", bias);
    }
  }
}
