package dev.uniforget.forget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.uniforget.io.Jsons;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.ModelDir;
import dev.uniforget.model.TestModels;
import dev.uniforget.model.WordTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The entry points UniForget.run / runRepeats and RandomControl.run / runDraws on a tiny model. */
class UniForgetTest {
  @TempDir static Path shared;
  static Path model;
  @TempDir Path tmp;

  static final List<String> PROMPTS = List.of("a red square", "dark", "light");

  @BeforeAll
  static void saveModel() throws Exception {
    model = saveTinyModel(shared.resolve("model"));
  }

  /** A tiny random model directory (8x8, depth 2). */
  static Path saveTinyModel(Path dir) throws Exception {
    try (NDManager root = NDManager.newBaseManager()) {
      WordTokenizer tok = TestModels.tokenizer();
      FlowModel m = FlowModel.initialize(TestModels.tinyConfig(tok), tok, root, 3);
      TestModels.randomize(m.params(), 11, 0.3);
      ModelDir.save(m, dir, false, Map.of());
    }
    return dir;
  }

  static UniForget.Options tiny() {
    UniForget.Options o = new UniForget.Options();
    o.config.beta = 50;
    o.config.steps = 2;
    o.config.batchSize = 2;
    o.config.samplerSteps = 1;
    o.config.seedsPerPrompt = 1;
    o.timingImages = 1;
    return o;
  }

  /** Records the listener's calls. */
  static class Recorder implements dev.uniforget.io.ProgressSink {
    final List<String> events = new ArrayList<>();
    int open;

    @Override
    public void message(String line) {
      events.add("message " + line);
    }

    @Override
    public void phase(String phase, long total) {
      assertEquals(0, open, "phases do not nest");
      open++;
      events.add("start " + phase + " " + total);
    }

    @Override
    public void step(long done) {
      assertEquals(1, open, "progress inside a phase");
    }

    @Override
    public void end() {
      open--;
      events.add("end");
    }
  }

  @Test
  void runWritesOneForgetOutputAndMeasuresEveryPrompt() throws Exception {
    UniForget.Options o = tiny();
    o.fidelitySeeds = 2;
    o.retrainSteps = 1;
    Path out = tmp.resolve("forget");
    Recorder rec = new Recorder();
    ForgetRun.Report r = UniForget.run(model, PROMPTS, o, out, rec);
    for (String f : List.of("model/config.json", "model/model.safetensors", "mask/mask.safetensors", "mask/training_log.jsonl",
        "mask/forget_config.json", "report.json")) {
      assertTrue(Files.isRegularFile(out.resolve(f)), f);
    }
    assertFalse(Files.exists(out.resolve(Repeats.FILE)));
    assertEquals(2, Files.readAllLines(out.resolve("mask/training_log.jsonl")).size());
    assertEquals(PROMPTS.size() * 2, r.fidelityPairs, "every prompt, two held-out seeds each");
    assertTrue(Double.isFinite(r.neutralSampleMse) && Double.isFinite(r.neutralSampleMseAfterRetrain));
    assertEquals(Jsons.MAPPER.writeValueAsString(r), Jsons.MAPPER.writeValueAsString(ForgetRun.readReport(out)));
    assertEquals(0, rec.open);
    assertTrue(rec.events.contains("start original samples 3"), rec.events.toString());
    assertTrue(rec.events.contains("start masks 2"), rec.events.toString());
    assertTrue(rec.events.contains("start retrain 1"), rec.events.toString());

    // Refusals name the option and what was expected; nothing is written.
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> UniForget.run(model, PROMPTS, tiny(), out, null));
    assertTrue(e.getMessage().contains("--out") && e.getMessage().contains("already exists"), e.getMessage());
    Path inside = model.resolve("forget");
    e = assertThrows(IllegalArgumentException.class, () -> UniForget.run(model, PROMPTS, tiny(), inside, null));
    assertTrue(e.getMessage().contains("--model"), e.getMessage());
    assertFalse(Files.exists(inside));
    UniForget.Options bad = tiny();
    bad.fidelitySeeds = 0;
    e = assertThrows(IllegalArgumentException.class, () -> UniForget.run(model, PROMPTS, bad, tmp.resolve("x"), null));
    assertTrue(e.getMessage().contains("--fidelity-seeds"), e.getMessage());
    UniForget.Options badRatio = tiny();
    badRatio.keepRatio = 1.5;
    e = assertThrows(IllegalArgumentException.class, () -> UniForget.run(model, PROMPTS, badRatio, tmp.resolve("x"), null));
    assertTrue(e.getMessage().contains("--keep-ratio"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> UniForget.run(model, List.of(), tiny(), tmp.resolve("x"), null));
    assertTrue(e.getMessage().contains("no prompts"), e.getMessage());
    assertFalse(Files.exists(tmp.resolve("x")));
  }

