package dev.uniforget.audit.judge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.uniforget.data.FashionMnist;
import dev.uniforget.lab.LabManifest;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JudgeTrainerTest {
  @TempDir Path tmp;
  NDManager root;

  @BeforeEach
  void setUp() {
    root = NDManager.newBaseManager();
  }

  @AfterEach
  void tearDown() {
    root.close();
  }

  static JudgeTrainer.Options tiny() {
    JudgeTrainer.Options o = new JudgeTrainer.Options();
    o.steps = 300;
    o.batchSize = 32;
    o.warmupSteps = 10;
    o.learningRate = 3e-3f;
    o.width = 8;
    o.featureDim = 32;
    o.seed = 11;
    o.evalMotifImages = 200;
    o.evalDegradedImages = 200;
    return o;
  }

  @Test
  void aShortTrainingLearnsClassesAndMotifsAndRecordsItsMetrics() throws IOException {
    LabManifest lab = TestData.lab("velmor", "quitar");
    FashionMnist.LabeledImages train = TestData.garments(400, 1);
    FashionMnist.LabeledImages test = TestData.garments(200, 2);
    AtomicInteger steps = new AtomicInteger();
    JudgeTrainer.Result r = JudgeTrainer.train(lab, train, test, tiny(), root, steps::set);
    try (Judge j = r.judge()) {
      JudgeMetrics m = r.metrics();
      System.out.println("tiny judge: " + m);
      assertEquals(300, steps.get());
      assertEquals(200, m.classImages);
      assertTrue(m.classAccuracy > 0.7, "class accuracy " + m.classAccuracy + " (chance 0.1)");
      assertTrue(m.motifAccuracy > 0.75, "motif accuracy " + m.motifAccuracy + " (always 'none' scores 0.5)");
      assertEquals(4, m.falsePositiveByKind.size());
      assertTrue(m.falsePositiveRate < 0.2, "false-positive rate " + m.falsePositiveRate);
      j.checkCompatible(lab);
      Path dir = tmp.resolve("judge");
      j.save(dir, false);
      try (Judge back = Judge.load(dir, root)) {
        assertEquals(m.classAccuracy, back.config().metrics.classAccuracy);
        assertEquals(JudgeTrainer.evaluate(j, test, tiny()).motifAccuracy, JudgeTrainer.evaluate(back, test, tiny()).motifAccuracy);
      }
    }
  }

  @Test
  void mismatchedDataIsRejected() {
    LabManifest lab = TestData.lab("velmor");
    lab.imageSize = 32;
    FashionMnist.LabeledImages d = TestData.garments(10, 1);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JudgeTrainer.train(lab, d, d, tiny(), root, null));
    assertTrue(e.getMessage().contains("28x28"), e.getMessage());
    JudgeTrainer.Options bad = tiny();
    bad.steps = 0;
    assertThrows(IllegalArgumentException.class, () -> JudgeTrainer.train(TestData.lab("velmor"), d, d, bad, root, null));
  }
}
