package dev.uniforget.cli;

import ai.djl.ndarray.NDManager;
import dev.uniforget.audit.Audit;
import dev.uniforget.audit.AuditMetrics;
import dev.uniforget.audit.AuditReport;
import dev.uniforget.audit.judge.CopyDescriptor;
import dev.uniforget.audit.judge.Judge;
import dev.uniforget.data.FashionMnist;
import dev.uniforget.data.ImageFolder;
import dev.uniforget.io.Jsons;
import dev.uniforget.lab.LabManifest;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.ModelDir;
import dev.uniforget.sampling.EulerSampler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code uniforget audit}. */
@Command(name = "audit", mixinStandardHelpOptions = true,
    header = "Measure memorization and quality of a model on a lab.",
    description = {
      "Measure memorization and quality of a model on a lab: verbatim replication (copy",
      "descriptor or aligned pixel d1/d2, thresholds calibrated on real images; SSIM; the strict",
      "d1/d2 test), seed collapse, protected-concept rate, text-conditional magnitude (ROC AUC),",
      "FID in judge space, prompt alignment and diversity. Writes OUT/metrics.json, OUT/report.html",
      "and charts.",
      "Prompt sets come from the lab's manifest unless given as files."
    })
final class AuditCommand implements Callable<Integer> {
  @Option(names = "--model", required = true, description = "Model directory.")
  Path modelDir;

  @Option(names = "--lab", required = true, description = "The lab (image folder + manifest.json).")
  Path lab;

  @Option(names = "--judge", required = true, description = "Output of `uniforget judge train` for this lab.")
  Path judgeDir;

  @Option(names = "--out", required = true, description = "Output directory (must not exist unless --force).")
  Path out;

  @Option(names = "--baseline", description = "Another audit's metrics.json: shown side by side with deltas.")
  Path baseline;

  @Option(names = "--neutral", description = "Neutral prompt file (default: the manifest's).")
  Path neutralFile;

  @Option(names = "--targets", description = "Target prompt file (default: the manifest's).")
  Path targetFile;

  @Option(names = "--seeds", description = "Seeds per prompt (default: ${DEFAULT-VALUE}).")
  int seeds = 8;

  @Option(names = "--fid-images", description = "At least this many neutral generations for FID; every neutral generation counts (default: ${DEFAULT-VALUE}).")
  int fidImages = 1000;

  @Option(names = "--fashion-mnist", description = "Folder of the gzipped IDX files (default: ${DEFAULT-VALUE}).")
  Path fashionMnist = FashionMnist.DEFAULT_DIR;

  @Option(names = "--force", description = "Replace --out if it exists.")
  boolean force;

  @Override
  public Integer call() throws Exception {
    if (Files.exists(out) && !force) throw new IllegalArgumentException("--out " + out + " already exists (use --force to replace it)");
    AuditMetrics base = baseline == null ? null : Jsons.read(baseline, AuditMetrics.class);
    List<String> neutral = neutralFile != null ? SampleCommand.readPrompts(neutralFile) : null;
    List<String> targets = targetFile != null ? SampleCommand.readPrompts(targetFile) : null;
    AuditMetrics m = audit(modelDir, lab, judgeDir, out, base, neutral, targets, seeds, fidImages, fashionMnist, force);
    printHeadline(m, base);
    System.out.println("report: " + out.resolve("report.html"));
    return 0;
  }

