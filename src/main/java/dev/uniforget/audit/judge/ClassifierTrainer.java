package dev.uniforget.audit.judge;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.uniforget.nn.Layers;
import dev.uniforget.nn.TrainingStep;
import dev.uniforget.nn.Seeds;
import dev.uniforget.nn.AdamW;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;

/**
 * Trains the audit's two classifiers from a lab's own labelled images, and measures them on the
 * lab's held-out images (never trained on):
 *
 * <ul>
 *   <li>{@link #trainQuality the quality network}: softmax over the lab's classes on CLEAN
 *       training images only (no degraded examples: features taught to look past pruning damage
 *       would make a pruned model's FID and alignment look better than they are); measured by
 *       class accuracy on held-out images.
 *   <li>{@link #trainConcepts the concept detector}: a sigmoid per concept. Positives: training
 *       images that carry the concept (a third mildly degraded); negatives: training images that
 *       carry none, the same heavily degraded, with an occluder (a patch of colour is not a logo),
 *       and pure artefact images (the families heavily pruned generators produce). Measured by
 *       recall on held-out concept images (clean and degraded) and false alarms on held-out plain
 *       images (clean and degraded).
 * </ul>
 *
 * Every step's batch is drawn from a generator seeded by (seed, step); a non-finite loss stops
 * training with an error naming the step.
 */
public final class ClassifierTrainer {
  /** Training options (one set for both roles). */
  public static final class Options {
    public int steps = 2000;
    public int batchSize = 128;
    public float learningRate = 2e-3f;
    public float weightDecay = 1e-4f;
    public int warmupSteps = 50;
    public int width = 32;
    public int featureDim = 128;
    public long seed = 0;
    /** Held-out images used per evaluation set (0 = all). */
    public int evalImages = 0;

    public void validate() {
      check(steps >= 1, "steps", ">= 1", steps);
      check(batchSize >= 2, "batch-size", ">= 2", batchSize);
      check(learningRate > 0 && Float.isFinite(learningRate), "learning-rate", "> 0", learningRate);
      check(weightDecay >= 0, "weight-decay", ">= 0", weightDecay);
      check(warmupSteps >= 0, "warmup-steps", ">= 0", warmupSteps);
      check(evalImages >= 0, "eval-images", ">= 0", evalImages);
    }

    float learningRateAt(int step) {
      return AdamW.warmupCosine(learningRate, warmupSteps, steps, step, 0.05);
    }

    private static void check(boolean ok, String option, String expected, Object found) {
      if (!ok) throw new IllegalArgumentException("--" + option + ": expected " + expected + ", found " + found);
    }
  }

  /** A labelled image: its pixels, class index (-1 = none) and the indices of the concepts it carries. */
  public record LabelledImage(float[] pixels, int classIndex, int[] concepts) {}

  /** One training example: the pixels the network sees and its target (one-hot class, or 0/1 per concept). */
  record Example(float[] pixels, float[] target) {}

  /** The example generator of a training run: each step draws its batch from it with that step's generator. */
  interface Examples {
    Example next(SplittableRandom rng);
  }

  /**
   * The quality network's examples: a labelled training image as it is (the very array, never a
   * degraded copy) with its one-hot class.
   */
  static Examples qualityExamples(List<LabelledImage> labelled, int classes) {
    return rng -> {
      LabelledImage x = labelled.get(rng.nextInt(labelled.size()));
      float[] t = new float[classes];
      t[x.classIndex()] = 1;
      return new Example(x.pixels(), t);
    };
  }

  /** The concept detector's examples (see the class comment for the mixture). */
  static Examples conceptExamples(List<LabelledImage> pos, List<LabelledImage> plain, int concepts, int imageSize, int channels) {
    Degradations.Kind[] kinds = Degradations.Kind.values();
    return rng -> {
      double u = rng.nextDouble();
      float[] t = new float[concepts];
      if (u < 0.35) {
        LabelledImage x = pos.get(rng.nextInt(pos.size()));
        for (int ci : x.concepts()) t[ci] = 1;
        float[] px = rng.nextInt(3) == 0 ? Degradations.mild(x.pixels(), imageSize, rng) : x.pixels();
        return new Example(px, t);
      }
      float[] px = plain.get(rng.nextInt(plain.size())).pixels();
      if (u < 0.65) return new Example(px, t);
      if (u < 0.80) return new Example(Degradations.randomDegradation(px, imageSize, rng), t);
      if (u < 0.90) return new Example(Degradations.occlude(px, imageSize, rng), t);
      return new Example(Degradations.artefactImage(kinds[rng.nextInt(kinds.length)], imageSize, channels, rng), t);
    };
  }

  private ClassifierTrainer() {}

