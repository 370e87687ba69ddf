package dev.uniforget.cli;

import dev.uniforget.audit.AuditMetrics;
import dev.uniforget.audit.Charts;
import dev.uniforget.forget.ForgetConfig;
import dev.uniforget.forget.ForgetRun;
import dev.uniforget.io.Jsons;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code uniforget sweep}: the lab analogue of the paper's beta ablation, with random controls. */
@Command(name = "sweep", mixinStandardHelpOptions = true,
    header = "Forget and audit at several betas, with random controls.",
    description = {
      "Forget at each beta, audit each pruned model and its random control (same units per",
      "group), and write one table (OUT/sweep.md, OUT/sweep.json) and plots vs beta. Every",
      "finished part is kept: re-running continues where it stopped."
    })
final class SweepCommand implements Callable<Integer> {
  @Option(names = "--model", required = true, description = "The model to prune.")
  Path modelDir;

  @Option(names = "--prompts", required = true, description = "Neutral prompts for forget.")
  Path prompts;

  @Option(names = "--lab", required = true, description = "The lab, for the audits only.")
  Path lab;

  @Option(names = "--judge", required = true, description = "Output of `uniforget judge train` for the lab.")
  Path judge;

  @Option(names = "--out", required = true, description = "Output directory (created; parts already there are reused).")
  Path out;

  @Option(names = "--betas", split = ",", description = "Betas (default: ${DEFAULT-VALUE}).")
  List<Double> betas = List.of(0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0);

  @Option(names = "--steps", description = "Mask training steps per beta (default: ${DEFAULT-VALUE}).")
  int steps = new ForgetConfig().steps;

  @Option(names = "--batch-size", description = "Mask training batch (default: ${DEFAULT-VALUE}).")
  int batchSize = new ForgetConfig().batchSize;

  @Option(names = "--seeds", description = "Audit seeds per prompt (default: ${DEFAULT-VALUE}).")
  int seeds = 8;

  @Option(names = "--fid-images", description = "Audit FID generations (default: ${DEFAULT-VALUE}).")
  int fidImages = 1000;

  @Option(names = "--fashion-mnist", description = "Folder of the gzipped IDX files (default: ${DEFAULT-VALUE}).")
  Path fashionMnist = dev.uniforget.data.FashionMnist.DEFAULT_DIR;

  static final List<String> COLUMNS = List.of("replication_rate", "replication_rate_strict", "target_copy_share",
      "target_nearest_is_own_share", "seed_collapse", "concept_rate", "fid", "alignment", "magnitude_auc",
      "neutral_copy_share");

  @Override
  public Integer call() throws Exception {
    if (betas.isEmpty()) throw new IllegalArgumentException("--betas: give at least one value");
    for (double b : betas) if (!(b >= 0)) throw new IllegalArgumentException("--betas: expected values >= 0, found " + b);
    Files.createDirectories(out);
    List<String> neutral = SampleCommand.readPrompts(prompts);
    AuditMetrics original = auditOnce(modelDir, out.resolve("original_audit"), null);
    List<Map<String, Object>> rows = new ArrayList<>();
    for (double beta : betas) {
      Path dir = out.resolve("beta_" + beta);
      Files.createDirectories(dir);
      Path forgotten = dir.resolve("forget");
      if (!Files.isDirectory(forgotten)) {
        ForgetConfig cfg = new ForgetConfig();
        cfg.beta = beta;
        cfg.steps = steps;
        cfg.batchSize = batchSize;
        ForgetCommand.forget(modelDir, neutral, cfg, null, 0, 1e-4f, 64, 64, forgotten);
      }
      Path control = dir.resolve("random");
      if (!Files.isDirectory(control)) PruneRandomCommand.pruneRandom(modelDir, forgotten, control, 0, 64);
      AuditMetrics a = auditOnce(forgotten.resolve(ForgetRun.MODEL), dir.resolve("audit"), original);
      AuditMetrics r = auditOnce(control.resolve(ForgetRun.MODEL), dir.resolve("random_audit"), original);
      ForgetRun.Report rep = Jsons.read(forgotten.resolve("report.json"), ForgetRun.Report.class);
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("beta", beta);
      row.put("deactivated", rep.deactivatedShare);
      row.put("forget", pick(a));
      row.put("random", pick(r));
      rows.add(row);
    }
    Map<String, Object> all = new LinkedHashMap<>();
    all.put("original", pick(original));
    all.put("rows", rows);
    Jsons.write(out.resolve("sweep.json"), all);
    Files.writeString(out.resolve("sweep.md"), table(original, rows), StandardCharsets.UTF_8);
    plots(original, rows);
    System.out.print(table(original, rows));
    return 0;
  }

