package dev.uniforget.nn;

import ai.djl.ndarray.NDManager;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * One optimisation step, the same skeleton for every trainer (the flow model, the audit's
 * classifiers and copy descriptor, UniForget's mask logits, the retraining distillation):
 *
 * <ol>
 *   <li>a random stream of its own, seeded by (seed, step), so a run resumed at any step draws
 *       exactly what an uninterrupted run draws;
 *   <li>a sub-manager of the caller's manager for every temporary of the step (closed after it);
 *   <li>the body computes the loss and leaves the gradients on the parameters;
 *   <li>one policy for a non-finite loss: no update is made and the step fails with a
 *       {@link Diverged} naming what was trained, the loss and the step (the caller decides what
 *       to keep, e.g. the last good checkpoint);
 *   <li>otherwise an AdamW update, then the optional {@code after} hook (e.g. an EMA), still
 *       inside the step's manager.
 * </ol>
 */
public final class TrainingStep {
  /** Computes the loss of step's batch and its gradients; every array it makes belongs to {@code m}. */
  public interface Body {
    double lossAndGradients(NDManager m, SplittableRandom rng);
  }

  /** A non-finite loss: training cannot go on from here. */
  public static final class Diverged extends IllegalStateException {
    public final int step;
    public final double loss;

    Diverged(String what, int step, double loss) {
      super(what + " diverged: loss " + loss + " at step " + (step + 1));
      this.step = step;
      this.loss = loss;
    }
  }

  private TrainingStep() {}

  /** The random stream of step {@code step} of a run seeded {@code seed}. */
  public static SplittableRandom random(long seed, int step) {
    return new SplittableRandom(Seeds.mix(seed, step));
  }

  /** Runs step {@code step} (0-based); returns its loss. See the class comment. */
  public static double run(String what, int step, long seed, ParameterStore params, AdamW adam, float learningRate,
      float weightDecay, NDManager root, Body body, Consumer<NDManager> after) {
    try (NDManager m = root.newSubManager()) {
      double loss = body.lossAndGradients(m, random(seed, step));
      if (!Double.isFinite(loss)) throw new Diverged(what, step, loss);
      adam.step(params, learningRate, weightDecay, m);
      if (after != null) after.accept(m);
      return loss;
    }
  }

  /** {@link #run} without an after-update hook. */
  public static double run(String what, int step, long seed, ParameterStore params, AdamW adam, float learningRate,
      float weightDecay, NDManager root, Body body) {
    return run(what, step, seed, params, adam, learningRate, weightDecay, root, body, null);
  }
}
