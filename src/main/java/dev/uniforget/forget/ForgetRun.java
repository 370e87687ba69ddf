package dev.uniforget.forget;

import ai.djl.ndarray.NDManager;
import dev.uniforget.io.AtomicFiles;
import dev.uniforget.io.Jsons;
import dev.uniforget.io.Safetensors;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.Flops;
import dev.uniforget.model.ModelDir;
import dev.uniforget.model.UnitGroup;
import dev.uniforget.model.UnitMasks;
import dev.uniforget.sampling.EulerSampler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the outcome of a forget run as one directory, atomically: {@code model/} (the pruned
 * model), {@code mask/mask.safetensors} (logits and 0/1 keep per unit group),
 * {@code mask/training_log.jsonl}, {@code mask/forget_config.json} and {@code report.json}.
 */
public final class ForgetRun {
  public static final String MODEL = "model";
  public static final String MASK = "mask";

  /** The report: deactivated shares (like the paper's Table 5), size, FLOPs and speed. */
  public static final class Report {
    public Map<String, Double> deactivatedShare = new LinkedHashMap<>();
    public Map<String, Integer> deactivatedUnits = new LinkedHashMap<>();
    public long parametersBefore;
    public long parametersAfter;
    public long flopsPerImageBefore;
    public long flopsPerImageAfter;
    public double samplingSecondsBefore;
    public double samplingSecondsAfter;
    public int samplingImages;
    public double speedup;
    public double flopsRatio;
    /** Final-sample MSE vs the original on held-out neutral (prompt, seed) pairs. */
    public double neutralSampleMse = Double.NaN;
    /** The same after --retrain (NaN when not retrained). */
    public double neutralSampleMseAfterRetrain = Double.NaN;
    public int retrainSteps;
  }

  private ForgetRun() {}

  /** The binary keep pattern saved by a forget (or prune-random) run in {@code dir/mask}. */
  public static Map<String, boolean[]> readKeep(Path dir) throws IOException {
    Path file = dir.resolve(MASK).resolve("mask.safetensors");
    if (!Files.isRegularFile(file)) throw new IOException(dir + ": not a forget output (missing mask/mask.safetensors)");
    Map<String, boolean[]> keep = new LinkedHashMap<>();
    try (var f = Safetensors.open(file)) {
      for (String name : f.names()) {
        if (!name.startsWith("keep.")) continue;
        float[] v = f.readFloats(name);
        boolean[] k = new boolean[v.length];
        for (int i = 0; i < v.length; i++) {
          if (v[i] != 0f && v[i] != 1f) throw new IOException(file + ": tensor " + name + " must hold 0/1, found " + v[i]);
          k[i] = v[i] == 1f;
        }
        keep.put(name.substring("keep.".length()), k);
      }
    }
    if (keep.isEmpty()) throw new IOException(file + ": no keep.* tensors");
    return keep;
  }

