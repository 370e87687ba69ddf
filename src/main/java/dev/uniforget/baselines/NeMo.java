package dev.uniforget.baselines;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.uniforget.io.ProgressSink;
import dev.uniforget.io.Provenance;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.ModelConfig;
import dev.uniforget.model.ModelDir;
import dev.uniforget.model.Stream;
import dev.uniforget.model.TextEncoding;
import dev.uniforget.model.UnitMasks;
import dev.uniforget.model.WordTokenizer;
import dev.uniforget.sampling.EulerSampler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * NeMo (Hintersdorf et al., NeurIPS 2024), a targeted baseline told the memorized prompts. Its
 * neurons are the output channels of the value projections on the text tokens
 * ({@link Stream#textValue()}: the text stream's in double blocks, the text positions' in
 * single blocks). A neuron's activation for a prompt is its mean |value| over the prompt's
 * words at the first sampler step (conditional branch, mean over seeds); the neutral prompts
 * give each neuron's mean and standard deviation.
 *
 * <p>The detector: at the first step, the guided prediction of the clean image
 * x0 = x_T - v(x_T) for several starting noises; a memorized prompt predicts nearly the same
 * image from every noise. Its score is the mean pairwise correlation of those predictions; the
 * threshold is derived on this model as mean + 1 sd of the neutral prompts' scores.
 *
 * <p>For each memorized prompt the detector flags: initial selection (the neurons whose z-score
 * exceeds theta, theta lowered from 5 by 0.25, plus the top-k per group, until switching them
 * off brings the score below the threshold; when even every neuron off does not, the prompt is
 * reported as not found and its neurons are left on), then refinement (re-enable whole groups, then
 * single neurons, as long as the score stays below). Switched off at every step in both
 * guidance branches; the union over the prompts is written as one static model
 * ({@code text_value_off} in its config).
 */
public final class NeMo {
  public static final String METHOD = "nemo";

  /** Settings. */
  public static final class Options {
    /** Starting noises behind a detector score. */
    public int detectorSeeds = 8;
    /** Starting noises behind a prompt's activations. */
    public int activationSeeds = 2;
    public double thetaStart = 5;
    public double thetaStep = 0.25;
    /** Neurons of highest z-score added per group at every theta. */
    public int topK = 0;
    public long seed = 0;

    public void validate() {
      if (detectorSeeds < 2) throw new IllegalArgumentException("--detector-seeds: expected >= 2, found " + detectorSeeds);
      if (activationSeeds < 1) throw new IllegalArgumentException("--activation-seeds: expected >= 1, found " + activationSeeds);
      if (!(thetaStep > 0) || !Double.isFinite(thetaStart)) {
        throw new IllegalArgumentException("theta: expected a finite start and a step > 0, found start " + thetaStart + ", step " + thetaStep);
      }
      if (topK < 0) throw new IllegalArgumentException("--top-k: expected >= 0, found " + topK);
    }
  }

  /** A neuron: channel {@code channel} of the text-value group {@code group}. */
  record Neuron(String group, int channel) implements Comparable<Neuron> {
    @Override
    public int compareTo(Neuron o) {
      int c = group.compareTo(o.group);
      return c != 0 ? c : Integer.compare(channel, o.channel);
    }
  }

  /** What NeMo found for one memorized prompt. */
  public static final class PromptResult {
    public String prompt;
    public double scoreBefore;
    public double scoreAfter;
    public boolean flagged;
    public boolean found;
    public double theta = Double.NaN;
    public int neuronsInitial;
    public int neurons;
    public Map<String, List<Integer>> off = new TreeMap<>();
  }

  private NeMo() {}

  /** The text-value groups of a model, in stream order. */
  static List<String> groups(ModelConfig c) {
    List<String> out = new ArrayList<>();
    for (Stream s : c.streams()) if (s.kind() != Stream.Kind.DOUBLE_IMAGE) out.add(s.textValue());
    return out;
  }

  /** Localises the memorized prompts' neurons, writes the union as a static model to {@code out}. */
  public static BaselineRun.Report run(Path modelDir, List<String> memorized, List<String> neutral, Options o, Path out, ProgressSink progress)
      throws IOException {
    o.validate();
    if (memorized.isEmpty()) throw new IllegalArgumentException("no memorized prompts (NeMo is told which prompts to remove)");
    if (neutral.size() < 2) throw new IllegalArgumentException("NeMo needs at least 2 neutral prompts for its statistics and threshold");
    if (Files.exists(out)) throw new IllegalArgumentException("--out " + out + " already exists (expected a new directory)");
    ProgressSink l = progress == null ? ProgressSink.NONE : progress;
    try (NDManager root = NDManager.newBaseManager(); FlowModel model = ModelDir.load(modelDir, root)) {
      if (model.config().sampler.guidance == 1f) throw new IllegalArgumentException("NeMo's detector uses the guided first step; the model samples without guidance");
      long t0 = System.nanoTime();
      List<String> groups = groups(model.config());
      l.phase("nemo: neutral statistics", neutral.size());
      List<Map<String, double[]>> neutralActs = new ArrayList<>();
      for (int i = 0; i < neutral.size(); i++) {
        neutralActs.add(activations(model, neutral.get(i), o, root));
        l.step(i + 1);
      }
      Map<String, double[]> mean = new LinkedHashMap<>(), sd = new LinkedHashMap<>();
      int d = model.config().hiddenSize;
      for (String g : groups) {
        double[] m = new double[d], s = new double[d];
        for (Map<String, double[]> a : neutralActs) for (int c = 0; c < d; c++) m[c] += a.get(g)[c] / neutralActs.size();
        for (Map<String, double[]> a : neutralActs) for (int c = 0; c < d; c++) s[c] += Math.pow(a.get(g)[c] - m[c], 2) / (neutralActs.size() - 1);
        for (int c = 0; c < d; c++) s[c] = Math.sqrt(s[c]);
        mean.put(g, m);
        sd.put(g, s);
      }
      double[] neutralScores = new double[neutral.size()];
      l.phase("nemo: detector threshold", neutral.size());
      for (int i = 0; i < neutral.size(); i++) {
        neutralScores[i] = score(model, neutral.get(i), new TreeSet<>(), o, root);
        l.step(i + 1);
      }
      double nm = java.util.Arrays.stream(neutralScores).average().orElse(Double.NaN);
      double nsd = Math.sqrt(java.util.Arrays.stream(neutralScores).map(x -> (x - nm) * (x - nm)).sum() / (neutralScores.length - 1));
      double threshold = nm + nsd;

      List<PromptResult> results = new ArrayList<>();
      TreeSet<Neuron> union = new TreeSet<>();
      l.phase("nemo: memorized prompts", memorized.size());
      for (int i = 0; i < memorized.size(); i++) {
        PromptResult r = localise(model, memorized.get(i), groups, mean, sd, threshold, o, root);
        results.add(r);
        r.off.forEach((g, cs) -> cs.forEach(c -> union.add(new Neuron(g, c))));
        l.step(i + 1);
      }
      double seconds = (System.nanoTime() - t0) / 1e9;

      ModelConfig edited = model.config().copy();
      for (Neuron n : union) {
        List<Integer> cs = edited.textValueOff.computeIfAbsent(n.group(), k -> new ArrayList<>());
        if (!cs.contains(n.channel())) cs.add(n.channel());
      }
      edited.textValueOff.values().forEach(java.util.Collections::sort);
      FlowModel editedModel = new FlowModel(edited, model.tokenizer(), model.params());
      BaselineRun.Report report = new BaselineRun.Report();
      report.method = METHOD;
      report.setting = "memorized prompts (" + memorized.size() + "), neutral prompts for statistics (" + neutral.size() + ")";
      report.prompts = memorized.size();
      report.localisationSeconds = seconds;
      report.details.put("detector_threshold", threshold);
      report.details.put("neutral_score_mean", nm);
      report.details.put("neutral_score_sd", nsd);
      report.details.put("neurons_in_model", groups.size() * d);
      report.details.put("neurons_off_union", union.size());
      report.details.put("flagged_prompts", results.stream().filter(r -> r.flagged).count());
      report.details.put("found_prompts", results.stream().filter(r -> r.found).count());
      report.details.put("per_prompt", results);
      BaselineRun.write(out, editedModel, report, provenance(modelDir, memorized, neutral, o));
      l.message(String.format(Locale.ROOT, "nemo: threshold %.4f (neutral %.4f +- %.4f); %d of %d prompts flagged, %d neurons off in all, %.1f s",
          threshold, nm, nsd, results.stream().filter(r -> r.flagged).count(), memorized.size(), union.size(), seconds));
      return report;
    }
  }

  public static Provenance provenance(Path modelDir, List<String> memorized, List<String> neutral, Options o) throws IOException {
    return Provenance.of(METHOD).input("model", modelDir).inputText("prompts", String.join("\n", memorized))
        .inputText("neutral", String.join("\n", neutral)).option("detector_seeds", o.detectorSeeds)
        .option("activation_seeds", o.activationSeeds).option("theta", List.of(o.thetaStart, o.thetaStep))
        .option("top_k", o.topK).option("seed", o.seed);
  }

  /** Initial selection and refinement for one prompt. */
  static PromptResult localise(FlowModel model, String prompt, List<String> groups, Map<String, double[]> mean, Map<String, double[]> sd,
      double threshold, Options o, NDManager root) {
    PromptResult r = new PromptResult();
    r.prompt = prompt;
    r.scoreBefore = score(model, prompt, new TreeSet<>(), o, root);
    r.scoreAfter = r.scoreBefore;
    r.flagged = r.scoreBefore > threshold;
    if (!r.flagged) return r;
    Map<String, double[]> act = activations(model, prompt, o, root);
    Map<String, double[]> z = new LinkedHashMap<>();
    for (String g : groups) {
      double[] zz = new double[act.get(g).length];
      for (int c = 0; c < zz.length; c++) zz[c] = (act.get(g)[c] - mean.get(g)[c]) / (sd.get(g)[c] + 1e-8);
      z.put(g, zz);
    }
    TreeSet<Neuron> off = new TreeSet<>();
    double s = r.scoreBefore;
    int all = 0;
    double minZ = Double.POSITIVE_INFINITY;
    for (double[] zz : z.values()) {
      all += zz.length;
      for (double v : zz) if (Double.isFinite(v)) minZ = Math.min(minZ, v);
    }
    // theta falls from thetaStart by thetaStep until the detector stops flagging, or every neuron is off.
    for (double theta = o.thetaStart; ; theta -= o.thetaStep) {
      if (theta < minZ - o.thetaStep) break; // every neuron with a finite z-score was tried
      TreeSet<Neuron> next = select(z, theta, o.topK);
      if (next.isEmpty() || next.size() == off.size()) continue; // nothing new at this theta
      off = next;
      s = score(model, prompt, off, o, root);
      r.theta = theta;
      if (s < threshold) {
        r.found = true;
        break;
      }
      if (off.size() == all) break;
    }
    r.neuronsInitial = off.size();
    if (!r.found) off = new TreeSet<>(); // not found: nothing is switched off for this prompt
    if (r.found) {
      // Refinement: whole groups back on while the detector stays below the threshold, then single neurons.
      for (String g : groups) {
        TreeSet<Neuron> without = new TreeSet<>(off);
        without.removeIf(n -> n.group().equals(g));
        if (without.size() == off.size()) continue;
        double sw = score(model, prompt, without, o, root);
        if (sw < threshold) {
          off = without;
          s = sw;
        }
      }
      for (Neuron n : new ArrayList<>(off)) {
        if (off.size() == 1) break;
        TreeSet<Neuron> without = new TreeSet<>(off);
        without.remove(n);
        double sw = score(model, prompt, without, o, root);
        if (sw < threshold) {
          off = without;
          s = sw;
        }
      }
    }
    r.scoreAfter = s;
    r.neurons = off.size();
    for (Neuron n : off) r.off.computeIfAbsent(n.group(), k -> new ArrayList<>()).add(n.channel());
    return r;
  }

  /** The neurons whose z-score exceeds {@code theta}, plus the top {@code topK} of each group. */
  static TreeSet<Neuron> select(Map<String, double[]> z, double theta, int topK) {
    TreeSet<Neuron> out = new TreeSet<>();
    for (Map.Entry<String, double[]> e : z.entrySet()) {
      double[] zz = e.getValue();
      Integer[] order = new Integer[zz.length];
      for (int c = 0; c < zz.length; c++) {
        order[c] = c;
        if (zz[c] > theta) out.add(new Neuron(e.getKey(), c));
      }
      java.util.Arrays.sort(order, (a, b) -> Double.compare(zz[b], zz[a]));
      for (int k = 0; k < Math.min(topK, zz.length); k++) out.add(new Neuron(e.getKey(), order[k]));
    }
    return out;
  }

  /** 0/1 masks switching {@code off} off, by group. */
  private static UnitMasks masks(TreeSet<Neuron> off, int d, NDManager m) {
    Map<String, float[]> v = new LinkedHashMap<>();
    for (Neuron n : off) {
      float[] a = v.computeIfAbsent(n.group(), k -> {
        float[] ones = new float[d];
        java.util.Arrays.fill(ones, 1f);
        return ones;
      });
      a[n.channel()] = 0f;
    }
    Map<String, NDArray> arrays = new LinkedHashMap<>();
    v.forEach((g, a) -> arrays.put(g, m.create(a)));
    return new UnitMasks(arrays);
  }

  /**
   * The detector: the mean pairwise correlation of the first step's guided clean-image
   * predictions x0 = x_T - v(x_T) over {@code detectorSeeds} starting noises, with {@code off}
   * switched off (1 = the same image from every noise).
   */
  static double score(FlowModel model, String prompt, TreeSet<Neuron> off, Options o, NDManager root) {
    int n = o.detectorSeeds;
    try (NDManager m = root.newSubManager()) {
      List<String> prompts = java.util.Collections.nCopies(n, prompt);
      TextEncoding text = EulerSampler.encodeForGuidance(model, m, prompts, model.config().sampler.guidance);
      long[] seeds = new long[n];
      for (int i = 0; i < n; i++) seeds[i] = o.seed + 1000 + i;
      NDArray x = EulerSampler.noise(m, model, seeds);
      NDArray v = EulerSampler.guidedVelocity(model, x, 1f, text, model.config().sampler.guidance, masks(off, model.config().hiddenSize, m));
      float[] x0 = x.sub(v).toFloatArray();
      int per = x0.length / n;
      double[][] c = new double[n][per];
      for (int i = 0; i < n; i++) {
        double mu = 0, ss = 0;
        for (int j = 0; j < per; j++) mu += x0[i * per + j];
        mu /= per;
        for (int j = 0; j < per; j++) {
          c[i][j] = x0[i * per + j] - mu;
          ss += c[i][j] * c[i][j];
        }
        double norm = Math.sqrt(ss) + 1e-12;
        for (int j = 0; j < per; j++) c[i][j] /= norm;
      }
      double sum = 0;
      int pairs = 0;
      for (int i = 0; i < n; i++) {
        for (int k = i + 1; k < n; k++) {
          double dot = 0;
          for (int j = 0; j < per; j++) dot += c[i][j] * c[k][j];
          sum += dot;
          pairs++;
        }
      }
      return sum / pairs;
    }
  }

  /** A prompt's neuron activations: mean |value| over its words at the first step (conditional branch), mean over seeds. */
  static Map<String, double[]> activations(FlowModel model, String prompt, Options o, NDManager root) {
    int n = o.activationSeeds, d = model.config().hiddenSize;
    Map<String, double[]> out = new LinkedHashMap<>();
    for (String g : groups(model.config())) out.put(g, new double[d]);
    try (NDManager m = root.newSubManager()) {
      long[] ids = model.tokenize(m, prompt).toLongArray();
      int words = 0;
      for (long id : ids) if (id != WordTokenizer.PAD_ID) words++;
      if (words == 0) return out;
      final int w = words;
      List<String> prompts = java.util.Collections.nCopies(n, prompt);
      TextEncoding text = EulerSampler.encodeForGuidance(model, m, prompts, model.config().sampler.guidance);
      long[] seeds = new long[n];
      for (int i = 0; i < n; i++) seeds[i] = o.seed + i;
      NDArray x = EulerSampler.noise(m, model, seeds);
      UnitMasks probe = UnitMasks.probing((group, a) -> {
        double[] acc = out.get(group);
        if (acc == null) return; // an MLP, not a text value
        // a: (2n, L, d), rows [cond...; uncond...]; the conditional rows at the prompt's words
        float[] abs = a.get("0:" + n).abs().toFloatArray();
        int l = ids.length;
        for (int i = 0; i < n; i++) {
          for (int t = 0; t < l; t++) {
            if (ids[t] == WordTokenizer.PAD_ID) continue;
            for (int c = 0; c < d; c++) acc[c] += abs[(i * l + t) * d + c] / ((double) n * w);
          }
        }
      });
      EulerSampler.guidedVelocity(model, x, 1f, text, model.config().sampler.guidance, probe);
    }
    return out;
  }
}
