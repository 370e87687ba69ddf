package dev.uniforget.cli;

import ai.djl.ndarray.NDManager;
import dev.uniforget.forget.ForgetConfig;
import dev.uniforget.forget.ForgetRun;
import dev.uniforget.forget.MaskLogits;
import dev.uniforget.forget.MaskTrainer;
import dev.uniforget.forget.NeutralPool;
import dev.uniforget.forget.Pruner;
import dev.uniforget.forget.Retrainer;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.ModelDir;
import dev.uniforget.model.UnitMasks;
import dev.uniforget.sampling.EulerSampler;
import dev.uniforget.sampling.Seeds;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code uniforget forget}: UniForget mask training, binarization and physical pruning. */
@Command(name = "forget", mixinStandardHelpOptions = true,
    header = "UniForget: learn, binarize and apply pruning masks from neutral prompts only.",
    description = {
      "UniForget: learn pruning masks on the FFN hidden units and modulation channels (and, with",
      "--heads, attention heads) so that the masked model's final samples for NEUTRAL prompts",
      "match the original's (MSE through the full sampler) with as few units as possible",
      "(+ beta * mean sigmoid(0.4 l + 1)); binarize (mask > 0.5, or --keep-ratio) and prune.",
      "Inputs are a model and a prompt file only: it is never told what is memorized.",
      "Writes OUT/model (the pruned model), OUT/mask/ (logits, keep, training log) and OUT/report.json."
    })
final class ForgetCommand implements Callable<Integer> {
  @Option(names = "--model", required = true, description = "Model directory to prune (never modified).")
  Path modelDir;

  @Option(names = "--prompts", required = true, description = "Neutral prompts, one per line.")
  Path prompts;

  @Option(names = "--out", required = true, description = "Output directory (must not exist).")
  Path out;

  @Option(names = "--beta", description = "Sparsity weight (default: ${DEFAULT-VALUE}).")
  double beta = new ForgetConfig().beta;

  @Option(names = "--steps", description = "Mask training steps (default: ${DEFAULT-VALUE}).")
  int steps = new ForgetConfig().steps;

  @Option(names = "--batch-size", description = "(prompt, noise) pairs per step (default: ${DEFAULT-VALUE}).")
  int batchSize = new ForgetConfig().batchSize;

  @Option(names = "--lr", description = "Adam learning rate of the logits, cosine schedule (default: ${DEFAULT-VALUE}).")
  float lr = new ForgetConfig().learningRate;

  @Option(names = "--weight-decay", description = "Decoupled weight decay of the logits (default: ${DEFAULT-VALUE}).")
  float weightDecay = new ForgetConfig().weightDecay;

  @Option(names = "--sampler-steps", description = "Sampler steps of the objective (default: the model's).")
  Integer samplerSteps;

  @Option(names = "--guidance", description = "Guidance of the objective (default: the model's).")
  Float guidance;

  @Option(names = "--seeds-per-prompt", description = "Noises per prompt in the pool (default: ${DEFAULT-VALUE}).")
  int seedsPerPrompt = new ForgetConfig().seedsPerPrompt;

  @Option(names = "--heads", description = "Also mask attention heads (off by default, as in the paper).")
  boolean heads;

  @Option(names = "--keep-ratio", description = "Keep this share of units with the highest logits instead of mask > 0.5.")
  Double keepRatio;

  @Option(names = "--timing-images", description = "Images sampled to time the model before/after (default: ${DEFAULT-VALUE}).")
  int timingImages = 64;

  @Option(names = "--seed", description = "Seed of batches and mask noise (default: ${DEFAULT-VALUE}).")
  long seed = 0;

  @Option(names = "--retrain", description = "Distil the pruned model toward the original on the neutral prompts for this many steps (default: 0 = off).")
  int retrain = 0;

  @Option(names = "--retrain-lr", description = "Learning rate of --retrain (default: ${DEFAULT-VALUE}).")
  float retrainLr = 1e-4f;

  @Option(names = "--fidelity-images", description = "Held-out neutral samples to compare with the original (default: ${DEFAULT-VALUE}).")
  int fidelityImages = 64;

  @Override
  public Integer call() throws Exception {
    ForgetConfig cfg = new ForgetConfig();
    cfg.beta = beta;
    cfg.steps = steps;
    cfg.batchSize = batchSize;
    cfg.learningRate = lr;
    cfg.weightDecay = weightDecay;
    cfg.samplerSteps = samplerSteps;
    cfg.guidance = guidance;
    cfg.seedsPerPrompt = seedsPerPrompt;
    cfg.includeHeads = heads;
    cfg.seed = seed;
    cfg.validate();
    ForgetRun.Report report = forget(modelDir, SampleCommand.readPrompts(prompts), cfg, keepRatio, retrain, retrainLr,
        timingImages, fidelityImages, out);
    print(report);
    System.out.println("pruned model written to " + out.resolve(ForgetRun.MODEL));
    return 0;
  }

