package dev.uniforget.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.uniforget.data.FashionMnist;
import dev.uniforget.io.Jsons;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.ModelDir;
import dev.uniforget.model.TestModels;
import dev.uniforget.model.WordTokenizer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command line: help on every command, clear errors, and the whole pipeline on a tiny model. */
class CliTest {
  @TempDir Path tmp;

  record Result(int code, String out, String err) {}

  static Result run(String... args) {
    CommandLine cl = Main.commandLine();
    StringWriter out = new StringWriter(), err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Result(code, out.toString(), err.toString());
  }

  @Test
  void everyCommandHasHelp() {
    for (String[] cmd : List.of(new String[] {"--help"}, new String[] {"lab", "build", "--help"},
        new String[] {"train", "--help"}, new String[] {"sample", "--help"}, new String[] {"demo", "--help"},
        new String[] {"bench", "--help"}, new String[] {"forget", "--help"}, new String[] {"prune-random", "--help"})) {
      Result r = run(cmd);
      assertEquals(0, r.code(), String.join(" ", cmd));
      assertTrue(r.out().contains("Usage: uniforget"), r.out());
    }
  }

  @Test
  void missingModelDirectoryIsAClearError() {
    Result r = run("sample", "--model", tmp.resolve("nope").toString(), "-p", "a bag", "--out", tmp.resolve("g.png").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("nope") && r.err().contains("not a model directory"), r.err());
  }

  @Test
  void trainRefusesOutputInsideItsInput() {
    Result r = run("train", "--data", tmp.toString(), "--out", tmp.resolve("run").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("must not be inside"), r.err());
  }

  @Test
  void demoRunsTheWholePipelineOnATinyModel() throws Exception {
    Assumptions.assumeTrue(Files.isDirectory(FashionMnist.DEFAULT_DIR) || System.getenv("CI") != null,
        "Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)");
    Path out = tmp.resolve("demo");
    String[] tiny = {"--per-class", "6", "--duplicates", "3", "--motif-images", "6", "--steps", "30",
        "--batch-size", "16", "--checkpoint-every", "20", "--hidden-size", "32", "--depth", "2", "--heads", "2",
        "--text-layers", "1", "--seeds", "2", "--sample-steps", "3", "--judge-steps", "20", "--descriptor-steps", "10",
        "--fid-images", "16", "--forget-steps", "3"};
    Result r = run(concat(new String[] {"demo", "--out", out.toString()}, tiny));
    assertEquals(0, r.code(), r.err());
    for (String g : List.of("neutral.png", "targets.png", "concepts.png")) {
      assertTrue(ImageIO.read(out.resolve("grids").resolve(g).toFile()).getWidth() > 0, g);
    }
    JsonNode summary = Jsons.MAPPER.readTree(out.resolve("demo_summary.json").toFile());
    assertEquals(16, summary.get("targets").asInt());
    assertEquals(16, summary.get("per_target").size());
    assertTrue(Files.isRegularFile(out.resolve("run/model/model.safetensors")));
    JsonNode metrics = Jsons.MAPPER.readTree(out.resolve("audit/metrics.json").toFile());
    for (String k : List.of("replication_rate", "concept_rate", "magnitude_auc", "fid", "alignment", "neutral_copy_share")) {
      assertTrue(metrics.get("headline").has(k), k);
    }
    assertEquals(16, metrics.get("targets").size());
    JsonNode after = Jsons.MAPPER.readTree(out.resolve("audit_after_forget/metrics.json").toFile());
    assertTrue(after.get("headline").has("replication_rate"));
    assertTrue(Files.readString(out.resolve("audit_after_forget/report.html")).contains("baseline"), "before/after page");
    String html = Files.readString(out.resolve("audit/report.html"));
    assertTrue(html.contains("Headline") && html.contains("data:image/png;base64,"), "self-contained report");
    assertEquals(30, Jsons.MAPPER.readTree(out.resolve("run/checkpoint/trainer_state.json").toFile()).get("step").asInt());

    // Re-running resumes the finished run (no training steps left) and extends it when asked.
    assertEquals("--steps", tiny[6]);
    tiny[7] = "40";
    r = run(concat(new String[] {"demo", "--out", out.toString()}, tiny));
    assertEquals(0, r.code(), r.err());
    assertEquals(40, Jsons.MAPPER.readTree(out.resolve("run/checkpoint/trainer_state.json").toFile()).get("step").asInt());

    // sample: prompts from a file; an empty prompt file is refused and nothing is written.
    Path prompts = tmp.resolve("p.txt");
    Files.writeString(prompts, "a photo of a bag\n\na photo of a sneaker\n");
    Path grid = tmp.resolve("grid.png");
    r = run("sample", "--model", out.resolve("run/model").toString(), "--prompts", prompts.toString(), "--seeds", "3",
        "--out", grid.toString());
    assertEquals(0, r.code(), r.err());
    assertEquals(2 * (28 * 3 + 2) + 2, ImageIO.read(grid.toFile()).getHeight(), "two rows of 28x28 x3 cells");
    Files.writeString(prompts, "\n  \n");
    Path grid2 = tmp.resolve("grid2.png");
    r = run("sample", "--model", out.resolve("run/model").toString(), "--prompts", prompts.toString(), "--out", grid2.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("no prompts"), r.err());
    assertFalse(Files.exists(grid2));

    // forget: only a model and a prompt file, in a folder with no lab or manifest anywhere near.
    Path isolated = tmp.resolve("isolated");
    Files.createDirectories(isolated);
    Path model = isolated.resolve("model");
    Files.createDirectories(model);
    for (String f : List.of("config.json", "model.safetensors", "tokenizer.json")) {
      Files.copy(out.resolve("run/model").resolve(f), model.resolve(f));
    }
    Path neutral = isolated.resolve("neutral.txt");
    Files.copy(out.resolve("lab/prompts/neutral.txt"), neutral);
    Path forgotten = isolated.resolve("forgotten");
    String[] forget = {"forget", "--model", model.toString(), "--prompts", neutral.toString(), "--out", forgotten.toString(),
        "--beta", "5", "--steps", "4", "--batch-size", "4", "--seeds-per-prompt", "1", "--sampler-steps", "2",
        "--timing-images", "4", "--fidelity-images", "4", "--retrain", "3"};
    r = run(forget);
    assertEquals(0, r.code(), r.err());
    for (String f : List.of("model/config.json", "model/model.safetensors", "mask/mask.safetensors",
        "mask/training_log.jsonl", "report.json")) {
      assertTrue(Files.isRegularFile(forgotten.resolve(f)), f);
    }
    assertEquals(4, Files.readAllLines(forgotten.resolve("mask/training_log.jsonl")).size());
    JsonNode report = Jsons.MAPPER.readTree(forgotten.resolve("report.json").toFile());
    double off = report.get("deactivated_share").get("whole_mask").asDouble();
    assertTrue(off >= 0 && off <= 1, "whole-mask share " + off);
    assertTrue(report.get("parameters_after").asLong() <= report.get("parameters_before").asLong());
    r = run("sample", "--model", forgotten.resolve("model").toString(), "-p", "a photo of a bag", "--seeds", "2",
        "--out", tmp.resolve("pruned.png").toString());
    assertEquals(0, r.code(), r.err());

    // Bad forget inputs: negative beta, zero steps, empty prompts, existing output.
    assertTrue(Double.isFinite(report.get("neutral_sample_mse_after_retrain").asDouble()), "retrain was measured");

    // The random control: as many units per group as the forget run kept.
    Path control = isolated.resolve("control");
    r = run("prune-random", "--model", model.toString(), "--like", forgotten.toString(), "--out", control.toString(),
        "--timing-images", "4");
    assertEquals(0, r.code(), r.err());
    JsonNode controlReport = Jsons.MAPPER.readTree(control.resolve("report.json").toFile());
    assertEquals(report.get("deactivated_units").toString(), controlReport.get("deactivated_units").toString());
    assertEquals(report.get("parameters_after").asLong(), controlReport.get("parameters_after").asLong());

    forget[forget.length - 15] = "-1";
    assertEquals("--beta", forget[forget.length - 16]);
    r = run(forget);
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--beta"), r.err());
    forget[forget.length - 15] = "5";
    assertEquals("--steps", forget[forget.length - 14]);
    forget[forget.length - 13] = "0";
    r = run(forget);
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--steps") || r.err().contains("already exists"), r.err());
    Files.writeString(neutral, "\n");
    r = run("forget", "--model", model.toString(), "--prompts", neutral.toString(), "--out", isolated.resolve("f2").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("no prompts"), r.err());
    assertFalse(Files.exists(isolated.resolve("f2")));

    auditRefusesBadInput(out);
  }

