package dev.uniforget.audit;

import ai.djl.ndarray.NDManager;
import dev.uniforget.audit.judge.CopyDescriptor;
import dev.uniforget.audit.judge.Judge;
import dev.uniforget.audit.stats.Calibration;
import dev.uniforget.audit.stats.Diversity;
import dev.uniforget.audit.stats.Frechet;
import dev.uniforget.audit.stats.Roc;
import dev.uniforget.data.FashionMnist;
import dev.uniforget.io.ImageGrid;
import dev.uniforget.lab.LabManifest;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.UnitMasks;
import dev.uniforget.sampling.EulerSampler;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * Measures memorization and quality of a model on a lab: verbatim replication ({@link
 * CopyDetector}: copy descriptor or aligned pixel ratio, thresholds calibrated on real images;
 * SSIM, nearest-neighbour identity, and the strict d1/d2 test), seed collapse, protected-concept rate (judge), Wen et al.'s text-conditional
 * magnitude (AUC target vs neutral), FID in judge-feature space, prompt alignment and
 * diversity. Generations are batched and shared: each image is sampled once and feeds every
 * metric that concerns its prompt set.
 */
public final class Audit {
  /** What to measure and how much. */
  public static final class Options {
    public int seeds = 8;
    /** At least this many neutral generations feed FID (all prompts x seeds, plus extra seeds if fewer). */
    public int fidImages = 1000;
    public int realImages = 2000;
    public int calibrationNegatives = 2000;
    public int calibrationPositives = 1000;
    public double negativePercentile = 99;
    public double minPositiveRecall = 0.95;
    public int batchSize = 64;
    public long seed = 0;
    public EulerSampler.Settings settings;

    public void validate() {
      check(seeds >= 2, "--seeds", ">= 2", seeds);
      check(fidImages >= 2, "--fid-images", ">= 2", fidImages);
      check(realImages >= 2, "--real-images", ">= 2", realImages);
      check(calibrationNegatives >= 10 && calibrationPositives >= 10, "calibration sizes", ">= 10", calibrationNegatives);
      check(batchSize > 0, "--batch-size", "> 0", batchSize);
    }

    private static void check(boolean ok, String what, String expected, Object found) {
      if (!ok) throw new IllegalArgumentException(what + ": expected " + expected + ", found " + found);
    }
  }

  /** The prompt sets audited (from the lab's manifest, or from files). */
  public record PromptSets(List<String> neutral, List<String> target, List<LabManifest.ConceptPrompt> concept) {
    public PromptSets {
      if (neutral.isEmpty()) throw new IllegalArgumentException("the neutral prompt set is empty");
    }
  }

  /** The images behind the numbers, for the report. */
  public static final class Evidence {
    public final List<List<float[]>> targetSamples = new ArrayList<>();
    public final List<float[]> targetOwnImages = new ArrayList<>();
    public final List<float[]> targetNearest = new ArrayList<>();
    public final List<double[]> targetRatios = new ArrayList<>();
    public final List<double[]> targetScores = new ArrayList<>();
    public final List<List<float[]>> conceptSamples = new ArrayList<>();
    public double[] neutralMagnitudes;
    public double[] targetMagnitudes;
    public double[] calibrationNegatives;
    public double[] calibrationPositives;
    public double[] neutralScores;
    public double[] targetSampleScores;
  }

  public record Result(AuditMetrics metrics, Evidence evidence) {}

  private Audit() {}

