package dev.uniforget.compare;

import dev.uniforget.attack.AttackRun;
import dev.uniforget.audit.AuditMetrics;
import dev.uniforget.audit.AuditRun;
import dev.uniforget.baselines.BaselineRun;
import dev.uniforget.baselines.ConceptPrune;
import dev.uniforget.baselines.NeMo;
import dev.uniforget.baselines.WenMitigation;
import dev.uniforget.forget.ForgetRun;
import dev.uniforget.forget.RandomControl;
import dev.uniforget.forget.UniForget;
import dev.uniforget.io.AtomicFiles;
import dev.uniforget.io.Jsons;
import dev.uniforget.io.ProgressSink;
import dev.uniforget.io.Provenance;
import dev.uniforget.stats.Interval;
import dev.uniforget.unlearn.ConceptAblation;
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
 * The field on one bench: the chosen methods run on one model and lab, every result audited the
 * same way, one table. UniForget is told the neutral prompts only; the targeted methods are told
 * the memorized prompts (ConceptPrune, NeMo) or target/anchor pairs (Concept Ablation); Wen's
 * mitigation changes every generation instead of the model. Layout:
 *
 * <pre>
 *   METHOD/edit/    the method's output (a forget output or a baseline output), when it edits a model
 *   METHOD/audit/   its audit (the original's is the baseline of every other)
 *   table/compare.{md,json,html}
 * </pre>
 *
 * Every part records its provenance and is reused only when made by the same inputs, options and
 * code; otherwise the comparison stops and names the differences.
 */
public final class Compare {
  /** The methods, by their command-line names. */
  public enum Method {
    ORIGINAL("original"),
    UNIFORGET("uniforget"),
    RANDOM("random"),
    MAGNITUDE("magnitude"),
    CONCEPTPRUNE("conceptprune"),
    NEMO("nemo"),
    WEN("wen"),
    ABLATE("ablate"),
    ABLATE_THEN_UNIFORGET("ablate+uniforget"),
    UNIFORGET_THEN_ABLATE("uniforget+ablate");

    public final String cli;

    Method(String cli) {
      this.cli = cli;
    }

    public static Method parse(String s) {
      for (Method m : values()) if (m.cli.equals(s)) return m;
      List<String> names = new ArrayList<>();
      for (Method m : values()) names.add(m.cli);
      throw new IllegalArgumentException("--methods: unknown method '" + s + "', expected some of " + names);
    }

    String dir() {
      return cli.replace("+", "_then_");
    }
  }

  /** The attack's headline values shown "under attack" (with an attack). */
  public static final List<String> ATTACK_COLUMNS = List.of("replication_after", "never_seen_replication_after", "concept_after",
      "concept_after_new_classes");

  /**
   * The papers' own headline numbers, for orientation only: other models, data and judges, so
   * never comparable cell by cell with the table above (from ../shared/docs/method.md).
   */
  public static final List<String[]> PAPERS = List.of(
      new String[] {"UniForget (arXiv 2512.09687)", "FLUX.1 schnell, a vision-language judge",
          "Anime concept accuracy 68.7 -> 30.3 (beta 2) -> 16.3 (beta 5); COCO FID 32.0 -> 32.4 -> 38.9 (31.5 after retraining)"},
      new String[] {"UniForget + Concept Ablation (its Table 2)", "FLUX.1 schnell, I2P nudity", "nudity rate 30.3% -> 17.4% (CA) -> 18.1% (CA + UniForget medium)"},
      new String[] {"NeMo (Finding Dori's measurement)", "SD 1.4", "memorization rate 0.20, 0.99 under the embedding attack"},
      new String[] {"Wanda / ConceptPrune (Finding Dori's measurement)", "SD 1.4", "memorization rate 0.00, 0.72 under the embedding attack"},
      new String[] {"Adversarial fine-tuning (Finding Dori)", "SD 1.4", "memorization rate 0.02 under the attack"},
      new String[] {"UCE when scaled (UniForget's Fig. 7)", "FLUX.1", "FID rises about 5-6x at 100-1000 erased concepts; UniForget's one run stays flat"});

  /** The directory of the scaling runs, {@code OUT/scaling/METHOD_k}. */
  public static final String SCALING = "scaling";

  public static final List<String> COLUMNS = List.of("replication_rate", "target_nearest_is_own_share", "seed_collapse",
      "concept_rate", "fid", "kid", "alignment", "diversity_neutral");

  /** What to compare. */
  public static final class Request {
    public Path model;
    public Path lab;
    public Path instruments;
    public Path out;
    public List<Method> methods = new ArrayList<>();
    public List<String> neutralPrompts;
    /** Told to ConceptPrune and NeMo. */
    public List<String> memorizedPrompts;
    /** Told to Concept Ablation (required when a method ablates). */
    public List<ConceptAblation.Pair> pairs = List.of();
    public UniForget.Options forget = new UniForget.Options();
    public ConceptPrune.Options conceptPrune = new ConceptPrune.Options();
    public NeMo.Options nemo = new NeMo.Options();
    public WenMitigation.Options wen = new WenMitigation.Options();
    public ConceptAblation.Options ablate = new ConceptAblation.Options();
    public dev.uniforget.audit.Audit.Options audit = new dev.uniforget.audit.Audit.Options();
    /** The embedding attacks on every method's model ("under attack" columns), or null for none. */
    public AttackRun.Options attack;
    /** Prompt counts k: the targeted methods again, told only the first k memorized prompts (pairs). */
    public List<Integer> scaling = List.of();
  }

  private Compare() {}

  /** One row of the table. */
  public static final class Row {
    public String method;
    /** What the method was told. */
    public String told;
    /** What it changed, in words with numbers. */
    public String changed;
    public double localisationSeconds = Double.NaN;
    public double extraSecondsPerImage = 0;
    public Map<String, double[]> metrics = new LinkedHashMap<>(); // estimate, lo, hi
    public String audit;
    /** With an attack: the attack's headline (estimate, lo, hi) and its directory. */
    public Map<String, double[]> underAttack = new LinkedHashMap<>();
    public String attack;
  }

  /** Runs (or reuses) every part, writes the table; returns the rows. */
  public static List<Row> run(Request r, ProgressSink progress, Consumer<String> log) throws IOException {
    try (dev.uniforget.io.OutputLock lock = dev.uniforget.io.OutputLock.acquire(r.out)) {
      return runLocked(r, progress, log);
    }
  }

  private static List<Row> runLocked(Request r, ProgressSink progress, Consumer<String> log) throws IOException {
    if (r.methods.isEmpty()) throw new IllegalArgumentException("--methods: give at least one method");
    boolean ablates = r.methods.stream().anyMatch(m -> m.cli.contains("ablate"));
    if (ablates && r.pairs.isEmpty()) throw new IllegalArgumentException("--ablate-pairs: the ablating methods need target/anchor pairs");
    boolean targeted = r.methods.contains(Method.CONCEPTPRUNE) || r.methods.contains(Method.NEMO);
    if (targeted && (r.memorizedPrompts == null || r.memorizedPrompts.isEmpty())) {
      throw new IllegalArgumentException("--memorized: ConceptPrune and NeMo are told the memorized prompts");
    }
    Files.createDirectories(r.out);
    AuditMetrics original = audit(r, r.model, r.out.resolve(Method.ORIGINAL.dir()).resolve("audit"), null, null, progress, log);
    List<Row> rows = new ArrayList<>();
    if (r.methods.contains(Method.ORIGINAL)) {
      rows.add(row(Method.ORIGINAL, "-", "nothing", original, Double.NaN, 0));
      underAttack(r, last(rows), r.model, r.out.resolve(Method.ORIGINAL.dir()), null, progress, log);
    }
    Path uniforget = r.out.resolve(Method.UNIFORGET.dir()).resolve("edit");
    Path ablated = r.out.resolve(Method.ABLATE.dir()).resolve("edit");
    for (Method m : r.methods) {
      Path dir = r.out.resolve(m.dir());
      Path edit = dir.resolve("edit");
      switch (m) {
        case ORIGINAL -> {}
        case UNIFORGET, RANDOM, MAGNITUDE -> {
          ForgetRun.Report f = forget(r, r.model, uniforget, progress, log);
          if (m == Method.UNIFORGET) {
            rows.add(row(m, "neutral prompts (" + r.neutralPrompts.size() + ")", shares(f), audit(r, ForgetRun.model(uniforget),
                dir.resolve("audit"), original, null, progress, log), Double.NaN, 0));
            underAttack(r, last(rows), ForgetRun.model(uniforget), dir, null, progress, log);
          } else {
            RandomControl.Choice choice = m == Method.RANDOM ? RandomControl.Choice.RANDOM : RandomControl.Choice.SMALLEST_MAGNITUDE;
            ForgetRun.Report c = control(r, uniforget, edit, choice, log);
            rows.add(row(m, "the uniforget mask's unit counts", shares(c), audit(r, ForgetRun.model(edit), dir.resolve("audit"), original, null,
                progress, log), Double.NaN, 0));
            underAttack(r, last(rows), ForgetRun.model(edit), dir, null, progress, log);
          }
        }
        case CONCEPTPRUNE, NEMO -> rows.add(targeted(r, m, r.model, r.memorizedPrompts, r.pairs, dir, original, progress, log));
        case WEN -> {
          WenMitigation.Options w = r.wen.copy(); // the request stays as given
          if (Double.isNaN(w.target)) w.target = WenMitigation.neutralMagnitude(r.model, r.neutralPrompts, 4);
          AuditMetrics a = audit(r, r.model, dir.resolve("audit"), original, new WenMitigation(w), progress, log);
          double extra = a.mitigation == null ? Double.NaN : ((Number) a.mitigation.get("extra_seconds_per_image")).doubleValue();
          rows.add(row(m, String.format(Locale.ROOT, "a magnitude target (%.3f, the neutral prompts' mean)", w.target), "no weights; every generation",
              a, Double.NaN, extra));
          underAttack(r, last(rows), r.model, dir, new WenMitigation(w), progress, log);
        }
        case ABLATE, UNIFORGET_THEN_ABLATE -> {
          Path base = m == Method.ABLATE ? r.model : ForgetRun.model(uniforget);
          if (m == Method.UNIFORGET_THEN_ABLATE) forget(r, r.model, uniforget, progress, log);
          rows.add(targeted(r, m, base, r.memorizedPrompts, r.pairs, dir, original, progress, log));
        }
        case ABLATE_THEN_UNIFORGET -> {
          reuseOrRun(ablated, ConceptAblation.provenance(r.model, r.pairs, r.ablate), log,
              () -> ConceptAblation.run(r.model, r.pairs, r.ablate, ablated, progress));
          ForgetRun.Report f = forget(r, BaselineRun.model(ablated), edit, progress, log);
          rows.add(row(m, "pairs (" + r.pairs.size() + "), then neutral prompts", "ablation, then " + shares(f),
              audit(r, ForgetRun.model(edit), dir.resolve("audit"), original, null, progress, log), Double.NaN, 0));
          underAttack(r, last(rows), ForgetRun.model(edit), dir, null, progress, log);
        }
      }
    }
    // Fig. 7 analogue: the targeted methods told only the first k prompts (pairs), beside UniForget's one run.
    for (int k : r.scaling) {
      for (Method m : r.methods) {
        if (m != Method.CONCEPTPRUNE && m != Method.NEMO && m != Method.ABLATE) continue;
        List<String> mem = r.memorizedPrompts == null ? null : r.memorizedPrompts.subList(0, Math.min(k, r.memorizedPrompts.size()));
        List<ConceptAblation.Pair> pairs = r.pairs.subList(0, Math.min(k, r.pairs.size()));
        Row row = targeted(r, m, r.model, mem, pairs, r.out.resolve(SCALING).resolve(m.dir() + "_" + k), original, progress, log);
        row.method = m.cli + " @" + (m == Method.ABLATE ? pairs.size() : mem.size());
        rows.add(row);
      }
    }
    String md = table(rows);
    AtomicFiles.writeDirectoryAtomically(r.out.resolve("table"), true, tmp -> {
      Jsons.MAPPER.writeValue(tmp.resolve("compare.json").toFile(), rows);
      Files.writeString(tmp.resolve("compare.md"), md, StandardCharsets.UTF_8);
      Files.writeString(tmp.resolve("compare.html"), html(rows), StandardCharsets.UTF_8);
    });
    return rows;
  }

  /**
   * A targeted method (ConceptPrune or NeMo told {@code memorized}, Concept Ablation told
   * {@code pairs}) on {@code base}, in {@code dir}/{edit,audit[,attack]}: its row.
   */
  private static Row targeted(Request r, Method m, Path base, List<String> memorized, List<ConceptAblation.Pair> pairs, Path dir,
      AuditMetrics original, ProgressSink progress, Consumer<String> log) throws IOException {
    Path edit = dir.resolve("edit");
    BaselineRun.Report b;
    String changed;
    switch (m) {
      case CONCEPTPRUNE -> {
        b = reuseOrRun(edit, ConceptPrune.provenance(base, memorized, r.conceptPrune), log,
            () -> ConceptPrune.run(base, memorized, r.conceptPrune, edit, progress));
        changed = String.format(Locale.ROOT, "%,d fc2 weights zeroed (%.2f%%)", b.zeroedWeightsTotal, 100 * b.zeroedShare);
      }
      case NEMO -> {
        b = reuseOrRun(edit, NeMo.provenance(base, memorized, r.neutralPrompts, r.nemo), log,
            () -> NeMo.run(base, memorized, r.neutralPrompts, r.nemo, edit, progress));
        changed = b.details.get("neurons_off_union") + " of " + b.details.get("neurons_in_model") + " text-value neurons off; "
            + b.details.get("found_prompts") + " of " + b.details.get("flagged_prompts") + " flagged prompts found";
      }
      case ABLATE, UNIFORGET_THEN_ABLATE -> {
        b = reuseOrRun(edit, ConceptAblation.provenance(base, pairs, r.ablate), log, () -> ConceptAblation.run(base, pairs, r.ablate, edit, progress));
        changed = b.details.get("trained_parameters") + " parameters fine-tuned (" + b.details.get("weights") + "), " + b.details.get("steps") + " steps";
      }
      default -> throw new IllegalArgumentException(m.cli + " is not a targeted method");
    }
    Row row = row(m, b.setting, changed, audit(r, BaselineRun.model(edit), dir.resolve("audit"), original, null, progress, log), b.localisationSeconds, 0);
    underAttack(r, row, BaselineRun.model(edit), dir, null, progress, log);
    return row;
  }

  /** The baseline output in {@code dir} when its provenance matches, else runs it. */
  private static BaselineRun.Report reuseOrRun(Path dir, Provenance expected, Consumer<String> log, BaselineRun.Maker run)
      throws IOException {
    if (Files.isDirectory(dir)) log.accept("reusing " + dir);
    Files.createDirectories(dir.getParent());
    return BaselineRun.reuseOrRun(dir, expected, run);
  }

  private static ForgetRun.Report forget(Request r, Path model, Path out, ProgressSink progress, Consumer<String> log) throws IOException {
    if (Files.isDirectory(out)) log.accept("reusing " + out);
    Files.createDirectories(out.getParent());
    return UniForget.reuseOrRun(model, r.neutralPrompts, r.forget, out, progress);
  }

  private static ForgetRun.Report control(Request r, Path like, Path out, RandomControl.Choice choice, Consumer<String> log) throws IOException {
    if (Files.isDirectory(out)) log.accept("reusing " + out);
    Files.createDirectories(out.getParent());
    return RandomControl.reuseOrRun(r.model, like, out, choice, r.forget.config.seed, r.forget.timingImages);
  }

  private static AuditMetrics audit(Request r, Path model, Path out, AuditMetrics base, WenMitigation wen, ProgressSink progress,
      Consumer<String> log) throws IOException {
    AuditRun.Request a = new AuditRun.Request();
    a.model = model;
    a.lab = r.lab;
    a.instruments = r.instruments;
    a.out = out;
    a.baseline = base;
    a.options = r.audit.copy();
    a.options.promptEdit = wen;
    a.neutral = r.neutralPrompts;
    if (Files.isDirectory(out)) log.accept("reusing " + out);
    Files.createDirectories(out.getParent());
    return AuditRun.reuseOrRun(a, progress);
  }

  /**
   * With {@code r.attack} set: the embedding attacks on {@code row}'s model (in {@code dir/attack},
   * reused when it matches) and its "under attack" values on the row.
   */
  private static Row last(List<Row> rows) {
    return rows.get(rows.size() - 1);
  }

  private static void underAttack(Request r, Row row, Path model, Path dir, WenMitigation wen, ProgressSink progress,
      Consumer<String> log) throws IOException {
    if (r.attack == null) return;
    AttackRun.Request a = new AttackRun.Request();
    a.model = model;
    a.lab = r.lab;
    a.instruments = r.instruments;
    a.out = dir.resolve("attack");
    a.options = r.attack.copy();
    a.options.promptEdit = wen;
    if (Files.isDirectory(a.out)) log.accept("reusing " + a.out);
    AttackRun.Report rep = AttackRun.reuseOrRun(a, progress);
    for (String k : ATTACK_COLUMNS) {
      Object v = rep.headline.get(k);
      Interval i = v instanceof Interval iv ? iv : v instanceof Map<?, ?> map ? Jsons.MAPPER.convertValue(map, Interval.class) : null;
      row.underAttack.put(k, i == null ? new double[] {Double.NaN, Double.NaN, Double.NaN} : new double[] {i.estimate(), i.lo(), i.hi()});
    }
    row.attack = a.out.toString();
  }

  private static String shares(ForgetRun.Report f) {
    Double whole = f.deactivatedShare.get(ForgetRun.Report.WHOLE_MASK);
    return String.format(Locale.ROOT, "%.1f%% of the mask off (FFN %.1f%%, modulation %.1f%%)", 100 * (whole == null ? 0 : whole),
        100 * f.deactivatedShare.getOrDefault("ffn", 0.0), 100 * f.deactivatedShare.getOrDefault("modulation", 0.0));
  }

  private static Row row(Method m, String told, String changed, AuditMetrics a, double seconds, double extra) {
    Row row = new Row();
    row.method = m.cli;
    row.told = told;
    row.changed = changed;
    row.localisationSeconds = seconds;
    row.extraSecondsPerImage = extra;
    row.audit = a.model;
    for (String c : COLUMNS) {
      Double v = a.headline.get(c);
      double[] iv = a.intervals.get(c);
      row.metrics.put(c, new double[] {v == null ? Double.NaN : v, iv == null ? Double.NaN : iv[0], iv == null ? Double.NaN : iv[1]});
    }
    return row;
  }

  static String table(List<Row> rows) {
    boolean attacked = rows.stream().anyMatch(r -> !r.underAttack.isEmpty());
    StringBuilder sb = new StringBuilder("| method | told | changed | localisation s | extra s/image |");
    for (String c : COLUMNS) sb.append(' ').append(c).append(" |");
    if (attacked) for (String c : ATTACK_COLUMNS) sb.append(" under attack: ").append(c).append(" |");
    sb.append("\n|---|---|---|---|---|").append("---|".repeat(COLUMNS.size() + (attacked ? ATTACK_COLUMNS.size() : 0))).append('\n');
    for (Row r : rows) {
      sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s |", r.method, r.told, r.changed,
          Double.isNaN(r.localisationSeconds) ? "-" : String.format(Locale.ROOT, "%.1f", r.localisationSeconds),
          r.extraSecondsPerImage == 0 ? "0" : String.format(Locale.ROOT, "%.3f", r.extraSecondsPerImage)));
      for (String c : COLUMNS) sb.append(' ').append(cell(r.metrics.get(c))).append(" |");
      if (attacked) for (String c : ATTACK_COLUMNS) sb.append(' ').append(cell(r.underAttack.get(c))).append(" |");
      sb.append('\n');
    }
    sb.append("\nEvery value: the audit's estimate [95% bootstrap interval over prompts and seeds]; one run of each method"
        + " (one mask seed, one draw), so the intervals do not cover the methods' own randomness.\n");
    sb.append("\nThe papers' own headline numbers, for orientation only (other models, data and judges):\n\n| method | setting | reported |\n|---|---|---|\n");
    for (String[] p : PAPERS) sb.append("| ").append(p[0]).append(" | ").append(p[1]).append(" | ").append(p[2]).append(" |\n");
    return sb.toString();
  }

  private static String cell(double[] v) {
    if (v == null || Double.isNaN(v[0])) return "n/a";
    if (Double.isNaN(v[1])) return fmt(v[0]);
    return fmt(v[0]) + " [" + fmt(v[1]) + ", " + fmt(v[2]) + "]";
  }

  private static String fmt(double v) {
    return Math.abs(v) >= 100 ? String.format(Locale.ROOT, "%.0f", v) : Math.abs(v) >= 10 ? String.format(Locale.ROOT, "%.1f", v)
        : String.format(Locale.ROOT, "%.3f", v);
  }

  private static String html(List<Row> rows) {
    StringBuilder sb = new StringBuilder("<!doctype html><meta charset=\"utf-8\"><title>uniforget compare</title>"
        + "<style>body{font-family:sans-serif}td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px}table{border-collapse:collapse}</style>"
        + "<h1>The methods on one bench</h1><table><tr><th>method<th>told<th>changed<th>localisation s<th>extra s/image");
    for (String c : COLUMNS) sb.append("<th>").append(c);
    if (rows.stream().anyMatch(r -> !r.underAttack.isEmpty())) for (String c : ATTACK_COLUMNS) sb.append("<th>under attack: ").append(c);
    for (Row r : rows) {
      sb.append("<tr><td>").append(esc(r.method)).append("<td>").append(esc(r.told)).append("<td>").append(esc(r.changed))
          .append("<td>").append(Double.isNaN(r.localisationSeconds) ? "-" : String.format(Locale.ROOT, "%.1f", r.localisationSeconds))
          .append("<td>").append(String.format(Locale.ROOT, "%.3f", r.extraSecondsPerImage));
      for (String c : COLUMNS) sb.append("<td>").append(cell(r.metrics.get(c)));
      for (String c : ATTACK_COLUMNS) if (!r.underAttack.isEmpty()) sb.append("<td>").append(cell(r.underAttack.get(c)));
    }
    sb.append("</table><p>Estimates with 95% bootstrap intervals over prompts and seeds; one run of each method.</p>");
    sb.append("<h2>The papers' own numbers (orientation only: other models, data and judges)</h2><table><tr><th>method<th>setting<th>reported");
    for (String[] p : PAPERS) sb.append("<tr><td>").append(esc(p[0])).append("<td>").append(esc(p[1])).append("<td>").append(esc(p[2]));
    return sb.append("</table>").toString();
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
