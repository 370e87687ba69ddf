package dev.uniforget.cli;

import ai.djl.ndarray.NDManager;
import dev.uniforget.audit.NearestNeighbors;
import dev.uniforget.audit.ReplicationCheck;
import dev.uniforget.io.ImageGrid;
import dev.uniforget.io.Jsons;
import dev.uniforget.lab.EmojiLabBuilder;
import dev.uniforget.lab.LabBuilder;
import dev.uniforget.lab.LabManifest;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.ModelDir;
import dev.uniforget.sampling.EulerSampler;
import dev.uniforget.audit.AuditMetrics;
import dev.uniforget.audit.AuditReport;
import dev.uniforget.audit.AuditRun;
import dev.uniforget.audit.judge.Instruments;
import dev.uniforget.forget.ForgetRun;
import dev.uniforget.forget.UniForget;
import dev.uniforget.io.Provenance;
import dev.uniforget.lab.Lab;
import dev.uniforget.lab.LabSource;
import dev.uniforget.train.TrainRun;
import dev.uniforget.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code uniforget demo}: the main job. */
@Command(name = "demo", mixinStandardHelpOptions = true,
    header = "The main job: lab, training, grids, judge, audit, forget, audit again.",
    description = {
      "The main job: build the lab (OUT/lab), train the lab model (OUT/run/model), write sample",
      "grids for neutral, target and concept prompts (OUT/grids), check replication of the",
      "verbatim targets, train the audit's judge and copy descriptor (OUT/judge) and audit the",
      "model (OUT/audit/report.html); then forget at --forget-beta and audit the pruned model",
      "against the original (OUT/audit_after_forget/report.html: before and after on one page).",
      "Re-running continues: an existing lab, judge and forget output are reused, a run resumed.",
      "With --emoji: the same pipeline on the emoji art-style lab (32x32 RGB; add",
      "--double-blocks 2 --depth 2 --rope for the FLUX layout). Image size and channels always",
      "follow the lab.",
      "The Fashion-MNIST recipe is sized to finish in about 20 minutes on 2 cores: a lab of 300",
      "ordinary images per class, 1500 training steps at learning rate 2e-3, shorter instrument",
      "training and 150 mask steps. It copies every target and draws the motifs as the full",
      "recipe does (`lab build` + `train` defaults, 7000 steps at 5e-4; README, \"Measured\").",
      "With --emoji: 6000 steps at 5e-4, `judge train`'s instrument steps (descriptor 1500) and",
      "300 mask steps, the recipe its lab was measured with, unless options say otherwise."
    })
final class DemoCommand implements Callable<Integer> {
  @Option(names = "--out", description = "Output directory (default: ${DEFAULT-VALUE}).")
  Path out = Path.of("runs/demo");

  @Option(names = "--per-class", description = "Ordinary lab images per class (default: ${DEFAULT-VALUE}; `lab build`'s: "
      + LabBuilder.Options.DEFAULT_PER_CLASS + ").")
  int perClass = Recipe.FASHION_PER_CLASS;

  @Option(names = "--duplicates", description = "Times each verbatim target is listed (default: ${DEFAULT-VALUE}).")
  int duplicates = new LabBuilder.Options().duplicates;

  @Option(names = "--motif-images", description = "Stamped images per motif (default: ${DEFAULT-VALUE}).")
  int motifImages = new LabBuilder.Options().motifImages;

  @Option(names = "--descriptor-steps", description = {"Copy-descriptor training steps (default: " + Recipe.FASHION_DESCRIPTOR
      + ", with --emoji " + Recipe.EMOJI_DESCRIPTOR + "; fewer than `judge train`'s; the audit prints the copy rule's",
      "recall on held-out copies)."})
  Integer descriptorSteps;

  @Option(names = "--quality-steps", description = "Quality network training steps (default: " + Recipe.FASHION_QUALITY
      + ", with --emoji " + Instruments.Options.QUALITY_STEPS + ").")
  Integer qualitySteps;

  @Option(names = "--concept-steps", description = "Concept detector training steps (default: " + Recipe.FASHION_CONCEPT
      + ", with --emoji " + Instruments.Options.CONCEPT_STEPS + ").")
  Integer conceptSteps;

  @Option(names = "--fid-images", description = "Neutral generations for the audit's FID (default: ${DEFAULT-VALUE}).")
  int fidImages = 1000;

  @Option(names = "--forget-beta", description = "Forget at this beta and audit again, before/after on one page; 0 skips (default: ${DEFAULT-VALUE}).")
  double forgetBeta = 0.1;