  /**
   * Mean squared difference between {@code model}'s and {@code original}'s final samples for
   * the same (prompt, seed) pairs: how faithfully neutral generation is kept.
   */
  public static double sampleMse(FlowModel original, FlowModel model, UnitMasks masks, List<String> prompts,
      long[] seeds, EulerSampler.Settings s, NDManager root) {
    float[][] a = EulerSampler.sample(original, root, prompts, seeds, s, UnitMasks.NONE, 64, null);
    float[][] b = EulerSampler.sample(model, root, prompts, seeds, s, masks, 64, null);
    double sum = 0;
    long n = 0;
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < a[i].length; j++) {
        double d = a[i][j] - b[i][j];
        sum += d * d;
        n++;
      }
    }
    return sum / n;
  }

  public static Report report(FlowModel original, FlowModel pruned, MaskLogits logits, Map<String, boolean[]> keep,
      NDManager root, int timingImages) {
    Report r = new Report();
    long offAll = 0, all = 0;
    for (Map.Entry<UnitGroup.Kind, double[]> e : MaskTrainer.countsByKind(logits, keep).entrySet()) {
      double kept = e.getValue()[0], n = e.getValue()[1];
      r.deactivatedShare.put(e.getKey().name().toLowerCase(), 1 - kept / n);
      r.deactivatedUnits.put(e.getKey().name().toLowerCase(), (int) (n - kept));
      offAll += (long) (n - kept);
      all += (long) n;
    }
    r.deactivatedShare.put("whole_mask", all == 0 ? 0 : (double) offAll / all);
    r.parametersBefore = original.params().parameterCount();
    r.parametersAfter = pruned.params().parameterCount();
    var s = original.config().sampler;
    r.flopsPerImageBefore = Flops.perImage(original.config(), s.steps, s.guidance);
    r.flopsPerImageAfter = Flops.perImage(pruned.config(), s.steps, s.guidance);
    r.flopsRatio = (double) r.flopsPerImageBefore / r.flopsPerImageAfter;
    // Sampling time before/after, measured in one run, alternating to share any machine noise.
    EulerSampler.Settings settings = new EulerSampler.Settings(s.steps, s.guidance);
    List<String> prompts = new ArrayList<>();
    long[] seeds = new long[timingImages];
    for (int i = 0; i < timingImages; i++) {
      prompts.add("");
      seeds[i] = i;
    }
    time(original, root, prompts, seeds, settings); // warm-up
    time(pruned, root, prompts, seeds, settings);
    for (int rep = 0; rep < 2; rep++) {
      r.samplingSecondsBefore += time(original, root, prompts, seeds, settings) / 2;
      r.samplingSecondsAfter += time(pruned, root, prompts, seeds, settings) / 2;
    }
    r.samplingImages = timingImages;
    r.speedup = r.samplingSecondsBefore / r.samplingSecondsAfter;
    return r;
  }

  private static double time(FlowModel m, NDManager root, List<String> prompts, long[] seeds, EulerSampler.Settings s) {
    long t0 = System.nanoTime();
    EulerSampler.sample(m, root, prompts, seeds, s, UnitMasks.NONE, 64, null);
    return (System.nanoTime() - t0) / 1e9;
  }

  public static void write(Path out, FlowModel pruned, MaskLogits logits, Map<String, boolean[]> keep,
      List<?> log, Object config, Report report, Path inputModel) throws IOException {
    if (inputModel != null && out.toAbsolutePath().normalize().equals(inputModel.toAbsolutePath().normalize())) {
      throw new IllegalArgumentException("--out must differ from the input model " + inputModel);
    }
    AtomicFiles.writeDirectoryAtomically(out, false, tmp -> {
      ModelDir.save(pruned, tmp.resolve(MODEL), false, Map.of("pruned_by", "uniforget forget"));
      Path mask = tmp.resolve(MASK);
      Files.createDirectories(mask);
      Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>();
      for (UnitGroup g : logits.groups()) {
        float[] l = logits.store().get(g.name()).toFloatArray();
        boolean[] k = keep.get(g.name());
        float[] kv = new float[k.length];
        for (int i = 0; i < k.length; i++) kv[i] = k[i] ? 1f : 0f;
        tensors.put("logits." + g.name(), Safetensors.Tensor.f32(new long[] {l.length}, l));
        tensors.put("keep." + g.name(), Safetensors.Tensor.f32(new long[] {kv.length}, kv));
      }
      Safetensors.write(mask.resolve("mask.safetensors"), tensors, Map.of("format", "uniforget-mask/1"));
      StringBuilder sb = new StringBuilder();
      for (Object l : log) sb.append(Jsons.MAPPER.writer().without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT).writeValueAsString(l)).append('\n');
      Files.writeString(mask.resolve("training_log.jsonl"), sb);
      Jsons.MAPPER.writeValue(mask.resolve("forget_config.json").toFile(), config);
      Jsons.MAPPER.writeValue(tmp.resolve("report.json").toFile(), report);
    });
  }
}
