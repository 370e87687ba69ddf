package dev.uniforget.forget;

import com.fasterxml.jackson.databind.SerializationFeature;
import dev.uniforget.io.AtomicFiles;
import dev.uniforget.io.Jsons;
import dev.uniforget.io.Safetensors;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.ModelDir;
import dev.uniforget.model.UnitGroup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The forget output directory (of {@link UniForget} and of the {@link RandomControl}): the one
 * place that knows its file names and reads and writes it. Written as one directory, atomically:
 *
 * <pre>
 *   model/                     the pruned model (a model directory)
 *   mask/mask.safetensors      logits.GROUP and keep.GROUP (0/1) per unit group
 *   mask/training_log.jsonl    one line per mask-training step (empty for the control)
 *   mask/forget_config.json    the settings that made the mask
 *   report.json                {@link Report}
 * </pre>
 */
public final class ForgetRun {
  public static final String MODEL = "model";
  public static final String MASK = "mask";
  public static final String MASK_FILE = "mask.safetensors";
  public static final String TRAINING_LOG = "training_log.jsonl";
  public static final String CONFIG = "forget_config.json";
  public static final String REPORT = "report.json";
  /** The "format" metadata of the mask file. */
  public static final String MASK_FORMAT = "uniforget-mask/1";

  /** The report: deactivated shares (like the paper's Table 5), size, FLOPs and speed. */
  public static final class Report {
    /** Share of units switched off per module type ({@link #kindKey}) and for the whole mask ({@link #WHOLE_MASK}). */
    public Map<String, Double> deactivatedShare = new LinkedHashMap<>();
    public Map<String, Integer> deactivatedUnits = new LinkedHashMap<>();
    public long parametersBefore;
    public long parametersAfter;
    public long flopsPerImageBefore;
    public long flopsPerImageAfter;
    /** Median seconds to sample {@link #samplingImages} images, over {@link #samplingRepeats} interleaved repeats. */
    public double samplingSecondsBefore;
    public double samplingSecondsAfter;
    /** [min, max] of those repeats (null in reports written before repeats were recorded). */
    public double[] samplingSecondsBeforeRange;
    public double[] samplingSecondsAfterRange;
    public int samplingImages;
    public int samplingRepeats;
    /** Median over the interleaved pairs of (original seconds / pruned seconds). */
    public double speedup;
    /** [min, max] of the pairs' speed-ups. */
    public double[] speedupRange;
    public double flopsRatio;
    /** Final-sample MSE vs the original on held-out neutral (prompt, seed) pairs, every prompt at least once. */
    public double neutralSampleMse = Double.NaN;
    /** The same after --retrain (NaN when not retrained). */
    public double neutralSampleMseAfterRetrain = Double.NaN;
    /** Held-out (prompt, seed) pairs behind {@link #neutralSampleMse} (0: not measured). */
    public int fidelityPairs;
    public int retrainSteps;

    /** The key of the whole mask in {@link #deactivatedShare}. */
    public static final String WHOLE_MASK = "whole_mask";

    /** The key of a module type in {@link #deactivatedShare} and {@link #deactivatedUnits}: "ffn", "modulation", "attention_head". */
    public static String kindKey(UnitGroup.Kind kind) {
      return kind.name().toLowerCase(Locale.ROOT);
    }

    /**
     * The summary a person reads, one line per measure (locale-independent numbers): the
     * whole-mask share on the "deactivated share" line itself, then one line per module type.
     */
    public String summary() {
      StringBuilder sb = new StringBuilder();
      Double whole = deactivatedShare.get(WHOLE_MASK);
      line(sb, "deactivated share, whole mask", whole == null ? "not recorded" : percent(whole) + units(null));
      deactivatedShare.forEach((k, v) -> {
        if (!k.equals(WHOLE_MASK)) line(sb, "  " + k, percent(v) + units(deactivatedUnits.get(k)));
      });
      line(sb, "parameters", String.format(Locale.ROOT, "%,d -> %,d", parametersBefore, parametersAfter));
      line(sb, "FLOPs per image", String.format(Locale.ROOT, "%,d -> %,d (x%.2f fewer)", flopsPerImageBefore, flopsPerImageAfter, flopsRatio));
      String spread = speedupRange == null ? "" : String.format(Locale.ROOT, " [x%.2f-x%.2f over %d interleaved repeats]",
          speedupRange[0], speedupRange[1], samplingRepeats);
      line(sb, "sampling " + samplingImages + " images", String.format(Locale.ROOT, "%.2f s -> %.2f s (median x%.2f faster%s; the matrix-product FLOPs predict at most x%.2f)",
          samplingSecondsBefore, samplingSecondsAfter, speedup, spread, flopsRatio));
      if (Double.isFinite(neutralSampleMse)) {
        line(sb, "neutral final-sample MSE vs original", String.format(Locale.ROOT, "%.5f", neutralSampleMse)
            + (fidelityPairs > 0 ? " (" + fidelityPairs + " held-out pairs)" : ""));
      }
      if (retrainSteps > 0) {
        line(sb, "  after retrain", String.format(Locale.ROOT, "%.5f (after %d retrain steps)", neutralSampleMseAfterRetrain, retrainSteps));
      }
      return sb.toString();
    }

