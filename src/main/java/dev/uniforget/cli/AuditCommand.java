package dev.uniforget.cli;

import dev.uniforget.audit.AuditMetrics;
import dev.uniforget.audit.AuditReport;
import dev.uniforget.audit.AuditRun;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code uniforget audit}. */
@Command(name = "audit", mixinStandardHelpOptions = true,
    header = "Measure memorization and quality of a model on a lab.",
    description = {
      "Measure memorization and quality of a model on a lab with the lab's instruments (`judge",
      "train`): verbatim replication (copy descriptor or aligned pixel d1/d2, thresholds calibrated",
      "on the lab's held-out images; nearest-is-own; the strict d1/d2 test), seed collapse,",
      "protected-concept rate, text-conditional magnitude (ROC AUC), FID and KID against held-out",
      "images, prompt alignment and diversity, each with a 95%% bootstrap interval. Writes",
      "OUT/metrics.json, OUT/report.html, charts and OUT/provenance.json.",
      "Prompt sets come from the lab's manifest unless given as files."
    })
final class AuditCommand implements Callable<Integer> {
  @Option(names = "--model", required = true, description = "Model directory.")
  Path modelDir;

  @Option(names = "--lab", required = true, description = "The lab (image folder + manifest.json + held-out split).")
  Path lab;

  @Option(names = "--judge", required = true, description = "Output of `uniforget judge train` for this lab.")
  Path judgeDir;

  @Option(names = "--out", required = true, description = "Output directory (created; one that exists is refused unless --force, except a complete audit made by the same inputs, options and code, which is reused: rerunning a killed command finishes it).")
  Path out;

  @Option(names = "--baseline", description = "Another audit (its directory or metrics.json): shown side by side with deltas.")
  Path baseline;

  @Option(names = "--neutral", description = "Neutral prompt file (default: the manifest's).")
  Path neutralFile;

  @Option(names = "--targets", description = "Target prompt file (default: the manifest's); every line must be a verbatim target's caption.")
  Path targetFile;

  @Option(names = "--seeds", description = "Seeds per prompt (default: ${DEFAULT-VALUE}).")
  int seeds = 8;

  @Option(names = "--fid-images", description = "At least this many neutral generations for FID/KID; every neutral generation counts (default: ${DEFAULT-VALUE}).")
  int fidImages = 1000;

  @Option(names = "--resamples", description = "Bootstrap resamples of the intervals (default: ${DEFAULT-VALUE}).")
  int resamples = 1000;

  @Option(names = "--force", description = "Replace --out if it exists.")
  boolean force;

  @Option(names = "--wen-target", description = {"Audit with Wen et al.'s inference-time mitigation: every generation's",
      "prompt encoding is first optimised until its first-step text-conditional magnitude is at most this",
      "(a number, or 'neutral': the mean over the neutral prompts of this model, 4 seeds each)."})
  String wenTarget;

  @Option(names = "--wen-iterations", description = "At most this many optimisation steps per generation (default: ${DEFAULT-VALUE}).")
  int wenIterations = new dev.uniforget.baselines.WenMitigation.Options().iterations;

  @Option(names = "--wen-lr", description = "AdamW learning rate of the mitigation (default: ${DEFAULT-VALUE}).")
  float wenLr = new dev.uniforget.baselines.WenMitigation.Options().learningRate;

  @Override
  public Integer call() throws Exception {
    AuditRun.Request r = new AuditRun.Request();
    r.model = modelDir;
    r.lab = lab;
    r.instruments = judgeDir;
    r.out = out;
    r.replace = force;
    r.baseline = baseline == null ? null : AuditReport.readMetrics(baseline);
    r.neutral = neutralFile != null ? SampleCommand.readPrompts(neutralFile) : null;
    r.targets = targetFile != null ? SampleCommand.readPrompts(targetFile) : null;
    r.options.seeds = seeds;
    r.options.fidImages = fidImages;
    r.options.resamples = resamples;
    if (wenTarget != null) {
      List<String> neutral = r.neutral != null ? r.neutral : dev.uniforget.lab.Lab.open(lab).manifest().prompts.neutral;
      r.options.promptEdit = dev.uniforget.baselines.WenMitigation.fromOption(wenTarget, modelDir, neutral, wenIterations, wenLr);
    }
    AuditMetrics m;
    try (Progress.Bars bars = Progress.bars()) {
      if (!force && AuditRun.alreadyDone(r)) {
        System.out.println(out + " already holds this audit (same inputs, options and code): reused");
        m = AuditReport.readMetrics(out);
      } else {
        m = AuditRun.run(r, bars);
      }
    }
    printHeadline(m, r.baseline);
    System.out.println("report: " + out.resolve(AuditReport.REPORT));
    return 0;
  }

  static void printHeadline(AuditMetrics m, AuditMetrics base) {
    System.out.printf("%n%-30s %10s %22s%s%n", "metric", "value", "95% interval", base == null ? "" : String.format(" %10s %10s", "baseline", "delta"));
    for (Map.Entry<String, Double> e : m.headline.entrySet()) {
      Double b = base == null ? null : base.headline.get(e.getKey());
      double[] iv = m.intervals.get(e.getKey());
      System.out.printf("%-30s %10.4f %22s%s%n", e.getKey(), e.getValue(), iv == null ? "" : String.format("[%.4f, %.4f]", iv[0], iv[1]),
          base == null ? "" : b == null ? "          -" : String.format(" %10.4f %+10.4f", b, e.getValue() - b));
    }
    AuditMetrics.Calibration c = m.calibration;
    System.out.printf("copy threshold %.4f (held-out negatives above: %.3f, recall: %.3f)%n", c.threshold, c.negativeRate, c.positiveRecall);
    System.out.printf("pixel-ratio threshold d1/d2 < %.4f (held-out negatives below: %.3f, recall: %.3f)%n",
        c.ratioThreshold, c.ratioNegativeRate, c.ratioRecall);
    System.out.printf("either test (the copy rule): false alarms %.3f on %d held-out images; recall %.3f on %d copies of %s"
        + " (trained change families %.3f, untrained %.3f), by change %s%s%n",
        c.combinedNegativeRate, c.negatives, c.combinedRecall, c.positives,
        c.positivesUnseenByDescriptor ? c.positiveSourceImages + " training images the descriptor never saw" : "training images (IN-SAMPLE)",
        c.recallSeenFamilies, c.recallUnseenFamilies, c.recallByKind, c.combinedMeetsRecall ? "" : "  ** below the required recall **");
    System.out.printf("low-pass copy rule (separate): d1/d2 on 4x4-box low-passed images < %.4f (held-out negatives below: %.3f,"
        + " recall: %.3f), by change %s%n", c.lowPassThreshold, c.lowPassNegativeRate, c.lowPassRecall, c.lowPassRecallByKind);
    m.seconds.forEach((k, v) -> System.out.printf("time %-16s %8.1f s%n", k, v));
    if (m.mitigation != null) System.out.println("mitigation: " + m.mitigation);
  }
}
