package dev.uniforget.unlearn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.uniforget.baselines.BaselineRun;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.ModelDir;
import dev.uniforget.model.TestModels;
import dev.uniforget.model.UnitMasks;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConceptAblationTest {
  @TempDir Path tmp;

  static final String TARGET = "a blue circle on green grass", ANCHOR = "a red square", NEUTRAL = "light";

  /** Mean squared difference of two prompts' velocities (models a, b) at fixed random points. */
  private static double distance(FlowModel a, String pa, FlowModel b, String pb, NDManager root) {
    try (NDManager m = root.newSubManager()) {
      SplittableRandom rng = new SplittableRandom(99);
      int n = 16;
      NDArray x = m.create(TestModels.gaussians(rng, n * 64, 1.0), new Shape(n, 1, 8, 8));
      float[] t = new float[n];
      for (int i = 0; i < n; i++) t[i] = (i + 0.5f) / n;
      String[] ra = new String[n], rb = new String[n];
      java.util.Arrays.fill(ra, pa);
      java.util.Arrays.fill(rb, pb);
      NDArray va = a.velocity(x, t, a.encodeText(a.tokenize(m, ra)), UnitMasks.NONE);
      NDArray vb = b.velocity(x, t, b.encodeText(b.tokenize(m, rb)), UnitMasks.NONE);
      return va.sub(vb).square().mean().getFloat();
    }
  }

  @Test
  void movesTheTargetPromptOntoTheAnchorAndLeavesOtherPromptsNearlyAlone() throws Exception {
    Path modelDir = TestModels.saveRandom(tmp.resolve("model"), TestModels.tinyConfig(TestModels.tokenizer()), 11);
    ConceptAblation.Options o = new ConceptAblation.Options();
    o.steps = 60;
    o.batchSize = 8;
    o.learningRate = 3e-4f;
    o.anchorImages = 4;
    Path out = tmp.resolve("ablated");
    BaselineRun.Report r = ConceptAblation.run(modelDir, List.of(new ConceptAblation.Pair(TARGET, ANCHOR)), o, out, null);
    assertEquals(ConceptAblation.METHOD, r.method);
    assertTrue((double) r.details.get("loss_last_10") < (double) r.details.get("loss_first_10"), r.details.toString());
    try (NDManager root = NDManager.newBaseManager();
        FlowModel before = ModelDir.load(modelDir, root);
        FlowModel after = ModelDir.load(BaselineRun.model(out), root)) {
      double targetBefore = distance(before, TARGET, before, ANCHOR, root);
      double targetAfter = distance(after, TARGET, before, ANCHOR, root);
      double neutralDrift = distance(after, NEUTRAL, before, NEUTRAL, root);
      double anchorDrift = distance(after, ANCHOR, before, ANCHOR, root);
      System.out.printf("ConceptAblationTest: target->anchor %.4f -> %.4f, neutral drift %.4f, anchor drift %.4f%n",
          targetBefore, targetAfter, neutralDrift, anchorDrift);
      assertTrue(targetAfter < 0.5 * targetBefore, "the target moves onto the anchor: " + targetBefore + " -> " + targetAfter);
      // A prompt that is not named moves too (the text side is shared), but far less than the target does.
      assertTrue(neutralDrift < 0.25 * targetBefore && neutralDrift < 0.25 * (targetBefore - targetAfter),
          "a prompt not named moves much less: drift " + neutralDrift);
      assertTrue(anchorDrift < 0.1 * targetBefore, "the anchor is preserved: drift " + anchorDrift);
      // Only the text side trained: every image-side weight is the original's.
      for (String name : before.params().names()) {
        if (ConceptAblation.trains("text", name)) continue;
        assertEquals(0.0, TestModels.maxAbsDiff(before.params().get(name).toFloatArray(), after.params().get(name).toFloatArray()), 0.0, name);
      }
    }
  }

  @Test
  void pairFilesAndSettingsAreChecked() throws IOException {
    Path f = tmp.resolve("pairs.tsv");
    Files.writeString(f, "# target\tanchor\n" + TARGET + "\t" + ANCHOR + "\n\n");
    assertEquals(List.of(new ConceptAblation.Pair(TARGET, ANCHOR)), ConceptAblation.readPairs(f));
    Files.writeString(f, TARGET + " " + ANCHOR + "\n");
    IOException e = assertThrows(IOException.class, () -> ConceptAblation.readPairs(f));
    assertTrue(e.getMessage().contains("line 1") && e.getMessage().contains("TAB"), e.getMessage());
    Files.writeString(f, "a\ta\n");
    assertTrue(assertThrows(IOException.class, () -> ConceptAblation.readPairs(f)).getMessage().contains("same prompt"));
    Files.write(f, new byte[] {(byte) 0xff, (byte) 0xfe, '\t', 'x'});
    assertTrue(assertThrows(IOException.class, () -> ConceptAblation.readPairs(f)).getMessage().contains("UTF-8"));
    Files.writeString(f, "# only a comment\n");
    assertThrows(IOException.class, () -> ConceptAblation.readPairs(f));
    ConceptAblation.Options o = new ConceptAblation.Options();
    o.weights = "some";
    assertThrows(IllegalArgumentException.class, o::validate);
  }
}
