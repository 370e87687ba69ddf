package dev.uniforget.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.uniforget.data.ImageFolder;
import dev.uniforget.io.Jsons;
import dev.uniforget.io.Provenance;
import dev.uniforget.lab.Lab;
import dev.uniforget.lab.TestLabs;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.ModelDir;
import dev.uniforget.model.TestModels;
import dev.uniforget.model.WordTokenizer;
import dev.uniforget.sweep.Sweep;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The command line, in process: help on every command, clear errors (exit 2, one line, nothing
 * written), and the whole pipeline on a tiny lab built from a synthetic imagefolder (no
 * Fashion-MNIST needed): lab build, lab check, train, judge train, audit, forget, sweep.
 */
class CliTest {
  @TempDir Path tmp;

  /** Exit code; what the command printed on stdout and stderr (picocli's writers and System.out/err). */
  record Result(int code, String out, String err) {}

  static synchronized Result run(String... args) {
    PrintStream sysOut = System.out, sysErr = System.err;
    ByteArrayOutputStream capturedOut = new ByteArrayOutputStream(), capturedErr = new ByteArrayOutputStream();
    StringWriter out = new StringWriter(), err = new StringWriter();
    int code;
    try {
      // Redirect first: a CommandLine made before System.out is replaced ignores the writers set on it.
      System.setOut(new PrintStream(capturedOut, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(capturedErr, true, StandardCharsets.UTF_8));
      CommandLine cl = Main.commandLine();
      cl.setOut(new PrintWriter(out, true));
      cl.setErr(new PrintWriter(err, true));
      code = cl.execute(args);
    } finally {
      System.out.flush();
      System.err.flush();
      System.setOut(sysOut);
      System.setErr(sysErr);
    }
    return new Result(code, out + capturedOut.toString(StandardCharsets.UTF_8), err + capturedErr.toString(StandardCharsets.UTF_8));
  }

  private static Result run(List<String> args) {
    return run(args.toArray(String[]::new));
  }

  private static List<String> args(Object... parts) {
    List<String> out = new ArrayList<>();
    for (Object p : parts) {
      if (p instanceof List<?> l) l.forEach(x -> out.add(x.toString()));
      else out.add(p.toString());
    }
    return out;
  }

  static void assertOk(Result r, String what) {
    assertEquals(0, r.code(), what + " failed:\n" + r.err() + "\n" + r.out());
  }

  /** Exit status 2 and an "error: " line containing every part. */
  private static void assertError(Result r, String... parts) {
    assertEquals(2, r.code(), "expected exit 2:\n" + r.err() + "\n" + r.out());
    for (String p : parts) assertTrue(r.err().contains(p), () -> "stderr lacks '" + p + "':\n" + r.err());
    assertTrue(r.err().contains("error: "), r.err());
    assertFalse(r.err().contains("\tat "), "no stack trace:\n" + r.err());
  }

  private static JsonNode json(Path file) throws java.io.IOException {
    assertTrue(Files.isRegularFile(file), file + " exists");
    return Jsons.MAPPER.readTree(file.toFile());
  }

  @Test
  void everyCommandHasHelp() {
    for (String cmd : List.of("", "lab", "lab build", "lab check", "train", "sample", "demo", "judge", "judge train", "audit",
        "forget", "prune-random", "prune-control", "baseline", "baseline conceptprune", "baseline nemo", "unlearn", "unlearn ablate", "sweep", "compare", "attack", "defend", "bench")) {
      List<String> a = new ArrayList<>(cmd.isEmpty() ? List.of() : List.of(cmd.split(" ")));
      a.add("--help");
      Result r = run(a);
      assertEquals(0, r.code(), cmd);
      assertTrue(r.out().contains("Usage: uniforget"), cmd + ": " + r.out());
      // a stray % in a description makes picocli print its raw format string with a warning
      assertFalse((r.out() + r.err()).contains("WARN"), cmd + ": " + r.err());
    }
    Result r = run("lab", "build", "--help");
    for (String o : List.of("--from", "--heldout-share", "--concept-classes", "--held-out-classes", "--heldout-images")) {
      assertTrue(r.out().contains(o), o);
    }
  }

  @Test
  void missingModelDirectoryIsAClearError() {
    Result r = run("sample", "--model", tmp.resolve("nope").toString(), "-p", "a bag", "--out", tmp.resolve("g.png").toString());
    assertError(r, "nope", "not a model directory");
  }

  @Test
  void trainRefusesOutputInsideItsInput() {
    Result r = run("train", "--data", tmp.toString(), "--out", tmp.resolve("run").toString());
    assertError(r, "must not be inside");
  }

  @Test
  void labBuildAndCheckNameTheirProblems() throws Exception {
    Path folder = TestLabs.writeFolder(tmp.resolve("source"), false);
    Path lab = tmp.resolve("lab");
    Result r = run(args("lab", "build", "--from", folder, "--out", lab, TestLabs.smallBuildArgs()));
    assertOk(r, "lab build");
    assertTrue(r.out().contains("lab written to " + lab) && r.out().contains("uniforget-lab/2"), r.out());
    r = run("lab", "check", lab.toString());
    assertOk(r, "lab check");
    assertTrue(r.out().strip().endsWith("ok"), r.out());

    // Two problems: both named, exit 2.
    TestLabs.editJsonLine(lab.resolve(ImageFolder.METADATA_FILE), 2, o -> o.put("label", "zebra"));
    TestLabs.editLines(lab.resolve(Lab.NEUTRAL_PROMPTS), l -> l.subList(1, l.size()));
    r = run("lab", "check", lab.toString());
    assertEquals(2, r.code(), r.out());
    assertTrue(r.out().contains("problem: " + lab.resolve(ImageFolder.METADATA_FILE) + " line 2, field 'label'"), r.out());
    assertTrue(r.out().contains("problem: " + lab.resolve(Lab.NEUTRAL_PROMPTS) + " line 1"), r.out());
    assertTrue(r.out().contains("2 problem(s)"), r.out());
    r = run("lab", "check", tmp.resolve("nolab").toString());
    assertEquals(2, r.code());
    assertTrue(r.out().contains("lab directory not found"), r.out());

    // A v1 lab: ok, with a note.
    Path v1 = TestLabs.writeV1Lab(tmp.resolve("v1"));
    r = run("lab", "check", v1.toString());
    assertOk(r, "lab check v1");
    assertTrue(r.out().contains("note: no held-out split"), r.out());

    // Build errors: one line naming the file, line and field, or the option; nothing written.
    TestLabs.editJsonLine(folder.resolve(ImageFolder.METADATA_FILE), 3, o -> o.remove("label"));
    r = run(args("lab", "build", "--from", folder, "--out", tmp.resolve("lab2"), TestLabs.smallBuildArgs()));
    assertError(r, folder.resolve(ImageFolder.METADATA_FILE) + " line 3, field 'label'");
    assertFalse(Files.exists(tmp.resolve("lab2")));
    r = run("lab", "build", "--from", folder.toString(), "--out", tmp.resolve("lab2").toString(), "--per-class", "0");
    assertError(r, "--per-class");
    r = run(args("lab", "build", "--from", tmp.resolve("nothing"), "--out", tmp.resolve("lab2"), TestLabs.smallBuildArgs()));
    assertError(r, "metadata file not found");
    r = run(args("lab", "build", "--from", folder, "--out", lab, TestLabs.smallBuildArgs()));
    assertEquals(2, r.code(), "refuses an existing output");
    assertFalse(Files.exists(tmp.resolve("lab2")));
  }

  /** The pipeline's outputs, made once (lazily) for the tests that need them. */
  record Pipeline(Path lab, Path model, Path judge, Path audit, Path forget, Path sweep, List<String> sweepArgs, Result sweepResult) {}

  @TempDir static Path shared;
  private static Pipeline pipeline;
  private static Throwable pipelineFailure;

  /**
   * lab build -> lab check -> train -> judge train -> audit -> forget -> sweep, each asserted to
   * succeed; tiny sizes throughout (16x16 images, 12 training steps, 4 instrument steps, 2 mask
   * steps, 2 sampler steps).
   */
  static synchronized Pipeline pipeline() throws Exception {
    if (pipelineFailure != null) throw new AssertionError("the pipeline failed before", pipelineFailure);
    if (pipeline != null) return pipeline;
    try {
      pipeline = buildPipeline(shared);
      return pipeline;
    } catch (Exception | AssertionError e) {
      pipelineFailure = e;
      throw e;
    }
  }

  private static Pipeline buildPipeline(Path tmp) throws Exception {
    long t0 = System.nanoTime();
    Path folder = TestLabs.writeFolder(tmp.resolve("source"), false);
    Path lab = tmp.resolve("lab");
    assertOk(run(args("lab", "build", "--from", folder, "--out", lab, TestLabs.smallBuildArgs())), "lab build");
    assertOk(run("lab", "check", lab.toString()), "lab check");
    Path neutral = lab.resolve(Lab.NEUTRAL_PROMPTS);

    Path runDir = tmp.resolve("run");
    assertOk(run("train", "--data", lab.toString(), "--out", runDir.toString(), "--steps", "12", "--batch-size", "8",
        "--checkpoint-every", "6", "--image-size", "16", "--hidden-size", "32", "--depth", "2", "--heads", "2",
        "--text-layers", "1", "--sample-steps", "2"), "train");
    Path model = runDir.resolve("model");

    Path judge = tmp.resolve("judge");
    assertOk(run("judge", "train", "--lab", lab.toString(), "--out", judge.toString(), "--quality-steps", "4", "--concept-steps", "4",
        "--descriptor-steps", "4"), "judge train");

    Path audit = tmp.resolve("audit");
    assertOk(run("audit", "--model", model.toString(), "--lab", lab.toString(), "--judge", judge.toString(), "--out", audit.toString(),
        "--seeds", "2", "--fid-images", "2", "--resamples", "20"), "audit");
    // The same command again (as after a kill that landed once the output was written): reused, not redone.
    long judgeWritten = Files.getLastModifiedTime(judge.resolve("metrics.json")).toMillis();
    long auditWritten = Files.getLastModifiedTime(audit.resolve("metrics.json")).toMillis();
    Result again = run("judge", "train", "--lab", lab.toString(), "--out", judge.toString(), "--quality-steps", "4", "--concept-steps", "4",
        "--descriptor-steps", "4");
    assertOk(again, "judge train again");
    assertTrue(again.out().contains("reused"), again.out());
    again = run("audit", "--model", model.toString(), "--lab", lab.toString(), "--judge", judge.toString(), "--out", audit.toString(),
        "--seeds", "2", "--fid-images", "2", "--resamples", "20");
    assertOk(again, "audit again");
    assertTrue(again.out().contains("reused") && again.out().contains("replication_rate"), again.out());
    assertEquals(judgeWritten, Files.getLastModifiedTime(judge.resolve("metrics.json")).toMillis());
    assertEquals(auditWritten, Files.getLastModifiedTime(audit.resolve("metrics.json")).toMillis());
    // Another option on the same directory is refused, not reused.
    assertError(run("audit", "--model", model.toString(), "--lab", lab.toString(), "--judge", judge.toString(), "--out", audit.toString(),
        "--seeds", "3", "--fid-images", "2", "--resamples", "20"), "already exists");
    assertError(run("judge", "train", "--lab", lab.toString(), "--out", judge.toString(), "--quality-steps", "5", "--concept-steps", "4",
        "--descriptor-steps", "4"), "already exists");

    Path forgotten = tmp.resolve("forget");
    assertOk(run("forget", "--model", model.toString(), "--prompts", neutral.toString(), "--out", forgotten.toString(), "--beta", "5",
        "--steps", "2", "--batch-size", "4", "--seeds-per-prompt", "1", "--sampler-steps", "2", "--timing-images", "4"), "forget");
    System.out.printf("CliTest pipeline: up to forget in %.1f s%n", (System.nanoTime() - t0) / 1e9);
    assertOk(run("prune-control", "--by", "smallest-magnitude", "--model", model.toString(), "--like", forgotten.toString(),
        "--out", tmp.resolve("magnitude").toString(), "--timing-images", "2"), "prune-control --by smallest-magnitude");
    assertOk(run("audit", "--model", model.toString(), "--lab", lab.toString(), "--judge", judge.toString(), "--out",
        tmp.resolve("audit_wen").toString(), "--seeds", "2", "--fid-images", "2", "--resamples", "20", "--wen-target", "neutral"),
        "audit --wen-target neutral");
    Path pairs = tmp.resolve("pairs.tsv");
    Files.writeString(pairs, Files.readAllLines(lab.resolve(Lab.TARGET_PROMPTS)).get(0) + "\t" + Files.readAllLines(neutral).get(0) + "\n");
    assertOk(run("unlearn", "ablate", "--model", model.toString(), "--pairs", pairs.toString(), "--out", tmp.resolve("ablated").toString(),
        "--steps", "3", "--batch-size", "2", "--anchor-images", "1"), "unlearn ablate");
    assertOk(run("baseline", "nemo", "--model", model.toString(), "--prompts", lab.resolve(Lab.TARGET_PROMPTS).toString(),
        "--neutral", neutral.toString(), "--out", tmp.resolve("nemo").toString(), "--detector-seeds", "2", "--activation-seeds", "1"),
        "baseline nemo");
    assertOk(run("baseline", "conceptprune", "--model", model.toString(), "--prompts", lab.resolve(Lab.TARGET_PROMPTS).toString(),
        "--out", tmp.resolve("conceptprune").toString(), "--seeds", "1", "--first-steps", "2"), "baseline conceptprune");

    Path sweep = tmp.resolve("sweep");
    List<String> sweepArgs = args("sweep", "--model", model, "--prompts", neutral, "--lab", lab, "--judge", judge, "--out", sweep,
        "--betas", "0.1", "--repeats", "2", "--steps", "2", "--batch-size", "4", "--seeds", "2", "--fid-images", "2");
    Result sweepResult = run(sweepArgs);
    assertOk(sweepResult, "sweep");
    System.out.printf("CliTest pipeline: %.1f s%n", (System.nanoTime() - t0) / 1e9);
    return new Pipeline(lab, model, judge, audit, forgotten, sweep, sweepArgs, sweepResult);
  }

  @Test
  void thePipelineWritesEveryOutput() throws Exception {
    Pipeline p = pipeline();
    Path runDir = p.model().getParent();
    for (String f : List.of("config.json", "model.safetensors", "tokenizer.json")) assertTrue(Files.isRegularFile(p.model().resolve(f)), f);
    assertEquals(12, json(runDir.resolve("checkpoint/trainer_state.json")).get("step").asInt());
    assertEquals(16, json(p.model().resolve("config.json")).get("image_size").asInt());

    JsonNode instruments = json(p.judge().resolve("metrics.json"));
    for (String k : List.of("quality", "concepts", "descriptor")) assertTrue(instruments.has(k), k + " in " + instruments);
    assertEquals("instruments", json(p.judge().resolve(Provenance.FILE)).get("stage").asText());

    JsonNode metrics = json(p.audit().resolve("metrics.json"));
    for (String k : List.of("replication_rate", "target_nearest_is_own_share", "concept_rate", "magnitude_auc", "fid", "kid",
        "alignment", "neutral_copy_share")) {
      assertTrue(metrics.get("headline").has(k), k);
    }
    assertEquals(3, metrics.get("targets").size());
    String html = Files.readString(p.audit().resolve("report.html"));
    assertTrue(html.contains("data:image/png;base64,"), "self-contained report");
    assertEquals("audit", json(p.audit().resolve(Provenance.FILE)).get("stage").asText());

    JsonNode report = json(p.forget().resolve("report.json"));
    double off = report.get("deactivated_share").get("whole_mask").asDouble();
    assertTrue(off >= 0 && off <= 1, "whole-mask share " + off);
    assertTrue(report.get("parameters_after").asLong() <= report.get("parameters_before").asLong());
    assertTrue(Files.isRegularFile(p.forget().resolve("model/model.safetensors")));
    assertEquals(2, Files.readAllLines(p.forget().resolve("mask/training_log.jsonl")).size());
    Path tmpDir = p.forget().getParent();
    JsonNode magnitude = json(tmpDir.resolve("magnitude").resolve("report.json"));
    assertEquals(report.get("deactivated_share").get("whole_mask").asDouble(), magnitude.get("deactivated_share").get("whole_mask").asDouble(),
        1e-12, "the control prunes as many units as the forget run");
    assertEquals("magnitude-control", json(tmpDir.resolve("magnitude").resolve(Provenance.FILE)).get("stage").asText());
    JsonNode wen = json(tmpDir.resolve("audit_wen").resolve("metrics.json")).get("mitigation");
    assertEquals("wen", wen.get("method").asText(), wen.toString());
    assertTrue(wen.get("target").asDouble() > 0 && wen.get("extra_seconds_per_image").asDouble() > 0, wen.toString());
    assertTrue(wen.get("images").asLong() > 0, wen.toString());
    assertEquals("wen", json(tmpDir.resolve("audit_wen").resolve(Provenance.FILE)).get("options").get("mitigation").get("method").asText());
    assertEquals("concept-ablation", json(tmpDir.resolve("ablated").resolve("report.json")).get("method").asText());
    assertTrue(Files.isRegularFile(tmpDir.resolve("ablated").resolve("model/model.safetensors")));
    JsonNode nemo = json(tmpDir.resolve("nemo").resolve("report.json"));
    assertEquals("nemo", nemo.get("method").asText());
    assertTrue(nemo.get("details").get("detector_threshold").isNumber(), nemo.toString());
    JsonNode baseline = json(tmpDir.resolve("conceptprune").resolve("report.json"));
    assertEquals("conceptprune", baseline.get("method").asText());
    assertTrue(baseline.get("zeroed_weights_total").asLong() > 0, baseline.toString());
    assertTrue(Files.isRegularFile(tmpDir.resolve("conceptprune").resolve("model/model.safetensors")));

    Path sweep = p.sweep();
    JsonNode table = json(sweep.resolve("table").resolve(Sweep.TABLE_JSON));
    assertEquals(1, table.get("rows").size());
    JsonNode row = table.get("rows").get(0);
    assertEquals(0.1, row.get("beta").asDouble());
    assertEquals(2, row.get("repeats").asInt());
    for (String kind : List.of("forget", "random")) {
      for (String c : Sweep.COLUMNS) assertTrue(row.get(kind).has(c), kind + " " + c);
    }
    assertTrue(table.get("original").has("replication_rate"));
    assertTrue(Files.readString(sweep.resolve("table").resolve(Sweep.TABLE_MD)).contains("| original |"));
    assertTrue(p.sweepResult().out().contains("| forget | 0.1 |"), p.sweepResult().out());
    for (String seed : List.of("seed_0", "seed_1")) {
      Path part = sweep.resolve("beta_0.1").resolve(seed);
      for (String d : List.of("forget", "random", "audit", "random_audit")) {
        assertTrue(Files.isRegularFile(part.resolve(d).resolve(Provenance.FILE)), seed + "/" + d);
      }
      assertTrue(json(part.resolve("audit/metrics.json")).get("headline").has("replication_rate"));
      assertTrue(json(part.resolve("random/report.json")).has("parameters_after"));
    }
    assertTrue(Files.isRegularFile(sweep.resolve("original_audit/metrics.json")));
  }

  @Test
  void reRunningTheSweepReusesEveryPart() throws Exception {
    Pipeline p = pipeline();
    Path sweep = p.sweep();
    Path forgetReport = sweep.resolve("beta_0.1/seed_1/forget/report.json");
    Path auditMetrics = sweep.resolve("beta_0.1/seed_1/random_audit/metrics.json");
    var forgetTime = Files.getLastModifiedTime(forgetReport);
    var auditTime = Files.getLastModifiedTime(auditMetrics);
    long t1 = System.nanoTime();
    Result r = run(p.sweepArgs());
    assertOk(r, "sweep again");
    for (String part : List.of("original_audit", "beta_0.1/seed_0/forget", "beta_0.1/seed_0/audit", "beta_0.1/seed_1/random_audit")) {
      assertTrue(r.err().contains("reusing " + sweep.resolve(part)), part + ":\n" + r.err());
    }
    assertEquals(forgetTime, Files.getLastModifiedTime(forgetReport));
    assertEquals(auditTime, Files.getLastModifiedTime(auditMetrics));
    assertTrue(r.out().contains("| forget | 0.1 |"), r.out());
    System.out.printf("CliTest: sweep re-run (all reused) in %.1f s%n", (System.nanoTime() - t1) / 1e9);
  }

  /** Every method of the bench on the tiny lab, one table; a second run reuses every part. */
  @Test
  void compareRunsEveryMethodAndReusesItsParts() throws Exception {
    Pipeline p = pipeline();
    Path out = tmp.resolve("compare");
    Path pairs = tmp.resolve("compare_pairs.tsv");
    Files.writeString(pairs, Files.readAllLines(p.lab().resolve(Lab.TARGET_PROMPTS)).get(0) + "\t"
        + Files.readAllLines(p.lab().resolve(Lab.NEUTRAL_PROMPTS)).get(0) + "\n");
    List<String> args = args("compare", "--model", p.model(), "--lab", p.lab(), "--judge", p.judge(), "--out", out,
        "--methods", "original,uniforget,random,magnitude,conceptprune,nemo,wen,ablate,ablate+uniforget,uniforget+ablate",
        "--ablate-pairs", pairs, "--forget-steps", "2", "--forget-batch-size", "4", "--seeds-per-prompt", "1", "--timing-images", "2",
        "--detector-seeds", "2", "--ablate-steps", "2", "--anchor-images", "1", "--seeds", "2", "--fid-images", "2", "--resamples", "20",
        "--attack", "--attack-steps", "2", "--attack-snapshots", "0,2", "--attack-seeds", "2", "--attack-never-seen", "1",
        "--attack-concept-images", "1", "--scaling", "1");
    long t0 = System.nanoTime();
    Result r = run(args);
    assertOk(r, "compare");
    System.out.printf("CliTest: compare of 10 methods in %.1f s%n", (System.nanoTime() - t0) / 1e9);
    JsonNode rows = json(out.resolve("table/compare.json"));
    assertEquals(10 + 3, rows.size(), "ten methods and the three targeted ones told one prompt");
    for (JsonNode row : rows) {
      assertTrue(row.get("metrics").has("replication_rate") && row.get("metrics").has("fid"), row.toString());
      String method = row.get("method").asText();
      Path dir = method.contains(" @") ? out.resolve("scaling").resolve(method.replace(" @", "_")) : out.resolve(method.replace("+", "_then_"));
      assertTrue(Files.isRegularFile(dir.resolve("audit/metrics.json")), row.toString());
    }
    assertEquals(List.of("conceptprune @1", "nemo @1", "ablate @1"), List.of(rows.get(10).get("method").asText(), rows.get(11).get("method").asText(),
        rows.get(12).get("method").asText()));
    assertTrue(rows.get(10).get("told").asText().contains("(1)"), rows.get(10).toString());
    assertTrue(rows.get(6).get("extra_seconds_per_image").asDouble() > 0, "wen costs time at every generation: " + rows.get(6));
    assertTrue(rows.get(4).get("told").asText().contains("memorized prompts"), rows.get(4).toString());
    assertTrue(Files.readString(out.resolve("table/compare.html")).contains("<table>"));
    for (JsonNode row : rows) {
      assertTrue(row.get("under_attack").has("replication_after"), row.toString());
      assertTrue(Files.isRegularFile(Path.of(row.get("attack").asText()).resolve("attack.json")), row.toString());
    }
    assertTrue(json(out.resolve("wen/attack/attack.json")).get("options").get("mitigation").has("target"), "wen's attack samples with the mitigation");
    assertTrue(Files.readString(out.resolve("table/compare.md")).contains("under attack: replication_after"));
    Result again = run(args);
    assertOk(again, "compare again");
    for (String part : List.of("uniforget/edit", "conceptprune/edit", "nemo/edit", "ablate/edit", "wen/audit", "ablate_then_uniforget/audit",
        "nemo/attack", "wen/attack")) {
      assertTrue(again.err().contains("reusing " + out.resolve(part)), part + ":\n" + again.err());
    }
    Result bad = run(args("compare", "--model", p.model(), "--lab", p.lab(), "--judge", p.judge(), "--out", tmp.resolve("compare_bad"),
        "--methods", "original,telepathy"));
    assertError(bad, "telepathy", "expected some of");
  }

  /** The embedding attacks end to end on the tiny lab: every curve, the grids, reuse, and a bad start named. */
  @Test
  void attackWritesEveryCurveAndReusesItsOutput() throws Exception {
    Pipeline p = pipeline();
    Path out = tmp.resolve("attack");
    List<String> args = args("attack", "--model", p.model(), "--lab", p.lab(), "--judge", p.judge(), "--out", out, "--attack-steps", "4",
        "--snapshots", "0,4", "--seeds", "2", "--never-seen", "2", "--concept-images", "2", "--resamples", "20");
    long t0 = System.nanoTime();
    Result r = run(args);
    assertOk(r, "attack");
    System.out.printf("CliTest: attack in %.1f s%n", (System.nanoTime() - t0) / 1e9);
    JsonNode rep = json(out.resolve("attack.json"));
    assertEquals(3, rep.get("copies").size(), rep.toString());
    assertEquals(3, rep.get("never_seen").size(), rep.toString());
    assertEquals(6, rep.get("concepts").size(), "two concepts, three starts each");
    for (JsonNode c : rep.get("copies")) {
      assertEquals(2, c.get("replication").size());
      assertEquals(4, c.get("loss").size());
      assertEquals(3, c.get("count").asInt(), "the pipeline lab's three targets");
    }
    assertTrue(rep.get("headline").has("replication_before") && rep.get("headline").has("replication_after"), rep.get("headline").toString());
    assertTrue(rep.get("headline").has("replication_lowpass_after") && rep.get("headline").has("separation_auc_prompt"), rep.get("headline").toString());
    assertEquals(3, rep.get("separation").size(), "one memorized-vs-never-seen separation per start");
    for (JsonNode sp : rep.get("separation")) assertEquals(2, sp.get("auc").size(), sp.toString());
    for (String g : List.of("copies_prompt", "copies_noise", "never_seen_neutral")) assertTrue(Files.isRegularFile(out.resolve("grids/" + g + ".png")), g);
    assertTrue(Files.readString(out.resolve("attack.md")).contains("| memorized (3 x 2 seeds) | prompt |"), Files.readString(out.resolve("attack.md")));
    Result again = run(args);
    assertOk(again, "attack again");
    assertTrue(again.out().contains("| memorized (3 x 2 seeds) | prompt |"), again.out());
    Result changed = run(args("attack", "--model", p.model(), "--lab", p.lab(), "--judge", p.judge(), "--out", out, "--attack-steps", "5",
        "--snapshots", "0,5", "--seeds", "2", "--never-seen", "2", "--concept-images", "2", "--resamples", "20"));
    assertError(changed, "steps");
    Result bad = run(args("attack", "--model", p.model(), "--lab", p.lab(), "--judge", p.judge(), "--out", tmp.resolve("attack_bad"),
        "--copy-inits", "prompt,telepathy"));
    assertError(bad, "telepathy", "--copy-inits");
    assertTrue(!Files.exists(tmp.resolve("attack_bad")));
  }

  @Test
  void reRunningTheSweepWithOtherStepsStopsAndNamesTheDifference() throws Exception {
    Pipeline p = pipeline();
    Path forgetReport = p.sweep().resolve("beta_0.1/seed_0/forget/report.json");
    var before = Files.getLastModifiedTime(forgetReport);
    List<String> otherSteps = new ArrayList<>(p.sweepArgs());
    otherSteps.set(otherSteps.indexOf("--steps") + 1, "3");
    Result r = run(otherSteps);
    assertError(r, p.sweep().resolve("beta_0.1/seed_0/forget").toString(), "1 difference", "option \"steps\": recorded 2, now 3",
        "delete it");
    assertEquals(before, Files.getLastModifiedTime(forgetReport));
  }

  @Test
  void badInputsAreClearErrorsAndWriteNothing() throws Exception {
    Pipeline p = pipeline();
    badInputs(p.lab(), p.model(), p.judge());
  }

  /** Clear errors, exit 2, nothing written. */
  private void badInputs(Path lab, Path model, Path judge) throws Exception {
    Path out = tmp.resolve("bad_out");
    // A model of another image size.
    Path small = tmp.resolve("model8");
    try (NDManager root = NDManager.newBaseManager()) {
      WordTokenizer tok = TestModels.tokenizer();
      try (FlowModel m = FlowModel.initialize(TestModels.tinyConfig(tok), tok, root, 1)) {
        ModelDir.save(m, small, false, java.util.Map.of());
      }
    }
    Result r = run("audit", "--model", small.toString(), "--lab", lab.toString(), "--judge", judge.toString(), "--out", out.toString());
    assertError(r, "8x8", "16x16");
    assertFalse(Files.exists(out));

    // Instruments of another lab (a v1 lab has no held-out split: judge train refuses it).
    Path v1 = TestLabs.writeV1Lab(tmp.resolve("v1"));
    r = run("judge", "train", "--lab", v1.toString(), "--out", out.toString(), "--quality-steps", "2", "--concept-steps", "2",
        "--descriptor-steps", "2");
    assertError(r, v1.resolve(Lab.MANIFEST).toString(), "no held-out split");
    assertFalse(Files.exists(out));
    r = run("audit", "--model", model.toString(), "--lab", v1.toString(), "--judge", judge.toString(), "--out", out.toString());
    assertEquals(2, r.code(), r.err());
    assertFalse(Files.exists(out));

    // Prompt files: empty, or a target prompt that is no verbatim target's caption.
    Path empty = tmp.resolve("empty.txt");
    Files.writeString(empty, "\n \n");
    for (String option : List.of("--neutral", "--targets")) {
      r = run("audit", "--model", model.toString(), "--lab", lab.toString(), "--judge", judge.toString(), "--out", out.toString(),
          option, empty.toString());
      assertError(r, "no prompts", "empty.txt");
      assertFalse(Files.exists(out));
    }
    Path notCaption = tmp.resolve("targets.txt");
    Files.writeString(notCaption, "a photo of a kite\n");
    r = run("audit", "--model", model.toString(), "--lab", lab.toString(), "--judge", judge.toString(), "--out", out.toString(),
        "--targets", notCaption.toString(), "--seeds", "2", "--fid-images", "2");
    assertError(r, "'a photo of a kite'", "not the caption of any verbatim target");
    assertFalse(Files.exists(out));

    // An existing audit directory is never overwritten without --force.
    Files.createDirectories(out);
    r = run("audit", "--model", model.toString(), "--lab", lab.toString(), "--judge", judge.toString(), "--out", out.toString());
    assertError(r, "already exists");

    // sample and forget: empty prompt files are refused and nothing is written.
    Path grid = tmp.resolve("grid.png");
    r = run("sample", "--model", model.toString(), "--prompts", empty.toString(), "--out", grid.toString());
    assertError(r, "no prompts");
    assertFalse(Files.exists(grid));
    Path prompts = tmp.resolve("p.txt");
    Files.writeString(prompts, "a photo of a kite\n\na photo of a boat\n");
    r = run("sample", "--model", model.toString(), "--prompts", prompts.toString(), "--seeds", "3", "--out", grid.toString());
    assertOk(r, "sample");
    assertEquals(2 * (16 * 3 + 2) + 2, ImageIO.read(grid.toFile()).getHeight(), "two rows of 16x16 x3 cells");
    r = run("forget", "--model", model.toString(), "--prompts", empty.toString(), "--out", tmp.resolve("f2").toString());
    assertError(r, "no prompts");
    assertFalse(Files.exists(tmp.resolve("f2")));
    r = run("forget", "--model", model.toString(), "--prompts", prompts.toString(), "--out", tmp.resolve("f2").toString(),
        "--beta", "-1");
    assertError(r, "--beta");
    assertFalse(Files.exists(tmp.resolve("f2")));
  }

  /**
   * The main job end to end on Fashion-MNIST with a tiny model: lab, training, grids, instruments,
   * audit, forget, audit against the original; a second run reuses every part (provenance) and
   * prints the same verdict.
   */
  @Test
  void demoRunsEndToEndAndReusesItsPartsOnReRun() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(dev.uniforget.data.FashionMnist.DEFAULT_DIR),
        "Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)");
    Path out = tmp.resolve("demo");
    String[] args = {"demo", "--out", out.toString(), "--per-class", "12", "--duplicates", "4", "--motif-images", "15",
        "--steps", "20", "--batch-size", "16", "--hidden-size", "32", "--depth", "1", "--heads", "2", "--text-layers", "1",
        "--quality-steps", "20", "--concept-steps", "20", "--descriptor-steps", "10", "--fid-images", "20",
        "--forget-steps", "2", "--seeds", "2"};
    Result first = run(args);
    assertEquals(0, first.code(), first.err());
    for (String f : List.of("lab/manifest.json", "lab/heldout/metadata.jsonl", "run/model/config.json", "grids/targets.png",
        "judge/quality/classifier.json", "audit/report.html", "forget_beta_0.1/model/config.json",
        "audit_after_forget/metrics.json", "demo_summary.json")) {
      assertTrue(Files.isRegularFile(out.resolve(f)), f);
    }
    JsonNode trainer = Jsons.MAPPER.readTree(out.resolve("run/checkpoint/trainer_state.json").toFile());
    assertEquals(DemoCommand.Recipe.FASHION_LR, trainer.findValue("learning_rate").floatValue(), "the demo's learning rate applies");
    JsonNode after = Jsons.MAPPER.readTree(out.resolve("audit_after_forget/metrics.json").toFile());
    assertEquals("uniforget-audit/2", after.get("format").asText());
    assertTrue(after.get("intervals").has("concept_rate"), "the headline carries intervals");
    long auditTime = Files.getLastModifiedTime(out.resolve("audit/metrics.json")).toMillis();
    Result second = run(args);
    assertEquals(0, second.code(), second.err());
    assertEquals(auditTime, Files.getLastModifiedTime(out.resolve("audit/metrics.json")).toMillis(), "the audit was reused");
    assertTrue(second.out().contains("AUDIT after UniForget"), second.out());
  }

  /**
   * The emoji pipeline ({@code demo --emoji}) end to end on the real packages with a tiny FLUX-layout
   * model: the lab is the RGB emoji lab, the model follows the lab's size and channels, the neutral
   * grid has one row per emoji class, and the audit measures the style concept.
   */
  @Test
  void emojiDemoRunsTheWholePipelineOnTheRgbLab() throws Exception {
    Path pkgs = dev.uniforget.data.EmojiDatasource.DEFAULT_DIR;
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(pkgs.resolve("twitter/emoji.json"))
        && Files.isRegularFile(pkgs.resolve("google/emoji.json")), "emoji-datasource packages not unpacked (scripts/install-deps.sh)");
    Path out = tmp.resolve("emoji");
    Result r = run("demo", "--emoji", "--out", out.toString(), "--double-blocks", "1", "--depth", "1", "--rope",
        "--steps", "4", "--batch-size", "8", "--hidden-size", "32", "--heads", "2", "--text-layers", "1",
        "--quality-steps", "4", "--concept-steps", "4", "--descriptor-steps", "2", "--fid-images", "16",
        "--forget-steps", "1", "--seeds", "2");
    assertEquals(0, r.code(), r.err());
    JsonNode cfg = Jsons.MAPPER.readTree(out.resolve("run/model/config.json").toFile());
    assertEquals(32, cfg.get("image_size").asInt(), "the model follows the lab's size");
    assertEquals(3, cfg.get("channels").asInt(), "and its channels");
    assertEquals(1, cfg.get("double_blocks").asInt());
    dev.uniforget.lab.LabManifest m = dev.uniforget.lab.Lab.open(out.resolve("lab")).manifest();
    List<String> rows = Files.readAllLines(out.resolve("grids/neutral.png.txt"));
    assertEquals(m.classes.size(), rows.size(), "one neutral row per emoji class: " + rows);
    for (int i = 0; i < rows.size(); i++) assertTrue((" " + rows.get(i) + " ").contains(" " + m.classes.get(i) + " "), rows.get(i));
    JsonNode audit = Jsons.MAPPER.readTree(out.resolve("audit/metrics.json").toFile());
    assertTrue(audit.get("intervals").has("concept_rate"), "the style is measured as a concept");
    assertTrue(Files.isRegularFile(out.resolve("audit_after_forget/report.html")));
  }
}