  @Option(names = "--forget-steps", description = "Mask training steps of that forget run (default: " + Recipe.FASHION_FORGET
      + ", with --emoji " + dev.uniforget.forget.ForgetConfig.DEFAULT_STEPS + ").")
  Integer forgetSteps;

  @picocli.CommandLine.Mixin TrainCommand.TrainOptions train = new TrainCommand.TrainOptions();

  @picocli.CommandLine.Mixin TrainCommand.ArchitectureOptions arch = new TrainCommand.ArchitectureOptions();

  @Option(names = "--seeds", description = "Samples per prompt in the grids and the check (default: ${DEFAULT-VALUE}).")
  int seeds = 8;

  @Option(names = "--fashion-mnist", description = "Folder of the gzipped IDX files (default: ${DEFAULT-VALUE}).")
  Path fashionMnist = dev.uniforget.data.FashionMnist.DEFAULT_DIR;

  @Option(names = "--emoji", arity = "0..1", fallbackValue = "/usr/local/share/uniforget/emoji-datasource",
      description = {"Run on the emoji art-style lab built from this folder of unpacked emoji-datasource",
          "packages (default folder: ${FALLBACK-VALUE}) instead of Fashion-MNIST; --per-class,",
          "--duplicates and --motif-images do not apply (the lab's defaults: 32 duplicates, 800 style images)."})
  Path emoji;

  /**
   * The demo's recipe per lab where options do not say otherwise (constants, so the help texts can
   * quote them). Fashion-MNIST: sized for the 45-minute target (README, "The demo's recipe"); the
   * learning rate is 4x the default, so the motifs are learnt in 1500 steps (at 5e-4, 2500 steps
   * copy the targets but do not learn them). Emoji: the recipe its lab was measured with, i.e. the
   * default learning rate, `judge train`'s quality and concept steps and `forget`'s mask steps.
   */
  static final class Recipe {
    static final int FASHION_PER_CLASS = 300, FASHION_STEPS = 1500;
    static final float FASHION_LR = 2e-3f;
    static final int FASHION_QUALITY = 1000, FASHION_CONCEPT = 1200, FASHION_DESCRIPTOR = 600, FASHION_FORGET = 150;
    static final int EMOJI_STEPS = 6000, EMOJI_DESCRIPTOR = 1500;

    private Recipe() {}
  }

