package dev.uniforget.cli;

import dev.uniforget.forget.ForgetConfig;
import dev.uniforget.forget.ForgetRun;
import dev.uniforget.forget.Repeats;
import dev.uniforget.forget.UniForget;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code uniforget forget}: UniForget mask training, binarization and physical pruning ({@link UniForget}). */
@Command(name = "forget", mixinStandardHelpOptions = true,
    header = "UniForget: learn, binarize and apply pruning masks from neutral prompts only.",
    description = {
      "UniForget: learn pruning masks on the FFN hidden units and modulation channels (and, with",
      "--heads, attention heads) so that the masked model's final samples for NEUTRAL prompts",
      "match the original's (MSE through the full sampler) with as few units as possible",
      "(+ beta * mean sigmoid(0.4 l + 1)); binarize (mask > 0.5, or --keep-ratio) and prune.",
      "Inputs are a model and a prompt file only: it is never told what is memorized.",
      "Writes OUT/model (the pruned model), OUT/mask/ (logits, keep, training log) and OUT/report.json;",
      "with --repeats R > 1, OUT/seed_<s>/ per mask seed s and OUT/repeats.json (mean, sd, 95%% t-interval)."
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

  @Option(names = "--fidelity-seeds", description = "Held-out seeds per neutral prompt for the fidelity MSE; every prompt is measured (default: ${DEFAULT-VALUE}).")
  int fidelitySeeds = new UniForget.Options().fidelitySeeds;

  /** The old option (a number of images, taken from the start of the prompt list); now rounded up to seeds per prompt. */
  @Option(names = "--checkpoint-every", description = "Mask-training checkpoint (OUT.checkpoint/) every N steps (default: ${DEFAULT-VALUE}).")
  int checkpointEvery = new UniForget.Options().checkpointEvery;

  @Option(names = "--resume", description = "Continue an interrupted run of the same request from OUT.checkpoint/.")
  boolean resume;

  @Option(names = "--fidelity-images", hidden = true, description = "Deprecated: use --fidelity-seeds.")
  Integer fidelityImages;

  @Option(names = "--repeats", description = "Mask seeds to run: --seed, --seed + 1, ... (default: ${DEFAULT-VALUE}); "
      + "more than 1 writes OUT/seed_<s>/ per seed and OUT/repeats.json.")
  int repeats = 1;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    List<String> neutral = SampleCommand.readPrompts(prompts);
    UniForget.Options opts = new UniForget.Options();
    ForgetConfig cfg = opts.config;
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
    opts.keepRatio = keepRatio;
    opts.retrainSteps = retrain;
    opts.retrainLr = retrainLr;
    opts.timingImages = timingImages;
    opts.fidelitySeeds = fidelitySeeds;
    opts.checkpointEvery = checkpointEvery;
    opts.resume = resume;
    PrintWriter err = spec.commandLine().getErr();
    if (fidelityImages != null) {
      if (spec.commandLine().getParseResult().hasMatchedOption("--fidelity-seeds")) {
        throw new IllegalArgumentException("--fidelity-images: give --fidelity-seeds only (--fidelity-images is its deprecated form)");
      }
      opts.fidelitySeeds = seedsPerPromptFor(fidelityImages, neutral.size());
      err.println("warning: --fidelity-images is deprecated; using --fidelity-seeds " + opts.fidelitySeeds + " (every prompt measured)");
    }
    PrintWriter w = spec.commandLine().getOut();
    if (repeats == 1) {
      ForgetRun.Report report = UniForget.run(modelDir, neutral, opts, out, new BarListener(err));
      w.println();
      w.print(report.summary());
      w.println("pruned model written to " + ForgetRun.model(out));
    } else {
      Repeats.Summary summary = UniForget.runRepeats(modelDir, neutral, opts, repeats, out, new BarListener(err));
      w.println();
      w.print(summary.summary());
      w.println(repeats + " forget outputs written to " + out.resolve(Repeats.dirName(Repeats.FORGET, seed)) + " ... "
          + out.resolve(Repeats.dirName(Repeats.FORGET, seed + repeats - 1)) + "; statistics in " + out.resolve(Repeats.FILE));
    }
    w.flush();
    return 0;
  }

  /** Held-out seeds per prompt that give at least {@code images} images (the old --fidelity-images). */
  static int seedsPerPromptFor(int images, int prompts) {
    if (images <= 0) throw new IllegalArgumentException("--fidelity-images: expected > 0, found " + images);
    return Math.max(1, (images + prompts - 1) / prompts);
  }

  /** Prints a forget report's summary on standard output (demo prints its forget output's report with it). */
  static void print(ForgetRun.Report r) {
    System.out.println();
    System.out.print(r.summary());
    System.out.flush();
  }

  /** Progress bars (on stderr) and messages, for a {@link UniForget} run. */
  static final class BarListener extends Progress.Bars {
    private final PrintWriter err;

    BarListener(PrintWriter err) {
      this.err = err;
    }

    @Override
    public void message(String line) {
      err.println(line);
      err.flush();
    }
  }
}
