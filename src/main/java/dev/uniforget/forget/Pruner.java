package dev.uniforget.forget;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.ModelConfig;
import dev.uniforget.model.PrunableUnits;
import dev.uniforget.model.Stream;
import dev.uniforget.model.UnitGroup;
import dev.uniforget.model.UnitMasks;
import dev.uniforget.nn.ParameterStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Binarizes masks and prunes physically: removed FFN hidden units shrink the MLP weight
 * matrices (rows of fc1, columns of fc2; the config records per-block widths); removed
 * modulation channels are zeroed (weight row and bias); removed attention heads zero their
 * columns of the output projection. The pruned model's output equals the masked model's with
 * hard 0/1 masks.
 *
 * <p>A shrunk MLP is stored {@link #physicalWidth padded} to a multiple of {@link #WIDTH_MULTIPLE}
 * with all-zero units: libtorch's CPU GEMM on an odd width is slower than on the next multiple
 * of 8 although that has more units (measured on the lab model's MLP over 7808 token rows: 309
 * units 11.1 ms, 312 units 9.2 ms; 263 -> 9.3 ms, 264 -> 7.8 ms); padded, the beta-0.5 lab model
 * samples x1.03-1.07 faster at the same FLOPs. A zero unit adds exactly nothing (gelu(0) = 0 and its fc2 column
 * is 0), gets an exactly-zero gradient in both of its weights when the pruned model is
 * fine-tuned, and is never counted as kept: the shares of units off come from the masks.
 */
public final class Pruner {
  /** Pruned MLP widths are stored rounded up to a multiple of this (0 stays 0). */
  public static final int WIDTH_MULTIPLE = 8;

  private Pruner() {}

  /** The stored width of an MLP that keeps {@code kept} units: the next multiple of {@link #WIDTH_MULTIPLE}. */
  public static int physicalWidth(int kept) {
    return (kept + WIDTH_MULTIPLE - 1) / WIDTH_MULTIPLE * WIDTH_MULTIPLE;
  }

  /** Keep a unit when its deterministic mask is > 0.5. */
  public static Map<String, boolean[]> binarize(MaskLogits logits) {
    Map<String, boolean[]> keep = new LinkedHashMap<>();
    for (Map.Entry<String, float[]> e : logits.deterministicValues().entrySet()) {
      boolean[] k = new boolean[e.getValue().length];
      for (int i = 0; i < k.length; i++) k[i] = e.getValue()[i] > 0.5f;
      keep.put(e.getKey(), k);
    }
    return keep;
  }

  /** Keep the {@code ratio} share of all units with the highest logits (ties by position). */
  public static Map<String, boolean[]> keepRatio(MaskLogits logits, double ratio) {
    if (!(ratio > 0 && ratio <= 1)) throw new IllegalArgumentException("--keep-ratio must be in (0, 1], found " + ratio);
    record Unit(String group, int index, float logit) {}
    List<Unit> all = new ArrayList<>();
    Map<String, boolean[]> keep = new LinkedHashMap<>();
    for (UnitGroup g : logits.groups()) {
      float[] l = logits.store().get(g.name()).toFloatArray();
      for (int i = 0; i < l.length; i++) all.add(new Unit(g.name(), i, l[i]));
      keep.put(g.name(), new boolean[l.length]);
    }
    all.sort(Comparator.comparingDouble((Unit u) -> -u.logit()));
    int n = (int) Math.round(ratio * all.size());
    for (int i = 0; i < n; i++) keep.get(all.get(i).group())[all.get(i).index()] = true;
    return keep;
  }

  /** 0/1 masks for {@code keep}, built in {@code m}. */
  public static UnitMasks hardMasks(Map<String, boolean[]> keep, NDManager m) {
    Map<String, NDArray> masks = new LinkedHashMap<>();
    for (Map.Entry<String, boolean[]> e : keep.entrySet()) {
      float[] v = new float[e.getValue().length];
      for (int i = 0; i < v.length; i++) v[i] = e.getValue()[i] ? 1f : 0f;
      masks.put(e.getKey(), m.create(v, new Shape(v.length)));
    }
    return new UnitMasks(masks);
  }

  /**
   * Hard masks that keep a pruned model's zeroed modulation channels and heads switched off
   * while it is fine-tuned (its removed MLP units need none).
   */
  public static UnitMasks masksForPruned(Map<String, boolean[]> keep, NDManager m) {
    Map<String, boolean[]> kept = new LinkedHashMap<>(keep);
    kept.keySet().removeIf(g -> g.endsWith(".ffn"));
    return hardMasks(kept, m);
  }

  /** Keeps, in every group, as many units as {@code like} keeps there, chosen at random (the control). */
  public static Map<String, boolean[]> randomLike(Map<String, boolean[]> like, long seed) {
    java.util.Random rng = new java.util.Random(seed);
    Map<String, boolean[]> out = new LinkedHashMap<>();
    for (Map.Entry<String, boolean[]> e : like.entrySet()) {
      int n = e.getValue().length, kept = indices(e.getValue()).length;
      List<Integer> order = new ArrayList<>();
      for (int i = 0; i < n; i++) order.add(i);
      java.util.Collections.shuffle(order, rng);
      boolean[] k = new boolean[n];
      for (int i = 0; i < kept; i++) k[order.get(i)] = true;
      out.put(e.getKey(), k);
    }
    return out;
  }

  /**
   * The size of every unit's weights: an MLP hidden unit, ||fc1 row|| * ||fc2 column|| (its
   * input and output weights); a modulation channel, the norm of its weight row and bias; an
   * attention head, the norm of its columns of the output projection.
   */
  public static Map<String, double[]> unitMagnitudes(FlowModel model) {
    ModelConfig c = model.config();
    ParameterStore p = model.params();
    int d = c.hiddenSize;
    Map<String, double[]> out = new LinkedHashMap<>();
    for (UnitGroup g : PrunableUnits.groups(c, true)) {
      double[] m = new double[g.size()];
      if (g.size() == 0) {
        out.put(g.name(), m);
        continue;
      }
      switch (g.kind()) {
        case FFN -> {
          float[] fc1 = p.get(g.name() + ".fc1.weight").toFloatArray(), fc2 = p.get(g.name() + ".fc2.weight").toFloatArray();
          for (int j = 0; j < g.size(); j++) {
            double a = 0, b = 0;
            for (int i = 0; i < d; i++) {
              a += (double) fc1[j * d + i] * fc1[j * d + i];
              b += (double) fc2[i * g.size() + j] * fc2[i * g.size() + j];
            }
            m[j] = Math.sqrt(a * b);
          }
        }
        case MODULATION -> {
          float[] w = p.get(g.name() + ".weight").toFloatArray(), bias = p.get(g.name() + ".bias").toFloatArray();
          for (int r = 0; r < g.size(); r++) {
            double a = (double) bias[r] * bias[r];
            for (int i = 0; i < d; i++) a += (double) w[r * d + i] * w[r * d + i];
            m[r] = Math.sqrt(a);
          }
        }
        case ATTENTION_HEAD -> {
          float[] proj = p.get(g.name() + ".proj.weight").toFloatArray();
          int hd = c.headDim();
          for (int h = 0; h < g.size(); h++) {
            double a = 0;
            for (int r = 0; r < d; r++) for (int k = h * hd; k < (h + 1) * hd; k++) a += (double) proj[r * d + k] * proj[r * d + k];
            m[h] = Math.sqrt(a);
          }
        }
      }
      out.put(g.name(), m);
    }
    return out;
  }

  /** Keeps, in every group, as many units as {@code like} keeps there: those of the largest {@link #unitMagnitudes} (the control). */
  public static Map<String, boolean[]> largestLike(FlowModel model, Map<String, boolean[]> like) {
    Map<String, double[]> mag = unitMagnitudes(model);
    Map<String, boolean[]> out = new LinkedHashMap<>();
    for (Map.Entry<String, boolean[]> e : like.entrySet()) {
      double[] m = mag.get(e.getKey());
      if (m == null) throw new IllegalArgumentException("mask names group '" + e.getKey() + "', which the model does not have");
      if (m.length != e.getValue().length) {
        throw new IllegalArgumentException("mask of " + e.getKey() + " has " + e.getValue().length + " units, the model has " + m.length);
      }
      Integer[] order = new Integer[m.length];
      for (int i = 0; i < m.length; i++) order[i] = i;
      Arrays.sort(order, (a, b) -> Double.compare(m[b], m[a]) != 0 ? Double.compare(m[b], m[a]) : Integer.compare(a, b));
      boolean[] k = new boolean[m.length];
      for (int i = 0; i < indices(e.getValue()).length; i++) k[order[i]] = true;
      out.put(e.getKey(), k);
    }
    return out;
  }

  /** A new model without the pruned units (weights copied into {@code manager}). */
  public static FlowModel prune(FlowModel model, Map<String, boolean[]> keep, NDManager manager) {
    ModelConfig c = model.config().copy();
    ParameterStore src = model.params();
    Map<String, float[]> w = new LinkedHashMap<>();
    Map<String, long[]> shapes = new LinkedHashMap<>();
    for (String name : src.names()) {
      w.put(name, src.get(name).toFloatArray());
      shapes.put(name, src.get(name).getShape().getShape());
    }
    java.util.Set<String> known = new java.util.HashSet<>();
    for (UnitGroup g : PrunableUnits.groups(c, true)) known.add(g.name());
    for (String g : keep.keySet()) {
      if (!known.contains(g)) throw new IllegalArgumentException("mask names group '" + g + "', which the model does not have");
    }
    int d = c.hiddenSize;
    for (Stream st : c.streams()) {
      boolean[] ffn = keep.get(st.ffn());
      if (ffn != null) {
        int width = st.ffnWidth();
        check(ffn.length == width, st.ffn(), width, ffn.length);
        int[] kept = indices(ffn);
        int stored = physicalWidth(kept.length);
        c.setFfnWidth(st, stored);
        String fc1 = st.ffn() + ".fc1", fc2 = st.ffn() + ".fc2";
        if (kept.length == 0) {
          for (String name : new String[] {fc1 + ".weight", fc1 + ".bias", fc2 + ".weight"}) {
            w.remove(name);
            shapes.remove(name);
          }
        } else {
          w.put(fc1 + ".weight", rows(w.get(fc1 + ".weight"), d, kept, stored));
          shapes.put(fc1 + ".weight", new long[] {stored, d});
          w.put(fc1 + ".bias", pick(w.get(fc1 + ".bias"), kept, stored));
          shapes.put(fc1 + ".bias", new long[] {stored});
          w.put(fc2 + ".weight", columns(w.get(fc2 + ".weight"), d, width, kept, stored));
          shapes.put(fc2 + ".weight", new long[] {d, stored});
        }
      }
      zeroChannels(w, st.mod(), keep.get(st.mod()), d);
      boolean[] heads = keep.get(st.attn());
      if (heads != null) {
        check(heads.length == c.numHeads, st.attn(), c.numHeads, heads.length);
        float[] proj = w.get(st.attn() + ".proj.weight");
        int hd = c.headDim();
        for (int h = 0; h < heads.length; h++) {
          if (heads[h]) continue;
          for (int r = 0; r < d; r++) Arrays.fill(proj, r * d + h * hd, r * d + (h + 1) * hd, 0f);
        }
      }
    }
    zeroChannels(w, "final.mod", keep.get(PrunableUnits.FINAL_MODULATION), d);
    ParameterStore out = new ParameterStore(manager);
    // Keep the canonical parameter order of the new config.
    for (var spec : dev.uniforget.model.ParameterSpec.all(c)) {
      String name = spec.name();
      if (!w.containsKey(name)) throw new IllegalStateException("pruning lost parameter " + name);
      out.put(name, w.get(name), new Shape(shapes.get(name)));
    }
    return new FlowModel(c, model.tokenizer(), out);
  }

  private static void zeroChannels(Map<String, float[]> w, String prefix, boolean[] keep, int in) {
    if (keep == null) return;
    float[] weight = w.get(prefix + ".weight"), bias = w.get(prefix + ".bias");
    check(keep.length == bias.length, prefix, bias.length, keep.length);
    for (int r = 0; r < keep.length; r++) {
      if (keep[r]) continue;
      Arrays.fill(weight, r * in, (r + 1) * in, 0f);
      bias[r] = 0f;
    }
  }

  private static void check(boolean ok, String group, int expected, int found) {
    if (!ok) throw new IllegalArgumentException("mask of " + group + " has " + found + " units, the model has " + expected);
  }

  static int[] indices(boolean[] keep) {
    int n = 0;
    for (boolean k : keep) if (k) n++;
    int[] out = new int[n];
    for (int i = 0, j = 0; i < keep.length; i++) if (keep[i]) out[j++] = i;
    return out;
  }

  /** The rows {@code kept} of a (?, cols) matrix, then zero rows up to {@code stored}. */
  private static float[] rows(float[] m, int cols, int[] kept, int stored) {
    float[] out = new float[stored * cols];
    for (int i = 0; i < kept.length; i++) System.arraycopy(m, kept[i] * cols, out, i * cols, cols);
    return out;
  }

  /** The columns {@code kept} of a (rows, cols) matrix, then zero columns up to {@code stored}. */
  private static float[] columns(float[] m, int rows, int cols, int[] kept, int stored) {
    float[] out = new float[rows * stored];
    for (int r = 0; r < rows; r++) for (int j = 0; j < kept.length; j++) out[r * stored + j] = m[r * cols + kept[j]];
    return out;
  }

  private static float[] pick(float[] v, int[] kept, int stored) {
    float[] out = new float[stored];
    for (int i = 0; i < kept.length; i++) out[i] = v[kept[i]];
    return out;
  }
}