  /** Audits a model and writes OUT; null prompt lists mean the manifest's. Shared with demo. */
  static AuditMetrics audit(Path modelDir, Path lab, Path judgeDir, Path out, AuditMetrics base, List<String> neutralOverride,
      List<String> targetOverride, int seeds, int fidImages, Path fashionMnist, boolean replace) throws Exception {
    LabManifest manifest = LabManifest.read(lab);
    try (NDManager root = NDManager.newBaseManager(); FlowModel model = ModelDir.load(modelDir, root);
        Judge judge = JudgeCommand.loadJudge(judgeDir, root);
        CopyDescriptor descriptor = JudgeCommand.loadDescriptor(judgeDir, root)) {
      if (model.config().imageSize != manifest.imageSize || model.config().channels != manifest.channels) {
        throw new IllegalArgumentException(String.format("model %s makes %dx%d images with %d channel(s), lab %s has %dx%d with %d",
            modelDir, model.config().imageSize, model.config().imageSize, model.config().channels, lab,
            manifest.imageSize, manifest.imageSize, manifest.channels));
      }
      judge.checkCompatible(manifest);
      List<String> neutral = neutralOverride != null ? neutralOverride : manifest.prompts.neutral;
      List<String> targets = targetOverride != null ? targetOverride : manifest.prompts.target;
      if (neutral.isEmpty()) throw new IllegalArgumentException(lab + ": the manifest has no neutral prompts");
      ImageFolder folder = ImageFolder.load(lab, manifest.imageSize, manifest.channels);
      List<float[]> training = new ArrayList<>();
      Map<String, float[]> byFile = new HashMap<>();
      for (int i = 0; i < folder.size(); i++) {
        training.add(folder.image(i));
        byFile.putIfAbsent(folder.entry(i).fileName(), folder.image(i));
      }
      Map<String, float[]> ownByCaption = new HashMap<>();
      for (LabManifest.VerbatimTarget t : manifest.verbatimTargets) ownByCaption.put(t.caption, byFile.get(t.fileName));
      List<float[]> own = new ArrayList<>();
      for (String t : targets) own.add(ownByCaption.get(t));
      Audit.Options o = new Audit.Options();
      o.seeds = seeds;
      o.fidImages = fidImages;
      o.settings = new EulerSampler.Settings(model.config().sampler.steps, model.config().sampler.guidance);
      o.validate();
      FashionMnist.LabeledImages test = FashionMnist.load(fashionMnist, false);
      int total = (targets.size() + manifest.prompts.concept.size()) * seeds + Math.max(neutral.size() * seeds, fidImages);
      Audit.Result r;
      try (ProgressBar pb = Progress.bar("audit", total, "img")) {
        r = Audit.run(model, training, new Audit.PromptSets(neutral, targets, manifest.prompts.concept), own, judge,
            descriptor, test, o, root, pb::setExtraMessage, pb::stepTo);
      }
      r.metrics().model = modelDir.toString();
      r.metrics().lab = lab.toString();
      AuditReport.write(out, r, base, manifest.imageSize, replace);
      return r.metrics();
    }
  }

  static void printHeadline(AuditMetrics m, AuditMetrics base) {
    System.out.printf("%n%-30s %10s%s%n", "metric", "value", base == null ? "" : String.format(" %10s %10s", "baseline", "delta"));
    for (Map.Entry<String, Double> e : m.headline.entrySet()) {
      Double b = base == null ? null : base.headline.get(e.getKey());
      System.out.printf("%-30s %10.4f%s%n", e.getKey(), e.getValue(),
          base == null ? "" : b == null ? "          -" : String.format(" %10.4f %+10.4f", b, e.getValue() - b));
    }
    System.out.printf("copy threshold %.4f (negatives above: %.3f, positive recall: %.3f)%n",
        m.calibration.threshold, m.calibration.negativeRate, m.calibration.positiveRecall);
    System.out.printf("pixel-ratio threshold d1/d2 < %.4f (negatives below: %.3f, positive recall: %.3f)%n",
        m.calibration.ratioThreshold, m.calibration.ratioNegativeRate, m.calibration.ratioRecall);
    System.out.printf("either test (the copy rule): negatives %.3f, positive recall %.3f, by change %s%n",
        m.calibration.combinedNegativeRate, m.calibration.combinedRecall, m.calibration.recallByKind);
    m.seconds.forEach((k, v) -> System.out.printf("time %-16s %8.1f s%n", k, v));
  }
}