  /** Audit: a model of another image size, a judge of another lab, empty prompt files; nothing written. */
  private void auditRefusesBadInput(Path demo) throws Exception {
    String lab = demo.resolve("lab").toString(), judge = demo.resolve("judge").toString();
    Path small = tmp.resolve("model8");
    try (NDManager root = NDManager.newBaseManager()) {
      WordTokenizer tok = TestModels.tokenizer();
      try (FlowModel m = FlowModel.initialize(TestModels.tinyConfig(tok), tok, root, 1)) {
        ModelDir.save(m, small, false, java.util.Map.of());
      }
    }
    Path auditOut = tmp.resolve("audit_bad");
    Result r = run("audit", "--model", small.toString(), "--lab", lab, "--judge", judge, "--out", auditOut.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("8x8") && r.err().contains("28x28"), r.err());
    assertFalse(Files.exists(auditOut));

    // A judge trained for another lab: same files, other motifs.
    Path otherJudge = tmp.resolve("other_judge");
    copyTree(demo.resolve("judge"), otherJudge);
    Path judgeJson = otherJudge.resolve("classifier/judge.json");
    Files.writeString(judgeJson, Files.readString(judgeJson).replaceFirst("\"motif_names\"\\s*:\\s*\\[\\s*\"", "$0x"));
    String model = demo.resolve("run/model").toString();
    r = run("audit", "--model", model, "--lab", lab, "--judge", otherJudge.toString(), "--out", auditOut.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("another lab"), r.err());
    assertFalse(Files.exists(auditOut));

    Path empty = tmp.resolve("empty.txt");
    Files.writeString(empty, "\n \n");
    for (String option : List.of("--neutral", "--targets")) {
      r = run("audit", "--model", model, "--lab", lab, "--judge", judge, "--out", auditOut.toString(), option, empty.toString());
      assertEquals(2, r.code(), option);
      assertTrue(r.err().contains("no prompts") && r.err().contains("empty.txt"), r.err());
      assertFalse(Files.exists(auditOut));
    }
  }

  private static void copyTree(Path from, Path to) throws java.io.IOException {
    try (var files = Files.walk(from)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Path dest = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) Files.createDirectories(dest);
        else Files.copy(p, dest);
      }
    }
  }

  private static String[] concat(String[] a, String[] b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
