package dev.uniforget.cli;

import dev.uniforget.audit.judge.Instruments;
import dev.uniforget.io.Jsons;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code uniforget judge train}: the audit's instruments for one lab. */
@Command(name = "judge", mixinStandardHelpOptions = true, description = "The audit's instruments: quality network, concept detector, copy descriptor.",
    subcommands = {JudgeCommand.Train.class})
final class JudgeCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  @Command(name = "train", mixinStandardHelpOptions = true,
      description = {
        "Train the audit's instruments for one lab, from that lab alone, and measure each on the",
        "lab's held-out images (never trained on):",
        "(1) the quality network: a small CNN classifier of the lab's classes trained on clean",
        "    training images only; its features are the FID/KID space, its class probabilities the",
        "    prompt alignment (held-out class accuracy);",
        "(2) the concept detector: a sigmoid per protected concept, learnt from the training images",
        "    that carry it, with degraded, occluded and artefact negatives (held-out recall, clean and",
        "    degraded; false alarms on plain held-out images, clean and degraded);",
        "(3) the copy descriptor: an embedding that recognises a training image under noise, speckle,",
        "    blur, shifts and contrast; one in --descriptor-heldout-one-in distinct training images is",
        "    never trained on, so that the audit measures copy recall on images it never saw.",
        "Writes OUT/quality, OUT/concepts, OUT/descriptor, OUT/metrics.json, OUT/provenance.json."
      })
  static final class Train implements Callable<Integer> {
    @Option(names = "--lab", required = true, description = "The lab (uniforget-lab/2, with a held-out split).")
    Path lab;

    @Option(names = "--out", required = true, description = "Output directory (created; one that exists is refused, except complete instruments made from the same lab, options and code, which are reused: rerunning a killed command finishes it).")
    Path out;

    @Option(names = "--quality-steps", description = "Quality network training steps (default: ${DEFAULT-VALUE}).")
    int qualitySteps = new Instruments.Options().quality.steps;

    @Option(names = "--concept-steps", description = "Concept detector training steps (default: ${DEFAULT-VALUE}).")
    int conceptSteps = new Instruments.Options().concepts.steps;

    @Option(names = "--descriptor-steps", description = "Copy descriptor training steps (default: ${DEFAULT-VALUE}).")
    int descriptorSteps = new Instruments.Options().descriptor.steps;

    @Option(names = "--descriptor-heldout-one-in", description = "Keep one in this many distinct training images out of descriptor training, 0 = none (default: ${DEFAULT-VALUE}).")
    int heldoutOneIn = new Instruments.Options().descriptor.heldoutOneIn;

    @Option(names = "--seed", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed = 0;

    @Override
    public Integer call() throws Exception {
      Instruments.Options o = options(qualitySteps, conceptSteps, descriptorSteps, heldoutOneIn, seed);
      Object metrics;
      if (Instruments.alreadyDone(lab, out, o)) {
        System.out.println(out + " already holds these instruments (same lab, options and code): reused");
        metrics = Jsons.MAPPER.readTree(out.resolve(Instruments.METRICS).toFile());
      } else {
        try (Progress.Bars bars = Progress.bars()) {
          metrics = Instruments.trainAndSave(lab, out, o, bars);
        }
      }
      System.out.println(Jsons.MAPPER.writeValueAsString(metrics));
      System.out.println("instruments written to " + out);
      return 0;
    }

    static Instruments.Options options(int qualitySteps, int conceptSteps, int descriptorSteps, int heldoutOneIn, long seed) {
      Instruments.Options o = new Instruments.Options();
      o.quality.steps = qualitySteps;
      o.concepts.steps = conceptSteps;
      o.descriptor.steps = descriptorSteps;
      o.descriptor.heldoutOneIn = heldoutOneIn;
      o.seed(seed);
      return o;
    }
  }
}
