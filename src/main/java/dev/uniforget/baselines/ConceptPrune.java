package dev.uniforget.baselines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.uniforget.io.ProgressSink;
import dev.uniforget.io.Provenance;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.ModelDir;
import dev.uniforget.model.PrunableUnits;
import dev.uniforget.model.Stream;
import dev.uniforget.model.TextEncoding;
import dev.uniforget.model.UnitGroup;
import dev.uniforget.model.UnitMasks;
import dev.uniforget.sampling.EulerSampler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Wanda / ConceptPrune (Chavhan et al. 2024), a targeted baseline that is told the memorized
 * prompts. The Wanda score of weight (i, j) of an MLP's output layer fc2 is |W_ij| * ||x_j||,
 * with ||x_j|| the L2 norm of hidden unit j over every token and image. For each of the first
 * {@code first_steps} sampler steps, the norms are taken on the guided sampler's trajectory of
 * the memorized prompts, in the conditional branch (the memorized prompt) and in the
 * unconditional one (the empty prompt, the reference). In every row i, among the weights that
 * are more salient for the memorized prompt than for the reference, the top {@code share} of the
 * row (by the memorized score) is selected; the union over the steps is set to zero. The edited
 * model keeps its shape; the audit reads it like any other model.
 */
public final class ConceptPrune {
  public static final String METHOD = "conceptprune";

  /** Settings; the defaults follow the paper (1% per row, the first steps of the sampler). */
  public static final class Options {
    public double share = 0.01;
    /** Sampler steps, from the first, whose selections are united (at most the sampler's steps). */
    public int firstSteps = 10;
    /** Samples per memorized prompt behind the activation norms. */
    public int seeds = 4;
    public long seed = 0;

    public void validate() {
      if (!(share > 0 && share < 1)) throw new IllegalArgumentException("--share: expected in (0, 1), found " + share);
      if (firstSteps < 1) throw new IllegalArgumentException("--first-steps: expected >= 1, found " + firstSteps);
      if (seeds < 1) throw new IllegalArgumentException("--seeds: expected >= 1, found " + seeds);
    }
  }

  private ConceptPrune() {}

  /**
   * Sums of squared hidden activations per FFN group and sampler step: {@code memorized[k]} in
   * the conditional branch of the memorized prompts, {@code reference[k]} in the unconditional
   * branch at the same noisy latents.
   */
  record Norms(List<Map<String, double[]>> memorized, List<Map<String, double[]>> reference) {}

  /** Edits {@code modelDir} for {@code memorizedPrompts} and writes the baseline output {@code out}. */
  public static BaselineRun.Report run(Path modelDir, List<String> memorizedPrompts, Options o, Path out, ProgressSink progress)
      throws IOException {
    o.validate();
    if (memorizedPrompts.isEmpty()) throw new IllegalArgumentException("no memorized prompts (ConceptPrune is told which prompts to remove)");
    if (Files.exists(out)) throw new IllegalArgumentException("--out " + out + " already exists (expected a new directory)");
    ProgressSink l = progress == null ? ProgressSink.NONE : progress;
    try (NDManager root = NDManager.newBaseManager(); FlowModel model = ModelDir.load(modelDir, root)) {
      long t0 = System.nanoTime();
      l.phase("activation norms", (long) memorizedPrompts.size() * o.seeds);
      Norms norms = activationNorms(model, memorizedPrompts, o, root, l);
      l.end();
      Map<String, boolean[][]> zero = select(model, norms, o.share);
      double seconds = (System.nanoTime() - t0) / 1e9;
      BaselineRun.Report report = new BaselineRun.Report();
      report.method = METHOD;
      report.setting = "memorized prompts (" + memorizedPrompts.size() + ")";
      report.prompts = memorizedPrompts.size();
      long all = 0;
      for (Map.Entry<String, boolean[][]> e : zero.entrySet()) {
        String weight = e.getKey() + ".fc2.weight";
        float[] w = model.params().get(weight).toFloatArray();
        boolean[][] z = e.getValue();
        int width = z[0].length, n = 0;
        for (int i = 0; i < z.length; i++) {
          for (int j = 0; j < width; j++) {
            if (z[i][j]) {
              w[i * width + j] = 0f;
              n++;
            }
          }
        }
        model.params().set(weight, w);
        report.zeroedWeights.put(weight, n);
        report.zeroedWeightsTotal += n;
        all += (long) z.length * width;
      }
      report.zeroedShare = all == 0 ? 0 : (double) report.zeroedWeightsTotal / all;
      report.localisationSeconds = seconds;
      report.details.put("share_per_row_per_step", o.share);
      report.details.put("first_steps", norms.memorized().size());
      report.details.put("seeds_per_prompt", o.seeds);
      BaselineRun.write(out, model, report, provenance(modelDir, memorizedPrompts, o));
      l.message(String.format(Locale.ROOT, "conceptprune: %,d fc2 weights zeroed (%.2f%% of them) in %.1f s", report.zeroedWeightsTotal,
          100 * report.zeroedShare, seconds));
      return report;
    }
  }

