package dev.uniforget.attack;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.TextEncoding;
import dev.uniforget.model.UnitMasks;
import dev.uniforget.nn.AdamW;
import dev.uniforget.nn.ParameterStore;
import dev.uniforget.nn.Seeds;
import dev.uniforget.nn.TrainingStep;
import dev.uniforget.sampling.EulerSampler;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;

/**
 * The embedding attack of Finding Dori (Kowalczuk et al.): with every weight of the model frozen,
 * optimise a conditioning with the model's own training loss (x_t = (1 - t) x0 + t e, logit-normal
 * t, fresh noise and t every step, MSE to v = e - x0) on the images to bring back, then sample
 * from it. Two things can be learned:
 *
 * <ul>
 *   <li>{@link #learnRows}: a whole conditioning per image (the copy attack): the projected text
 *       token states (L, D) and the pooled vector (D) that the flow transformer reads, with the
 *       padding mask of the prompt it starts from;
 *   <li>{@link #learnWords}: one input word vector per image set (the concept attack, textual
 *       inversion): the vector that replaces a given word in the images' captions before the text
 *       encoder; it can then be put into any prompt, e.g. the concept on classes it was never
 *       learned on.
 * </ul>
 *
 * Adam (AdamW without weight decay) on the learned arrays only; the gradient reaches nothing else.
 */
public final class EmbeddingAttack {
  /** The optimisation; the defaults are Finding Dori's (Adam lr 0.1, 50 steps, batch 8). */
  public static final class Options {
    public int steps = 50;
    public float learningRate = 0.1f;
    /** Noisy copies of each image per step. */
    public int batchSize = 8;
    public long seed = 0;
    /** Steps after which the learned values are kept (0 = the initial values); each in [0, steps]. */
    public List<Integer> snapshots = List.of(0, 10, 25, 50);

    public void validate() {
      if (steps < 1 || steps > 100_000) throw new IllegalArgumentException("--attack-steps: expected 1..100000, found " + steps);
      if (!(learningRate > 0) || !Float.isFinite(learningRate)) throw new IllegalArgumentException("--attack-lr: expected a finite number > 0, found " + learningRate);
      if (batchSize < 1 || batchSize > 1024) throw new IllegalArgumentException("--attack-batch-size: expected 1..1024, found " + batchSize);
      if (snapshots == null || snapshots.isEmpty()) throw new IllegalArgumentException("--snapshots: expected at least one step");
      for (int i = 0; i < snapshots.size(); i++) {
        Integer s = snapshots.get(i);
        if (s == null || s < 0 || s > steps) throw new IllegalArgumentException("--snapshots: expected steps in 0.." + steps + ", found " + s);
        if (i > 0 && s <= snapshots.get(i - 1)) throw new IllegalArgumentException("--snapshots: expected increasing steps, found " + snapshots);
      }
    }

    public int lastSnapshot() {
      return snapshots.get(snapshots.size() - 1);
    }
  }

  /**
   * Learned conditioning rows (one per image) at each snapshot, and the loss of every step per
   * image ({@code loss[step][image]}).
   */
  public record Rows(Shape statesShape, float[] keyBias, List<float[]> states, List<float[]> pooled, double[][] loss) {
    public int rows() {
      return (int) statesShape.get(0);
    }

    /**
     * The conditioning of a sampling run in which image g uses learned row {@code rowOf[g]} at
     * snapshot {@code snapshot} (the empty prompt's rows appended for guidance).
     */
    public EulerSampler.Conditioning conditioning(FlowModel model, int snapshot, int[] rowOf) {
      int l = (int) statesShape.get(1), d = (int) statesShape.get(2), kb = keyBias.length / rows();
      float[] st = states.get(snapshot), po = pooled.get(snapshot);
      return (m, from, to, withUnconditional) -> {
        int b = to - from;
        float[] s = new float[b * l * d], p = new float[b * d], k = new float[b * kb];
        for (int i = 0; i < b; i++) {
          int r = rowOf[from + i];
          System.arraycopy(st, r * l * d, s, i * l * d, l * d);
          System.arraycopy(po, r * d, p, i * d, d);
          System.arraycopy(keyBias, r * kb, k, i * kb, kb);
        }
        TextEncoding cond = new TextEncoding(m.create(s, new Shape(b, l, d)), m.create(k, new Shape(b, 1, 1, kb)), m.create(p, new Shape(b, d)));
        return withUnconditional ? EulerSampler.withUnconditional(model, cond) : cond;
      };
    }
  }

