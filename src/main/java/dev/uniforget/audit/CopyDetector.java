package dev.uniforget.audit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.uniforget.audit.judge.CopyDescriptor;
import dev.uniforget.audit.judge.Degradations;
import dev.uniforget.audit.stats.Calibration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Verbatim-copy detection against a training set: each query's nearest training image by copy
 * descriptor cosine (exact brute force, one matmul on the engine), and the copy threshold
 * calibrated on real images: negatives are held-out images against their nearest training image,
 * positives are {@link #augmentedCopy augmented copies} of training images.
 */
public final class CopyDetector {
  /** Per query: the index of the nearest training image and the cosine to it (the copy score). */
  public record Nearest(int[] index, double[] score) {}

  /** The changes of {@link #augmentedCopy}. */
  public enum Change {
    NOISE,
    SPECKLE,
    BLUR,
    SHIFT
  }

  /**
   * A calibrated threshold with the scores behind it (for the report's histogram), the change
   * behind each positive, and the recall for each change.
   */
  public record Calibrated(Calibration.Threshold threshold, double[] negatives, double[] positives, Change[] changes,
      Map<Change, Double> recallByChange) {}

  private static final int QUERY_CHUNK = 1024;

  private final CopyDescriptor descriptor;
  private final List<float[]> training;
  private final float[][] trainingEmbeddings;
  private final NDManager root;

  /**
   * @param training the training images (flat, in [0, 1]), exact duplicates already removed
   * @param root manager for the temporary arrays of each search
   */
  public CopyDetector(CopyDescriptor descriptor, List<float[]> training, NDManager root) {
    if (training.isEmpty()) throw new IllegalArgumentException("copy detection needs at least one training image");
    this.descriptor = descriptor;
    this.training = training;
    this.trainingEmbeddings = descriptor.embed(training);
    this.root = root;
  }

  /** The nearest training image of each query by descriptor cosine. */
  public Nearest nearest(List<float[]> queries) {
    float[][] q = descriptor.embed(queries);
    int m = q.length, n = trainingEmbeddings.length, d = trainingEmbeddings[0].length;
    int[] idx = new int[m];
    double[] score = new double[m];
    try (NDManager s = root.newSubManager()) {
      NDArray t = s.create(flatten(trainingEmbeddings), new Shape(n, d));
      for (int from = 0; from < m; from += QUERY_CHUNK) {
        int to = Math.min(m, from + QUERY_CHUNK);
        NDArray sim = s.create(flatten(Arrays.copyOfRange(q, from, to)), new Shape(to - from, d)).matMul(t.transpose());
        long[] arg = sim.argMax(1).toLongArray();
        float[] max = sim.max(new int[] {1}).toFloatArray();
        for (int i = from; i < to; i++) {
          idx[i] = (int) arg[i - from];
          score[i] = max[i - from];
        }
      }
    }
    return new Nearest(idx, score);
  }

  /**
   * Calibrates the rule "copy when score > threshold": the threshold is the {@code percentile}-th
   * percentile of the held-out images' scores, and the recall is measured on {@code positives}
   * augmented copies of training images drawn with {@code seed}.
   */
  public Calibrated calibrate(List<float[]> heldOut, int positives, double percentile, double minRecall, int size,
      long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<float[]> copies = new ArrayList<>(positives);
    Change[] changes = new Change[positives];
    for (int i = 0; i < positives; i++) {
      float[] img = training.get(rng.nextInt(training.size()));
      changes[i] = Change.values()[rng.nextInt(Change.values().length)];
      copies.add(augmentedCopy(img, size, changes[i], rng));
    }
    double[] neg = nearest(heldOut).score();
    double[] pos = nearest(copies).score();
    Calibration.Threshold th = Calibration.copyThreshold(neg, pos, percentile, minRecall);
    Map<Change, Double> byChange = new EnumMap<>(Change.class);
    for (Change c : Change.values()) {
      int n = 0, above = 0;
      for (int i = 0; i < positives; i++) {
        if (changes[i] != c) continue;
        n++;
        if (pos[i] > th.threshold()) above++;
      }
      if (n > 0) byChange.put(c, (double) above / n);
    }
    return new Calibrated(th, neg, pos, changes, byChange);
  }

  /**
   * A training image under one of the changes a copy detector must see through: Gaussian noise
   * (sigma 0.05-0.15), speckle (2-6% of pixels), one blur pass, or a 1-2 px shift.
   */
  public static float[] augmentedCopy(float[] img, int size, Change change, SplittableRandom rng) {
    return switch (change) {
      case NOISE -> Degradations.noise(img, 0.05f + 0.1f * (float) rng.nextDouble(), rng);
      case SPECKLE -> Degradations.speckle(img, 0.02f + 0.04f * (float) rng.nextDouble(), rng);
      case BLUR -> Degradations.blur(img, size, 1);
      case SHIFT -> Degradations.shift(img, size, 1 + rng.nextInt(2), rng.nextInt(3) - 1);
    };
  }

  private static float[] flatten(float[][] rows) {
    int d = rows.length == 0 ? 0 : rows[0].length;
    float[] out = new float[rows.length * d];
    for (int i = 0; i < rows.length; i++) System.arraycopy(rows[i], 0, out, i * d, d);
    return out;
  }
}
