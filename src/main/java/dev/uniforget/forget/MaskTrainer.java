package dev.uniforget.forget;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.TextEncoding;
import dev.uniforget.model.UnitGroup;
import dev.uniforget.model.UnitMasks;
import dev.uniforget.sampling.EulerSampler;
import dev.uniforget.nn.TrainingStep;
import dev.uniforget.nn.AdamW;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * UniForget mask training: for batches of (neutral prompt, noise) pairs, the masked model's
 * final sample (full sampler, the model's guidance) is pulled toward the original model's with
 * loss = MSE + beta * mean sigmoid(0.4 l + 1). Only the mask logits train (AdamW, cosine
 * schedule); the weights stay frozen. The original samples of the pool are computed once.
 * Inputs are a model and prompts, nothing else: it never sees what is memorized.
 */
public final class MaskTrainer {
  /** One line of the training log. */
  public record StepLog(int step, double mse, double sparsityTerm, double loss, double keptShare) {}

  /** Progress callback. */
  public interface Listener {
    void onStep(StepLog log, int total);
  }

  private MaskTrainer() {}

  /** Trains the logits on a fresh pool (built from {@code prompts}); see {@link #train(FlowModel, NeutralPool, MaskLogits, ForgetConfig, NDManager, Listener)}. */
  public static List<StepLog> train(
      FlowModel model, List<String> prompts, MaskLogits logits, ForgetConfig cfg, NDManager root, Listener listener) {
    cfg.validate();
    return train(model, NeutralPool.build(model, prompts, cfg.seedsPerPrompt, cfg.seed, settings(model, cfg), root, null),
        logits, cfg, root, listener);
  }

  /** The sampler settings of the objective: the config's, else the model's sampling defaults. */
  public static EulerSampler.Settings settings(FlowModel model, ForgetConfig cfg) {
    return new EulerSampler.Settings(
        cfg.samplerSteps != null ? cfg.samplerSteps : model.config().sampler.steps,
        cfg.guidance != null ? cfg.guidance : model.config().sampler.guidance);
  }

  public static List<StepLog> train(
      FlowModel model, NeutralPool pool, MaskLogits logits, ForgetConfig cfg, NDManager root, Listener listener) {
    return train(model, pool, logits, cfg, root, listener, null, false);
  }

  /**
   * As above, with a checkpoint written every {@code checkpoint.every()} steps (null: none); with
   * {@code resume} the training continues from it (the log then holds the earlier steps too).
   */
  public static List<StepLog> train(FlowModel model, NeutralPool pool, MaskLogits logits, ForgetConfig cfg, NDManager root,
      Listener listener, MaskCheckpoint checkpoint, boolean resume) {
    cfg.validate();
    if (resume && checkpoint == null) throw new IllegalArgumentException("resume needs a checkpoint to continue from");
    EulerSampler.Settings s = pool.settings();
    int c = model.config().channels, size = model.config().imageSize, numel = c * size * size;

    logits.store().setRequiresGradient(true);
    List<StepLog> log = new ArrayList<>();
    try (AdamW adam = new AdamW(logits.store(), root, 0.9f, 0.999f)) {
      int start = 0;
      if (resume) {
        try {
          start = checkpoint.restore(logits, adam, log);
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
        if (start > cfg.steps) throw new IllegalStateException(checkpoint.dir() + ": " + start + " steps done, more than the " + cfg.steps + " asked");
      }
      for (int step = start; step < cfg.steps; step++) {
        double[] parts = new double[2]; // mse, sparsity term
        TrainingStep.run("mask training", step, cfg.seed, logits.store(), adam, cfg.learningRateAt(step), cfg.weightDecay, root,
            (m, rng) -> {
              int b = cfg.batchSize;
              List<String> batchPrompts = new ArrayList<>(b);
              long[] batchSeeds = new long[b];
              float[] target = new float[b * numel];
              for (int i = 0; i < b; i++) {
                int k = rng.nextInt(pool.size());
                batchPrompts.add(pool.prompts().get(k));
                batchSeeds[i] = pool.seeds()[k];
                System.arraycopy(pool.originals()[k], 0, target, i * numel, numel);
              }
              Map<String, float[]> noise = logits.drawNoise(rng);
              TextEncoding text = EulerSampler.encodeForGuidance(model, m, batchPrompts, s.guidance());
              NDArray x0 = EulerSampler.noise(m, model, batchSeeds);
              NDArray tgt = m.create(target, new Shape(b, c, size, size));
              // Gradients of the MSE (through every sampler step) and of beta * R add up on the logits.
              parts[0] = SamplerBackprop.backward(model, m, x0, tgt, text, s, mm -> logits.sampled(mm, noise));
              try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray r = logits.sparsity(m);
                parts[1] = r.getFloat();
                gc.backward(dev.uniforget.nn.Layers.scale(r, cfg.beta));
              }
              return parts[0] + cfg.beta * parts[1];
            });
        double mse = parts[0], reg = parts[1];
        StepLog line = new StepLog(step + 1, mse, reg, mse + cfg.beta * reg, keptShare(logits));
        log.add(line);
        if (listener != null) listener.onStep(line, cfg.steps);
        if (checkpoint != null && (step + 1) % checkpoint.every() == 0 && step + 1 < cfg.steps) checkpoint.save(step + 1, logits, adam, log);
      }
    } finally {
      logits.store().setRequiresGradient(false);
    }
    return log;
  }

  /** Share of units whose deterministic mask is > 0.5. */
  public static double keptShare(MaskLogits logits) {
    long kept = 0, all = 0;
    for (float[] v : logits.deterministicValues().values()) {
      for (float x : v) {
        if (x > 0.5f) kept++;
        all++;
      }
    }
    return all == 0 ? 1 : (double) kept / all;
  }

  /** Share of units kept per module type. */
  public static Map<UnitGroup.Kind, double[]> countsByKind(MaskLogits logits, Map<String, boolean[]> keep) {
    Map<UnitGroup.Kind, double[]> out = new LinkedHashMap<>();
    for (UnitGroup g : logits.groups()) {
      double[] kc = out.computeIfAbsent(g.kind(), k -> new double[2]);
      for (boolean k : keep.get(g.name())) {
        if (k) kc[0]++;
        kc[1]++;
      }
    }
    return out;
  }
}
