package dev.uniforget.sweep;

import dev.uniforget.audit.AuditMetrics;
import dev.uniforget.audit.AuditRun;
import dev.uniforget.audit.Charts;
import dev.uniforget.stats.Interval;
import dev.uniforget.stats.SmallSample;
import dev.uniforget.forget.ForgetRun;
import dev.uniforget.forget.RandomControl;
import dev.uniforget.forget.UniForget;
import dev.uniforget.io.AtomicFiles;
import dev.uniforget.io.Jsons;
import dev.uniforget.io.ProgressSink;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The lab analogue of the paper's beta ablation, with error bars: for each beta, UniForget with
 * {@code repeats} mask seeds, one random control per seed (the same number of units per block and
 * module type, drawn at random), every model audited the same way; one table of means with 95%
 * t-intervals over the seeds (the original's row with its bootstrap intervals). Layout:
 *
 * <pre>
 *   original_audit/
 *   beta_B/seed_S/{forget, random, audit, random_audit}/
 *   sweep.json, sweep.md, *_vs_beta.png
 * </pre>
 *
 * Every part records its provenance; a part that exists is reused only when made by the same
 * inputs, options and code, otherwise the sweep stops and names the differences.
 */
public final class Sweep {
  public static final String TABLE_JSON = "sweep.json";
  public static final String TABLE_MD = "sweep.md";
  public static final List<String> COLUMNS = List.of("replication_rate", "target_copy_share", "target_nearest_is_own_share",
      "seed_collapse", "concept_rate", "fid", "kid", "alignment", "magnitude_auc", "neutral_copy_share");

  /** What to sweep. */
  public static final class Request {
    public Path model;
    public List<String> neutralPrompts;
    public Path lab;
    public Path instruments;
    public Path out;
    public List<Double> betas = List.of(0.02, 0.1, 0.5);
    public int repeats = 3;
    public UniForget.Options forget = new UniForget.Options();
    public dev.uniforget.audit.Audit.Options audit = new dev.uniforget.audit.Audit.Options();
  }

  private Sweep() {}

  /** Runs (or reuses) every part and writes the table; returns the table as JSON-ready maps. */
  public static Map<String, Object> run(Request r, ProgressSink progress, Consumer<String> log) throws IOException {
    try (dev.uniforget.io.OutputLock lock = dev.uniforget.io.OutputLock.acquire(r.out)) {
      return runLocked(r, progress, log);
    }
  }

  private static Map<String, Object> runLocked(Request r, ProgressSink progress, Consumer<String> log) throws IOException {
    if (r.betas.isEmpty()) throw new IllegalArgumentException("--betas: give at least one value");
    for (double b : r.betas) if (!(b >= 0) || !Double.isFinite(b)) throw new IllegalArgumentException("--betas: expected values >= 0, found " + b);
    if (r.repeats < 1) throw new IllegalArgumentException("--repeats: expected >= 1, found " + r.repeats);
    Files.createDirectories(r.out);
    AuditMetrics original = audit(r, r.model, r.out.resolve("original_audit"), null, progress, log);
    List<Map<String, Object>> rows = new ArrayList<>();
    for (double beta : r.betas) {
      List<AuditMetrics> forgets = new ArrayList<>(), randoms = new ArrayList<>();
      List<ForgetRun.Report> reports = new ArrayList<>();
      for (int k = 0; k < r.repeats; k++) {
        long seed = r.forget.config.seed + k;
        Path dir = r.out.resolve("beta_" + beta).resolve("seed_" + seed);
        Path forgotten = dir.resolve("forget");
        UniForget.Options fo = r.forget.withSeed(seed);
        fo.config.beta = beta;
        log.accept((Files.isDirectory(forgotten) ? "reusing " : "forget: beta " + beta + ", mask seed " + seed + " -> ") + forgotten);
        reports.add(UniForget.reuseOrRun(r.model, r.neutralPrompts, fo, forgotten, progress));
        Path control = dir.resolve("random");
        RandomControl.reuseOrRun(r.model, forgotten, control, seed, r.forget.timingImages);
        forgets.add(audit(r, forgotten.resolve(ForgetRun.MODEL), dir.resolve("audit"), original, progress, log));
        randoms.add(audit(r, control.resolve(ForgetRun.MODEL), dir.resolve("random_audit"), original, progress, log));
      }
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("beta", beta);
      row.put("repeats", r.repeats);
      Map<String, Interval> off = new LinkedHashMap<>();
      for (String kind : reports.get(0).deactivatedShare.keySet()) {
        off.put(kind, SmallSample.tInterval(reports.stream().mapToDouble(x -> x.deactivatedShare.getOrDefault(kind, 0.0)).toArray()));
      }
      row.put("deactivated", off);
      row.put("forget", summarize(forgets));
      row.put("random", summarize(randoms));
      rows.add(row);
    }
    Map<String, Object> all = new LinkedHashMap<>();
    Map<String, Object> orig = new LinkedHashMap<>();
    for (String c : COLUMNS) {
      double[] iv = original.intervals.get(c);
      Double v = original.headline.get(c);
      orig.put(c, new Interval(v == null ? Double.NaN : v, iv == null ? Double.NaN : iv[0], iv == null ? Double.NaN : iv[1], 0.95, 1, 0));
    }
    all.put("original", orig);
    all.put("rows", rows);
    all.put("note", "forget/random rows: mean over " + r.repeats + " mask seeds (one random control per seed) with a 95% t-interval over"
        + " the seeds; original row: the audit's 95% bootstrap interval over prompts and seeds");
    String md = table(all);
    AtomicFiles.writeDirectoryAtomically(r.out.resolve("table"), true, tmp -> {
      Jsons.MAPPER.writeValue(tmp.resolve(TABLE_JSON).toFile(), all);
      Files.writeString(tmp.resolve(TABLE_MD), md, StandardCharsets.UTF_8);
      plots(tmp, orig, rows);
    });
    return all;
  }

  private static AuditMetrics audit(Request r, Path model, Path out, AuditMetrics base, ProgressSink progress, Consumer<String> log)
      throws IOException {
    AuditRun.Request a = new AuditRun.Request();
    a.model = model;
    a.lab = r.lab;
    a.instruments = r.instruments;
    a.out = out;
    a.baseline = base;
    a.options = r.audit;
    if (Files.isDirectory(out)) log.accept("reusing " + out);
    return AuditRun.reuseOrRun(a, progress);
  }

  private static Map<String, Interval> summarize(List<AuditMetrics> audits) {
    Map<String, Interval> out = new LinkedHashMap<>();
    for (String c : COLUMNS) {
      double[] v = audits.stream().mapToDouble(a -> a.headline.getOrDefault(c, Double.NaN)).toArray();
      boolean finite = java.util.Arrays.stream(v).allMatch(Double::isFinite);
      out.put(c, finite ? SmallSample.tInterval(v) : new Interval(Double.NaN, Double.NaN, Double.NaN, 0.95, v.length, 0));
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  static String table(Map<String, Object> all) {
    StringBuilder sb = new StringBuilder("| model | beta | FFN off | mod off | whole off |");
    for (String c : COLUMNS) sb.append(' ').append(c).append(" |");
    sb.append("\n|---|---|---|---|---|").append("---|".repeat(COLUMNS.size())).append('\n');
    sb.append("| original | - | 0 | 0 | 0 |");
    Map<String, Interval> orig = (Map<String, Interval>) all.get("original");
    for (String c : COLUMNS) sb.append(' ').append(cell(orig.get(c))).append(" |");
    sb.append('\n');
    for (Map<String, Object> row : (List<Map<String, Object>>) all.get("rows")) {
      Map<String, Interval> off = (Map<String, Interval>) row.get("deactivated");
      for (String kind : List.of("forget", "random")) {
        sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s |", kind, row.get("beta"), cell(off.get("ffn")),
            cell(off.get("modulation")), cell(off.get("whole_mask"))));
        Map<String, Interval> v = (Map<String, Interval>) row.get(kind);
        for (String c : COLUMNS) sb.append(' ').append(cell(v.get(c))).append(" |");
        sb.append('\n');
      }
    }
    sb.append('\n').append(all.get("note")).append('\n');
    return sb.toString();
  }

  private static String cell(Interval i) {
    if (i == null) return "-";
    if (Double.isNaN(i.lo())) return Double.isNaN(i.estimate()) ? "n/a" : fmt(i.estimate());
    return fmt(i.estimate()) + " [" + fmt(i.lo()) + ", " + fmt(i.hi()) + "]";
  }

  private static String fmt(double v) {
    return Math.abs(v) >= 100 ? String.format(Locale.ROOT, "%.0f", v) : Math.abs(v) >= 10 ? String.format(Locale.ROOT, "%.1f", v)
        : String.format(Locale.ROOT, "%.3f", v);
  }

  @SuppressWarnings("unchecked")
  private static void plots(Path dir, Map<String, Object> orig, List<Map<String, Object>> rows) throws IOException {
    double[] x = rows.stream().mapToDouble(r -> (Double) r.get("beta")).toArray();
    boolean logX = java.util.Arrays.stream(x).allMatch(v -> v > 0);
    for (String metric : List.of("replication_rate", "target_nearest_is_own_share", "seed_collapse", "concept_rate", "fid", "alignment")) {
      Map<String, double[][]> series = new LinkedHashMap<>();
      for (String kind : List.of("forget", "random")) {
        boolean bands = rows.stream().allMatch(r -> Double.isFinite(((Map<String, Interval>) r.get(kind)).get(metric).lo()));
        series.put(kind + " (mean)", new double[][] {x, rows.stream().mapToDouble(r -> ((Map<String, Interval>) r.get(kind)).get(metric).estimate()).toArray()});
        if (!bands) continue;
        series.put(kind + " (95% lo)", new double[][] {x, rows.stream().mapToDouble(r -> ((Map<String, Interval>) r.get(kind)).get(metric).lo()).toArray()});
        series.put(kind + " (95% hi)", new double[][] {x, rows.stream().mapToDouble(r -> ((Map<String, Interval>) r.get(kind)).get(metric).hi()).toArray()});
      }
      double[] flat = new double[x.length];
      java.util.Arrays.fill(flat, ((Interval) orig.get(metric)).estimate());
      series.put("original", new double[][] {x, flat});
      Charts.lines(dir.resolve(metric + "_vs_beta.png"), metric + " vs beta (mean over mask seeds, 95% t-interval)", "beta", metric, series, logX);
    }
  }
}
