package dev.uniforget.sampling;

import dev.uniforget.nn.Seeds;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.TextEncoding;
import dev.uniforget.model.UnitMasks;
import dev.uniforget.nn.Layers;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Rectified-flow Euler sampler with classifier-free guidance. Time runs from t = 1 (noise) to
 * t = 0 (image) on a uniform grid of {@code steps}; v = v_u + w (v_c - v_u); x <- x - dt v.
 * Images are in [-1, 1]; conditional and unconditional halves run as one batch.
 */
public final class EulerSampler {
  private EulerSampler() {}

  /** Sampler settings; {@code guidance} 1 means no unconditional pass. */
  public record Settings(int steps, float guidance) {
    public Settings {
      if (steps <= 0) throw new IllegalArgumentException("steps must be > 0, found " + steps);
      if (!(guidance >= 0)) throw new IllegalArgumentException("guidance must be >= 0, found " + guidance);
    }
  }

  /** Time at grid point k of n (k = 0: t = 1). */
  public static float time(int k, int n) {
    return 1f - (float) k / n;
  }

  /** Encodes prompts for guided sampling: rows [cond..., uncond...] when guidance != 1. */
  public static TextEncoding encodeForGuidance(FlowModel model, NDManager m, List<String> prompts, float guidance) {
    return encode(model, m, prompts, guidance != 1f);
  }

  private static TextEncoding encode(FlowModel model, NDManager m, List<String> prompts, boolean withUnconditional) {
    String[] all = !withUnconditional ? prompts.toArray(new String[0]) : new String[prompts.size() * 2];
    if (withUnconditional) {
      for (int i = 0; i < prompts.size(); i++) {
        all[i] = prompts.get(i);
        all[prompts.size() + i] = "";
      }
    }
    return model.encodeText(model.tokenize(m, all));
  }

  /**
   * Sees the conditional and unconditional velocities (B, C, H, W) of every guided step, e.g.
   * for the text-conditional magnitude of Wen et al.; {@code firstImage} is the batch's offset.
   */
  public interface GuidanceObserver {
    void onGuidedStep(int firstImage, int k, NDArray vCond, NDArray vUncond);
  }

  /** Guided velocity at time t for a batch x (B, C, H, W) and its guidance encoding. */
  public static NDArray guidedVelocity(
      FlowModel model, NDArray x, float t, TextEncoding text, float guidance, UnitMasks masks) {
    return guidedVelocity(model, x, t, text, guidance, masks, null, 0, 0);
  }

  private static NDArray guidedVelocity(FlowModel model, NDArray x, float t, TextEncoding text, float guidance,
      UnitMasks masks, GuidanceObserver observer, int firstImage, int k) {
    long b = x.getShape().get(0);
    if (guidance == 1f && observer == null) return model.velocity(x, fill(b, t), text, masks);
    NDList v = model.velocity(x.concat(x, 0), fill(2 * b, t), text, masks).split(2, 0);
    if (observer != null) observer.onGuidedStep(firstImage, k, v.get(0), v.get(1));
    return v.get(1).add(Layers.scale(v.get(0).sub(v.get(1)), guidance));
  }

  /** One Euler step from grid point k to k+1. */
  public static NDArray step(
      FlowModel model, NDArray x, int k, Settings s, TextEncoding text, UnitMasks masks) {
    return step(model, x, k, s, text, masks, null, 0);
  }

  private static NDArray step(FlowModel model, NDArray x, int k, Settings s, TextEncoding text, UnitMasks masks,
      GuidanceObserver observer, int firstImage) {
    float t = time(k, s.steps()), dt = t - time(k + 1, s.steps());
    return x.sub(Layers.scale(guidedVelocity(model, x, t, text, s.guidance(), masks, observer, firstImage, k), dt));
  }

  /** Starting noise (B, C, H, W) for the given seeds. */
  public static NDArray noise(NDManager m, FlowModel model, long[] seeds) {
    int c = model.config().channels, s = model.config().imageSize, per = c * s * s;
    float[] data = new float[seeds.length * per];
    for (int i = 0; i < seeds.length; i++) System.arraycopy(Seeds.noise(seeds[i], per), 0, data, i * per, per);
    return m.create(data, new Shape(seeds.length, c, s, s));
  }

  /**
   * Samples one image per (prompt, seed) pair, in batches of at most {@code batchSize}; returns
   * images as flat arrays in [-1, 1] (C*H*W each). {@code progress} gets the count of finished
   * images after each batch.
   */
  public static float[][] sample(
      FlowModel model,
      NDManager parent,
      List<String> prompts,
      long[] seeds,
      Settings s,
      UnitMasks masks,
      int batchSize,
      IntConsumer progress) {
    return sample(model, parent, prompts, seeds, s, masks, batchSize, progress, null);
  }

  /**
   * Changes a batch's prompt encoding before sampling starts, given the starting noise (an
   * inference-time mitigation such as Wen et al.'s); {@code text} holds the rows [cond...;
   * uncond...] of a guided sampler. Returns the encoding to sample with (in {@code m}).
   */
  public interface PromptEdit {
    TextEncoding edit(FlowModel model, NDManager m, NDArray noise, TextEncoding text, Settings s);

    /** Its settings, as a provenance records them. */
    java.util.Map<String, Object> describe();

    /** What it did so far (e.g. its extra time per image), for a report. */
    default java.util.Map<String, Object> report() {
      return java.util.Map.of();
    }
  }