  private AuditMetrics auditOnce(Path model, Path auditDir, AuditMetrics baseline) throws Exception {
    if (Files.isRegularFile(auditDir.resolve("metrics.json"))) return Jsons.read(auditDir.resolve("metrics.json"), AuditMetrics.class);
    return AuditCommand.audit(model, lab, judge, auditDir, baseline, null, null, seeds, fidImages, fashionMnist, false);
  }

  private static Map<String, Double> pick(AuditMetrics m) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (String c : COLUMNS) out.put(c, m.headline.get(c));
    return out;
  }

  @SuppressWarnings("unchecked")
  static String table(AuditMetrics original, List<Map<String, Object>> rows) {
    StringBuilder sb = new StringBuilder("| model | beta | FFN off | mod off | whole off |");
    for (String c : COLUMNS) sb.append(' ').append(c).append(" |");
    sb.append("\n|---|---|---|---|---|").append("---|".repeat(COLUMNS.size())).append('\n');
    sb.append("| original | - | 0 | 0 | 0 |");
    for (String c : COLUMNS) sb.append(String.format(" %.3f |", original.headline.get(c)));
    sb.append('\n');
    for (Map<String, Object> row : rows) {
      Map<String, Double> off = (Map<String, Double>) row.get("deactivated");
      for (String kind : List.of("forget", "random")) {
        sb.append(String.format("| %s | %s | %.3f | %.3f | %.3f |", kind, row.get("beta"), off.getOrDefault("ffn", 0.0),
            off.getOrDefault("modulation", 0.0), off.getOrDefault("whole_mask", 0.0)));
        Map<String, Double> v = (Map<String, Double>) row.get(kind);
        for (String c : COLUMNS) sb.append(String.format(" %.3f |", v.get(c)));
        sb.append('\n');
      }
    }
    return sb.toString();
  }

  @SuppressWarnings("unchecked")
  private void plots(AuditMetrics original, List<Map<String, Object>> rows) throws Exception {
    double[] x = rows.stream().mapToDouble(r -> (Double) r.get("beta")).toArray();
    boolean logX = java.util.Arrays.stream(x).allMatch(v -> v > 0);
    for (String metric : List.of("replication_rate", "target_copy_share", "target_nearest_is_own_share", "seed_collapse",
        "concept_rate", "fid", "alignment")) {
      Map<String, double[][]> series = new LinkedHashMap<>();
      for (String kind : List.of("forget", "random")) {
        series.put(kind, new double[][] {x, rows.stream().mapToDouble(r -> ((Map<String, Double>) r.get(kind)).get(metric)).toArray()});
      }
      double[] flat = new double[x.length];
      java.util.Arrays.fill(flat, original.headline.get(metric));
      series.put("original", new double[][] {x, flat});
      Charts.lines(out.resolve(metric + "_vs_beta.png"), metric + " vs beta", "beta", metric, series, logX);
    }
    Map<String, double[][]> sparsity = new LinkedHashMap<>();
    for (String kind : List.of("ffn", "modulation", "whole_mask")) {
      sparsity.put(kind, new double[][] {x, rows.stream().mapToDouble(r -> ((Map<String, Double>) r.get("deactivated")).getOrDefault(kind, 0.0)).toArray()});
    }
    Charts.lines(out.resolve("sparsity_vs_beta.png"), "deactivated share vs beta", "beta", "share", sparsity, logX);
  }
}
