package dev.uniforget.audit;

import ai.djl.ndarray.NDManager;
import dev.uniforget.audit.judge.Classifier;
import dev.uniforget.audit.judge.Instruments;
import dev.uniforget.stats.Bootstrap;
import dev.uniforget.audit.stats.Diversity;
import dev.uniforget.audit.stats.Frechet;
import dev.uniforget.stats.Interval;
import dev.uniforget.audit.stats.Kid;
import dev.uniforget.audit.stats.Roc;
import dev.uniforget.data.ImageFolder;
import dev.uniforget.io.ImageGrid;
import dev.uniforget.io.ProgressSink;
import dev.uniforget.lab.Lab;
import dev.uniforget.lab.LabManifest;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.UnitMasks;
import dev.uniforget.sampling.EulerSampler;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Measures memorization and quality of a model on a lab, with the lab's own instruments
 * ({@link Instruments}) and the lab's held-out split as the real reference: verbatim replication
 * ({@link CopyDetector}: copy descriptor or aligned pixel ratio, thresholds calibrated on held-out
 * real images, recall measured on copies of images the descriptor never saw; nearest-is-own, SSIM,
 * the strict d1/d2 test), seed collapse, protected-concept rate (concept detector), Wen et al.'s
 * text-conditional magnitude (AUC target vs neutral), FID and KID in quality-network feature space
 * against held-out images, prompt alignment and diversity. Every headline rate and score carries a
 * 95% bootstrap interval (over prompts and seeds; FID over generations). Each image is sampled
 * once and feeds every metric of its prompt set.
 */
public final class Audit {
  /** What to measure and how much. */
  public static final class Options {
    public int seeds = 8;
    /** At least this many neutral generations feed FID/KID (all prompts x seeds, plus extra seeds if fewer). */
    public int fidImages = 1000;
    /** At most this many held-out images as the real reference of FID/KID and as copy negatives. */
    public int realImages = 2000;
    public int calibrationPositives = 1400;
    public double negativePercentile = 99;
    public double minPositiveRecall = 0.95;
    public int batchSize = 64;
    public int resamples = 1000;
    public long seed = 0;
    public EulerSampler.Settings settings;
    /** An inference-time mitigation applied to every generation (null: none), e.g. Wen et al.'s. */
    public EulerSampler.PromptEdit promptEdit;

    public Options copy() {
      Options o = new Options();
      o.seeds = seeds;
      o.fidImages = fidImages;
      o.realImages = realImages;
      o.calibrationPositives = calibrationPositives;
      o.negativePercentile = negativePercentile;
      o.minPositiveRecall = minPositiveRecall;
      o.batchSize = batchSize;
      o.resamples = resamples;
      o.seed = seed;
      o.settings = settings;
      o.promptEdit = promptEdit;
      return o;
    }

    public void validate() {
      check(seeds >= 2, "--seeds", ">= 2", seeds);
      check(fidImages >= 2, "--fid-images", ">= 2", fidImages);
      check(realImages >= 10, "--real-images", ">= 10", realImages);
      check(calibrationPositives >= 10, "calibration positives", ">= 10", calibrationPositives);
      check(batchSize > 0, "--batch-size", "> 0", batchSize);
      check(resamples >= 10, "--resamples", ">= 10", resamples);
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

    public static PromptSets of(LabManifest m) {
      return new PromptSets(m.prompts.neutral, m.prompts.target, m.prompts.concept);
    }
  }

  /** The images behind the numbers, for the report. */
  public static final class Evidence {
    public final List<List<float[]>> targetSamples = new ArrayList<>();
    public final List<float[]> targetOwnImages = new ArrayList<>();
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