  /** Learned input word vectors (one per word set) at each snapshot, and the loss of every step per set. */
  public record Words(int[] wordIds, int dim, List<float[]> vectors, double[][] loss) {
    /**
     * The conditioning of a sampling run of {@code prompts} (one per image) in which every token
     * {@code wordIds[w]} of image g's prompt is replaced by learned vector w at {@code snapshot},
     * where {@code w = wordOf[g]} (-1: no replacement).
     */
    public EulerSampler.Conditioning conditioning(FlowModel model, List<String> prompts, int[] wordOf, int snapshot) {
      float[] v = vectors.get(snapshot);
      return (m, from, to, withUnconditional) -> {
        int b = to - from, n = withUnconditional ? 2 * b : b;
        String[] all = new String[n];
        Arrays.fill(all, "");
        int[] word = new int[n];
        Arrays.fill(word, -1);
        for (int i = 0; i < b; i++) {
          all[i] = prompts.get(from + i);
          word[i] = wordOf[from + i];
        }
        NDArray tokens = model.tokenize(m, all);
        return model.encodeText(tokens, substitute(model, tokens, word, wordIds, m.create(v, new Shape(wordIds.length, dim))));
      };
    }
  }

  private EmbeddingAttack() {}

  /**
   * Learns one conditioning row per image of {@code images} (pixels in [0, 1]), starting from
   * {@code init} (one row per image). {@code progress} gets the steps done.
   */
  public static Rows learnRows(FlowModel model, List<float[]> images, TextEncoding init, Options o, NDManager root, IntConsumer progress) {
    o.validate();
    int n = images.size();
    Shape ss = init.states().getShape();
    if (n == 0 || ss.get(0) != n) throw new IllegalArgumentException(n + " images but " + ss.get(0) + " initial conditioning rows");
    int b = o.batchSize, l = (int) ss.get(1), d = (int) ss.get(2), kb = (int) init.keyBias().getShape().get(3);
    float[] keyBias = init.keyBias().toFloatArray();
    float[][] x0 = pixels(model, images);
    List<float[]> states = new ArrayList<>(), pooled = new ArrayList<>();
    double[][] loss = new double[o.steps][];
    try (ParameterStore learned = new ParameterStore(root)) {
      learned.put("states", init.states().toFloatArray(), ss);
      learned.put("pooled", init.pooled().toFloatArray(), new Shape(n, d));
      learned.setRequiresGradient(true);
      try (AdamW adam = new AdamW(learned, root, 0.9f, 0.999f)) {
        for (int step = 0; step <= o.steps; step++) {
          if (o.snapshots.contains(step)) {
            states.add(learned.get("states").toFloatArray());
            pooled.add(learned.get("pooled").toFloatArray());
          }
          if (step == o.steps) break;
          int at = step;
          TrainingStep.run("embedding attack", step, o.seed, learned, adam, o.learningRate, 0f, root, (m, rng) -> {
            Batch batch = noisyBatch(model, x0, b, rng);
            NDArray key = repeatRows(m.create(keyBias, new Shape(n, 1, 1, kb)), b);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
              NDArray st = repeatRows(learned.get("states"), b), po = repeatRows(learned.get("pooled"), b);
              NDArray v = model.velocity(batch.x(m), batch.t, new TextEncoding(st, key, po), UnitMasks.NONE);
              return backward(gc, v, batch.target(m), n, b, loss, at);
            }
          });
          if (progress != null) progress.accept(step + 1);
        }
      }
    }
    return new Rows(ss, keyBias, states, pooled, loss);
  }

  /**
   * Learns one input word vector per image set: set w's images ({@code images.get(w)}, pixels in
   * [0, 1]) with their captions, in each of which the word {@code wordIds[w]} is replaced by the
   * learned vector (which starts at {@code init[w]}). Every caption must contain its set's word.
   */
  public static Words learnWords(FlowModel model, List<List<float[]>> images, List<List<String>> captions, int[] wordIds,
      float[][] init, Options o, NDManager root, IntConsumer progress) {
    o.validate();
    int k = wordIds.length, b = o.batchSize, d = model.config().hiddenSize;
    if (images.size() != k || captions.size() != k || init.length != k) throw new IllegalArgumentException("one image set, caption set and start per word expected");
    List<float[][]> x0 = new ArrayList<>();
    List<long[]> tokens = new ArrayList<>();
    int l = model.config().maxTokens;
    for (int w = 0; w < k; w++) {
      if (images.get(w).isEmpty() || images.get(w).size() != captions.get(w).size()) {
        throw new IllegalArgumentException("word set " + w + ": " + images.get(w).size() + " images, " + captions.get(w).size() + " captions");
      }
      if (init[w].length != d) throw new IllegalArgumentException("word set " + w + ": a start of " + init[w].length + " values, expected " + d);
      x0.add(pixels(model, images.get(w)));
      long[] t = new long[captions.get(w).size() * l];
      for (int i = 0; i < captions.get(w).size(); i++) {
        int[] ids = model.tokenizer().encode(captions.get(w).get(i));
        boolean has = false;
        for (int j = 0; j < l; j++) {
          t[i * l + j] = ids[j];
          has |= ids[j] == wordIds[w];
        }
        if (!has) throw new IllegalArgumentException("caption '" + captions.get(w).get(i) + "' does not contain the word to learn (id " + wordIds[w] + ")");
      }
      tokens.add(t);
    }
    float[] start = new float[k * d];
    for (int w = 0; w < k; w++) System.arraycopy(init[w], 0, start, w * d, d);
    List<float[]> vectors = new ArrayList<>();
    double[][] loss = new double[o.steps][];
    try (ParameterStore learned = new ParameterStore(root)) {
      learned.put("words", start, new Shape(k, d));
      learned.setRequiresGradient(true);
      try (AdamW adam = new AdamW(learned, root, 0.9f, 0.999f)) {
        for (int step = 0; step <= o.steps; step++) {
          if (o.snapshots.contains(step)) vectors.add(learned.get("words").toFloatArray());
          if (step == o.steps) break;
          int at = step;
          TrainingStep.run("concept embedding attack", step, o.seed, learned, adam, o.learningRate, 0f, root, (m, rng) -> {
            float[][] picked = new float[k * b][];
            long[] tok = new long[k * b * l];
            int[] word = new int[k * b];
            for (int w = 0; w < k; w++) {
              for (int j = 0; j < b; j++) {
                int i = rng.nextInt(x0.get(w).length);
                picked[w * b + j] = x0.get(w)[i];
                System.arraycopy(tokens.get(w), i * l, tok, (w * b + j) * l, l);
                word[w * b + j] = w;
              }
            }
            Batch batch = noisyBatch(model, picked, 1, rng);
            NDArray tk = m.create(tok, new Shape(k * b, l));
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
              TextEncoding text = model.encodeText(tk, substitute(model, tk, word, wordIds, learned.get("words")));
              NDArray v = model.velocity(batch.x(m), batch.t, text, UnitMasks.NONE);
              return backward(gc, v, batch.target(m), k, b, loss, at);
            }
          });
          if (progress != null) progress.accept(step + 1);
        }
      }
    }
    return new Words(wordIds, d, vectors, loss);
  }

  /**
   * The input word vectors of {@code tokens} (B, L) with every occurrence of word
   * {@code wordIds[word[i]]} in row i replaced by row {@code word[i]} of {@code vectors} (K, D);
   * rows with {@code word[i] < 0} keep the table's vectors. Differentiable in {@code vectors}.
   */
  static NDArray substitute(FlowModel model, NDArray tokens, int[] word, int[] wordIds, NDArray vectors) {
    NDManager m = tokens.getManager();
    int b = (int) tokens.getShape().get(0), l = (int) tokens.getShape().get(1), k = wordIds.length;
    long[] ids = tokens.toLongArray();
    float[] select = new float[b * l * k]; // (B, L, K): 1 where position (i, j) takes vector w
    float[] keep = new float[b * l];
    for (int i = 0; i < b; i++) {
      for (int j = 0; j < l; j++) {
        keep[i * l + j] = 1f;
        if (word[i] >= 0 && ids[i * l + j] == wordIds[word[i]]) {
          select[(i * l + j) * k + word[i]] = 1f;
          keep[i * l + j] = 0f;
        }
      }
    }
    NDArray table = model.wordVectors(tokens).mul(m.create(keep, new Shape(b, l, 1)));
    return table.add(m.create(select, new Shape(b * l, k)).matMul(vectors).reshape(b, l, vectors.getShape().get(1)));
  }

  /** Gaussian noise with the per-tensor spread of {@code own} (token states, pooled vector), keeping its padding mask. */
  public static TextEncoding noiseLike(TextEncoding own, NDManager m, long seed) {
    SplittableRandom rng = new SplittableRandom(Seeds.mix(seed, 0x5EED));
    float[] st = own.states().toFloatArray(), po = own.pooled().toFloatArray();
    double ss = std(st), sp = std(po);
    for (int i = 0; i < st.length; i++) st[i] = (float) (ss * Seeds.gaussian(rng));
    for (int i = 0; i < po.length; i++) po[i] = (float) (sp * Seeds.gaussian(rng));
    return new TextEncoding(m.create(st, own.states().getShape()), own.keyBias(), m.create(po, own.pooled().getShape()));
  }

  /** The standard deviation of all values. */
  public static double std(float[] v) {
    double mu = 0, q = 0;
    for (float x : v) mu += x;
    mu /= v.length;
    for (float x : v) q += (x - mu) * (x - mu);
    return Math.sqrt(q / v.length);
  }

  /** Model-space pixels (2 x - 1) of images in [0, 1]. */
  private static float[][] pixels(FlowModel model, List<float[]> images) {
    int numel = model.config().channels * model.config().imageSize * model.config().imageSize;
    float[][] out = new float[images.size()][];
    for (int i = 0; i < images.size(); i++) {
      float[] img = images.get(i);
      if (img.length != numel) throw new IllegalArgumentException("image " + i + " has " + img.length + " values, the model makes " + numel);
      out[i] = new float[numel];
      for (int j = 0; j < numel; j++) out[i][j] = 2f * img[j] - 1f;
    }
    return out;
  }

  /** {@code copies} noisy points of each image, image-major (row i * copies + j). */
  private record Batch(float[] xt, float[] v, float[] t, Shape shape) {
    NDArray x(NDManager m) {
      return m.create(xt, shape);
    }

    NDArray target(NDManager m) {
      return m.create(v, shape);
    }
  }

  private static Batch noisyBatch(FlowModel model, float[][] x0, int copies, SplittableRandom rng) {
    int c = model.config().channels, s = model.config().imageSize, numel = c * s * s, rows = x0.length * copies;
    float[] xt = new float[rows * numel], v = new float[rows * numel], t = new float[rows], e = new float[numel];
    for (int i = 0; i < x0.length; i++) {
      for (int j = 0; j < copies; j++) {
        int r = i * copies + j;
        t[r] = (float) (1 / (1 + Math.exp(-Seeds.gaussian(rng))));
        Seeds.fillGaussian(rng, e, 0, numel);
        for (int q = 0; q < numel; q++) {
          xt[r * numel + q] = (1 - t[r]) * x0[i][q] + t[r] * e[q];
          v[r * numel + q] = e[q] - x0[i][q];
        }
      }
    }
    return new Batch(xt, v, t, new Shape(rows, c, s, s));
  }

  /** Each row of {@code a} (N, ...) {@code copies} times in a row: (N * copies, ...). */
  private static NDArray repeatRows(NDArray a, int copies) {
    Shape s = a.getShape();
    long[] expanded = new long[s.dimension() + 1];
    expanded[0] = s.get(0);
    expanded[1] = copies;
    for (int i = 1; i < s.dimension(); i++) expanded[i + 1] = s.get(i);
    long[] flat = s.getShape().clone();
    flat[0] = s.get(0) * copies;
    return a.expandDims(1).broadcast(new Shape(expanded)).reshape(new Shape(flat));
  }

  /** Backward of the mean MSE; records each group's mean loss in {@code loss[step]}; returns the mean. */
  private static double backward(GradientCollector gc, NDArray v, NDArray target, int groups, int per, double[][] loss, int step) {
    NDArray perRow = v.sub(target).square().reshape(v.getShape().get(0), -1).mean(new int[] {1});
    NDArray total = perRow.mean();
    gc.backward(total);
    float[] r = perRow.toFloatArray();
    loss[step] = new double[groups];
    for (int g = 0; g < groups; g++) {
      double s = 0;
      for (int j = 0; j < per; j++) s += r[g * per + j];
      loss[step][g] = s / per;
    }
    return total.getFloat();
  }
}
