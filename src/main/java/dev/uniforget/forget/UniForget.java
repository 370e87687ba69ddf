package dev.uniforget.forget;

import ai.djl.ndarray.NDManager;
import dev.uniforget.io.AtomicFiles;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.ModelDir;
import dev.uniforget.model.UnitMasks;
import dev.uniforget.sampling.EulerSampler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import dev.uniforget.io.ProgressSink;
import java.util.Locale;
import java.util.Map;

/**
 * UniForget, the whole pipeline: the original model's samples for a pool of (neutral prompt,
 * noise) pairs, mask training through the sampler, binarize (mask > 0.5 or a keep ratio),
 * physical pruning, the optional retrain (distillation on the neutral pool), the report (shares,
 * size, FLOPs, timed sampling, fidelity on held-out pairs covering every prompt), written as one
 * {@link ForgetRun} directory. Inputs are a model directory and neutral prompts only: it is never
 * told what is memorized. The command line, the demo, the sweep and a Java user call this.
 */
public final class UniForget {
  private UniForget() {}

  /** Everything a run is told besides the model and the prompts. */
  public static final class Options {
    /** The mask training (its {@code seed} is the mask seed). */
    public ForgetConfig config = new ForgetConfig();
    /** Keep this share of units with the highest logits instead of mask > 0.5 (null: binarize). */
    public Double keepRatio;
    /** Distillation steps after pruning (0: none) and their learning rate. */
    public int retrainSteps = 0;
    public float retrainLr = 1e-4f;
    /** Images sampled to time the model before/after. */
    public int timingImages = 64;
    /** Held-out seeds per neutral prompt for the fidelity MSE (every prompt is measured). */
    public int fidelitySeeds = 1;
    /** Mask-training checkpoint interval in steps (OUT.checkpoint/, deleted at the end). */
    public int checkpointEvery = 50;
    /** Continue from OUT.checkpoint/ (left by an interrupted run of the same request). */
    public boolean resume;

    public void validate() {
      config.validate();
      if (keepRatio != null && !(keepRatio > 0 && keepRatio <= 1)) {
        throw new IllegalArgumentException("--keep-ratio: expected a share in (0, 1], found " + keepRatio);
      }
      if (retrainSteps < 0) throw new IllegalArgumentException("--retrain: expected >= 0 steps, found " + retrainSteps);
      if (!(retrainLr > 0) || !Float.isFinite(retrainLr)) throw new IllegalArgumentException("--retrain-lr: expected > 0, found " + retrainLr);
      if (timingImages <= 0) throw new IllegalArgumentException("--timing-images: expected > 0, found " + timingImages);
      if (fidelitySeeds <= 0) throw new IllegalArgumentException("--fidelity-seeds: expected > 0, found " + fidelitySeeds);
      if (checkpointEvery < 1) throw new IllegalArgumentException("--checkpoint-every: expected >= 1, found " + checkpointEvery);
    }

    /** A copy with another mask seed. */
    public Options withSeed(long seed) {
      Options o = new Options();
      o.config = config.copy();
      o.config.seed = seed;
      o.keepRatio = keepRatio;
      o.retrainSteps = retrainSteps;
      o.retrainLr = retrainLr;
      o.timingImages = timingImages;
      o.fidelitySeeds = fidelitySeeds;
      return o;
    }
  }

  /** A phase body that may fail. */
  interface Body<T> {
    T run() throws IOException;
  }

  static <T> T phase(ProgressSink l, String name, long total, String unit, Body<T> body) throws IOException {
    l.phase(name, total);
    try {
      return body.run();
    } finally {
      l.end();
    }
  }

  /**
   * Runs UniForget on {@code modelDir} with {@code neutralPrompts} and writes the forget output
   * {@code out} (which must not exist and must not lie inside the model). Returns its report.
   */
  public static ForgetRun.Report run(Path modelDir, List<String> neutralPrompts, Options opts, Path out, ProgressSink progress)
      throws IOException {
    opts.validate();
    if (opts.resume && dev.uniforget.io.AtomicFiles.settledDirectory(out)) {
      // Killed after the output was written but before its checkpoint was removed: the run is done.
      dev.uniforget.io.Provenance.requireReusable(out, provenance(modelDir, neutralPrompts, opts));
      MaskCheckpoint.delete(MaskCheckpoint.dirFor(out));
      return ForgetRun.readReport(out);
    }
    requireNewOutput(out, "--model", modelDir); // before the lock: nothing is written inside the model
    try (dev.uniforget.io.OutputLock lock = dev.uniforget.io.OutputLock.acquire(out)) {
      return runLocked(modelDir, neutralPrompts, opts, out, progress);
    }
  }