  @Override
  public Integer call() throws Exception {
    long t0 = System.nanoTime();
    Path lab = out.resolve("lab");
    buildOrReuseLab(lab);
    Lab theLab = Lab.open(lab);
    LabManifest manifest = theLab.manifest();
    arch.imageSize = manifest.imageSize;
    arch.channels = manifest.channels;
    boolean fashion = emoji == null;
    if (train.steps == null) train.steps = fashion ? Recipe.FASHION_STEPS : Recipe.EMOJI_STEPS;
    if (train.lr == null) train.lr = fashion ? Recipe.FASHION_LR : TrainCommand.TrainOptions.DEFAULT_LR;
    if (qualitySteps == null) qualitySteps = fashion ? Recipe.FASHION_QUALITY : Instruments.Options.QUALITY_STEPS;
    if (conceptSteps == null) conceptSteps = fashion ? Recipe.FASHION_CONCEPT : Instruments.Options.CONCEPT_STEPS;
    if (descriptorSteps == null) descriptorSteps = fashion ? Recipe.FASHION_DESCRIPTOR : Recipe.EMOJI_DESCRIPTOR;
    if (forgetSteps == null) forgetSteps = fashion ? Recipe.FASHION_FORGET : dev.uniforget.forget.ForgetConfig.DEFAULT_STEPS;
    long tLab = System.nanoTime();

    Path run = out.resolve("run");
    Path modelDir = run.resolve(Trainer.MODEL);
    try (Progress.Bars bars = Progress.bars()) {
      TrainRun.run(lab, run, Files.isDirectory(run.resolve(Trainer.CHECKPOINT)), train.toConfig(), arch.imageSize, arch.channels,
          arch.maxTokens, arch::toConfig, bars, System.err::println);
    }
    long tTrain = System.nanoTime();

    Path grids = out.resolve("grids");
    Files.createDirectories(grids);
    Map<String, Object> summary = new LinkedHashMap<>();
    try (NDManager root = NDManager.newBaseManager(); FlowModel model = ModelDir.load(modelDir, root)) {
      EulerSampler.Settings s = new EulerSampler.Settings(model.config().sampler.steps, model.config().sampler.guidance);
      int size = model.config().imageSize;
      List<String> neutral = emoji == null ? fashionNeutralRows(manifest) : firstNeutralPerClass(manifest);
      writeGrid(grids, "neutral.png", SampleCommand.grid(model, root, neutral, seeds, 0, s, 64), neutral, size);
      List<float[]> targetImages = theLab.ownImages(manifest.prompts.target);
      List<List<float[]>> targetRows = SampleCommand.grid(model, root, manifest.prompts.target, seeds, 0, s, 64);
      writeGrid(grids, "targets.png", withTargets(targetRows, targetImages), manifest.prompts.target, size);
      List<String> concept = manifest.prompts.concept.stream().map(p -> p.text).toList();
      if (!concept.isEmpty()) writeGrid(grids, "concepts.png", SampleCommand.grid(model, root, concept, seeds, 0, s, 64), concept, size);

      NearestNeighbors index = new NearestNeighbors(theLab.trainingImages());
      List<ReplicationCheck.TargetResult> results =
          ReplicationCheck.run(index, manifest.prompts.target, targetImages, targetRows, size, root);
      printReplication(results, seeds);
      int replicated = (int) results.stream().filter(r -> r.replicated((seeds + 1) / 2)).count();
      summary.put("model", modelDir.toString());
      summary.put("replicated_targets", replicated);
      summary.put("targets", results.size());
      summary.put("replication_rate", results.isEmpty() ? 0 : (double) replicated / results.size());
      summary.put("strict_copy_share", results.stream().mapToInt(r -> r.strictCopies()).sum() / (double) Math.max(1, seeds * results.size()));
      summary.put("per_target", results);
    }
    long tCheck = System.nanoTime();

    // The audit: instruments for this lab (trained once, from the lab alone), then the full measurement.
    Path judge = out.resolve("judge");
    try (Progress.Bars bars = Progress.bars()) {
      Instruments.reuseOrTrain(lab, judge, JudgeCommand.Train.options(qualitySteps, conceptSteps, descriptorSteps,
          new Instruments.Options().descriptor.heldoutOneIn, 0), bars);
    }
    long tJudge = System.nanoTime();
    AuditRun.Request ar = auditRequest(modelDir, lab, judge, out.resolve("audit"), null);
    AuditMetrics audit;
    try (Progress.Bars bars = Progress.bars()) {
      audit = AuditRun.reuseOrRun(ar, bars);
    }
    summary.put("audit", audit.headline);
    long tAudit = System.nanoTime();

    // UniForget at one beta, told nothing but the model and the neutral prompts; then the same audit.
    AuditMetrics after = null;
    if (forgetBeta > 0) {
      Path forgotten = out.resolve("forget_beta_" + forgetBeta);
      UniForget.Options fo = new UniForget.Options();
      fo.config.beta = forgetBeta;
      fo.config.steps = forgetSteps;
      List<String> neutralPrompts = SampleCommand.readPrompts(lab.resolve(Lab.NEUTRAL_PROMPTS));
      try (Progress.Bars bars = Progress.bars()) {
        UniForget.reuseOrRun(modelDir, neutralPrompts, fo, forgotten, bars);
      }
      ForgetCommand.print(ForgetRun.readReport(forgotten));
      try (Progress.Bars bars = Progress.bars()) {
        after = AuditRun.reuseOrRun(auditRequest(forgotten.resolve(ForgetRun.MODEL), lab, judge, out.resolve("audit_after_forget"), audit), bars);
      }
      summary.put("audit_after_forget", after.headline);
    }
    long tEnd = System.nanoTime();
    Map<String, Double> seconds = new LinkedHashMap<>();
    seconds.put("lab", (tLab - t0) / 1e9);
    seconds.put("train", (tTrain - tLab) / 1e9);
    seconds.put("sample_and_check", (tCheck - tTrain) / 1e9);
    seconds.put("judge", (tJudge - tCheck) / 1e9);
    seconds.put("audit", (tAudit - tJudge) / 1e9);
    seconds.put("forget_and_audit", (tEnd - tAudit) / 1e9);
    summary.put("seconds", seconds);
    System.out.println();
    if (after == null) {
      System.out.println("AUDIT of the lab model (" + out.resolve("audit").resolve(AuditReport.REPORT) + "):");
      AuditCommand.printHeadline(audit, null);
    } else {
      System.out.println("AUDIT after UniForget (beta " + forgetBeta + ") vs the lab model (baseline) ("
          + out.resolve("audit_after_forget").resolve(AuditReport.REPORT) + "):");
      AuditCommand.printHeadline(after, audit);
    }
    Jsons.write(out.resolve("demo_summary.json"), summary);
    System.out.println();
    System.out.println("time of each part (a reused part takes only its check):");
    seconds.forEach((part, sec) -> System.out.printf(java.util.Locale.ROOT, "  %-18s %7.1f min%n", part, sec / 60));
    System.out.printf("grids in %s; summary in %s; total %.1f min%n", grids, out.resolve("demo_summary.json"), (tEnd - t0) / 6e10);
    return 0;
  }