  /**
   * The quality network on the labelled images of {@code training} (clean only), measured on the
   * labelled images of {@code heldout}.
   */
  public static Classifier trainQuality(List<String> classes, int imageSize, int channels, List<LabelledImage> training,
      List<LabelledImage> heldout, Options o, NDManager root, IntConsumer progress) {
    List<LabelledImage> labelled = training.stream().filter(x -> x.classIndex() >= 0).toList();
    if (labelled.isEmpty()) throw new IllegalArgumentException("no training image has a class label: the quality network learns from labels");
    ClassifierConfig c = config(ClassifierConfig.QUALITY, classes, imageSize, channels, o);
    requireSizes(training, channels * imageSize * imageSize, classes.size(), -1);
    c.training.put("data", labelled.size() + " clean labelled training images of the lab (no degraded examples)");
    Classifier net = train(c, qualityExamples(labelled, classes.size()), o, root, progress);
    List<LabelledImage> eval = limit(heldout.stream().filter(x -> x.classIndex() >= 0).toList(), o.evalImages);
    float[][] p = net.probabilities(eval.stream().map(LabelledImage::pixels).toList());
    int correct = 0;
    for (int i = 0; i < p.length; i++) if (argMax(p[i]) == eval.get(i).classIndex()) correct++;
    c.metrics.put("heldout_images", eval.size());
    c.metrics.put("heldout_class_accuracy", eval.isEmpty() ? Double.NaN : (double) correct / eval.size());
    return net;
  }

  /** The concept detector on {@code training}, measured on {@code heldout} (see the class comment). */
  public static Classifier trainConcepts(List<String> concepts, int imageSize, int channels, List<LabelledImage> training,
      List<LabelledImage> heldout, Options o, NDManager root, IntConsumer progress) {
    if (concepts.isEmpty()) throw new IllegalArgumentException("the lab has no concepts to detect");
    List<LabelledImage> pos = training.stream().filter(x -> x.concepts().length > 0).toList();
    List<LabelledImage> plain = training.stream().filter(x -> x.concepts().length == 0).toList();
    if (pos.isEmpty()) throw new IllegalArgumentException("no training image carries a concept");
    if (plain.isEmpty()) throw new IllegalArgumentException("every training image carries a concept: the detector needs plain negatives");
    ClassifierConfig c = config(ClassifierConfig.CONCEPTS, concepts, imageSize, channels, o);
    requireSizes(training, channels * imageSize * imageSize, -1, concepts.size());
    c.training.put("data", pos.size() + " concept images (35%, a third mildly degraded), " + plain.size()
        + " plain images: clean 30%, heavily degraded 15%, occluded 10%; pure artefact images 10%");
    Classifier net = train(c, conceptExamples(pos, plain, concepts.size(), imageSize, channels), o, root, progress);
    c.metrics.putAll(evaluateConcepts(net, heldout, o));
    return net;
  }

  /**
   * Held-out measurements of a concept detector: per concept, recall on the held-out images that
   * carry it (clean, mildly degraded, and per heavy degradation kind); false alarms (any concept
   * above 0.5) on plain held-out images, clean and per degradation kind, and on pure artefacts.
   */
  public static Map<String, Object> evaluateConcepts(Classifier net, List<LabelledImage> heldout, Options o) {
    int size = net.config().imageSize, ch = net.config().channels;
    List<String> concepts = net.labels();
    SplittableRandom rng = new SplittableRandom(Seeds.mix(o.seed ^ 0xE7A1, 1));
    Map<String, Object> m = new LinkedHashMap<>();
    Degradations.Kind[] kinds = Degradations.Kind.values();
    Map<String, Object> recall = new LinkedHashMap<>();
    for (int ci = 0; ci < concepts.size(); ci++) {
      final int cc = ci;
      List<float[]> imgs = limit(heldout.stream().filter(x -> contains(x.concepts(), cc)).toList(), o.evalImages)
          .stream().map(LabelledImage::pixels).toList();
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("images", imgs.size());
      r.put("clean", rate(net, imgs, ci));
      List<float[]> mild = new ArrayList<>();
      for (float[] x : imgs) mild.add(Degradations.mild(x, size, rng));
      r.put("mild", rate(net, mild, ci));
      for (Degradations.Kind kind : kinds) {
        List<float[]> d = new ArrayList<>();
        for (float[] x : imgs) d.add(Degradations.degrade(x, size, kind, rng));
        r.put(kind.name().toLowerCase(java.util.Locale.ROOT), rate(net, d, ci));
      }
      recall.put(concepts.get(ci), r);
    }
    m.put("heldout_recall", recall);
    List<float[]> plain = limit(heldout.stream().filter(x -> x.concepts().length == 0).toList(), o.evalImages)
        .stream().map(LabelledImage::pixels).toList();
    Map<String, Object> fa = new LinkedHashMap<>();
    fa.put("images", plain.size());
    fa.put("clean", rate(net, plain, -1));
    for (Degradations.Kind kind : kinds) {
      List<float[]> d = new ArrayList<>();
      for (float[] x : plain) d.add(Degradations.degrade(x, size, kind, rng));
      fa.put(kind.name().toLowerCase(java.util.Locale.ROOT), rate(net, d, -1));
    }
    List<float[]> occ = new ArrayList<>(), art = new ArrayList<>();
    for (int i = 0; i < plain.size(); i++) {
      occ.add(Degradations.occlude(plain.get(i), size, rng));
      art.add(Degradations.artefactImage(kinds[i % kinds.length], size, ch, rng));
    }
    fa.put("occluded", rate(net, occ, -1));
    fa.put("pure_artefacts", rate(net, art, -1));
    m.put("heldout_false_alarm", fa);
    return m;
  }