  /** Runs UniForget on a model with neutral prompts and writes OUT; shared with sweep. */
  static ForgetRun.Report forget(Path modelDir, List<String> neutral, ForgetConfig cfg, Double keepRatio, int retrain,
      float retrainLr, int timingImages, int fidelityImages, Path out) throws Exception {
    cfg.validate();
    if (timingImages <= 0) throw new IllegalArgumentException("--timing-images must be > 0, found " + timingImages);
    if (fidelityImages <= 0) throw new IllegalArgumentException("--fidelity-images must be > 0, found " + fidelityImages);
    if (retrain < 0) throw new IllegalArgumentException("--retrain must be >= 0, found " + retrain);
    if (java.nio.file.Files.exists(out)) throw new IllegalArgumentException("--out " + out + " already exists");
    try (NDManager root = NDManager.newBaseManager(); FlowModel model = ModelDir.load(modelDir, root)) {
      SampleCommand.warnUnknownWords(model, neutral);
      MaskLogits logits = new MaskLogits(model.config(), cfg.includeHeads, cfg.relaxation(), root);
      System.err.printf("forget: %d prompts x %d noises, %d mask units, beta %s, %d steps at batch %d%n",
          neutral.size(), cfg.seedsPerPrompt, logits.unitCount(), cfg.beta, cfg.steps, cfg.batchSize);
      EulerSampler.Settings s = MaskTrainer.settings(model, cfg);
      NeutralPool pool;
      try (ProgressBar pb = Progress.bar("original samples", (long) neutral.size() * cfg.seedsPerPrompt, "img")) {
        pool = NeutralPool.build(model, neutral, cfg.seedsPerPrompt, cfg.seed, s, root, pb::stepTo);
      }
      List<MaskTrainer.StepLog> log;
      try (ProgressBar pb = Progress.bar("masks", cfg.steps, "steps")) {
        log = MaskTrainer.train(model, pool, logits, cfg, root, (l, total) -> {
          pb.stepTo(l.step());
          pb.setExtraMessage(String.format("mse %.4f kept %.3f", l.mse(), l.keptShare()));
        });
      }
      Map<String, boolean[]> keep = keepRatio != null ? Pruner.keepRatio(logits, keepRatio) : Pruner.binarize(logits);
      FlowModel pruned = Pruner.prune(model, keep, root);
      ForgetRun.Report report = ForgetRun.report(model, pruned, logits, keep, root, timingImages);
      List<String> heldPrompts = new ArrayList<>();
      long[] heldSeeds = new long[fidelityImages];
      for (int i = 0; i < fidelityImages; i++) {
        heldPrompts.add(neutral.get(i % neutral.size()));
        heldSeeds[i] = Seeds.mix(cfg.seed, 2_000_000L + i); // never in the training pool
      }
      report.neutralSampleMse = ForgetRun.sampleMse(model, pruned, UnitMasks.NONE, heldPrompts, heldSeeds, s, root);
      if (retrain > 0) {
        try (ProgressBar pb = Progress.bar("retrain", retrain, "steps")) {
          Retrainer.retrain(model, pruned, Pruner.masksForPruned(keep, root), pool, retrain, cfg.batchSize * 4, retrainLr,
              cfg.seed, root, pb::stepTo);
        }
        report.retrainSteps = retrain;
        report.neutralSampleMseAfterRetrain = ForgetRun.sampleMse(model, pruned, UnitMasks.NONE, heldPrompts, heldSeeds, s, root);
      }
      ForgetRun.write(out, pruned, logits, keep, log, cfg, report, modelDir);
      return report;
    }
  }

  static void print(ForgetRun.Report r) {
    System.out.println();
    System.out.printf("%-34s %s%n", "deactivated share", "");
    r.deactivatedShare.forEach((k, v) -> System.out.printf("  %-32s %6.1f %%%n", k, 100 * v));
    System.out.printf("%-34s %,d -> %,d%n", "parameters", r.parametersBefore, r.parametersAfter);
    System.out.printf("%-34s %,d -> %,d (x%.2f fewer)%n", "FLOPs per image", r.flopsPerImageBefore, r.flopsPerImageAfter, r.flopsRatio);
    System.out.printf("%-34s %.2f s -> %.2f s (x%.2f faster; FLOPs predict x%.2f)%n",
        "sampling " + r.samplingImages + " images", r.samplingSecondsBefore, r.samplingSecondsAfter, r.speedup, r.flopsRatio);
    if (Double.isFinite(r.neutralSampleMse)) {
      System.out.printf("%-34s %.5f%n", "neutral final-sample MSE vs original", r.neutralSampleMse);
    }
    if (r.retrainSteps > 0) {
      System.out.printf("%-34s %.5f (after %d retrain steps)%n", "  after retrain", r.neutralSampleMseAfterRetrain, r.retrainSteps);
    }
  }
}
