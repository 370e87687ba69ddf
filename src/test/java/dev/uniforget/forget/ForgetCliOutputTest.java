package dev.uniforget.forget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The forget and prune-random commands print their summary to the command's own output (where
 * a caller of the command line, e.g. a test or the demo, reads it), shares included. (Lives with
 * the forget tests; the commands are package-private, so they are built by name.)
 */
class ForgetCliOutputTest {
  @TempDir Path tmp;

  record Result(int code, String out, String err) {}

  static Result run(String command, String... args) throws Exception {
    CommandLine cl = new CommandLine(Class.forName(command));
    StringWriter out = new StringWriter(), err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Result(code, out.toString(), err.toString());
  }

  @Test
  void forgetAndControlPrintEveryShareToTheCommandsOutput() throws Exception {
    String model = UniForgetTest.saveTinyModel(tmp.resolve("model")).toString();
    Path prompts = tmp.resolve("neutral.txt");
    Files.writeString(prompts, String.join("\n", UniForgetTest.PROMPTS) + "\n");
    Path forgotten = tmp.resolve("f");
    Result r = run("dev.uniforget.cli.ForgetCommand", "--model", model, "--prompts", prompts.toString(),
        "--out", forgotten.toString(), "--beta", "50", "--steps", "2", "--batch-size", "2", "--seeds-per-prompt", "1",
        "--sampler-steps", "1", "--timing-images", "1");
    assertEquals(0, r.code(), r.err());
    ForgetRun.Report report = ForgetRun.readReport(forgotten);
    assertEquals(3, report.fidelityPairs, "every prompt once by default");
    assertSharesPrinted(r.out(), report);

    Path control = tmp.resolve("control");
    r = run("dev.uniforget.cli.PruneRandomCommand", "--model", model, "--like", forgotten.toString(),
        "--out", control.toString(), "--timing-images", "1");
    assertEquals(0, r.code(), r.err());
    assertSharesPrinted(r.out(), ForgetRun.readReport(control));

    Path draws = tmp.resolve("draws");
    r = run("dev.uniforget.cli.PruneRandomCommand", "--model", model, "--like", forgotten.toString(),
        "--out", draws.toString(), "--timing-images", "1", "--draws", "2", "--seed", "3");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("deactivated_share.whole_mask"), r.out());
    assertTrue(ForgetRun.isForgetOutput(draws.resolve("draw_3")) && ForgetRun.isForgetOutput(draws.resolve("draw_4")));

    // The old --fidelity-images (a count of images) still works: rounded up to seeds per prompt.
    Path old = tmp.resolve("old");
    r = run("dev.uniforget.cli.ForgetCommand", "--model", model, "--prompts", prompts.toString(),
        "--out", old.toString(), "--steps", "1", "--batch-size", "1", "--seeds-per-prompt", "1", "--sampler-steps", "1",
        "--timing-images", "1", "--fidelity-images", "4");
    assertEquals(0, r.code(), r.err());
    assertEquals(6, ForgetRun.readReport(old).fidelityPairs, "4 images over 3 prompts: 2 seeds each");
    assertTrue(r.err().contains("--fidelity-seeds 2"), r.err());

    r = run("dev.uniforget.cli.ForgetCommand", "--model", model, "--prompts", prompts.toString(),
        "--out", tmp.resolve("none").toString(), "--repeats", "0");
    assertTrue(r.code() != 0 && r.err().contains("--repeats"), r.err());
    assertFalse(Files.exists(tmp.resolve("none")));
  }

  private static void assertSharesPrinted(String out, ForgetRun.Report report) {
    assertTrue(out.contains("deactivated share"), out);
    String first = out.lines().filter(l -> l.startsWith("deactivated share")).findFirst().orElseThrow();
    assertTrue(first.matches(".*\\d+\\.\\d %.*"), "the deactivated-share line carries the whole-mask share: " + first);
    for (String kind : report.deactivatedShare.keySet()) {
      if (!kind.equals(ForgetRun.Report.WHOLE_MASK)) {
        assertTrue(out.lines().anyMatch(l -> l.trim().startsWith(kind) && l.matches(".*\\d+\\.\\d %.*")), kind + " in\n" + out);
      }
    }
  }
}