  /** As above; {@code observer} (if not null) sees both velocities of every step, guided or not. */
  public static float[][] sample(
      FlowModel model,
      NDManager parent,
      List<String> prompts,
      long[] seeds,
      Settings s,
      UnitMasks masks,
      int batchSize,
      IntConsumer progress,
      GuidanceObserver observer) {
    return sample(model, parent, prompts, seeds, s, masks, batchSize, progress, observer, null);
  }

  /** As above; {@code edit} (if not null) changes each batch's prompt encoding before the first step. */
  public static float[][] sample(
      FlowModel model,
      NDManager parent,
      List<String> prompts,
      long[] seeds,
      Settings s,
      UnitMasks masks,
      int batchSize,
      IntConsumer progress,
      GuidanceObserver observer,
      PromptEdit edit) {
    if (prompts.size() != seeds.length) {
      throw new IllegalArgumentException(prompts.size() + " prompts but " + seeds.length + " seeds");
    }
    return sample(model, parent, (m, from, to, withUnconditional) -> encode(model, m, prompts.subList(from, to), withUnconditional),
        seeds, s, masks, batchSize, progress, observer, edit);
  }

  /**
   * The conditioning of images [from, to) of a run, in {@code m}: their conditional rows, then
   * (when {@code withUnconditional}) as many rows of the empty prompt. Prompts give it through the
   * text encoder; an embedding attack gives learned rows ({@link #withUnconditional}).
   */
  public interface Conditioning {
    TextEncoding encode(NDManager m, int from, int to, boolean withUnconditional);
  }

  /** {@code cond} (B rows) followed by B rows of the empty prompt's encoding, for guided sampling. */
  public static TextEncoding withUnconditional(FlowModel model, TextEncoding cond) {
    NDManager m = cond.states().getManager();
    int b = (int) cond.states().getShape().get(0);
    String[] empty = new String[b];
    java.util.Arrays.fill(empty, "");
    TextEncoding u = model.encodeText(model.tokenize(m, empty));
    return new TextEncoding(cond.states().concat(u.states(), 0), cond.keyBias().concat(u.keyBias(), 0), cond.pooled().concat(u.pooled(), 0));
  }

  /** As above, for any {@link Conditioning}: one image per seed. */
  public static float[][] sample(
      FlowModel model,
      NDManager parent,
      Conditioning conditioning,
      long[] seeds,
      Settings s,
      UnitMasks masks,
      int batchSize,
      IntConsumer progress,
      GuidanceObserver observer,
      PromptEdit edit) {
    if (batchSize <= 0) throw new IllegalArgumentException("batch size must be > 0, found " + batchSize);
    int per = model.config().channels * model.config().imageSize * model.config().imageSize;
    float[][] out = new float[seeds.length][];
    for (int from = 0; from < seeds.length; from += batchSize) {
      int to = Math.min(seeds.length, from + batchSize);
      try (NDManager m = parent.newSubManager()) {
        TextEncoding text = conditioning.encode(m, from, to, s.guidance() != 1f || observer != null);
        NDArray x = noise(m, model, java.util.Arrays.copyOfRange(seeds, from, to));
        if (edit != null) text = edit.edit(model, m, x, text, s);
        for (int k = 0; k < s.steps(); k++) {
          NDArray next;
          try (NDManager stepScope = m.newSubManager()) {
            x.tempAttach(stepScope); // this step's intermediates land in stepScope
            next = step(model, x, k, s, text, masks, observer, from);
            next.attach(m);
          }
          x.close();
          x = next;
        }
        float[] flat = x.toFloatArray();
        for (int i = from; i < to; i++) {
          out[i] = java.util.Arrays.copyOfRange(flat, (i - from) * per, (i - from + 1) * per);
        }
      }
      if (progress != null) progress.accept(to);
    }
    return out;
  }

  private static float[] fill(long n, float t) {
    float[] a = new float[(int) n];
    java.util.Arrays.fill(a, t);
    return a;
  }

  /**
   * Samples {@code seeds} images per prompt (seeds {@code seedStart, seedStart + 1, ...}); rows of
   * images in [0, 1], one row per prompt. {@code progress} (may be null) gets the images done.
   */
  public static java.util.List<java.util.List<float[]>> rows(FlowModel model, NDManager root, java.util.List<String> prompts,
      int seeds, long seedStart, Settings s, int batchSize, java.util.function.IntConsumer progress) {
    return rows(model, root, prompts, seeds, seedStart, s, batchSize, progress, null);
  }

  /** As above, with {@code edit} (if not null) applied to every batch's prompt encoding (e.g. Wen's mitigation). */
  public static java.util.List<java.util.List<float[]>> rows(FlowModel model, NDManager root, java.util.List<String> prompts,
      int seeds, long seedStart, Settings s, int batchSize, java.util.function.IntConsumer progress, PromptEdit edit) {
    java.util.List<String> flatPrompts = new java.util.ArrayList<>();
    long[] flatSeeds = new long[prompts.size() * seeds];
    for (int i = 0; i < prompts.size(); i++) {
      for (int j = 0; j < seeds; j++) {
        flatPrompts.add(prompts.get(i));
        flatSeeds[i * seeds + j] = seedStart + j;
      }
    }
    float[][] imgs = sample(model, root, flatPrompts, flatSeeds, s, UnitMasks.NONE, batchSize, progress, null, edit);
    java.util.List<java.util.List<float[]>> rows = new java.util.ArrayList<>();
    for (int i = 0; i < prompts.size(); i++) {
      java.util.List<float[]> row = new java.util.ArrayList<>();
      for (int j = 0; j < seeds; j++) row.add(dev.uniforget.io.ImageGrid.toUnit(imgs[i * seeds + j]));
      rows.add(row);
    }
    return rows;
  }
}
