package dev.uniforget.audit;

import dev.uniforget.audit.stats.Roc;
import dev.uniforget.io.AtomicFiles;
import dev.uniforget.io.ImageGrid;
import dev.uniforget.io.Jsons;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes an audit directory atomically: {@code metrics.json}, the charts as PNG files and
 * {@code report.html}, self-contained (images inlined) so it reads offline. With a baseline
 * (another audit's metrics.json) the headline table shows both models side by side with deltas.
 */
public final class AuditReport {
  private AuditReport() {}

  public static final String METRICS = "metrics.json";
  public static final String REPORT = "report.html";

  /** Reads an audit's {@code metrics.json} (of this version; an older audit is a clear error). */
  public static AuditMetrics readMetrics(Path file) throws IOException {
    if (Files.isDirectory(file)) file = file.resolve(METRICS);
    com.fasterxml.jackson.databind.JsonNode node;
    try {
      node = Jsons.MAPPER.readTree(file.toFile());
    } catch (IOException e) {
      throw new IOException(file + ": not a readable audit metrics.json: " + e.getMessage(), e);
    }
    String format = node == null ? null : node.path("format").asText(null);
    if (!AuditMetrics.FORMAT.equals(format)) {
      throw new IOException(file + ": field 'format': expected \"" + AuditMetrics.FORMAT + "\", found " + format
          + " (an audit by an older uniforget: audit the model again)");
    }
    return Jsons.read(file, AuditMetrics.class);
  }

  public static void write(Path out, Audit.Result r, AuditMetrics baseline, int imageSize, boolean replace,
      dev.uniforget.io.IOConsumer<Path> extra) throws IOException {
    AtomicFiles.writeDirectoryAtomically(out, replace, tmp -> {
      Jsons.MAPPER.writeValue(tmp.resolve(METRICS).toFile(), r.metrics());
      if (extra != null) extra.accept(tmp);
      Audit.Evidence ev = r.evidence();
      Map<String, double[]> cal = new LinkedHashMap<>();
      cal.put("real held-out vs nearest training (negatives)", ev.calibrationNegatives);
      cal.put("changed copies of training images (positives)", ev.calibrationPositives);
      cal.put("neutral generations", ev.neutralScores);
      if (ev.targetSampleScores.length > 0) cal.put("target generations", ev.targetSampleScores);
      Charts.histograms(tmp.resolve("copy_scores.png"), "copy score (descriptor cosine to nearest training image)",
          "cosine", cal, 40);
      if (ev.targetMagnitudes.length > 0) {
        Map<String, double[]> mag = new LinkedHashMap<>();
        mag.put("neutral prompts", ev.neutralMagnitudes);
        mag.put("target prompts", ev.targetMagnitudes);
        Charts.histograms(tmp.resolve("magnitude.png"), "text-conditional magnitude per prompt", "mean ||v_c - v_u||", mag, 30);
        Roc.Curve c = Roc.curve(ev.targetMagnitudes, ev.neutralMagnitudes);
        Map<String, double[][]> roc = new LinkedHashMap<>();
        roc.put(String.format("magnitude (AUC %.3f)", Roc.auc(ev.targetMagnitudes, ev.neutralMagnitudes)), new double[][] {c.fpr(), c.tpr()});
        roc.put("chance", new double[][] {{0, 1}, {0, 1}});
        Charts.lines(tmp.resolve("magnitude_roc.png"), "target vs neutral prompts", "false positive rate", "true positive rate", roc, false);
      }
      Files.writeString(tmp.resolve(REPORT), html(r, baseline, imageSize, tmp), StandardCharsets.UTF_8);
    });
  }

  private static String html(Audit.Result r, AuditMetrics base, int size, Path dir) throws IOException {
    AuditMetrics m = r.metrics();
    Audit.Evidence ev = r.evidence();
    StringBuilder h = new StringBuilder();
    h.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>uniforget audit</title><style>")
        .append("body{font-family:sans-serif;margin:24px;max-width:1200px}table{border-collapse:collapse}")
        .append("td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#eee}")
        .append("td.l,th.l{text-align:left}.bad{color:#b00}.good{color:#070}img{image-rendering:pixelated}")
        .append(".small{font-size:11px;color:#444}</style></head><body>");
    h.append("<h1>uniforget audit</h1><p>model <code>").append(esc(m.model)).append("</code>, lab <code>")
        .append(esc(m.lab)).append("</code>, ").append(m.seedsPerPrompt).append(" seeds per prompt.</p>");
    h.append("<h2>Headline</h2><table><tr><th class=l>metric</th><th>this model</th><th>95% interval</th>");
    if (base != null) h.append("<th>baseline</th><th>delta</th>");
    h.append("</tr>");
    for (Map.Entry<String, Double> e : m.headline.entrySet()) {
      double[] iv = m.intervals.get(e.getKey());
      h.append("<tr><td class=l>").append(e.getKey()).append("</td><td>").append(fmt(e.getValue())).append("</td><td>")
          .append(iv == null ? "" : "[" + fmt(iv[0]) + ", " + fmt(iv[1]) + "]").append("</td>");
      if (base != null) {
        Double b = base.headline.get(e.getKey());
        h.append("<td>").append(b == null ? "-" : fmt(b)).append("</td><td>")
            .append(b == null ? "-" : fmt(e.getValue() - b)).append("</td>");
      }
      h.append("</tr>");
    }
    h.append("</table><p class=small>").append(esc(m.intervalNote)).append("</p>");
    if (base != null) h.append("<p class=small>baseline: <code>").append(esc(base.model)).append("</code></p>");

    AuditMetrics.Calibration c = m.calibration;
    h.append("<h2>Copy detection (thresholds calibrated on real images)</h2><p>Descriptor test: cosine above ").append(fmt(c.threshold))
        .append(" = the ").append(fmt(c.negativePercentile)).append("th percentile of ").append(c.negatives)
        .append(" held-out real images vs their nearest training image (share above: ").append(fmt(c.negativeRate))
        .append("); ").append(fmt(c.positiveRecall)).append(" of ").append(c.positives)
        .append(c.positivesUnseenByDescriptor ? " changed copies of training images the descriptor never saw" : " changed copies of training images (IN-SAMPLE: this descriptor has no held-out images)")
        .append(" (noise, speckle, blur, shift; and gamma, downscale, erase, families it was not trained on) exceed it")
        .append(". Pixel-ratio test: d1/d2 below ").append(fmt(c.ratioThreshold)).append(" (held-out images below: ")
        .append(fmt(c.ratioNegativeRate)).append("; copies found: ").append(fmt(c.ratioRecall))
        .append("). A sample is a copy when either test says so: held-out images ").append(fmt(c.combinedNegativeRate))
        .append(", changed copies ").append(fmt(c.combinedRecall)).append(" (trained families ").append(fmt(c.recallSeenFamilies))
        .append(", untrained families ").append(fmt(c.recallUnseenFamilies)).append(")")
        .append(c.combinedMeetsRecall ? " <span class=good>(>= required recall)</span>" : " <span class=bad>(below the required recall)</span>")
        .append("; by change:");
    c.recallByKind.forEach((k, v) -> h.append(' ').append(k).append(' ').append(fmt(v)));
    h.append(".</p><p>Low-pass copy rule (a separate rule, reported beside the one above; grain over a fixed picture is averaged")
        .append(" down on 4x4-box low-passed images): d1/d2 there below ").append(fmt(c.lowPassThreshold)).append(" (held-out images below: ")
        .append(fmt(c.lowPassNegativeRate)).append("; changed copies found: ").append(fmt(c.lowPassRecall)).append("; by change:");
    c.lowPassRecallByKind.forEach((k, v) -> h.append(' ').append(k).append(' ').append(fmt(v)));
    h.append(").</p>").append(img(dir.resolve("copy_scores.png")));
    if (Files.exists(dir.resolve("magnitude.png"))) {
      h.append("<h2>Text-conditional magnitude (Wen et al.)</h2>").append(img(dir.resolve("magnitude.png")))
          .append(img(dir.resolve("magnitude_roc.png")));
    }
    h.append("<h2>Verbatim targets</h2><p class=small>Each row: the target's training image, a gap, then the ")
        .append("samples; under each sample its copy score and d1/d2 (strict copy when d1/d2 &lt; 1/3).</p><table>")
        .append("<tr><th class=l>prompt</th><th>copies of own</th><th>strict</th><th>nearest = own</th><th>low-pass copies</th><th>seed collapse</th><th>low-pass collapse</th>")
        .append("<th>magnitude</th><th class=l>training image | samples</th></tr>");
    for (int i = 0; i < m.targets.size(); i++) {
      AuditMetrics.TargetRow t = m.targets.get(i);
      List<float[]> row = new ArrayList<>();
      row.add(ev.targetOwnImages.get(i));
      row.add(new float[ev.targetOwnImages.get(i).length]);
      row.addAll(ev.targetSamples.get(i));
      StringBuilder notes = new StringBuilder();
      for (int j = 0; j < ev.targetScores.get(i).length; j++) {
        notes.append(String.format("%.2f/%.2f ", ev.targetScores.get(i)[j], ev.targetRatios.get(i)[j]));
      }
      h.append("<tr><td class=l>").append(esc(t.prompt)).append("</td><td class=").append(t.replicated ? "bad" : "good").append(">")
          .append(t.copiesOfOwn).append("/").append(t.samples).append("</td><td>").append(t.strictCopies).append("/").append(t.samples)
          .append("</td><td>").append(t.nearestIsOwn).append("/").append(t.samples).append("</td><td>").append(t.lowPassCopiesOfOwn).append("/")
          .append(t.samples).append("</td><td>").append(fmt(t.seedCollapse))
          .append("</td><td>").append(fmt(t.seedCollapseLowPass)).append("</td><td>").append(fmt(t.magnitude)).append("</td><td class=l>")
          .append(inline(ImageGrid.pngBytes(List.of(row), size, 2))).append("<br><span class=small>").append(notes)
          .append("</span></td></tr>");
    }
    h.append("</table><h2>Protected concepts</h2><table><tr><th class=l>prompt</th><th class=l>concept</th><th>seen pair</th><th>rate</th><th class=l>samples</th></tr>");
    for (int i = 0; i < m.concepts.size(); i++) {
      AuditMetrics.ConceptRow cr = m.concepts.get(i);
      h.append("<tr><td class=l>").append(esc(cr.prompt)).append("</td><td class=l>").append(esc(cr.concept)).append("</td><td>").append(cr.seenInTraining ? "yes" : "no")
          .append("</td><td>").append(fmt(cr.rate)).append("</td><td class=l>")
          .append(inline(ImageGrid.pngBytes(List.of(ev.conceptSamples.get(i)), size, 2))).append("</td></tr>");
    }
    h.append("</table><h2>Timing (s)</h2><table>");
    m.seconds.forEach((k, v) -> h.append("<tr><td class=l>").append(k).append("</td><td>").append(fmt(v)).append("</td></tr>"));
    return h.append("</table></body></html>\n").toString();
  }

  private static String img(Path png) throws IOException {
    return inline(Files.readAllBytes(png));
  }

  private static String inline(byte[] png) {
    return "<img src=\"data:image/png;base64," + Base64.getEncoder().encodeToString(png) + "\">";
  }

  static String fmt(double v) {
    if (Double.isNaN(v)) return "n/a";
    return Math.abs(v) >= 100 ? String.format("%.1f", v) : String.format("%.3f", v);
  }

  private static String esc(String s) {
    return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
