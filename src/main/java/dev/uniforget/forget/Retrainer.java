package dev.uniforget.forget;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.TextEncoding;
import dev.uniforget.model.UnitMasks;
import dev.uniforget.nn.Seeds;
import dev.uniforget.nn.TrainingStep;
import dev.uniforget.nn.AdamW;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * The optional "retrain": a short data-free distillation of the pruned model toward the
 * original on the NEUTRAL pool only. Points x_t = (1 - t) x0 + t e are built from the
 * original's own final samples x0 (logit-normal t, fresh noise e); the pruned model's velocity
 * is regressed onto the original's at the same point, conditional and (10% of rows)
 * unconditional. Pruned modulation channels and heads stay pruned (their hard masks are applied,
 * so they receive no gradient); removed MLP units are gone.
 */
public final class Retrainer {
  private Retrainer() {}

  /** Returns the distillation loss per step. */
  public static List<Float> retrain(FlowModel original, FlowModel pruned, UnitMasks keepMasks, NeutralPool pool,
      int steps, int batchSize, float learningRate, long seed, NDManager root, IntConsumer progress) {
    if (steps <= 0) throw new IllegalArgumentException("--retrain must be > 0, found " + steps);
    int c = pruned.config().channels, size = pruned.config().imageSize, numel = c * size * size;
    List<Float> losses = new ArrayList<>();
    pruned.params().setRequiresGradient(true);
    try (AdamW adam = new AdamW(pruned.params(), root, 0.9f, 0.999f)) {
      for (int step = 0; step < steps; step++) {
        double loss = TrainingStep.run("retraining", step, seed ^ 0x5EED, pruned.params(), adam, learningRate, 0f, root, (m, rng) -> {
          String[] prompts = new String[batchSize];
          float[] xt = new float[batchSize * numel];
          float[] t = new float[batchSize];
          float[] e = new float[numel];
          for (int i = 0; i < batchSize; i++) {
            int k = rng.nextInt(pool.size());
            prompts[i] = rng.nextDouble() < 0.1 ? "" : pool.prompts().get(k);
            t[i] = (float) (1 / (1 + Math.exp(-Seeds.gaussian(rng))));
            Seeds.fillGaussian(rng, e, 0, numel);
            float[] x0 = pool.originals()[k];
            for (int j = 0; j < numel; j++) xt[i * numel + j] = (1 - t[i]) * x0[j] + t[i] * e[j];
          }
          NDArray x = m.create(xt, new Shape(batchSize, c, size, size));
          NDArray teacher = original.velocity(x, t, original.encodeText(original.tokenize(m, prompts)), UnitMasks.NONE);
          try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            TextEncoding text = pruned.encodeText(pruned.tokenize(m, prompts));
            NDArray l = pruned.velocity(x, t, text, keepMasks).sub(teacher).square().mean();
            gc.backward(l);
            return l.getFloat();
          }
        });
        losses.add((float) loss);
        if (progress != null) progress.accept(step + 1);
      }
    } finally {
      pruned.params().setRequiresGradient(false);
    }
    return losses;
  }
}