  /**
   * @param training the lab's training images in [0, 1] (duplicates allowed; removed here)
   * @param ownImages per target prompt, its training image, or null when unknown
   */
  public static Result run(FlowModel model, List<float[]> training, PromptSets sets, List<float[]> ownImages,
      Judge judge, CopyDescriptor descriptor, FashionMnist.LabeledImages test, Options o, NDManager root,
      Consumer<String> phase, IntConsumer sampled) {
    o.validate();
    if (ownImages.size() != sets.target().size()) throw new IllegalArgumentException("one own image (or null) per target prompt");
    AuditMetrics mt = new AuditMetrics();
    Evidence ev = new Evidence();
    mt.seedsPerPrompt = o.seeds;
    int size = model.config().imageSize;
    long t0 = System.nanoTime();

    // 1. Generate every image once: targets, neutral (+ extra seeds for FID), concepts.
    phase.accept("sampling");
    List<String> prompts = new ArrayList<>();
    List<Long> seeds = new ArrayList<>();
    addPromptSeeds(prompts, seeds, sets.target(), o.seeds, 0);
    int neutralFrom = prompts.size();
    addPromptSeeds(prompts, seeds, sets.neutral(), o.seeds, 0);
    int extraFrom = prompts.size();
    for (int i = 0; sets.neutral().size() * o.seeds + i < o.fidImages; i++) {
      prompts.add(sets.neutral().get(i % sets.neutral().size()));
      seeds.add((long) o.seeds + i / sets.neutral().size());
    }
    int conceptFrom = prompts.size();
    addPromptSeeds(prompts, seeds, sets.concept().stream().map(c -> c.text).toList(), o.seeds, 0);
    Magnitude magnitude = new Magnitude(prompts.size());
    float[][] raw = EulerSampler.sample(model, root, prompts, seeds.stream().mapToLong(Long::longValue).toArray(),
        o.settings, UnitMasks.NONE, o.batchSize, sampled, magnitude);
    List<float[]> images = new ArrayList<>(raw.length);
    for (float[] r : raw) images.add(ImageGrid.toUnit(r));
    long t1 = System.nanoTime();
    mt.seconds.put("sampling", (t1 - t0) / 1e9);

    // 2. Copy detection: descriptor and pixel-ratio tests with thresholds calibrated on real images.
    phase.accept("copy detection");
    NearestNeighbors pixels = new NearestNeighbors(training);
    List<float[]> unique = new ArrayList<>();
    for (int i = 0; i < pixels.size(); i++) unique.add(pixels.image(i));
    CopyDetector detector = new CopyDetector(descriptor, pixels, root);
    List<float[]> negatives = new ArrayList<>();
    for (int i = 0; i < Math.min(o.calibrationNegatives, test.size()); i++) negatives.add(test.imageAsFloat(i));
    CopyDetector.Calibrated cal = detector.calibrate(negatives, o.calibrationPositives, o.negativePercentile,
        o.minPositiveRecall, size, o.seed);
    Calibration.Threshold th = cal.threshold();
    mt.calibration.threshold = th.threshold();
    mt.calibration.negativePercentile = o.negativePercentile;
    mt.calibration.negativeRate = th.negativeRate();
    mt.calibration.positiveRecall = th.positiveRecall();
    mt.calibration.meetsRecall = th.meetsRecall();
    mt.calibration.negatives = cal.negatives().length;
    mt.calibration.positives = cal.positives().length;
    mt.calibration.ratioThreshold = cal.ratioThreshold();
    mt.calibration.ratioNegativeRate = cal.ratioNegativeRate();
    mt.calibration.ratioRecall = cal.ratioRecall();
    mt.calibration.combinedNegativeRate = cal.combinedNegativeRate();
    mt.calibration.combinedRecall = cal.combinedRecall();
    mt.calibration.combinedMeetsRecall = cal.combinedRecall() >= o.minPositiveRecall;
    cal.recallByChange().forEach((c, r) -> mt.calibration.recallByKind.put(c.name().toLowerCase(java.util.Locale.ROOT), r));
    ev.calibrationNegatives = cal.negatives();
    ev.calibrationPositives = cal.positives();

    List<float[]> scored = images.subList(0, conceptFrom); // targets + neutral (+ extra)
    CopyDetector.Matches matches = detector.match(scored);
    CopyDetector.Nearest desc = matches.descriptor();
    NearestNeighbors.Match[] pix = matches.pixels();
    long t2 = System.nanoTime();
    mt.seconds.put("copy_detection", (t2 - t1) / 1e9);

    // 3. Per target prompt.
    phase.accept("metrics");
    double neutralDiversity = 0;
    for (int p = 0; p < sets.neutral().size(); p++) {
      neutralDiversity += Diversity.meanPairwiseL2(images.subList(neutralFrom + p * o.seeds, neutralFrom + (p + 1) * o.seeds));
    }
    neutralDiversity /= sets.neutral().size();
    int half = (o.seeds + 1) / 2;
    int replicated = 0, strictReplicated = 0, copiesOwn = 0, descriptorCopiesOwn = 0, nearestOwn = 0, withOwn = 0;
    double collapse = 0;
    double[] targetMag = new double[sets.target().size()];
    List<Double> targetSampleScores = new ArrayList<>();
    for (int p = 0; p < sets.target().size(); p++) {
      AuditMetrics.TargetRow row = new AuditMetrics.TargetRow();
      row.prompt = sets.target().get(p);
      row.samples = o.seeds;
      int own = ownImages.get(p) == null ? -1 : pixels.indexOf(ownImages.get(p));
      double[] ratios = new double[o.seeds], scores = new double[o.seeds];
      for (int j = 0; j < o.seeds; j++) {
        int g = p * o.seeds + j;
        if (matches.isCopy(g, cal, -1)) row.copiesOfAny++;
        if (matches.isCopy(g, cal, own)) row.copiesOfOwn++;
        if (desc.score()[g] > th.threshold() && (own < 0 || desc.index()[g] == own)) row.descriptorCopiesOfOwn++;
        if (own >= 0 && pix[g].nearest() == own) row.nearestIsOwn++;
        if (pix[g].ratio() < ReplicationCheck.STRICT_RATIO) row.strictCopies++;
        row.meanCopyScore += desc.score()[g] / o.seeds;
        row.meanSsim += Ssim.of(images.get(g), pixels.image(pix[g].nearest()), size) / o.seeds;
        row.meanRatio += pix[g].ratio() / o.seeds;
        row.magnitude += magnitude.of(g) / o.seeds;
        ratios[j] = pix[g].ratio();
        scores[j] = desc.score()[g];
        targetSampleScores.add(desc.score()[g]);
      }
      row.diversity = Diversity.meanPairwiseL2(images.subList(p * o.seeds, (p + 1) * o.seeds));
      row.seedCollapse = row.diversity / neutralDiversity;
      row.replicated = row.copiesOfOwn >= half;
      if (row.replicated) replicated++;
      if (row.strictCopies >= half) strictReplicated++;
      copiesOwn += row.copiesOfOwn;
      descriptorCopiesOwn += row.descriptorCopiesOfOwn;
      nearestOwn += row.nearestIsOwn;
      if (own >= 0) withOwn += o.seeds;
      collapse += row.seedCollapse;
      targetMag[p] = row.magnitude;
      mt.targets.add(row);
      ev.targetSamples.add(new ArrayList<>(images.subList(p * o.seeds, (p + 1) * o.seeds)));
      ev.targetOwnImages.add(ownImages.get(p));
      ev.targetNearest.add(pixels.image(pix[p * o.seeds].nearest()));
      ev.targetRatios.add(ratios);
      ev.targetScores.add(scores);
    }

    // 4. Neutral prompts: copies, magnitude, diversity, alignment; FID.
    List<float[]> neutralImages = images.subList(neutralFrom, conceptFrom);
    float[][] classProbs = judge.classProbabilities(neutralImages);
    double[] neutralMag = new double[sets.neutral().size()];
    int neutralCopies = 0;
    double alignment = 0;
    List<Double> neutralScores = new ArrayList<>();
    List<String> classes = judge.config().classes;
    for (int p = 0; p < sets.neutral().size(); p++) {
      AuditMetrics.NeutralRow row = new AuditMetrics.NeutralRow();
      row.prompt = sets.neutral().get(p);
      int cls = classOf(row.prompt, classes);
      for (int j = 0; j < o.seeds; j++) {
        int g = neutralFrom + p * o.seeds + j;
        row.magnitude += magnitude.of(g) / o.seeds;
        if (matches.isCopy(g, cal, -1)) row.copies++;
        neutralScores.add(desc.score()[g]);
        if (cls >= 0) row.alignment += classProbs[g - neutralFrom][cls] / o.seeds;
      }
      row.diversity = Diversity.meanPairwiseL2(images.subList(neutralFrom + p * o.seeds, neutralFrom + (p + 1) * o.seeds));
      neutralMag[p] = row.magnitude;
      neutralCopies += row.copies;
      alignment += row.alignment / sets.neutral().size();
      mt.neutral.add(row);
    }
    // Every neutral generation: all prompts with the same number of seeds (plus the extra seeds,
    // which cycle through the prompts). A prefix would cover only the first prompts' classes.
    List<float[]> fidGen = neutralImages;
    List<float[]> real = new ArrayList<>();
    for (int i = 0; i < Math.min(o.realImages, test.size()); i++) real.add(test.imageAsFloat(i));
    double[][] realFeatures = toDouble(judge.features(real));
    double fid = Frechet.distance(toDouble(judge.features(fidGen)), realFeatures);
    double fidReal = Frechet.distance(toDouble(judge.features(unique.subList(0, Math.min(unique.size(), o.realImages)))), realFeatures);

    // 5. Concepts: the judge's motif head on concept prompts; false alarms on neutral images.
    List<String> labels = judge.motifLabels();
    float[][] motifProbs = judge.motifProbabilities(images.subList(conceptFrom, images.size()));
    double seenHits = 0, seenN = 0, unseenHits = 0, unseenN = 0;
    for (int p = 0; p < sets.concept().size(); p++) {
      LabManifest.ConceptPrompt c = sets.concept().get(p);
      AuditMetrics.ConceptRow row = new AuditMetrics.ConceptRow();
      row.prompt = c.text;
      row.motif = c.motif;
      row.className = c.className;
      row.seenInTraining = c.seenInTraining;
      int col = labels.indexOf(c.motif);
      for (int j = 0; j < o.seeds; j++) {
        float[] pr = motifProbs[p * o.seeds + j];
        if (col > 0 && pr[col] > 0.5f) row.rate += 1.0 / o.seeds;
      }
      if (c.seenInTraining) {
        seenHits += row.rate;
        seenN++;
      } else {
        unseenHits += row.rate;
        unseenN++;
      }
      mt.concepts.add(row);
      ev.conceptSamples.add(new ArrayList<>(images.subList(conceptFrom + p * o.seeds, conceptFrom + (p + 1) * o.seeds)));
    }
    float[][] neutralMotif = judge.motifProbabilities(neutralImages);
    int falseAlarms = 0;
    for (float[] pr : neutralMotif) {
      for (int k = 1; k < pr.length; k++) {
        if (pr[k] > 0.5f) {
          falseAlarms++;
          break;
        }
      }
    }
    long t3 = System.nanoTime();
    mt.seconds.put("metrics", (t3 - t2) / 1e9);

    Map<String, Double> h = mt.headline;
    int nt = sets.target().size();
    h.put("replication_rate", nt == 0 ? Double.NaN : (double) replicated / nt);
    h.put("replication_rate_strict", nt == 0 ? Double.NaN : (double) strictReplicated / nt);
    h.put("target_copy_share", nt == 0 ? Double.NaN : (double) copiesOwn / (nt * o.seeds));
    h.put("target_copy_share_descriptor", nt == 0 ? Double.NaN : (double) descriptorCopiesOwn / (nt * o.seeds));
    h.put("target_nearest_is_own_share", withOwn == 0 ? Double.NaN : (double) nearestOwn / withOwn);
    h.put("seed_collapse", nt == 0 ? Double.NaN : collapse / nt);
    h.put("neutral_copy_share", (double) neutralCopies / (sets.neutral().size() * o.seeds));
    h.put("concept_rate", seenN + unseenN == 0 ? Double.NaN : (seenHits + unseenHits) / (seenN + unseenN));
    h.put("concept_rate_seen_pairs", seenN == 0 ? Double.NaN : seenHits / seenN);
    h.put("concept_rate_unseen_pairs", unseenN == 0 ? Double.NaN : unseenHits / unseenN);
    h.put("motif_false_alarm_neutral", (double) falseAlarms / neutralImages.size());
    h.put("magnitude_auc", nt == 0 ? Double.NaN : Roc.auc(targetMag, neutralMag));
    h.put("magnitude_tpr_at_1pct_fpr", nt == 0 ? Double.NaN : Roc.tprAtFpr(targetMag, neutralMag, 0.01));
    h.put("magnitude_target_mean", nt == 0 ? Double.NaN : Arrays.stream(targetMag).average().orElse(Double.NaN));
    h.put("magnitude_neutral_mean", Arrays.stream(neutralMag).average().orElse(Double.NaN));
    h.put("fid", fid);
    h.put("fid_real_vs_real", fidReal);
    h.put("alignment", alignment);
    h.put("diversity_neutral", neutralDiversity);
    ev.neutralMagnitudes = neutralMag;
    ev.targetMagnitudes = targetMag;
    ev.neutralScores = neutralScores.stream().mapToDouble(Double::doubleValue).toArray();
    ev.targetSampleScores = targetSampleScores.stream().mapToDouble(Double::doubleValue).toArray();
    mt.seconds.put("total", (t3 - t0) / 1e9);
    return new Result(mt, ev);
  }

  /** The class named in a prompt (longest class name it contains), or -1. */
  static int classOf(String prompt, List<String> classes) {
    int best = -1;
    for (int c = 0; c < classes.size(); c++) {
      if ((" " + prompt + " ").contains(" " + classes.get(c) + " ") && (best < 0 || classes.get(c).length() > classes.get(best).length())) {
        best = c;
      }
    }
    return best;
  }

  private static void addPromptSeeds(List<String> prompts, List<Long> seeds, List<String> set, int n, long first) {
    for (String p : set) {
      for (int j = 0; j < n; j++) {
        prompts.add(p);
        seeds.add(first + j);
      }
    }
  }

  private static double[][] toDouble(float[][] f) {
    double[][] out = new double[f.length][];
    for (int i = 0; i < f.length; i++) {
      out[i] = new double[f[i].length];
      for (int j = 0; j < f[i].length; j++) out[i][j] = f[i][j];
    }
    return out;
  }

}
