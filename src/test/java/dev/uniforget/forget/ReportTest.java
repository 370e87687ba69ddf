package dev.uniforget.forget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.uniforget.io.Jsons;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.ModelConfig;
import dev.uniforget.model.PrunableUnits;
import dev.uniforget.model.TestModels;
import dev.uniforget.model.WordTokenizer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The forget report: its keys, its summary, and the same after a round trip through report.json. */
class ReportTest {
  @TempDir Path tmp;

  /** Keeps the first {@code kept} units of every group. */
  static Map<String, boolean[]> keepFirst(MaskLogits logits, double share) {
    Map<String, boolean[]> keep = new LinkedHashMap<>();
    for (var g : logits.groups()) {
      boolean[] k = new boolean[g.size()];
      for (int i = 0; i < k.length * share; i++) k[i] = true;
      keep.put(g.name(), k);
    }
    return keep;
  }

  @Test
  void shareKeysDoNotDependOnTheDefaultLocale() {
    Locale before = Locale.getDefault();
    try (NDManager root = NDManager.newBaseManager()) {
      WordTokenizer tok = TestModels.tokenizer();
      ModelConfig c = TestModels.tinyConfig(tok);
      MaskLogits logits = new MaskLogits(c, true, HardConcrete.DEFAULT, root);
      // In Turkish, "I".toLowerCase() is a dotless i: "modulatıon", "attentıon_head"; readers
      // (sweep, table) that look up "modulation" then find nothing.
      Locale.setDefault(Locale.forLanguageTag("tr-TR"));
      ForgetRun.Report r = Measures.shares(logits, keepFirst(logits, 0.5));
      assertEquals(List.of("ffn", "modulation", "attention_head", "whole_mask"), List.copyOf(r.deactivatedShare.keySet()));
      assertEquals(List.of("ffn", "modulation", "attention_head"), List.copyOf(r.deactivatedUnits.keySet()));
      assertEquals(0.5, r.deactivatedShare.get("ffn"), 1e-12);
      assertTrue(r.summary().contains("modulation"), r.summary());
    } finally {
      Locale.setDefault(before);
    }
  }

  @Test
  void summaryShowsEveryShareAlsoAfterAReadBack() throws Exception {
    Locale before = Locale.getDefault();
    try (NDManager root = NDManager.newBaseManager()) {
      Locale.setDefault(Locale.GERMANY); // decimal comma: the summary must not follow it
      WordTokenizer tok = TestModels.tokenizer();
      FlowModel model = FlowModel.initialize(TestModels.tinyConfig(tok), tok, root, 3);
      MaskLogits logits = new MaskLogits(model.config(), false, HardConcrete.DEFAULT, root);
      Map<String, boolean[]> keep = keepFirst(logits, 0.75);
      keep.put(PrunableUnits.FINAL_MODULATION, new boolean[keep.get(PrunableUnits.FINAL_MODULATION).length]);
      FlowModel pruned = Pruner.prune(model, keep, root);
      ForgetRun.Report r = Measures.report(model, pruned, logits, keep, root, 1);
      r.neutralSampleMse = 0.0123;
      r.fidelityPairs = 4;
      Path out = tmp.resolve("f");
      ForgetRun.write(out, pruned, logits, keep, List.of(), new ForgetConfig(), r, null, null);

      ForgetRun.Report back = ForgetRun.readReport(out);
      assertEquals(Jsons.MAPPER.writeValueAsString(r), Jsons.MAPPER.writeValueAsString(back));
      for (ForgetRun.Report x : List.of(r, back)) {
        String s = x.summary();
        String[] lines = s.split("\n");
        assertTrue(lines[0].startsWith("deactivated share") && lines[0].matches(".*\\d+\\.\\d %.*"),
            "the deactivated-share line carries the whole-mask share: " + lines[0]);
        assertTrue(lines[1].trim().startsWith("ffn") && lines[1].contains("25.0 %"), s);
        assertTrue(lines[2].trim().startsWith("modulation") && lines[2].matches(".*\\d+\\.\\d %.*"), s);
        assertTrue(s.contains("0.01230 (4 held-out pairs)"), s);
        assertTrue(!s.contains(","+ "0 %"), "no locale decimal comma: " + s);
      }
      double whole = r.deactivatedShare.get(ForgetRun.Report.WHOLE_MASK);
      assertTrue(whole > 0.25 && whole < 1, "whole mask " + whole);
      assertTrue(ForgetRun.isForgetOutput(out));
      assertEquals(keep.keySet(), ForgetRun.readKeep(out).keySet());
    } finally {
      Locale.setDefault(before);
    }
  }

  @Test
  void aReportWithoutSharesSaysSoInsteadOfAnEmptyLine() {
    String s = new ForgetRun.Report().summary();
    assertTrue(s.split("\n")[0].contains("not recorded"), s);
  }
}