  /** Audits {@code model} on {@code lab} with its instruments; see the class comment. */
  public static Result run(FlowModel model, Lab lab, Instruments inst, PromptSets sets, Options o, NDManager root,
      ProgressSink progress) throws IOException {
    o.validate();
    int size = lab.imageSize();
    if (model.config().imageSize != size || model.config().channels != lab.channels()) {
      throw new IllegalArgumentException(String.format("the model makes %dx%d images with %d channel(s), the lab %s has %dx%d with %d",
          model.config().imageSize, model.config().imageSize, model.config().channels, lab.dir(), size, size, lab.channels()));
    }
    inst.checkCompatible(lab);
    List<float[]> own = lab.ownImages(sets.target());
    List<String> conceptLabels = inst.concepts() == null ? List.of() : inst.concepts().labels();
    for (LabManifest.ConceptPrompt c : sets.concept()) {
      if (!conceptLabels.contains(c.concept)) {
        throw new IllegalArgumentException("concept prompt '" + c.text + "' names the concept '" + c.concept
            + "', which the concept detector does not know " + conceptLabels);
      }
    }
    List<float[]> training = lab.trainingImages();
    ImageFolder held = lab.heldout();
    List<float[]> heldPlain = new ArrayList<>();
    for (int i = 0; i < held.size() && heldPlain.size() < o.realImages; i++) {
      if (lab.concepts(held.entry(i)).isEmpty()) heldPlain.add(held.image(i));
    }
    if (heldPlain.size() < 10) throw new IOException(lab.heldoutDir() + ": fewer than 10 held-out images without concepts");

    AuditMetrics mt = new AuditMetrics();
    Evidence ev = new Evidence();
    mt.seedsPerPrompt = o.seeds;
    long t0 = System.nanoTime();

    // 1. Generate every image once: targets, neutral (+ extra seeds for FID), concepts.
    List<String> prompts = new ArrayList<>();
    List<Long> seeds = new ArrayList<>();
    addPromptSeeds(prompts, seeds, sets.target(), o.seeds);
    int neutralFrom = prompts.size();
    addPromptSeeds(prompts, seeds, sets.neutral(), o.seeds);
    for (int i = 0; sets.neutral().size() * o.seeds + i < o.fidImages; i++) {
      prompts.add(sets.neutral().get(i % sets.neutral().size()));
      seeds.add((long) o.seeds + i / sets.neutral().size());
    }
    int conceptFrom = prompts.size();
    addPromptSeeds(prompts, seeds, sets.concept().stream().map(c -> c.text).toList(), o.seeds);
    progress.phase("audit: sampling", prompts.size());
    Magnitude magnitude = new Magnitude(prompts.size());
    float[][] raw = EulerSampler.sample(model, root, prompts, seeds.stream().mapToLong(Long::longValue).toArray(),
        o.settings, UnitMasks.NONE, o.batchSize, progress::step, magnitude, o.promptEdit);
    if (o.promptEdit != null) {
      mt.mitigation = new java.util.LinkedHashMap<>(o.promptEdit.describe());
      mt.mitigation.putAll(o.promptEdit.report());
    }
    List<float[]> images = new ArrayList<>(raw.length);
    for (float[] r : raw) images.add(ImageGrid.toUnit(r));
    long t1 = System.nanoTime();
    mt.seconds.put("sampling", (t1 - t0) / 1e9);

    // 2. Copy detection, thresholds calibrated on held-out real images.
    progress.phase("audit: copy detection", 1);
    NearestNeighbors pixels = new NearestNeighbors(training);
    CopyDetector detector = new CopyDetector(inst.descriptor(), pixels, size, root);
    CopyDetector.Calibrated cal = detector.calibrate(heldPlain, o.calibrationPositives, o.negativePercentile,
        o.minPositiveRecall, o.seed);
    AuditMetrics.Calibration c = mt.calibration;
    c.threshold = cal.threshold().threshold();
    c.negativePercentile = o.negativePercentile;
    c.negativeRate = cal.threshold().negativeRate();
    c.positiveRecall = cal.threshold().positiveRecall();
    c.negatives = cal.negatives().length;
    c.positives = cal.positives().length;
    c.ratioThreshold = cal.ratioThreshold();
    c.ratioNegativeRate = cal.ratioNegativeRate();
    c.ratioRecall = cal.ratioRecall();
    c.combinedNegativeRate = cal.combinedNegativeRate();
    c.combinedRecall = cal.combinedRecall();
    c.combinedMeetsRecall = cal.combinedRecall() >= o.minPositiveRecall;
    c.positivesUnseenByDescriptor = cal.positivesUnseen();
    c.positiveSourceImages = cal.positiveSourceImages();
    c.recallSeenFamilies = cal.recallSeenFamilies();
    c.recallUnseenFamilies = cal.recallUnseenFamilies();
    cal.recallByChange().forEach((k, r) -> c.recallByKind.put(k.name().toLowerCase(java.util.Locale.ROOT), r));
    c.lowPassThreshold = cal.lowPassThreshold();
    c.lowPassNegativeRate = cal.lowPassNegativeRate();
    c.lowPassRecall = cal.lowPassRecall();
    cal.lowPassRecallByChange().forEach((k, r) -> c.lowPassRecallByKind.put(k.name().toLowerCase(java.util.Locale.ROOT), r));
    ev.calibrationNegatives = cal.negatives();
    ev.calibrationPositives = cal.positives();
    CopyDetector.Matches matches = detector.match(images.subList(0, conceptFrom));
    CopyDetector.Nearest desc = matches.descriptor();
    NearestNeighbors.Match[] pix = matches.pixels();
    long t2 = System.nanoTime();
    mt.seconds.put("copy_detection", (t2 - t1) / 1e9);

    // 3. Per target prompt: 0/1 tables [prompt][seed] feed the rates and their intervals.
    progress.phase("audit: metrics", 1);
    int nt = sets.target().size(), ns = o.seeds, nn = sets.neutral().size();
    double[] neutralDiv = new double[nn];
    for (int p = 0; p < nn; p++) neutralDiv[p] = Diversity.meanPairwiseL2(images.subList(neutralFrom + p * ns, neutralFrom + (p + 1) * ns));
    double neutralDiversity = Arrays.stream(neutralDiv).average().orElse(Double.NaN);
    // The same ratio on 4x4-box low-passed images: per-seed pixel noise on one fixed picture
    // (a pruned or defended model's grain) does not count as diversity there.
    List<float[]> lowPass = Diversity.boxPool(images.subList(0, conceptFrom), lab.channels(), size, CopyDetector.LOW_PASS_FACTOR);
    double[] neutralDivLow = new double[nn];
    for (int p = 0; p < nn; p++) neutralDivLow[p] = Diversity.meanPairwiseL2(lowPass.subList(neutralFrom + p * ns, neutralFrom + (p + 1) * ns));
    double neutralDiversityLow = Arrays.stream(neutralDivLow).average().orElse(Double.NaN);
    double[] collapseLow = new double[nt];
    double[][] copyLow = new double[nt][ns];
    double[][] copyOwn = new double[nt][ns], copyDesc = new double[nt][ns], nearestOwn = new double[nt][ns], strict = new double[nt][ns];
    double[] collapse = new double[nt], targetMag = new double[nt];
    List<Double> targetSampleScores = new ArrayList<>();
    for (int p = 0; p < nt; p++) {
      AuditMetrics.TargetRow row = new AuditMetrics.TargetRow();
      row.prompt = sets.target().get(p);
      row.samples = ns;
      int ownIdx = pixels.indexOf(own.get(p));
      double[] ratios = new double[ns], scores = new double[ns];
      for (int j = 0; j < ns; j++) {
        int g = p * ns + j;
        if (matches.isCopy(g, cal, -1)) row.copiesOfAny++;
        if (matches.isCopy(g, cal, ownIdx)) copyOwn[p][j] = 1;
        if (matches.isLowPassCopy(g, cal, ownIdx)) copyLow[p][j] = 1;
        if (desc.score()[g] > c.threshold && desc.index()[g] == ownIdx) copyDesc[p][j] = 1;
        if (pix[g].nearest() == ownIdx) nearestOwn[p][j] = 1;
        if (pix[g].ratio() < ReplicationCheck.STRICT_RATIO) strict[p][j] = 1;
        row.meanCopyScore += desc.score()[g] / ns;
        row.meanSsim += Ssim.of(images.get(g), pixels.image(pix[g].nearest()), size) / ns;
        row.meanRatio += pix[g].ratio() / ns;
        row.magnitude += magnitude.of(g) / ns;
        ratios[j] = pix[g].ratio();
        scores[j] = desc.score()[g];
        targetSampleScores.add(desc.score()[g]);
      }
      row.copiesOfOwn = (int) sum(copyOwn[p]);
      row.lowPassCopiesOfOwn = (int) sum(copyLow[p]);
      row.descriptorCopiesOfOwn = (int) sum(copyDesc[p]);
      row.nearestIsOwn = (int) sum(nearestOwn[p]);
      row.strictCopies = (int) sum(strict[p]);
      row.diversity = Diversity.meanPairwiseL2(images.subList(p * ns, (p + 1) * ns));
      row.seedCollapse = row.diversity / neutralDiversity;
      row.replicated = 2 * row.copiesOfOwn >= ns;
      row.seedCollapseLowPass = Diversity.meanPairwiseL2(lowPass.subList(p * ns, (p + 1) * ns)) / neutralDiversityLow;
      collapse[p] = row.seedCollapse;
      collapseLow[p] = row.seedCollapseLowPass;
      targetMag[p] = row.magnitude;
      mt.targets.add(row);
      ev.targetSamples.add(new ArrayList<>(images.subList(p * ns, (p + 1) * ns)));
      ev.targetOwnImages.add(own.get(p));
      ev.targetRatios.add(ratios);
      ev.targetScores.add(scores);
    }

    // 4. Neutral prompts: copies, magnitude, diversity, alignment; FID and KID vs held-out images.
    List<float[]> neutralImages = images.subList(neutralFrom, conceptFrom);
    Classifier quality = inst.quality();
    float[][] classProbs = quality.probabilities(neutralImages);
    double[] neutralMag = new double[nn];
    double[][] neutralCopy = new double[nn][ns], neutralCopyLow = new double[nn][ns];
    List<double[]> alignRows = new ArrayList<>();
    List<Double> neutralScores = new ArrayList<>();
    for (int p = 0; p < nn; p++) {
      AuditMetrics.NeutralRow row = new AuditMetrics.NeutralRow();
      row.prompt = sets.neutral().get(p);
      int cls = Lab.classNamedIn(row.prompt, quality.labels());
      double[] align = new double[ns];
      for (int j = 0; j < ns; j++) {
        int g = neutralFrom + p * ns + j;
        row.magnitude += magnitude.of(g) / ns;
        if (matches.isCopy(g, cal, -1)) neutralCopy[p][j] = 1;
        if (matches.isLowPassCopy(g, cal, -1)) neutralCopyLow[p][j] = 1;
        neutralScores.add(desc.score()[g]);
        if (cls >= 0) align[j] = classProbs[g - neutralFrom][cls];
      }
      row.copies = (int) sum(neutralCopy[p]);
      row.lowPassCopies = (int) sum(neutralCopyLow[p]);
      row.alignment = cls >= 0 ? sum(align) / ns : Double.NaN;
      if (cls >= 0) alignRows.add(align);
      row.diversity = neutralDiv[p];
      neutralMag[p] = row.magnitude;
      mt.neutral.add(row);
    }
    // Every neutral generation (all prompts alike; a prefix would cover only the first classes).
    double[][] genF = toDouble(quality.features(neutralImages));
    double[][] realF = toDouble(quality.features(heldPlain));
    List<float[]> trainSample = new ArrayList<>();
    for (int i = 0; i < pixels.size() && trainSample.size() < heldPlain.size(); i += Math.max(1, pixels.size() / heldPlain.size())) {
      trainSample.add(pixels.image(i));
    }
    double[][] trainF = toDouble(quality.features(trainSample));
    double fid = Frechet.distance(genF, realF);
    Interval fidInterval = Bootstrap.overUnits(genF.length,
        idx -> Frechet.distance(rows(genF, idx), realF), Math.min(o.resamples, 200), Interval.DEFAULT_LEVEL, o.seed + 11);
    Kid.Result kid = Kid.distance(genF, realF, Kid.DEFAULT_SUBSETS, Math.min(Kid.DEFAULT_SUBSET_SIZE, Math.min(genF.length, realF.length)), o.seed);
    double fidReal = Frechet.distance(trainF, realF);
    Kid.Result kidReal = Kid.distance(trainF, realF, Kid.DEFAULT_SUBSETS, Math.min(Kid.DEFAULT_SUBSET_SIZE, Math.min(trainF.length, realF.length)), o.seed);

    // 5. Concepts: the concept detector on concept prompts; false alarms on neutral generations.
    int ncp = sets.concept().size();
    double[][] conceptHits = new double[ncp][ns];
    List<double[]> seenRows = new ArrayList<>(), unseenRows = new ArrayList<>();
    if (ncp > 0) {
      float[][] probs = inst.concepts().probabilities(images.subList(conceptFrom, images.size()));
      for (int p = 0; p < ncp; p++) {
        LabManifest.ConceptPrompt cp = sets.concept().get(p);
        AuditMetrics.ConceptRow row = new AuditMetrics.ConceptRow();
        row.prompt = cp.text;
        row.concept = cp.concept;
        row.className = cp.className;
        row.seenInTraining = cp.seenInTraining;
        int col = conceptLabels.indexOf(cp.concept);
        for (int j = 0; j < ns; j++) if (probs[p * ns + j][col] > 0.5f) conceptHits[p][j] = 1;
        row.rate = sum(conceptHits[p]) / ns;
        (cp.seenInTraining ? seenRows : unseenRows).add(conceptHits[p]);
        mt.concepts.add(row);
        ev.conceptSamples.add(new ArrayList<>(images.subList(conceptFrom + p * ns, conceptFrom + (p + 1) * ns)));
      }
    }
    double[][] falseAlarm = new double[nn][ns];
    if (inst.concepts() != null) {
      float[][] np = inst.concepts().probabilities(neutralImages);
      for (int p = 0; p < nn; p++) {
        for (int j = 0; j < ns; j++) {
          for (float v : np[p * ns + j]) if (v > 0.5f) falseAlarm[p][j] = 1;
        }
      }
    }
    long t3 = System.nanoTime();
    mt.seconds.put("metrics", (t3 - t2) / 1e9);

    // 6. The headline: every number with its 95% interval.
    long s = o.seed;
    int r = o.resamples;
    double lv = Interval.DEFAULT_LEVEL;
    put(mt, "replication_rate", nt == 0 ? null : Bootstrap.twoLevel(copyOwn, Audit::replicationRate, r, lv, s + 1));
    put(mt, "replication_rate_strict", nt == 0 ? null : Bootstrap.twoLevel(strict, Audit::replicationRate, r, lv, s + 2));
    put(mt, "target_copy_share", nt == 0 ? null : Bootstrap.twoLevelMean(copyOwn, r, lv, s + 3));
    put(mt, "target_copy_share_descriptor", nt == 0 ? null : Bootstrap.twoLevelMean(copyDesc, r, lv, s + 4));
    put(mt, "target_nearest_is_own_share", nt == 0 ? null : Bootstrap.twoLevelMean(nearestOwn, r, lv, s + 5));
    put(mt, "seed_collapse", nt == 0 ? null : Bootstrap.overUnits(nt, idx -> mean(collapse, idx), r, lv, s + 6));
    put(mt, "seed_collapse_lowpass", nt == 0 ? null : Bootstrap.overUnits(nt, idx -> mean(collapseLow, idx), r, lv, s + 16));
    put(mt, "neutral_copy_share", Bootstrap.twoLevelMean(neutralCopy, r, lv, s + 7));
    put(mt, "replication_rate_lowpass", nt == 0 ? null : Bootstrap.twoLevel(copyLow, Audit::replicationRate, r, lv, s + 17));
    put(mt, "target_copy_share_lowpass", nt == 0 ? null : Bootstrap.twoLevelMean(copyLow, r, lv, s + 18));
    put(mt, "neutral_copy_share_lowpass", Bootstrap.twoLevelMean(neutralCopyLow, r, lv, s + 19));
    put(mt, "concept_rate", ncp == 0 ? null : Bootstrap.twoLevelMean(conceptHits, r, lv, s + 8));
    put(mt, "concept_rate_seen_pairs", seenRows.isEmpty() ? null : Bootstrap.twoLevelMean(seenRows.toArray(double[][]::new), r, lv, s + 9));
    put(mt, "concept_rate_unseen_pairs", unseenRows.isEmpty() ? null : Bootstrap.twoLevelMean(unseenRows.toArray(double[][]::new), r, lv, s + 10));
    put(mt, "concept_false_alarm_neutral", inst.concepts() == null ? null : Bootstrap.twoLevelMean(falseAlarm, r, lv, s + 12));
    put(mt, "magnitude_auc", nt == 0 ? null : Bootstrap.twoGroups(targetMag, neutralMag, (a, b) -> Roc.auc(a, b), r, lv, s + 13));
    mt.headline.put("magnitude_tpr_at_1pct_fpr", nt == 0 ? Double.NaN : Roc.tprAtFpr(targetMag, neutralMag, 0.01));
    mt.headline.put("magnitude_target_mean", nt == 0 ? Double.NaN : Arrays.stream(targetMag).average().orElse(Double.NaN));
    mt.headline.put("magnitude_neutral_mean", Arrays.stream(neutralMag).average().orElse(Double.NaN));
    put(mt, "fid", fidInterval);
    mt.headline.put("fid", fid);
    mt.headline.put("fid_real_vs_real", fidReal);
    mt.headline.put("kid", kid.mean());
    mt.intervals.put("kid", new double[] {kid.mean() - 2 * kid.std(), kid.mean() + 2 * kid.std()});
    mt.headline.put("kid_real_vs_real", kidReal.mean());
    put(mt, "alignment", alignRows.isEmpty() ? null : Bootstrap.twoLevelMean(alignRows.toArray(double[][]::new), r, lv, s + 14));
    put(mt, "diversity_neutral", Bootstrap.overUnits(nn, idx -> mean(neutralDiv, idx), r, lv, s + 15));
    mt.intervalNote = "95% percentile bootstrap, " + r + " resamples: rates over prompts then seeds within prompts; seed collapse,"
        + " diversity and magnitude AUC over prompts; FID over neutral generations (" + Math.min(r, 200)
        + " resamples, reference fixed); KID: mean +- 2 std over " + kid.subsets() + " subsets of " + kid.subsetSize();
    mt.realImages = heldPlain.size();
    ev.neutralMagnitudes = neutralMag;
    ev.targetMagnitudes = targetMag;
    ev.neutralScores = neutralScores.stream().mapToDouble(Double::doubleValue).toArray();
    ev.targetSampleScores = targetSampleScores.stream().mapToDouble(Double::doubleValue).toArray();
    mt.seconds.put("total", (System.nanoTime() - t0) / 1e9);
    return new Result(mt, ev);
  }

