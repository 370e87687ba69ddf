package dev.uniforget.baselines;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.TextEncoding;
import dev.uniforget.model.UnitMasks;
import dev.uniforget.sampling.EulerSampler;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Wen et al. (ICLR 2024) inference-time mitigation, told nothing but a magnitude target: before
 * each generation, the prompt's encoding (the text token states and the pooled vector of the
 * conditional branch) is optimised at the first sampler step so that the text-conditional
 * magnitude ||v(x_T, c) - v(x_T, empty)||_2 of the starting noise x_T falls to {@code target}
 * (AdamW, lr 0.05, at most 10 iterations; each image stops on its own once it is there), then
 * the image is sampled as usual from the optimised encoding. It changes no weight and costs
 * extra work at every generation: {@link #stats} counts it.
 */
public final class WenMitigation implements EulerSampler.PromptEdit {
  public static final String METHOD = "wen";

  /** Settings; lr and iterations are the paper's, the target is the model's (see {@code calibrate}). */
  public static final class Options {
    /** Stop when an image's first-step magnitude is at most this. */
    public double target = Double.NaN;
    public float learningRate = 0.05f;
    public int iterations = 10;
    public float weightDecay = 0.01f;

    public void validate() {
      if (!(target > 0) || !Double.isFinite(target)) throw new IllegalArgumentException("--wen-target: expected a finite number > 0, found " + target);
      if (!(learningRate > 0)) throw new IllegalArgumentException("--wen-lr: expected > 0, found " + learningRate);
      if (iterations < 1) throw new IllegalArgumentException("--wen-iterations: expected >= 1, found " + iterations);
      if (!(weightDecay >= 0)) throw new IllegalArgumentException("--wen-weight-decay: expected >= 0, found " + weightDecay);
    }

    public Options copy() {
      Options c = new Options();
      c.target = target;
      c.learningRate = learningRate;
      c.iterations = iterations;
      c.weightDecay = weightDecay;
      return c;
    }

    /** The options as recorded in a provenance or a report. */
    public Map<String, Object> describe() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("method", METHOD);
      m.put("target", target);
      m.put("lr", learningRate);
      m.put("iterations", iterations);
      m.put("weight_decay", weightDecay);
      return m;
    }
  }

  /** What the mitigation did over all the images it saw. */
  public static final class Stats {
    public long images;
    public double seconds;
    public long iterations;
    public double magnitudeBefore;
    public double magnitudeAfter;
    public long reachedTarget;

    public Map<String, Object> describe() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("images", images);
      m.put("extra_seconds_per_image", images == 0 ? 0 : seconds / images);
      m.put("mean_iterations", images == 0 ? 0 : (double) iterations / images);
      m.put("mean_first_step_magnitude_before", images == 0 ? 0 : magnitudeBefore / images);
      m.put("mean_first_step_magnitude_after", images == 0 ? 0 : magnitudeAfter / images);
      m.put("share_reaching_target", images == 0 ? 0 : (double) reachedTarget / images);
      return m;
    }
  }

  private final Options o;
  private final Stats stats = new Stats();

  public WenMitigation(Options o) {
    o.validate();
    this.o = o;
  }

  public Stats stats() {
    return stats;
  }

  @Override
  public Map<String, Object> describe() {
    return o.describe();
  }

  @Override
  public Map<String, Object> report() {
    return stats.describe();
  }

  @Override
  public TextEncoding edit(FlowModel model, NDManager m, NDArray noise, TextEncoding text, EulerSampler.Settings s) {
    if (s.guidance() == 1f) throw new IllegalArgumentException("Wen's mitigation needs guided sampling (the unconditional branch)");
    long t0 = System.nanoTime();
    int b = (int) noise.getShape().get(0);
    NDArray keyBias = text.keyBias().get("0:" + b);
    Shape statesShape = text.states().get("0:" + b).getShape(), pooledShape = text.pooled().get("0:" + b).getShape();
    float[] states = text.states().get("0:" + b).toFloatArray(), pooled = text.pooled().get("0:" + b).toFloatArray();
    float[] t = new float[b];
    java.util.Arrays.fill(t, 1f); // the first sampler step: x_T at t = 1
    NDArray vUncond = model.velocity(noise, t, new TextEncoding(text.states().get(b + ":"), text.keyBias().get(b + ":"),
        text.pooled().get(b + ":")), UnitMasks.NONE);
    float[][] moments = {new float[states.length], new float[states.length], new float[pooled.length], new float[pooled.length]};
    boolean[] active = new boolean[b];
    java.util.Arrays.fill(active, true);
    double[] first = null, last = null;
    int steps = 0;
    for (int it = 0; it <= o.iterations; it++) {
      try (NDManager sm = m.newSubManager()) {
        noise.tempAttach(sm); // this iteration's intermediates land in sm (back to m when it closes)
        NDArray es = sm.create(states, statesShape), ep = sm.create(pooled, pooledShape);
        es.setRequiresGradient(true);
        ep.setRequiresGradient(true);
        double[] mag = new double[b];
        float[] gs, gp;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          NDArray vc = model.velocity(noise, t, new TextEncoding(es, keyBias, ep), UnitMasks.NONE);
          NDArray perImage = vc.sub(vUncond).square().sum(new int[] {1, 2, 3}).add(1e-12f).sqrt(); // (B)
          float[] pm = perImage.toFloatArray();
          float[] w = new float[b];
          for (int i = 0; i < b; i++) {
            mag[i] = pm[i];
            if (mag[i] <= o.target) active[i] = false;
            w[i] = active[i] ? 1f : 0f;
          }
          if (first == null) first = mag.clone();
          last = mag;
          boolean any = false;
          for (boolean a : active) any |= a;
          if (!any || it == o.iterations) break;
          gc.backward(perImage.mul(sm.create(w)).sum());
          gs = es.getGradient().toFloatArray();
          gp = ep.getGradient().toFloatArray();
        }
        steps++;
        adamw(states, gs, moments[0], moments[1], active, states.length / b, steps);
        adamw(pooled, gp, moments[2], moments[3], active, pooled.length / b, steps);
        for (int i = 0; i < b; i++) if (active[i]) stats.iterations++;
      }
    }
    stats.images += b;
    for (int i = 0; i < b; i++) {
      stats.magnitudeBefore += first[i];
      stats.magnitudeAfter += last[i];
      if (last[i] <= o.target) stats.reachedTarget++;
    }
    NDArray newStates = m.create(states, statesShape).concat(text.states().get(b + ":"), 0);
    NDArray newPooled = m.create(pooled, pooledShape).concat(text.pooled().get(b + ":"), 0);
    stats.seconds += (System.nanoTime() - t0) / 1e9;
    return new TextEncoding(newStates, text.keyBias(), newPooled);
  }

  /**
   * The mitigation a {@code --wen-target} option asks for: a number, or {@code neutral} (this
   * model's mean first-step magnitude over {@code neutral}, 4 seeds each, said on stderr).
   */
  public static WenMitigation fromOption(String target, Path modelDir, List<String> neutral, int iterations, float lr) throws java.io.IOException {
    Options w = new Options();
    w.iterations = iterations;
    w.learningRate = lr;
    if (target.equals("neutral")) {
      w.target = neutralMagnitude(modelDir, neutral, 4);
      System.err.printf(java.util.Locale.ROOT, "wen target: %.4f, the mean first-step magnitude of %d neutral prompts x 4 seeds%n",
          w.target, neutral.size());
    } else {
      try {
        w.target = Double.parseDouble(target);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--wen-target: expected a number or 'neutral', found '" + target + "'");
      }
    }
    return new WenMitigation(w);
  }

  /**
   * The mean first-step text-conditional magnitude ||v(x_T, c) - v(x_T, empty)||_2 of
   * {@code prompts} x {@code seeds} starting noises (seeds 0..): a target the model itself
   * sets, what ordinary prompts give.
   */
  public static double neutralMagnitude(java.nio.file.Path modelDir, java.util.List<String> prompts, int seeds) throws java.io.IOException {
    if (prompts.isEmpty()) throw new IllegalArgumentException("no neutral prompts to set the target from");
    try (NDManager root = NDManager.newBaseManager(); FlowModel model = dev.uniforget.model.ModelDir.load(modelDir, root)) {
      double sum = 0;
      long n = 0;
      java.util.List<String> all = new java.util.ArrayList<>();
      java.util.List<Long> allSeeds = new java.util.ArrayList<>();
      for (String p : prompts) for (int s = 0; s < seeds; s++) {
        all.add(p);
        allSeeds.add((long) s);
      }
      for (int from = 0; from < all.size(); from += 64) {
        int to = Math.min(all.size(), from + 64), b = to - from;
        try (NDManager m = root.newSubManager()) {
          TextEncoding text = EulerSampler.encodeForGuidance(model, m, all.subList(from, to), 2f);
          NDArray x = EulerSampler.noise(m, model, allSeeds.subList(from, to).stream().mapToLong(Long::longValue).toArray());
          float[] t = new float[2 * b];
          java.util.Arrays.fill(t, 1f);
          NDArray v = model.velocity(x.concat(x, 0), t, text, UnitMasks.NONE);
          float[] mag = v.get("0:" + b).sub(v.get(b + ":")).square().sum(new int[] {1, 2, 3}).sqrt().toFloatArray();
          for (float f : mag) sum += f;
          n += b;
        }
      }
      return sum / n;
    }
  }

  /** One AdamW step on the rows (images) still active; {@code per} values per image. */
  private void adamw(float[] p, float[] g, float[] m1, float[] m2, boolean[] active, int per, int step) {
    float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
    double c1 = 1 - Math.pow(b1, step), c2 = 1 - Math.pow(b2, step);
    for (int i = 0; i < p.length; i++) {
      if (!active[i / per]) continue;
      m1[i] = b1 * m1[i] + (1 - b1) * g[i];
      m2[i] = b2 * m2[i] + (1 - b2) * g[i] * g[i];
      p[i] -= o.learningRate * (float) (o.weightDecay * p[i] + (m1[i] / c1) / (Math.sqrt(m2[i] / c2) + eps));
    }
  }
}
