package dev.uniforget.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.uniforget.io.Jsons;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.ModelConfig;
import dev.uniforget.model.ModelDir;
import dev.uniforget.model.TestModels;
import dev.uniforget.model.WordTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
  @TempDir Path tmp;

  NDManager root;
  WordTokenizer tok;
  ModelConfig config;
  TrainingSet data;

  /** 4 constant-colour 8x8 images: two "dark", two "light". */
  @BeforeEach
  void setUp() {
    root = NDManager.newBaseManager();
    tok = TestModels.tokenizer();
    config = TestModels.tinyConfig(tok);
    float[] levels = {-0.9f, -0.7f, 0.7f, 0.9f};
    List<String> captions = List.of("dark", "dark", "light", "light");
    float[] images = new float[4 * 64];
    for (int i = 0; i < 4; i++) Arrays.fill(images, i * 64, (i + 1) * 64, levels[i]);
    int l = tok.maxLength();
    long[] tokens = new long[4 * l];
    for (int i = 0; i < 4; i++) {
      int[] ids = tok.encode(captions.get(i));
      for (int j = 0; j < l; j++) tokens[i * l + j] = ids[j];
    }
    data = new TrainingSet(images, tokens, 4, 64, l);
  }

  @AfterEach
  void tearDown() {
    root.close();
  }

  private TrainConfig trainConfig(int steps) {
    TrainConfig c = new TrainConfig();
    c.steps = steps;
    c.batchSize = 8;
    c.learningRate = 3e-3f;
    c.warmupSteps = 5;
    c.emaDecay = 0.9f;
    c.checkpointEvery = 1000;
    c.seed = 17;
    return c;
  }

  @Test
  void lossDecreasesOnALearnableSet() throws IOException {
    trainsAndSaves(config);
  }

  /** The FLUX layout (double- and single-stream blocks, rope) trains and round-trips the same way. */
  @Test
  void doubleStreamModelLearnsAndRoundTrips() throws IOException {
    trainsAndSaves(TestModels.tinyDoubleConfig(tok));
    try (FlowModel trained = ModelDir.load(tmp.resolve("run").resolve(Trainer.MODEL), root)) {
      assertEquals(1, trained.config().doubleBlocks);
      assertTrue(trained.config().rope);
      assertTrue(trained.params().contains("double.0.txt.ffn.fc1.weight"));
      assertTrue(!trained.params().contains("img_pos"), "rope replaces the learned positions");
    }
  }

  private void trainsAndSaves(ModelConfig config) throws IOException {
    List<Float> losses = new ArrayList<>();
    Path run = tmp.resolve("run");
    try (FlowModel model = FlowModel.initialize(config, tok, root, 1);
        Trainer tr = Trainer.start(model, data, trainConfig(150), run, root)) {
      Path out = tr.run((step, total, loss) -> {
        assertEquals(losses.size() + 1, step);
        assertEquals(150, total);
        losses.add(loss);
      });
      assertEquals(run.resolve(Trainer.MODEL), out);
    }
    double first = losses.subList(0, 10).stream().mapToDouble(Float::doubleValue).average().orElseThrow();
    double last = losses.subList(140, 150).stream().mapToDouble(Float::doubleValue).average().orElseThrow();
    assertTrue(last < 0.35 * first, "loss went from " + first + " to " + last);
    try (FlowModel trained = ModelDir.load(run.resolve(Trainer.MODEL), root)) {
      assertTrue(TestModels.maxAbs(trained.params().get("final.out.weight").toFloatArray()) > 0);
    }
    assertEquals(150, state(run).get("step").asInt());
  }

  @Test
  void resumeContinuesExactly() throws IOException {
    int n = 6;
    Path a = tmp.resolve("a");
    Path b = tmp.resolve("b");
    try (FlowModel model = FlowModel.initialize(config, tok, root, 1);
        Trainer tr = Trainer.start(model, data, trainConfig(2 * n), a, root)) {
      tr.run(null);
    }
    TrainConfig half = trainConfig(n);
    half.checkpointEvery = n;
    try (FlowModel model = FlowModel.initialize(config, tok, root, 1);
        Trainer tr = Trainer.start(model, data, half, b, root)) {
      tr.run(null);
    }
    assertEquals(n, state(b).get("step").asInt());
    try (Trainer tr = Trainer.resume(b, data, 2 * n, root)) {
      assertEquals(n, tr.step());
      tr.run(null);
      assertEquals(2 * n, tr.step());
      tr.model().close();
    }
    assertEquals(2 * n, state(b).get("step").asInt());
    for (Path f : List.of(Path.of(Trainer.MODEL, ModelDir.WEIGHTS), Path.of(Trainer.CHECKPOINT, ModelDir.WEIGHTS),
        Path.of(Trainer.CHECKPOINT, "optimizer.safetensors"), Path.of(Trainer.CHECKPOINT, "ema.safetensors"))) {
      Map<String, float[]> wa = TestModels.readAll(a.resolve(f));
      Map<String, float[]> wb = TestModels.readAll(b.resolve(f));
      assertEquals(wa.keySet(), wb.keySet(), f.toString());
      for (String name : wa.keySet()) {
        double diff = TestModels.maxAbsDiff(wa.get(name), wb.get(name));
        assertTrue(diff <= 1e-6, f + " " + name + " differs by " + diff);
      }
    }
    // the runs moved away from the initial weights (or the comparison proves nothing)
    try (FlowModel init = FlowModel.initialize(config, tok, root, 1)) {
      float[] w0 = init.params().get("blocks.0.mod.weight").toFloatArray();
      float[] wa = TestModels.readAll(a.resolve(Trainer.MODEL).resolve(ModelDir.WEIGHTS)).get("blocks.0.mod.weight");
      assertTrue(TestModels.maxAbsDiff(w0, wa) > 1e-4);
    }
  }

  @Test
  void divergenceStopsTheRunAndKeepsTheLastGoodCheckpoint() throws IOException {
    Path run = tmp.resolve("run");
    TrainConfig c = trainConfig(10);
    c.checkpointEvery = 3;
    try (FlowModel model = FlowModel.initialize(config, tok, root, 1);
        Trainer tr = Trainer.start(model, data, c, run, root)) {
      IOException e = assertThrows(IOException.class, () -> tr.run((step, total, loss) -> {
        if (step == 4) { // after the checkpoint of step 3 is written: poison a weight
          float[] w = model.params().get("img_in.weight").toFloatArray();
          w[5] = Float.NaN;
          model.params().set("img_in.weight", w);
        }
      }));
      String m = e.getMessage();
      assertTrue(m.contains("diverged"), m);
      assertTrue(m.contains("step 5"), m);
      assertTrue(m.contains("(step 3)"), m);
      assertEquals(4, tr.step());
    }
    assertEquals(3, state(run).get("step").asInt());
    try (FlowModel kept = ModelDir.load(run.resolve(Trainer.CHECKPOINT), root)) {
      for (String name : kept.params().names()) {
        for (float v : kept.params().get(name).toFloatArray()) assertTrue(Float.isFinite(v), name);
      }
    }
    assertTrue(!Files.exists(run.resolve(Trainer.MODEL)), "no final model from a diverged run");
  }

  @Test
  void hugeLearningRateIsReportedAsDivergence() throws IOException {
    TrainConfig c = trainConfig(60);
    c.learningRate = 1e30f;
    c.warmupSteps = 0;
    c.checkpointEvery = 1;
    Path run = tmp.resolve("run");
    try (FlowModel model = FlowModel.initialize(config, tok, root, 1);
        Trainer tr = Trainer.start(model, data, c, run, root)) {
      IOException e = assertThrows(IOException.class, () -> tr.run(null));
      assertTrue(e.getMessage().contains("diverged"), e.getMessage());
      if (tr.step() > 0) assertEquals(tr.step(), state(run).get("step").asInt());
    }
  }

  @Test
  void startRefusesARunWithACheckpoint() throws IOException {
    Path run = tmp.resolve("run");
    Files.createDirectories(run.resolve(Trainer.CHECKPOINT));
    try (FlowModel model = FlowModel.initialize(config, tok, root, 1)) {
      IOException e = assertThrows(IOException.class, () -> Trainer.start(model, data, trainConfig(5), run, root));
      assertTrue(e.getMessage().contains("already holds a checkpoint"), e.getMessage());
    }
  }

  @Test
  void trainConfigValidationNamesTheField() {
    TrainConfig c = trainConfig(5);
    c.emaDecay = 1f;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, c::validate);
    assertTrue(e.getMessage().contains("ema_decay"), e.getMessage());
    TrainConfig d = trainConfig(5);
    d.timeSampling = "cosine";
    e = assertThrows(IllegalArgumentException.class, d::validate);
    assertTrue(e.getMessage().contains("time_sampling"), e.getMessage());
    TrainConfig w = trainConfig(5);
    w.warmupSteps = 4;
    assertEquals(w.learningRate / 4, w.learningRateAt(0), 1e-9);
    assertEquals(w.learningRate, w.learningRateAt(3), 1e-9);
    assertEquals(w.learningRate, w.learningRateAt(100), 1e-9);
  }

  @Test
  void mismatchedDataIsRejected() {
    TrainingSet wrongSize = new TrainingSet(new float[2 * 16], new long[2 * tok.maxLength()], 2, 16, tok.maxLength());
    try (FlowModel model = FlowModel.initialize(config, tok, root, 1)) {
      assertThrows(IllegalArgumentException.class,
          () -> Trainer.start(model, wrongSize, trainConfig(5), tmp.resolve("r"), root));
    }
    assertThrows(IllegalArgumentException.class, () -> new TrainingSet(new float[64], new long[6], 2, 64, 6));
  }

  private static JsonNode state(Path run) throws IOException {
    return Jsons.MAPPER.readTree(run.resolve(Trainer.CHECKPOINT).resolve("trainer_state.json").toFile());
  }
}
