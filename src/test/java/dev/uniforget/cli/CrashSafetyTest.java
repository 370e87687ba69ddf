package dev.uniforget.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uniforget.forget.MaskCheckpoint;
import dev.uniforget.io.Jsons;
import dev.uniforget.lab.Lab;
import dev.uniforget.lab.TestLabs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hard kills lose nothing: {@code train}, {@code forget}, {@code judge train} and {@code audit} run
 * as subprocesses and are killed with SIGKILL at seeded random moments (with checkpoints every few
 * steps, many kills land inside a checkpoint or output write), then run again (with
 * {@code --resume} where the command has it) until one finishes. After every kill the output is
 * either absent or complete; the finished result equals an uninterrupted run's with the same seeds;
 * no temporary sibling is left.
 */
class CrashSafetyTest {
  @TempDir static Path shared;
  static Path lab;
  static Path model;
  static Path judge;
  /** Wall times of the uninterrupted in-process runs: the kill moments are drawn over them. */
  static long trainMs, judgeMs;

  static final List<String> TRAIN = List.of("--steps", "300", "--batch-size", "8", "--checkpoint-every", "3", "--image-size", "16",
      "--hidden-size", "32", "--depth", "2", "--heads", "2", "--text-layers", "1", "--sample-steps", "2");

  @BeforeAll
  static void labAndModel() throws Exception {
    Path folder = TestLabs.writeFolder(shared.resolve("source"), false);
    lab = shared.resolve("lab");
    List<String> build = new ArrayList<>(List.of("lab", "build", "--from", folder.toString(), "--out", lab.toString()));
    build.addAll(TestLabs.smallBuildArgs());
    CliTest.assertOk(CliTest.run(build.toArray(String[]::new)), "lab build");
    List<String> train = new ArrayList<>(List.of("train", "--data", lab.toString(), "--out", shared.resolve("run").toString()));
    train.addAll(TRAIN);
    long t0 = System.nanoTime();
    CliTest.assertOk(CliTest.run(train.toArray(String[]::new)), "train");
    trainMs = (System.nanoTime() - t0) / 1_000_000;
    model = shared.resolve("run/model");
    judge = shared.resolve("judge");
    t0 = System.nanoTime();
    CliTest.assertOk(CliTest.run("judge", "train", "--lab", lab.toString(), "--out", judge.toString(), "--quality-steps", "20",
        "--concept-steps", "20", "--descriptor-steps", "20"), "judge train");
    judgeMs = (System.nanoTime() - t0) / 1_000_000;
  }

