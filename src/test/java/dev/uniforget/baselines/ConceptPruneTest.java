package dev.uniforget.baselines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.uniforget.io.ProgressSink;
import dev.uniforget.io.Provenance;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.ModelDir;
import dev.uniforget.model.TestModels;
import dev.uniforget.model.WordTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConceptPruneTest {
  @TempDir Path tmp;

  static final List<String> MEMORIZED = List.of("a red square", "dark");

  private Path saveTinyModel(boolean flux) throws Exception {
    WordTokenizer tok = TestModels.tokenizer();
    return TestModels.saveRandom(tmp.resolve(flux ? "flux" : "model"), flux ? TestModels.tinyDoubleConfig(tok) : TestModels.tinyConfig(tok), 11);
  }

  private static ConceptPrune.Options options() {
    ConceptPrune.Options o = new ConceptPrune.Options();
    o.share = 0.05;
    o.firstSteps = 3;
    o.seeds = 2;
    return o;
  }

  @Test
  void zeroesOnlyFc2WeightsMoreSalientForTheMemorizedPromptsAtMostTheSharePerRowAndStep() throws Exception {
    for (boolean flux : new boolean[] {false, true}) {
      Path modelDir = saveTinyModel(flux);
      Path out = tmp.resolve(flux ? "out_flux" : "out");
      BaselineRun.Report r = ConceptPrune.run(modelDir, MEMORIZED, options(), out, null);
      assertEquals(ConceptPrune.METHOD, r.method);
      assertEquals("memorized prompts (2)", r.setting);
      assertTrue(r.zeroedWeightsTotal > 0, "something is pruned");
      assertTrue(Provenance.read(out).differences(ConceptPrune.provenance(modelDir, MEMORIZED, options())).isEmpty());
      assertTrue(Files.isRegularFile(out.resolve(Provenance.FILE)));

      try (NDManager root = NDManager.newBaseManager();
          FlowModel before = ModelDir.load(modelDir, root);
          FlowModel after = ModelDir.load(BaselineRun.model(out), root)) {
        ConceptPrune.Norms norms = ConceptPrune.activationNorms(before, MEMORIZED, options(), root, ProgressSink.NONE);
        assertEquals(3, norms.memorized().size());
        long zeroed = 0;
        for (String name : before.params().names()) {
          float[] a = before.params().get(name).toFloatArray(), b = after.params().get(name).toFloatArray();
          if (!name.endsWith(".ffn.fc2.weight")) {
            assertEquals(0.0, TestModels.maxAbsDiff(a, b), 0.0, name + " must be untouched");
            continue;
          }
          String group = name.substring(0, name.length() - ".fc2.weight".length());
          long rows = before.params().get(name).getShape().get(0);
          int width = (int) before.params().get(name).getShape().get(1);
          int perRow = Math.max(1, (int) Math.round(0.05 * width));
          for (int i = 0; i < rows; i++) {
            int inRow = 0;
            for (int j = 0; j < width; j++) {
              float x = a[i * width + j], y = b[i * width + j];
              if (x == y) continue;
              assertEquals(0f, y, name + "[" + i + "," + j + "] changed but not to 0");
              inRow++;
              boolean salient = false;
              for (int k = 0; k < 3; k++) salient |= norms.memorized().get(k).get(group)[j] > norms.reference().get(k).get(group)[j];
              assertTrue(salient, name + " column " + j + " was never more salient for the memorized prompts");
            }
            assertTrue(inRow <= 3 * perRow, name + " row " + i + ": " + inRow + " zeroed, cap " + 3 * perRow);
            zeroed += inRow;
          }
        }
        assertEquals(r.zeroedWeightsTotal, zeroed);
      }
    }
  }

  @Test
  void badSettingsAreRefusedAndNothingIsWritten() throws Exception {
    Path modelDir = saveTinyModel(false);
    ConceptPrune.Options zero = options();
    zero.share = 0;
    assertThrows(IllegalArgumentException.class, () -> ConceptPrune.run(modelDir, MEMORIZED, zero, tmp.resolve("a"), null));
    assertThrows(IllegalArgumentException.class, () -> ConceptPrune.run(modelDir, List.of(), options(), tmp.resolve("b"), null));
    Files.createDirectories(tmp.resolve("c"));
    assertThrows(IllegalArgumentException.class, () -> ConceptPrune.run(modelDir, MEMORIZED, options(), tmp.resolve("c"), null));
    assertTrue(!Files.exists(tmp.resolve("a")) && !Files.exists(tmp.resolve("b")));
  }
}