  public static Provenance provenance(Path modelDir, List<String> prompts, Options o) throws IOException {
    return Provenance.of(METHOD).input("model", modelDir).inputText("prompts", String.join("\n", prompts))
        .option("share", o.share).option("first_steps", o.firstSteps).option("seeds", o.seeds).option("seed", o.seed);
  }

  /** The activation norms along the guided sampler of each (memorized prompt, seed) pair. */
  static Norms activationNorms(FlowModel model, List<String> prompts, Options o, NDManager root, ProgressSink l) {
    EulerSampler.Settings s = new EulerSampler.Settings(model.config().sampler.steps, model.config().sampler.guidance);
    if (s.guidance() == 1f) throw new IllegalArgumentException("ConceptPrune needs guided sampling (the unconditional branch is its reference)");
    int steps = Math.min(o.firstSteps, s.steps());
    List<String> groups = new ArrayList<>();
    for (UnitGroup g : PrunableUnits.groups(model.config(), false)) if (g.kind() == UnitGroup.Kind.FFN && g.size() > 0) groups.add(g.name());
    List<Map<String, double[]>> mem = new ArrayList<>(), ref = new ArrayList<>();
    for (int k = 0; k < steps; k++) {
      Map<String, double[]> a = new LinkedHashMap<>(), b = new LinkedHashMap<>();
      for (Stream st : model.config().streams()) {
        if (groups.contains(st.ffn())) {
          a.put(st.ffn(), new double[st.ffnWidth()]);
          b.put(st.ffn(), new double[st.ffnWidth()]);
        }
      }
      mem.add(a);
      ref.add(b);
    }
    List<String> pairPrompts = new ArrayList<>();
    List<Long> pairSeeds = new ArrayList<>();
    for (String p : prompts) {
      for (int j = 0; j < o.seeds; j++) {
        pairPrompts.add(p);
        pairSeeds.add(o.seed + j);
      }
    }
    int batch = 16, done = 0;
    for (int from = 0; from < pairPrompts.size(); from += batch) {
      int to = Math.min(pairPrompts.size(), from + batch), b = to - from;
      try (NDManager m = root.newSubManager()) {
        TextEncoding text = EulerSampler.encodeForGuidance(model, m, pairPrompts.subList(from, to), s.guidance());
        long[] seeds = pairSeeds.subList(from, to).stream().mapToLong(Long::longValue).toArray();
        NDArray x = EulerSampler.noise(m, model, seeds);
        for (int k = 0; k < steps; k++) {
          Map<String, double[]> mk = mem.get(k), rk = ref.get(k);
          UnitMasks probe = UnitMasks.probing((group, h) -> {
            if (!mk.containsKey(group)) return; // not an MLP of this model (e.g. the text values)
            // h: (2b, T, width), rows [memorized...; empty...]
            float[] cond = h.get("0:" + b).square().sum(new int[] {0, 1}).toFloatArray();
            float[] unc = h.get(b + ":").square().sum(new int[] {0, 1}).toFloatArray();
            double[] a = mk.get(group), r = rk.get(group);
            for (int j = 0; j < a.length; j++) {
              a[j] += cond[j];
              r[j] += unc[j];
            }
          });
          x = EulerSampler.step(model, x, k, s, text, probe);
        }
      }
      done += b;
      l.step(done);
    }
    return new Norms(mem, ref);
  }

  /**
   * The weights of every fc2 to zero: per step, per row, the top {@code share} of the row (by
   * |W_ij| ||x_j|| on the memorized prompts) among the weights more salient for them than for
   * the reference; united over the steps.
   */
  static Map<String, boolean[][]> select(FlowModel model, Norms norms, double share) {
    Map<String, boolean[][]> out = new LinkedHashMap<>();
    for (String group : norms.memorized().get(0).keySet()) {
      NDArray wArr = model.params().get(group + ".fc2.weight");
      int rows = (int) wArr.getShape().get(0), width = (int) wArr.getShape().get(1);
      float[] w = wArr.toFloatArray();
      int perRow = Math.max(1, (int) Math.round(share * width));
      boolean[][] zero = new boolean[rows][width];
      for (int k = 0; k < norms.memorized().size(); k++) {
        double[] nm = norms.memorized().get(k).get(group), nr = norms.reference().get(k).get(group);
        double[] sm = new double[width];
        for (int j = 0; j < width; j++) sm[j] = Math.sqrt(nm[j]);
        Integer[] order = new Integer[width];
        for (int i = 0; i < rows; i++) {
          final int row = i;
          for (int j = 0; j < width; j++) order[j] = j;
          Arrays.sort(order, (p, q) -> Double.compare(Math.abs(w[row * width + q]) * sm[q], Math.abs(w[row * width + p]) * sm[p]));
          int taken = 0;
          for (int idx = 0; idx < width && taken < perRow; idx++) {
            int j = order[idx];
            // More salient for the memorized prompt: |W_ij| ||x_j||_mem > |W_ij| ||x_j||_ref.
            if (nm[j] > nr[j] && w[row * width + j] != 0f) {
              zero[i][j] = true;
              taken++;
            }
          }
        }
      }
      out.put(group, zero);
    }
    return out;
  }
}
