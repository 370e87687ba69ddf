package dev.uniforget.attack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.uniforget.baselines.BaselineRun;
import dev.uniforget.data.ImageFolder;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.ModelDir;
import dev.uniforget.model.TestModels;
import dev.uniforget.model.TextEncoding;
import dev.uniforget.model.UnitMasks;
import dev.uniforget.model.WordTokenizer;
import dev.uniforget.nn.Seeds;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdversarialDefenceTest {
  @TempDir Path tmp;

  /** The training loss of {@code img} under conditioning row 0 of {@code rows}, over fixed draws of t and noise. */
  private static double loss(FlowModel model, EmbeddingAttack.Rows rows, float[] img, NDManager root) {
    try (NDManager m = root.newSubManager()) {
      int draws = 64, numel = img.length;
      SplittableRandom rng = new SplittableRandom(99);
      float[] xt = new float[draws * numel], v = new float[draws * numel], t = new float[draws], e = new float[numel];
      for (int r = 0; r < draws; r++) {
        t[r] = (float) (1 / (1 + Math.exp(-Seeds.gaussian(rng))));
        Seeds.fillGaussian(rng, e, 0, numel);
        for (int j = 0; j < numel; j++) {
          float x0 = 2 * img[j] - 1;
          xt[r * numel + j] = (1 - t[r]) * x0 + t[r] * e[j];
          v[r * numel + j] = e[j] - x0;
        }
      }
      int[] rowOf = new int[draws];
      TextEncoding text = rows.conditioning(model, rows.states().size() - 1, rowOf).encode(m, 0, draws, false);
      NDArray out = model.velocity(m.create(xt, new Shape(draws, 1, 8, 8)), t, text, UnitMasks.NONE);
      return out.sub(m.create(v, new Shape(draws, 1, 8, 8))).square().mean().getFloat();
    }
  }

  @Test
  void theDefenceKeepsTheModelLoadableAndChangesItsAnswerToTheAttackEmbedding() throws Exception {
    WordTokenizer tok = TestModels.tokenizer();
    Path modelDir = TestModels.saveRandom(tmp.resolve("model"), TestModels.tinyConfig(tok), 5);
    Path memorized = tmp.resolve("memorized");
    SplittableRandom rng = new SplittableRandom(3);
    float[] img = new float[64];
    for (int j = 0; j < 64; j++) img[j] = rng.nextDouble() < 0.5 ? 0.05f : 0.95f;
    Files.createDirectories(memorized);
    ImageFolder.writePng(memorized.resolve("target.png"), img, 8);
    ImageFolder.writeMetadata(memorized, List.of(new ImageFolder.Entry(0, "target.png", "a red square")));

    AdversarialDefence.Options o = new AdversarialDefence.Options();
    o.rounds = 2;
    o.steps = 30;
    o.learningRate = 1e-3f;
    o.attack.steps = 10;
    o.attack.snapshots = List.of(10);
    Path out = tmp.resolve("defended");
    BaselineRun.Report r = AdversarialDefence.run(modelDir, memorized, List.of("dark", "light"), o, out, null);
    assertEquals(AdversarialDefence.METHOD, r.method);
    assertTrue((double) r.details.get("surrogate_loss_last_10") < (double) r.details.get("surrogate_loss_first_10"), r.details.toString());

    try (NDManager root = NDManager.newBaseManager(); FlowModel before = ModelDir.load(modelDir, root);
        FlowModel after = ModelDir.load(BaselineRun.model(out), root)) {
      // An attack embedding found on the undefended model: the defended model answers it differently, with a larger loss on the image.
      EmbeddingAttack.Options ao = new EmbeddingAttack.Options();
      ao.steps = 30;
      ao.snapshots = List.of(30);
      ao.batchSize = 16;
      EmbeddingAttack.Rows rows = EmbeddingAttack.learnRows(before, List.of(img), before.encodeText(before.tokenize(root, "a red square")), ao, root, null);
      double lb = loss(before, rows, img, root), la = loss(after, rows, img, root);
      assertTrue(la > lb, "the defended model should answer the attack embedding worse on the memorized image: " + lb + " -> " + la);
      assertEquals(before.config().depth, after.config().depth);
    }
    assertThrows(IllegalArgumentException.class, () -> AdversarialDefence.run(modelDir, memorized, List.of("dark"), o, out, null), "out exists");
  }
}