  /** Share of rows (prompts) in which at least half of the cells (seeds) are 1. */
  public static double replicationRate(double[][] table) {
    int n = 0;
    for (double[] row : table) if (2 * sum(row) >= row.length) n++;
    return table.length == 0 ? Double.NaN : (double) n / table.length;
  }

  private static void put(AuditMetrics mt, String name, Interval i) {
    if (i == null) {
      mt.headline.put(name, Double.NaN);
      return;
    }
    mt.headline.put(name, i.estimate());
    mt.intervals.put(name, new double[] {i.lo(), i.hi()});
  }

  private static double sum(double[] v) {
    double s = 0;
    for (double x : v) s += x;
    return s;
  }

  /** Mean of {@code v} over the (resampled) indices {@code idx}. */
  public static double mean(double[] v, int[] idx) {
    double s = 0;
    for (int i : idx) s += v[i];
    return s / idx.length;
  }

  private static double[][] rows(double[][] m, int[] idx) {
    double[][] out = new double[idx.length][];
    for (int i = 0; i < idx.length; i++) out[i] = m[idx[i]];
    return out;
  }

  private static void addPromptSeeds(List<String> prompts, List<Long> seeds, List<String> set, int n) {
    for (String p : set) {
      for (int j = 0; j < n; j++) {
        prompts.add(p);
        seeds.add((long) j);
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