  /** Starts {@code uniforget ARGS} in a new JVM (the test's class path); output into {@code log}. */
  private static Process start(List<String> args, Path log) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Dai.djl.offline=true",
        "-Xmx1g"));
    // The same libtorch thread count as this JVM's reference runs: float sums differ with it.
    String threads = System.getProperty("ai.djl.pytorch.num_threads");
    if (threads != null) cmd.add("-Dai.djl.pytorch.num_threads=" + threads);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
    cmd.addAll(args);
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  /**
   * Runs {@code next.get()} until a run exits by itself, killing the first {@code kills} runs at
   * random moments between 1 s after the start (the JVM still loading) and about the JVM start plus
   * {@code workMs}, the in-process time of the same work; after every kill {@code check} looks at
   * the disk. A run that finishes before the first kill has landed makes {@code out} start again
   * from nothing, with the kill window inside that run's time. Returns the number of kills that
   * landed (the run was still alive).
   */
  private static int killAndRerun(java.util.function.Supplier<List<String>> next, int kills, long workMs, long seed, Path logs,
      Path out, IOCheck check) throws Exception {
    long fromMs = 1000, toMs = 1500 + workMs;
    SplittableRandom rng = new SplittableRandom(seed);
    int landed = 0, restarts = 0;
    for (int attempt = 0; ; attempt++) {
      Path log = logs.resolveSibling(logs.getFileName() + "." + attempt + ".log");
      Process p = start(next.get(), log);
      if (attempt < kills + restarts) {
        long delay = fromMs + rng.nextLong(toMs - fromMs);
        long t0 = System.nanoTime();
        if (!p.waitFor(delay, TimeUnit.MILLISECONDS)) {
          p.destroyForcibly(); // SIGKILL
          p.waitFor();
          landed++;
          check.run();
          continue;
        }
        if (landed == 0 && restarts < 5) {
          // The run finished before the first kill moment (the subprocess was faster than the
          // in-process estimate): start again from nothing with the window inside that run.
          int a = attempt;
          assertEquals(0, p.exitValue(), () -> "run " + a + " failed:\n" + read(log));
          long tookMs = (System.nanoTime() - t0) / 1_000_000;
          toMs = Math.max(fromMs + 1, (long) (0.9 * tookMs));
          dev.uniforget.io.AtomicFiles.deleteRecursively(out);
          restarts++;
          continue;
        }
      } else {
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "run " + attempt + " did not finish");
      }
      int a = attempt;
      assertEquals(0, p.exitValue(), () -> "run " + a + " failed:\n" + read(log));
      return landed;
    }
  }

  interface IOCheck {
    void run() throws IOException;
  }

  private static String read(Path f) {
    try {
      return Files.readString(f);
    } catch (IOException e) {
      return "(" + e + ")";
    }
  }

  /** No temporary or backup sibling of an atomic write is left in {@code dir}. */
  private static void noLeftovers(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) return;
    try (Stream<Path> s = Files.list(dir)) {
      List<String> left = s.map(p -> p.getFileName().toString()).filter(n -> n.matches("\\..*\\.(tmp|old)")).toList();
      assertTrue(left.isEmpty(), dir + " holds leftovers " + left);
    }
  }

  private static List<String> with(List<String> a, String... more) {
    List<String> out = new ArrayList<>(a);
    out.addAll(Arrays.asList(more));
    return out;
  }

  @Test
  void trainKilledAtRandomResumesToTheUninterruptedModel() throws Exception {
    Path out = shared.resolve("train_killed");
    List<String> first = with(TRAIN, "--data", lab.toString(), "--out", out.toString());
    first.add(0, "train");
    List<String> resume = with(first, "--resume");
    IOCheck check = () -> {
      // The model is written once, atomically, at the end; the checkpoint is complete whenever it is there.
      if (Files.exists(out.resolve("model"))) assertTrue(Files.isRegularFile(out.resolve("model/model.safetensors")));
      if (Files.exists(out.resolve("checkpoint"))) assertTrue(Files.isRegularFile(out.resolve("checkpoint/trainer_state.json")));
    };
    // A fresh run until a checkpoint (or a checkpoint's interrupted replace) exists, then resumes.
    java.util.function.Supplier<List<String>> next = () -> {
      String[] names = out.toFile().list();
      boolean resumable = names != null && Stream.of(names).anyMatch(n -> n.equals("checkpoint") || n.startsWith(".checkpoint.") && n.endsWith(".old"));
      return resumable ? resume : first;
    };
    int landed = killAndRerun(next, 5, trainMs, 11, shared.resolve("train_log"), out, check);
    System.out.printf("CrashSafetyTest: train killed %d times%n", landed);
    assertTrue(landed >= 1, "at least one kill landed while training ran");
    assertEquals(Files.readString(model.resolve("config.json")), Files.readString(out.resolve("model/config.json")));
    assertTrue(Arrays.equals(Files.readAllBytes(model.resolve("model.safetensors")), Files.readAllBytes(out.resolve("model/model.safetensors"))),
        "the resumed run's weights equal the uninterrupted run's, bit for bit");
    noLeftovers(out);
  }

  @Test
  void forgetKilledAtRandomResumesToTheUninterruptedMasks() throws Exception {
    Path neutral = lab.resolve(Lab.NEUTRAL_PROMPTS);
    List<String> args = List.of("forget", "--model", model.toString(), "--prompts", neutral.toString(), "--beta", "1", "--steps", "40",
        "--batch-size", "4", "--seeds-per-prompt", "1", "--sampler-steps", "2", "--timing-images", "2", "--checkpoint-every", "2");
    Path whole = shared.resolve("forget_whole");
    long t0 = System.nanoTime();
    CliTest.assertOk(CliTest.run(with(args, "--out", whole.toString()).toArray(String[]::new)), "forget");
    long forgetMs = (System.nanoTime() - t0) / 1_000_000;
    Path out = shared.resolve("forget_killed");
    IOCheck check = () -> {
      if (Files.exists(out)) {
        for (String f : List.of("report.json", "mask/mask.safetensors", "model/model.safetensors", "provenance.json")) {
          assertTrue(Files.isRegularFile(out.resolve(f)), "a forget output is complete or absent: " + f);
        }
      }
    };
    List<String> resume = with(args, "--out", out.toString(), "--resume");
    int landed = killAndRerun(() -> resume, 4, forgetMs, 5, shared.resolve("forget_log"), out, check);
    System.out.printf("CrashSafetyTest: forget killed %d times%n", landed);
    assertTrue(landed >= 1, "at least one kill landed");
    var a = dev.uniforget.model.TestModels.readAll(whole.resolve("mask/mask.safetensors"));
    var b = dev.uniforget.model.TestModels.readAll(out.resolve("mask/mask.safetensors"));
    for (String k : a.keySet()) assertTrue(Arrays.equals(a.get(k), b.get(k)), k + " differs from the uninterrupted run");
    assertEquals(Files.readString(whole.resolve("mask/training_log.jsonl")), Files.readString(out.resolve("mask/training_log.jsonl")));
    assertTrue(!Files.exists(MaskCheckpoint.dirFor(out)), "the checkpoint is gone once the output is written");
    noLeftovers(shared);
  }

  @Test
  void judgeAndAuditKilledAtRandomLeaveNothingHalfAndRerunToTheSameNumbers() throws Exception {
    List<String> judgeArgs = List.of("judge", "train", "--lab", lab.toString(), "--quality-steps", "20", "--concept-steps", "20",
        "--descriptor-steps", "20");
    Path judged = shared.resolve("judge_killed");
    IOCheck judgeCheck = () -> {
      if (Files.exists(judged)) assertTrue(Files.isRegularFile(judged.resolve("metrics.json")) && Files.isRegularFile(judged.resolve("provenance.json")));
    };
    List<String> j = with(judgeArgs, "--out", judged.toString());
    int landed = killAndRerun(() -> j, 3, judgeMs, 7, shared.resolve("judge_log"), judged, judgeCheck);
    JsonNode a = Jsons.MAPPER.readTree(judge.resolve("metrics.json").toFile()), b = Jsons.MAPPER.readTree(judged.resolve("metrics.json").toFile());
    assertEquals(strip(a), strip(b), "the instruments' numbers equal the uninterrupted run's");

    List<String> auditArgs = List.of("audit", "--model", model.toString(), "--lab", lab.toString(), "--judge", judge.toString(), "--seeds", "2",
        "--fid-images", "8", "--resamples", "20");
    Path whole = shared.resolve("audit_whole");
    long t0 = System.nanoTime();
    CliTest.assertOk(CliTest.run(with(auditArgs, "--out", whole.toString()).toArray(String[]::new)), "audit");
    long auditMs = (System.nanoTime() - t0) / 1_000_000;
    Path audited = shared.resolve("audit_killed");
    IOCheck auditCheck = () -> {
      if (Files.exists(audited)) assertTrue(Files.isRegularFile(audited.resolve("metrics.json")) && Files.isRegularFile(audited.resolve("report.html")));
    };
    List<String> au = with(auditArgs, "--out", audited.toString());
    landed += killAndRerun(() -> au, 3, auditMs, 9, shared.resolve("audit_log"), audited, auditCheck);
    System.out.printf("CrashSafetyTest: judge and audit killed %d times%n", landed);
    assertEquals(Jsons.MAPPER.readTree(whole.resolve("metrics.json").toFile()).get("headline"),
        Jsons.MAPPER.readTree(audited.resolve("metrics.json").toFile()).get("headline"));
    noLeftovers(shared);
  }

  /** A metrics tree without its timings (they differ run to run). */
  private static JsonNode strip(JsonNode n) {
    JsonNode c = n.deepCopy();
    if (c.isObject()) {
      com.fasterxml.jackson.databind.node.ObjectNode o = (com.fasterxml.jackson.databind.node.ObjectNode) c;
      List<String> names = new ArrayList<>();
      o.fieldNames().forEachRemaining(names::add);
      for (String k : names) {
        if (k.contains("seconds") || k.equals("created")) o.remove(k);
        else o.set(k, strip(o.get(k)));
      }
    }
    return c;
  }
}