  private static ForgetRun.Report runLocked(Path modelDir, List<String> neutralPrompts, Options opts, Path out, ProgressSink progress)
      throws IOException {
    opts.validate();
    requireNewOutput(out, "--model", modelDir);
    if (neutralPrompts.isEmpty()) throw new IllegalArgumentException("--prompts: no prompts (expected at least one neutral prompt)");
    ProgressSink l = progress == null ? ProgressSink.NONE : progress;
    ForgetConfig cfg = opts.config;
    MaskCheckpoint checkpoint = new MaskCheckpoint(MaskCheckpoint.dirFor(out), opts.checkpointEvery, provenance(modelDir, neutralPrompts, opts));
    boolean resume = false;
    if (checkpoint.exists()) {
      if (!opts.resume) {
        throw new IllegalArgumentException(checkpoint.dir() + ": an interrupted run of this output left a checkpoint; --resume to continue it,"
            + " or delete it to start over");
      }
      resume = true;
    } else if (opts.resume) {
      l.message("forget: no checkpoint at " + checkpoint.dir() + "; starting from step 0");
    }
    boolean resuming = resume;
    try (NDManager root = NDManager.newBaseManager(); FlowModel model = ModelDir.load(modelDir, root)) {
      for (String p : neutralPrompts) {
        List<String> unknown = model.tokenizer().unknownWords(p);
        if (!unknown.isEmpty()) l.message("warning: words unknown to the model's tokenizer: " + unknown + " in \"" + p + "\"");
      }
      MaskLogits logits = new MaskLogits(model.config(), cfg.includeHeads, cfg.relaxation(), root);
      l.message(String.format(Locale.ROOT, "forget: %d prompts x %d noises, %d mask units, beta %s, %d steps at batch %d, seed %d",
          neutralPrompts.size(), cfg.seedsPerPrompt, logits.unitCount(), cfg.beta, cfg.steps, cfg.batchSize, cfg.seed));
      EulerSampler.Settings s = MaskTrainer.settings(model, cfg);
      NeutralPool pool = phase(l, "original samples", (long) neutralPrompts.size() * cfg.seedsPerPrompt, "img",
          () -> NeutralPool.build(model, neutralPrompts, cfg.seedsPerPrompt, cfg.seed, s, root, l::step));
      List<MaskTrainer.StepLog> log = phase(l, "masks", cfg.steps, "steps", () -> MaskTrainer.train(model, pool, logits, cfg, root,
          (line, total) -> {
            l.step(line.step());
            l.note(String.format(Locale.ROOT, "mse %.4f kept %.3f", line.mse(), line.keptShare()));
          }, checkpoint, resuming));
      Map<String, boolean[]> keep = opts.keepRatio != null ? Pruner.keepRatio(logits, opts.keepRatio) : Pruner.binarize(logits);
      FlowModel pruned = Pruner.prune(model, keep, root);
      ForgetRun.Report report = Measures.report(model, pruned, logits, keep, root, opts.timingImages);
      NeutralPool.Pairs held = NeutralPool.heldOut(neutralPrompts, opts.fidelitySeeds, cfg.seed);
      report.fidelityPairs = held.size();
      report.neutralSampleMse = Measures.sampleMse(model, pruned, UnitMasks.NONE, held, s, root);
      if (opts.retrainSteps > 0) {
        phase(l, "retrain", opts.retrainSteps, "steps", () -> Retrainer.retrain(model, pruned, Pruner.masksForPruned(keep, root),
            pool, opts.retrainSteps, cfg.batchSize * 4, opts.retrainLr, cfg.seed, root, l::step));
        report.retrainSteps = opts.retrainSteps;
        report.neutralSampleMseAfterRetrain = Measures.sampleMse(model, pruned, UnitMasks.NONE, held, s, root);
      }
      ForgetRun.write(out, pruned, logits, keep, log, cfg, report, modelDir, provenance(modelDir, neutralPrompts, opts));
      checkpoint.delete();
      return report;
    }
  }

