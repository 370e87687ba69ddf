package dev.uniforget.audit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Exact nearest-neighbour search by pixel L2 over a training set with exact duplicates
 * removed. Candidates come from one matmul on the engine (|q|^2 + |a|^2 - 2 q.a); the two
 * nearest distances are then recomputed in double precision.
 */
public final class NearestNeighbors {
  /** Nearest and second-nearest training image of a query, with their L2 distances. */
  public record Match(int nearest, double d1, int second, double d2) {
    public double ratio() {
      return d2 == 0 ? 1 : d1 / d2;
    }
  }

  private final List<float[]> images;
  private final int numel;
  /** The images packed row-major once (each search, e.g. the copy detector's 25 shifts, reuses it). */
  private final float[] flat;

  /** Deduplicates {@code training} (identical pixel arrays are kept once). */
  public NearestNeighbors(List<float[]> training) {
    Map<Key, Integer> seen = new HashMap<>();
    images = new ArrayList<>();
    for (float[] im : training) {
      if (seen.putIfAbsent(new Key(im), images.size()) == null) images.add(im);
    }
    if (images.size() < 2) throw new IllegalArgumentException("nearest-neighbour search needs >= 2 distinct training images");
    numel = images.get(0).length;
    flat = new float[images.size() * numel];
    for (int i = 0; i < images.size(); i++) System.arraycopy(images.get(i), 0, flat, i * numel, numel);
  }

  public int size() {
    return images.size();
  }

  public float[] image(int i) {
    return images.get(i);
  }

  /** Index of an image in the deduplicated set, or -1. */
  public int indexOf(float[] image) {
    for (int i = 0; i < images.size(); i++) if (Arrays.equals(images.get(i), image)) return i;
    return -1;
  }

  public Match[] search(List<float[]> queries, NDManager parent) {
    int n = images.size(), m = queries.size();
    float[] q = new float[m * numel];
    for (int i = 0; i < m; i++) System.arraycopy(queries.get(i), 0, q, i * numel, numel);
    float[] d2;
    try (NDManager s = parent.newSubManager()) {
      NDArray a = s.create(flat, new Shape(n, numel));
      NDArray qa = s.create(q, new Shape(m, numel));
      NDArray dist = qa.matMul(a.transpose()).muli(-2)
          .addi(qa.square().sum(new int[] {1}, true))
          .addi(a.square().sum(new int[] {1}).reshape(1, n));
      d2 = dist.toFloatArray();
    }
    Match[] out = new Match[m];
    for (int i = 0; i < m; i++) {
      // Shortlist by the float32 distances, then rank the shortlist exactly.
      int[] shortlist = smallest(d2, i * n, n, Math.min(n, 8));
      int best = -1, second = -1;
      double b1 = Double.MAX_VALUE, b2 = Double.MAX_VALUE;
      for (int j : shortlist) {
        double d = l2(queries.get(i), images.get(j));
        if (d < b1) {
          second = best;
          b2 = b1;
          best = j;
          b1 = d;
        } else if (d < b2) {
          second = j;
          b2 = d;
        }
      }
      out[i] = new Match(best, b1, second, b2);
    }
    return out;
  }

  public static double l2(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      double d = a[i] - b[i];
      s += d * d;
    }
    return Math.sqrt(s);
  }

  private static int[] smallest(float[] d, int from, int n, int k) {
    int[] idx = new int[k];
    float[] val = new float[k];
    Arrays.fill(val, Float.MAX_VALUE);
    for (int j = 0; j < n; j++) {
      float v = d[from + j];
      if (v < val[k - 1]) {
        int p = k - 1;
        while (p > 0 && val[p - 1] > v) {
          val[p] = val[p - 1];
          idx[p] = idx[p - 1];
          p--;
        }
        val[p] = v;
        idx[p] = j;
      }
    }
    return idx;
  }

  private record Key(float[] px) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && Arrays.equals(px, k.px);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(px);
    }
  }
}