  /** Builds the lab into {@code lab}, or reuses the one there when its provenance matches. */
  private void buildOrReuseLab(Path lab) throws Exception {
    Provenance labProv;
    LabBuilder.Options lo = new LabBuilder.Options();
    EmojiLabBuilder.Options eo = new EmojiLabBuilder.Options();
    if (emoji == null) {
      lo.perClass = perClass;
      lo.duplicates = duplicates;
      lo.motifImages = motifImages;
      labProv = Provenance.of("lab").input("fashion_mnist", fashionMnist).option("per_class", perClass)
          .option("duplicates", duplicates).option("motif_images", motifImages).option("seed", lo.seed);
    } else {
      labProv = Provenance.of("lab").input("emoji_datasource", emoji).option("source", "emoji").option("seed", eo.seed);
    }
    if (Files.isDirectory(lab)) {
      Provenance.requireReusable(lab, labProv);
      System.err.println("reusing lab " + lab);
      return;
    }
    if (emoji == null) {
      LabCommand.Build.build(LabSource.fashionMnist(fashionMnist), lo, lab);
    } else {
      LabCommand.Build.buildEmoji(emoji, eo, lab);
    }
    labProv.write(lab);
  }

  /** The Fashion-MNIST demo's neutral grid: "a photo of a CLASS" per class. */
  private static List<String> fashionNeutralRows(LabManifest manifest) {
    List<String> rows = new ArrayList<>();
    for (String c : manifest.classes) rows.add("a photo of " + LabBuilder.article(c));
    return rows;
  }

  /** One row per class: the first neutral prompt of the lab that names the class. */
  static List<String> firstNeutralPerClass(LabManifest manifest) {
    List<String> rows = new ArrayList<>();
    for (String c : manifest.classes) {
      manifest.prompts.neutral.stream().filter(p -> (" " + p + " ").contains(" " + c + " ")).findFirst().ifPresent(rows::add);
    }
    return rows;
  }

  private AuditRun.Request auditRequest(Path model, Path lab, Path judge, Path out, AuditMetrics base) {
    AuditRun.Request r = new AuditRun.Request();
    r.model = model;
    r.lab = lab;
    r.instruments = judge;
    r.out = out;
    r.baseline = base;
    r.options.seeds = seeds;
    r.options.fidImages = fidImages;
    return r;
  }

  private static void writeGrid(Path dir, String name, List<List<float[]>> rows, List<String> prompts, int size) throws java.io.IOException {
    ImageGrid.write(dir.resolve(name), rows, size, 3);
    byte[] txt = (String.join("\n", prompts) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
    dev.uniforget.io.AtomicFiles.writeAtomically(dir.resolve(name + ".txt"), tmp -> Files.write(tmp, txt));
  }

  /** Prepends each target's training image to its row of samples, so a person can compare. */
  private static List<List<float[]>> withTargets(List<List<float[]>> rows, List<float[]> targets) {
    List<List<float[]>> out = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      List<float[]> row = new ArrayList<>();
      row.add(targets.get(i));
      row.add(new float[targets.get(i).length]);
      row.addAll(rows.get(i));
      out.add(row);
    }
    return out;
  }

  static void printReplication(List<ReplicationCheck.TargetResult> results, int seeds) {
    System.out.printf("%n%-44s %7s %7s %12s %9s%n", "verbatim target prompt", "copies", "strict", "nearest=own", "mean SSIM");
    for (ReplicationCheck.TargetResult r : results) {
      System.out.printf("%-44s %4d/%-2d %4d/%-2d %9d/%-2d %9.3f%n", r.caption(), r.copies(), r.samples(),
          r.strictCopies(), r.samples(), r.nearestIsOwn(), r.samples(), r.meanSsim());
    }
    int need = (seeds + 1) / 2;
    long replicated = results.stream().filter(r -> r.replicated(need)).count();
    System.out.printf("replicated (>= %d of %d samples are copies: nearest training image is the target's own AND SSIM >= %.1f): %d/%d = %.0f%%%n",
        need, seeds, ReplicationCheck.SSIM_THRESHOLD, replicated, results.size(), 100.0 * replicated / Math.max(1, results.size()));
    System.out.printf("strict test d1/d2 < 1/3 (Gu et al.): %d of %d samples%n%n",
        results.stream().mapToInt(ReplicationCheck.TargetResult::strictCopies).sum(), seeds * results.size());
  }
}