  /** Share of images on which concept {@code ci} (or, for -1, any concept) has probability > 0.5. */
  private static double rate(Classifier net, List<float[]> imgs, int ci) {
    if (imgs.isEmpty()) return Double.NaN;
    float[][] p = net.probabilities(imgs);
    int hits = 0;
    for (float[] row : p) {
      boolean hit = false;
      if (ci >= 0) hit = row[ci] > 0.5f;
      else for (float v : row) hit |= v > 0.5f;
      if (hit) hits++;
    }
    return (double) hits / imgs.size();
  }

  private static ClassifierConfig config(String role, List<String> labels, int imageSize, int channels, Options o) {
    o.validate();
    ClassifierConfig c = new ClassifierConfig();
    c.role = role;
    c.imageSize = imageSize;
    c.channels = channels;
    c.width = o.width;
    c.featureDim = o.featureDim;
    c.labels = new ArrayList<>(labels);
    c.training.put("steps", o.steps);
    c.training.put("batch_size", o.batchSize);
    c.training.put("learning_rate", o.learningRate);
    c.training.put("weight_decay", o.weightDecay);
    c.training.put("seed", o.seed);
    c.validate();
    return c;
  }

  private static Classifier train(ClassifierConfig c, Examples data, Options o, NDManager root, IntConsumer progress) {
    long t0 = System.nanoTime();
    Classifier net = Classifier.initialize(c, root, o.seed);
    int numel = net.numel(), k = c.labels.size();
    float loss = Float.NaN;
    try {
      net.params().setRequiresGradient(true);
      try (AdamW adam = new AdamW(net.params(), root, 0.9f, 0.999f)) {
        for (int step = 0; step < o.steps; step++) {
          loss = (float) TrainingStep.run(c.role + " classifier training", step, o.seed, net.params(), adam,
              o.learningRateAt(step), o.weightDecay, root, (m, rng) -> {
                int b = o.batchSize;
                float[] px = new float[b * numel], target = new float[b * k];
                for (int i = 0; i < b; i++) {
                  Example e = data.next(rng);
                  System.arraycopy(e.pixels(), 0, px, i * numel, numel);
                  System.arraycopy(e.target(), 0, target, i * k, k);
                }
                NDArray x = m.create(px, new Shape(b, numel));
                NDArray t = m.create(target, new Shape(b, k));
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                  NDArray z = net.logits(x);
                  NDArray l = c.multiLabel()
                      // binary cross-entropy with logits: softplus(z) - t z (softplus in its stable
                      // form relu(z) + log(1 + exp(-|z|))), mean over batch and labels
                      ? Layers.scale(ai.djl.nn.Activation.relu(z).add(z.abs().neg().exp().add(1f).log()).sub(z.mul(t)).sum(), 1.0 / (b * k))
                      : Layers.scale(z.logSoftmax(1).mul(t).sum(), -1.0 / b);
                  gc.backward(l);
                  return l.getFloat();
                }
              });
          if (progress != null) progress.accept(step + 1);
        }
      }
      net.params().setRequiresGradient(false);
      c.metrics.put("steps", o.steps);
      c.metrics.put("train_seconds", (System.nanoTime() - t0) / 1e9);
      c.metrics.put("final_loss", loss);
      return net;
    } catch (RuntimeException | Error e) {
      net.close();
      throw e;
    }
  }

  /**
   * Every training image has {@code numel} values and its class (when {@code classes >= 0}) and
   * concepts (when {@code concepts >= 0}) are in range; else an IllegalArgumentException naming
   * the image (a longer image would otherwise be cut silently to its first planes).
   */
  private static void requireSizes(List<LabelledImage> images, int numel, int classes, int concepts) {
    for (int i = 0; i < images.size(); i++) {
      LabelledImage x = images.get(i);
      if (x.pixels().length != numel) {
        throw new IllegalArgumentException("training image " + i + " has " + x.pixels().length + " values, expected " + numel);
      }
      if (classes >= 0 && x.classIndex() >= classes) {
        throw new IllegalArgumentException("training image " + i + " has class index " + x.classIndex() + ", expected < " + classes);
      }
      if (concepts >= 0) {
        for (int ci : x.concepts()) {
          if (ci < 0 || ci >= concepts) {
            throw new IllegalArgumentException("training image " + i + " has concept index " + ci + ", expected 0.." + (concepts - 1));
          }
        }
      }
    }
  }

  private static boolean contains(int[] a, int v) {
    for (int x : a) if (x == v) return true;
    return false;
  }

  private static <T> List<T> limit(List<T> l, int n) {
    return n == 0 || l.size() <= n ? l : l.subList(0, n);
  }

  static int argMax(float[] v) {
    int best = 0;
    for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
    return best;
  }
}