    private String units(Integer n) {
      if (n == null) {
        int all = 0;
        for (int u : deactivatedUnits.values()) all += u;
        n = deactivatedUnits.isEmpty() ? null : all;
      }
      return n == null ? "" : String.format(Locale.ROOT, " (%,d units)", n);
    }

    private static String percent(double share) {
      return String.format(Locale.ROOT, "%5.1f %%", 100 * share);
    }

    private static void line(StringBuilder sb, String label, String value) {
      sb.append(String.format(Locale.ROOT, "%-38s %s%n", label, value));
    }
  }

  private ForgetRun() {}

  /** {@code dir/model}: the pruned model of a forget output. */
  public static Path model(Path dir) {
    return dir.resolve(MODEL);
  }

  /** True when {@code dir} holds a forget output's mask and report. */
  public static boolean isForgetOutput(Path dir) {
    return Files.isRegularFile(dir.resolve(MASK).resolve(MASK_FILE)) && Files.isRegularFile(dir.resolve(REPORT));
  }

  /** The report of a forget (or random-control) output. */
  public static Report readReport(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) throw new IOException(dir + ": not a forget output (no such directory)");
    Path file = dir.resolve(REPORT);
    if (!Files.isRegularFile(file)) throw new IOException(dir + ": not a forget output (missing " + REPORT + ")");
    return Jsons.read(file, Report.class);
  }

  /** The binary keep pattern saved by a forget (or prune-random) run in {@code dir/mask}. */
  public static Map<String, boolean[]> readKeep(Path dir) throws IOException {
    Path file = dir.resolve(MASK).resolve(MASK_FILE);
    if (!Files.isRegularFile(file)) throw new IOException(dir + ": not a forget output (missing " + MASK + "/" + MASK_FILE + ")");
    Map<String, boolean[]> keep = new LinkedHashMap<>();
    try (var f = Safetensors.open(file)) {
      for (String name : f.names()) {
        if (!name.startsWith("keep.")) continue;
        long[] shape = f.info(name).shape();
        if (shape.length != 1) throw new IOException(file + ": tensor " + name + " has shape " + java.util.Arrays.toString(shape) + ", expected one dimension (one 0/1 per unit)");
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
   * Writes a forget output to {@code out} atomically (temp sibling + rename); {@code out} must not
   * exist and must not be the input model.
   */
  public static void write(Path out, FlowModel pruned, MaskLogits logits, Map<String, boolean[]> keep,
      List<?> log, Object config, Report report, Path inputModel, dev.uniforget.io.Provenance provenance) throws IOException {
    if (inputModel != null && out.toAbsolutePath().normalize().equals(inputModel.toAbsolutePath().normalize())) {
      throw new IllegalArgumentException("--out must differ from the input model " + inputModel);
    }
    AtomicFiles.writeDirectoryAtomically(out, false, tmp -> {
      if (provenance != null) provenance.write(tmp);
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
      Safetensors.write(mask.resolve(MASK_FILE), tensors, Map.of("format", MASK_FORMAT));
      StringBuilder sb = new StringBuilder();
      var line = Jsons.MAPPER.writer().without(SerializationFeature.INDENT_OUTPUT);
      for (Object l : log) sb.append(line.writeValueAsString(l)).append('\n');
      Files.writeString(mask.resolve(TRAINING_LOG), sb);
      Jsons.MAPPER.writeValue(mask.resolve(CONFIG).toFile(), config);
      Jsons.MAPPER.writeValue(tmp.resolve(REPORT).toFile(), report);
    });
  }
}