  /** A run killed during mask training resumes from its checkpoint and ends with the masks of an uninterrupted run. */
  @Test
  void aRunInterruptedDuringMaskTrainingResumesToTheSameMasks() throws Exception {
    UniForget.Options o = tiny();
    o.config.steps = 6;
    o.config.beta = 0.5;
    o.checkpointEvery = 2;
    Path whole = tmp.resolve("whole");
    UniForget.run(model, PROMPTS, o, whole, null);
    assertFalse(Files.exists(MaskCheckpoint.dirFor(whole)), "the checkpoint is removed once the output is written");

    Path out = tmp.resolve("interrupted");
    // The kill: the listener throws after step 5 (the checkpoint of step 4 is on disk).
    Recorder killer = new Recorder() {
      @Override
      public void step(long done) {
        if (done == 5 && open == 1 && events.contains("start masks 6")) throw new IllegalStateException("killed");
      }
    };
    assertThrows(IllegalStateException.class, () -> UniForget.run(model, PROMPTS, o, out, killer));
    assertFalse(Files.exists(out));
    assertTrue(Files.isDirectory(MaskCheckpoint.dirFor(out)));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> UniForget.run(model, PROMPTS, o, out, null));
    assertTrue(e.getMessage().contains("--resume"), e.getMessage());
    UniForget.Options other = tiny();
    other.config.steps = 6;
    other.config.beta = 0.7;
    other.checkpointEvery = 2;
    other.resume = true;
    IllegalStateException differs = assertThrows(IllegalStateException.class, () -> UniForget.run(model, PROMPTS, other, out, null));
    assertTrue(differs.getMessage().contains("beta"), differs.getMessage());
    o.resume = true;
    Recorder rec = new Recorder();
    UniForget.run(model, PROMPTS, o, out, rec);
    assertEquals(6, Files.readAllLines(out.resolve("mask/training_log.jsonl")).size(), "the log holds every step");
    Map<String, float[]> a = TestModels.readAll(whole.resolve("mask/mask.safetensors")), b = TestModels.readAll(out.resolve("mask/mask.safetensors"));
    assertEquals(a.keySet(), b.keySet());
    for (String k : a.keySet()) assertEquals(0.0, TestModels.maxAbsDiff(a.get(k), b.get(k)), k + " differs after the resume");
    assertEquals(Files.readString(whole.resolve("mask/training_log.jsonl")), Files.readString(out.resolve("mask/training_log.jsonl")));
    assertFalse(Files.exists(MaskCheckpoint.dirFor(out)));
  }

  @Test
  void repeatsWriteOneOutputPerSeedAndTheirStatistics() throws Exception {
    UniForget.Options o = tiny();
    o.config.seed = 4;
    Path out = tmp.resolve("repeats");
    Repeats.Summary s = UniForget.runRepeats(model, PROMPTS, o, 2, out, null);
    assertEquals(List.of("seed_4", "seed_5"), s.runs.stream().map(r -> r.dir).toList());
    for (String d : List.of("seed_4", "seed_5")) assertTrue(ForgetRun.isForgetOutput(out.resolve(d)), d);
    assertFalse(Files.exists(out.resolve(ForgetRun.REPORT)), "no forget output at the top");
    Repeats.Summary back = Repeats.read(out);
    assertEquals(Jsons.MAPPER.writeValueAsString(s), Jsons.MAPPER.writeValueAsString(back));
    for (String k : List.of("deactivated_share.ffn", "deactivated_share.modulation", "deactivated_share.whole_mask",
        "neutral_sample_mse", "parameters_after")) {
      assertTrue(back.stats.containsKey(k), k + " in " + back.stats.keySet());
      assertEquals(2, back.stats.get(k).n);
    }
    double mse4 = ForgetRun.readReport(out.resolve("seed_4")).neutralSampleMse;
    double mse5 = ForgetRun.readReport(out.resolve("seed_5")).neutralSampleMse;
    assertEquals((mse4 + mse5) / 2, back.stats.get("neutral_sample_mse").mean, 1e-12);
    assertEquals(4, Jsons.MAPPER.readTree(out.resolve("seed_4/mask/forget_config.json").toFile()).get("seed").asLong());
    assertEquals(5, Jsons.MAPPER.readTree(out.resolve("seed_5/mask/forget_config.json").toFile()).get("seed").asLong());
    assertEquals(4, o.config.seed, "the caller's options are not changed");

    // One repeat: the plain layout.
    Path one = tmp.resolve("one");
    Repeats.Summary s1 = UniForget.runRepeats(model, PROMPTS, tiny(), 1, one, null);
    assertTrue(ForgetRun.isForgetOutput(one));
    assertFalse(Files.exists(one.resolve(Repeats.FILE)));
    assertEquals(1, s1.runs.size());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> UniForget.runRepeats(model, PROMPTS, tiny(), 0, tmp.resolve("zero"), null));
    assertTrue(e.getMessage().contains("--repeats"), e.getMessage());

    // The random control, like one of the seeds, with two draws.
    Path control = tmp.resolve("control");
    Repeats.Summary c = RandomControl.runDraws(model, out.resolve("seed_4"), control, 0, 1, 2, null);
    assertEquals(List.of("draw_0", "draw_1"), c.runs.stream().map(r -> r.dir).toList());
    assertEquals(Repeats.RANDOM_CONTROL, Repeats.read(control).kind);
    ForgetRun.Report like = ForgetRun.readReport(out.resolve("seed_4"));
    for (String d : List.of("draw_0", "draw_1")) {
      ForgetRun.Report r = ForgetRun.readReport(control.resolve(d));
      assertEquals(like.deactivatedUnits, r.deactivatedUnits, d);
    }
    assertEquals(0, c.stats.get("deactivated_share.whole_mask").sd, 0, "draws prune the same counts");
    assertFalse(c.stats.containsKey("neutral_sample_mse"), "the control does not measure fidelity");
    e = assertThrows(IllegalArgumentException.class, () -> RandomControl.run(model, out, tmp.resolve("c2"), 0, 1));
    assertTrue(e.getMessage().contains("--like") && e.getMessage().contains("seed_"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> RandomControl.run(model, out.resolve("seed_4"), out.resolve("seed_4/control"), 0, 1));
    assertTrue(e.getMessage().contains("--like"), e.getMessage());
    Path notForget = Files.createDirectories(tmp.resolve("not_a_forget_output"));
    Exception io = assertThrows(java.io.IOException.class, () -> RandomControl.run(model, notForget, tmp.resolve("c3"), 0, 1));
    assertTrue(io.getMessage().contains("--like") && io.getMessage().contains("mask"), io.getMessage());
    assertFalse(Files.exists(tmp.resolve("c2")) || Files.exists(tmp.resolve("c3")));
  }
}