  /**
   * What makes a forget output: the model (content hash), the prompts (hash of their text), every
   * option that changes the result, and the code version. Recorded in the output's provenance.json.
   */
  public static dev.uniforget.io.Provenance provenance(Path modelDir, List<String> neutralPrompts, Options o) throws IOException {
    ForgetConfig c = o.config;
    return dev.uniforget.io.Provenance.of("forget").input("model", modelDir)
        .inputText("prompts", String.join("\n", neutralPrompts))
        .option("beta", c.beta).option("steps", c.steps).option("batch_size", c.batchSize).option("lr", c.learningRate)
        .option("weight_decay", c.weightDecay).option("sampler_steps", c.samplerSteps == null ? "model" : c.samplerSteps)
        .option("guidance", c.guidance == null ? "model" : c.guidance).option("seeds_per_prompt", c.seedsPerPrompt)
        .option("heads", c.includeHeads).option("relaxation", List.of(c.gamma, c.zeta, c.temperature, c.initialLogit))
        .option("seed", c.seed).option("keep_ratio", o.keepRatio == null ? "binarize" : o.keepRatio)
        .option("retrain", o.retrainSteps).option("retrain_lr", o.retrainLr).option("fidelity_seeds", o.fidelitySeeds)
        .option("timing_images", o.timingImages);
  }

  /**
   * The forget output in {@code out} when it was made by the same model, prompts, options and code
   * (its provenance); else runs UniForget. An output made otherwise is an error naming the
   * differences. Returns the report.
   */
  public static ForgetRun.Report reuseOrRun(Path modelDir, List<String> neutralPrompts, Options opts, Path out, ProgressSink progress)
      throws IOException {
    if (dev.uniforget.io.AtomicFiles.settledDirectory(out)) {
      dev.uniforget.io.Provenance.requireReusable(out, provenance(modelDir, neutralPrompts, opts));
      return ForgetRun.readReport(out);
    }
    return run(modelDir, neutralPrompts, opts, out, progress);
  }

  /**
   * Runs UniForget {@code repeats} times with the mask seeds {@code seed, seed + 1, ...}. With one
   * repeat this is {@link #run} (same layout); with more, {@code out} gets one forget output per
   * seed in {@code seed_<s>/} and {@value Repeats#FILE}, all written atomically as one directory.
   */
  public static Repeats.Summary runRepeats(Path modelDir, List<String> neutralPrompts, Options opts, int repeats, Path out,
      ProgressSink progress) throws IOException {
    if (repeats < 1) throw new IllegalArgumentException("--repeats: expected >= 1, found " + repeats);
    opts.validate();
    requireNewOutput(out, "--model", modelDir);
    ProgressSink l = progress == null ? ProgressSink.NONE : progress;
    return repeat(Repeats.FORGET, opts.config.seed, repeats, out, l,
        (seed, dir) -> run(modelDir, neutralPrompts, opts.withSeed(seed), dir, l));
  }

  /** One repeat of a run: seed in, report out, written to dir. */
  interface OneRun {
    ForgetRun.Report run(long seed, Path dir) throws IOException;
  }

  static Repeats.Summary repeat(String kind, long seed, int repeats, Path out, ProgressSink l, OneRun one) throws IOException {
    List<Repeats.Run> runs = new ArrayList<>();
    List<ForgetRun.Report> reports = new ArrayList<>();
    if (repeats == 1) {
      reports.add(one.run(seed, out));
      runs.add(new Repeats.Run(seed, "."));
      return Repeats.summarize(kind, runs, reports);
    }
    Repeats.Summary[] summary = new Repeats.Summary[1];
    AtomicFiles.writeDirectoryAtomically(out, false, tmp -> {
      for (int k = 0; k < repeats; k++) {
        long s = seed + k;
        String dir = Repeats.dirName(kind, s);
        l.message(String.format(Locale.ROOT, "%s %d of %d: seed %d -> %s", kind, k + 1, repeats, s, out.resolve(dir)));
        reports.add(one.run(s, tmp.resolve(dir)));
        runs.add(new Repeats.Run(s, dir));
      }
      summary[0] = Repeats.summarize(kind, runs, reports);
      Repeats.write(tmp, summary[0]);
    });
    return summary[0];
  }

  /**
   * Refuses an output that exists or that would be written into an input (named by its option):
   * a writer never overwrites or fills its inputs.
   */
  static void requireNewOutput(Path out, Object... optionAndInput) {
    if (Files.exists(out)) throw new IllegalArgumentException("--out " + out + " already exists (expected a new directory)");
    Path o = out.toAbsolutePath().normalize();
    for (int i = 0; i < optionAndInput.length; i += 2) {
      Path in = ((Path) optionAndInput[i + 1]).toAbsolutePath().normalize();
      if (o.startsWith(in)) {
        throw new IllegalArgumentException("--out " + out + " lies inside the input " + optionAndInput[i] + " " + optionAndInput[i + 1]
            + " (expected a directory outside it; inputs are never written to)");
      }
    }
  }
}
