package dev.uniforget.audit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.uniforget.audit.judge.CopyDescriptor;
import dev.uniforget.audit.judge.Degradations;
import dev.uniforget.audit.stats.Calibration;
import dev.uniforget.audit.stats.Diversity;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Verbatim-copy detection against a training set, with two tests whose thresholds are both
 * calibrated on real images (negatives: held-out images against their nearest training image;
 * positives: {@link #augmentedCopy augmented copies} of training images):
 *
 * <ul>
 *   <li>the copy descriptor: cosine to the nearest training image by descriptor (exact brute
 *       force, one matmul on the engine) above the given percentile of the negatives; it sees
 *       through small shifts, noise and blur;
 *   <li>the pixel ratio: d1/d2, the pixel L2 distance to the nearest training image over that to
 *       the second nearest, below the mirrored percentile of the negatives (the strict test's
 *       d1/d2 &lt; 1/3 with a threshold set on real data instead of fixed), after aligning the
 *       query to its nearest training image by up to {@link #MAX_SHIFT} pixels in x and y; it
 *       sees a copy that stays far closer to one training image than to any other however grainy
 *       it has become, which the descriptor, trained on milder noise, does not.
 * </ul>
 *
 * A query is a copy when either test says so; each test's false-alarm rate on the negatives is
 * set by the percentile, and the union's rate is measured and reported.
 *
 * <p>Beside that rule, a third test stands alone, the <em>low-pass copy rule</em>: the same
 * pixel ratio d1/d2 on {@link #LOW_PASS_FACTOR}x{@link #LOW_PASS_FACTOR}-box low-passed,
 * standardised images ({@link #lowPassView}; 28 px -> 7, 32 px -> 8; the query aligned by the
 * same shifts), its threshold calibrated the same way on the same held-out negatives. It is meant
 * for copies under the fresh grain or salt-and-pepper noise a pruned or defended model adds, which
 * is averaged down there; the price is that two different images alike in their coarse layout are
 * harder to tell apart, which the calibration's false-alarm rate and recall measure.
 */
public final class CopyDetector {
  /** Per query: the index of the nearest training image and the cosine to it (the copy score). */
  public record Nearest(int[] index, double[] score) {}

  /**
   * Both tests on a set of queries: the descriptor's nearest, the pixel nearest neighbours as
   * they are, and those of the query shifted (by up to {@link #MAX_SHIFT} px) to its best
   * alignment (smallest d1), which the ratio test reads.
   */
  public record Matches(Nearest descriptor, NearestNeighbors.Match[] pixels, NearestNeighbors.Match[] aligned,
      NearestNeighbors.Match[] lowPass) {
    /** Whether query {@code i} is a copy under {@code c}, and (when {@code own >= 0}) of training image {@code own}. */
    public boolean isCopy(int i, Calibrated c, int own) {
      return isCopy(i, c.threshold().threshold(), c.ratioThreshold(), own);
    }

    boolean isCopy(int i, double scoreThreshold, double ratioThreshold, int own) {
      boolean byDescriptor = descriptor.score()[i] > scoreThreshold && (own < 0 || descriptor.index()[i] == own);
      boolean byRatio = aligned[i].ratio() < ratioThreshold && (own < 0 || aligned[i].nearest() == own);
      return byDescriptor || byRatio;
    }

    /** Whether query {@code i} is a copy under the low-pass copy rule (and, when {@code own >= 0}, of training image {@code own}). */
    public boolean isLowPassCopy(int i, Calibrated c, int own) {
      return lowPass[i].ratio() < c.lowPassThreshold() && (own < 0 || lowPass[i].nearest() == own);
    }
  }

  /**
   * The changes of {@link #augmentedCopy}: the first four are families the copy descriptor is
   * trained to see through; GAMMA, DOWNSCALE and ERASE are not (recall on them measures whether
   * it generalises beyond its training augmentations).
   */
  public enum Change {
    NOISE(true),
    SPECKLE(true),
    BLUR(true),
    SHIFT(true),
    GAMMA(false),
    DOWNSCALE(false),
    ERASE(false);

    public final boolean inDescriptorTraining;

    Change(boolean inDescriptorTraining) {
      this.inDescriptorTraining = inDescriptorTraining;
    }
  }

  /**
   * The calibrated descriptor threshold with the scores behind it (for the report's histogram);
   * the calibrated pixel-ratio threshold with its false-alarm rate and recall; the union's
   * false-alarm rate and recall (overall and per change); the change behind each positive.
   */
  public record Calibrated(Calibration.Threshold threshold, double[] negatives, double[] positives,
      double ratioThreshold, double ratioNegativeRate, double ratioRecall, double combinedNegativeRate,
      double combinedRecall, Change[] changes, Map<Change, Double> recallByChange, boolean positivesUnseen,
      int positiveSourceImages, double recallSeenFamilies, double recallUnseenFamilies, double lowPassThreshold,
      double lowPassNegativeRate, double lowPassRecall, Map<Change, Double> lowPassRecallByChange) {}

  private static final int QUERY_CHUNK = 1024;
  /** Largest shift, in pixels along x and along y, tried when aligning a query for the ratio test. */
  public static final int MAX_SHIFT = 2;
  /** The box side of the low-pass copy rule (and of the audit's low-pass seed collapse). */
  public static final int LOW_PASS_FACTOR = 4;

  private final CopyDescriptor descriptor;
  private final NearestNeighbors pixels;
  private final NearestNeighbors lowPassPixels;
  private final int channels;
  private final List<float[]> training;
  private final float[][] trainingEmbeddings;
  private final NDManager root;
  private final int size;

  /**
   * @param pixels the training images (deduplicated) with their pixel nearest-neighbour search
   * @param size the image side (images may have several planes)
   * @param root manager for the temporary arrays of each search
   */
  public CopyDetector(CopyDescriptor descriptor, NearestNeighbors pixels, int size, NDManager root) {
    this.descriptor = descriptor;
    this.size = size;
    this.pixels = pixels;
    this.training = new ArrayList<>(pixels.size());
    for (int i = 0; i < pixels.size(); i++) training.add(pixels.image(i));
    this.channels = training.isEmpty() ? 1 : training.get(0).length / (size * size);
    this.lowPassPixels = new NearestNeighbors(lowPassView(training));
    this.trainingEmbeddings = descriptor.embed(training);
    this.root = root;
  }

  /** Both tests' nearest training images for {@code queries}. */
  public Matches match(List<float[]> queries) {
    NearestNeighbors.Match[] plain = pixels.search(queries, root);
    NearestNeighbors.Match[] aligned = plain.clone();
    NearestNeighbors.Match[] low = lowPassPixels.search(lowPassView(queries), root);
    for (int dy = -MAX_SHIFT; dy <= MAX_SHIFT; dy++) {
      for (int dx = -MAX_SHIFT; dx <= MAX_SHIFT; dx++) {
        if (dx == 0 && dy == 0) continue;
        List<float[]> shifted = new ArrayList<>(queries.size());
        for (float[] q : queries) shifted.add(Degradations.shift(q, size, dx, dy));
        NearestNeighbors.Match[] m = pixels.search(shifted, root);
        for (int i = 0; i < m.length; i++) if (m[i].d1() < aligned[i].d1()) aligned[i] = m[i];
        NearestNeighbors.Match[] ml = lowPassPixels.search(lowPassView(shifted), root);
        for (int i = 0; i < ml.length; i++) if (ml[i].d1() < low[i].d1()) low[i] = ml[i];
      }
    }
    return new Matches(nearest(queries), plain, aligned, low);
  }

  /**
   * The images the low-pass rule compares: box-pooled, then each standardised to mean 0 and
   * standard deviation 1 over all its values. Salt-and-pepper noise does not average to zero but
   * pulls every box toward mid-grey (a contrast loss), and a pruned model's copies drift in
   * brightness; standardising takes both out, so what is left is the coarse layout.
   */
  List<float[]> lowPassView(List<float[]> images) {
    List<float[]> pooled = Diversity.boxPool(images, channels, size, LOW_PASS_FACTOR);
    for (float[] p : pooled) {
      double mean = 0, sq = 0;
      for (float v : p) mean += v;
      mean /= p.length;
      for (float v : p) sq += (v - mean) * (v - mean);
      double sd = Math.sqrt(sq / p.length);
      float inv = (float) (1.0 / Math.max(sd, 1e-3));
      for (int i = 0; i < p.length; i++) p[i] = (float) ((p[i] - mean) * inv);
    }
    return pooled;
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
   * Calibrates both tests: the descriptor threshold is the {@code percentile}-th percentile of
   * the held-out images' cosines, the ratio threshold the {@code (100 - percentile)}-th
   * percentile of their d1/d2. Recalls are measured on {@code positives} changed copies (every
   * {@link Change}, in turn) of training images the descriptor was kept from seeing in training
   * (all training images for an older descriptor without such a share: then in-sample, and
   * flagged), drawn with {@code seed}.
   */
  public Calibrated calibrate(List<float[]> heldOut, int positives, double percentile, double minRecall, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<float[]> sources = new ArrayList<>();
    for (float[] img : training) if (descriptor.config().heldOutFromTraining(img)) sources.add(img);
    boolean unseen = !sources.isEmpty();
    if (!unseen) sources = training;
    List<float[]> copies = new ArrayList<>(positives);
    Change[] changes = new Change[positives];
    Change[] all = Change.values();
    for (int i = 0; i < positives; i++) {
      float[] img = sources.get(rng.nextInt(sources.size()));
      changes[i] = all[i % all.length];
      copies.add(augmentedCopy(img, size, changes[i], rng));
    }
    Matches neg = match(heldOut), pos = match(copies);
    Calibration.Threshold th = Calibration.copyThreshold(neg.descriptor().score(), pos.descriptor().score(), percentile, minRecall);
    double ratioThreshold = Calibration.percentile(ratios(neg.aligned()), 100 - percentile);
    int ratioNeg = 0, ratioPos = 0, unionNeg = 0, unionPos = 0;
    for (NearestNeighbors.Match m : neg.aligned()) if (m.ratio() < ratioThreshold) ratioNeg++;
    for (NearestNeighbors.Match m : pos.aligned()) if (m.ratio() < ratioThreshold) ratioPos++;
    for (int i = 0; i < heldOut.size(); i++) if (neg.isCopy(i, th.threshold(), ratioThreshold, -1)) unionNeg++;
    boolean[] found = new boolean[positives], foundLow = new boolean[positives];
    int[] seenFam = new int[2], unseenFam = new int[2];
    for (int i = 0; i < positives; i++) {
      found[i] = pos.isCopy(i, th.threshold(), ratioThreshold, -1);
      if (found[i]) unionPos++;
      int[] f = changes[i].inDescriptorTraining ? seenFam : unseenFam;
      f[0]++;
      if (found[i]) f[1]++;
    }
    // The low-pass copy rule, calibrated the same way on the same negatives and positives.
    double lowThreshold = Calibration.percentile(ratios(neg.lowPass()), 100 - percentile);
    int lowNeg = 0, lowPos = 0;
    for (NearestNeighbors.Match m : neg.lowPass()) if (m.ratio() < lowThreshold) lowNeg++;
    for (int i = 0; i < positives; i++) {
      foundLow[i] = pos.lowPass()[i].ratio() < lowThreshold;
      if (foundLow[i]) lowPos++;
    }
    Map<Change, Double> byChange = recallByChange(changes, found), lowByChange = recallByChange(changes, foundLow);
    return new Calibrated(th, neg.descriptor().score(), pos.descriptor().score(), ratioThreshold, (double) ratioNeg / heldOut.size(),
        (double) ratioPos / positives, (double) unionNeg / heldOut.size(), (double) unionPos / positives, changes, byChange,
        unseen, sources.size(), seenFam[0] == 0 ? Double.NaN : (double) seenFam[1] / seenFam[0],
        unseenFam[0] == 0 ? Double.NaN : (double) unseenFam[1] / unseenFam[0], lowThreshold, (double) lowNeg / heldOut.size(),
        (double) lowPos / positives, lowByChange);
  }

  /** Per change: the share of the positives under it that {@code found} marks. */
  private static Map<Change, Double> recallByChange(Change[] changes, boolean[] found) {
    Map<Change, int[]> counts = new EnumMap<>(Change.class);
    for (int i = 0; i < changes.length; i++) {
      int[] c = counts.computeIfAbsent(changes[i], k -> new int[2]);
      c[0]++;
      if (found[i]) c[1]++;
    }
    Map<Change, Double> out = new EnumMap<>(Change.class);
    counts.forEach((k, c) -> out.put(k, (double) c[1] / c[0]));
    return out;
  }

  private static double[] ratios(NearestNeighbors.Match[] matches) {
    double[] r = new double[matches.length];
    for (int i = 0; i < r.length; i++) r[i] = matches[i].ratio();
    return r;
  }

  /**
   * A training image under one of the changes a copy detector must see through: Gaussian noise
   * (sigma 0.05-0.15), speckle (2-6% of pixels), one blur pass, a 1-2 px shift; and, outside the
   * descriptor's training augmentations, a gamma curve (0.5-0.8 or 1.3-2), a 2x resolution loss,
   * or an erased quarter-side square.
   */
  public static float[] augmentedCopy(float[] img, int size, Change change, SplittableRandom rng) {
    return switch (change) {
      case NOISE -> Degradations.noise(img, 0.05f + 0.1f * (float) rng.nextDouble(), rng);
      case SPECKLE -> Degradations.speckle(img, 0.02f + 0.04f * (float) rng.nextDouble(), rng);
      case BLUR -> Degradations.blur(img, size, 1);
      case SHIFT -> Degradations.shift(img, size, 1 + rng.nextInt(2), rng.nextInt(3) - 1);
      case GAMMA -> Degradations.gamma(img, rng.nextBoolean() ? 0.5f + 0.3f * (float) rng.nextDouble() : 1.3f + 0.7f * (float) rng.nextDouble());
      case DOWNSCALE -> Degradations.downscale(img, size);
      case ERASE -> Degradations.erase(img, size, rng);
    };
  }

  private static float[] flatten(float[][] rows) {
    int d = rows.length == 0 ? 0 : rows[0].length;
    float[] out = new float[rows.length * d];
    for (int i = 0; i < rows.length; i++) System.arraycopy(rows[i], 0, out, i * d, d);
    return out;
  }
}
