package dev.uniforget.cli;

import dev.uniforget.baselines.BaselineRun;
import dev.uniforget.unlearn.ConceptAblation;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code uniforget unlearn ...}: targeted unlearning, told what to remove. */
@Command(name = "unlearn", mixinStandardHelpOptions = true,
    header = "Targeted unlearning (told the prompts to remove): Concept Ablation.",
    subcommands = {UnlearnCommand.Ablate.class})
final class UnlearnCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  @Command(name = "ablate", mixinStandardHelpOptions = true,
      header = "Concept Ablation: map target prompts onto anchor prompts by fine-tuning.",
      description = {
        "Concept Ablation (Kumari et al. 2023, model-based): fine-tune so that every target prompt's",
        "velocity at a noisy image equals the original model's velocity for its anchor prompt there,",
        "while the anchor prompt keeps the original's (--preserve). The noisy images come from images",
        "the original draws for the anchors. --pairs: one 'target prompt<TAB>anchor prompt' per line,",
        "e.g. 'a bag with a zutudru logo<TAB>a photo of a bag'. --weights text (default) trains the",
        "text encoder and its projections, all trains every weight. Writes OUT/model, OUT/report.json,",
        "OUT/provenance.json."
      })
  static final class Ablate implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "The model to fine-tune.")
    Path model;

    @Option(names = "--pairs", required = true, description = "Lines 'target prompt<TAB>anchor prompt'.")
    Path pairs;

    @Option(names = "--out", required = true, description = "Output directory (must not exist).")
    Path out;

    @Option(names = "--steps", description = "Fine-tuning steps (default: ${DEFAULT-VALUE}).")
    int steps = new ConceptAblation.Options().steps;

    @Option(names = "--batch-size", description = "Batch (default: ${DEFAULT-VALUE}).")
    int batchSize = new ConceptAblation.Options().batchSize;

    @Option(names = "--lr", description = "AdamW learning rate (default: ${DEFAULT-VALUE}).")
    float lr = new ConceptAblation.Options().learningRate;

    @Option(names = "--weights", description = "text or all (default: ${DEFAULT-VALUE}).")
    String weights = new ConceptAblation.Options().weights;

    @Option(names = "--anchor-images", description = "Images drawn per anchor prompt (default: ${DEFAULT-VALUE}).")
    int anchorImages = new ConceptAblation.Options().anchorImages;

    @Option(names = "--preserve", description = "Weight of the anchor-preservation term (default: ${DEFAULT-VALUE}).")
    double preserve = new ConceptAblation.Options().preserve;

    @Option(names = "--seed", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed = 0;

    @Override
    public Integer call() throws Exception {
      ConceptAblation.Options o = new ConceptAblation.Options();
      o.steps = steps;
      o.batchSize = batchSize;
      o.learningRate = lr;
      o.weights = weights;
      o.anchorImages = anchorImages;
      o.preserve = preserve;
      o.seed = seed;
      BaselineRun.Report r;
      try (Progress.Bars bars = Progress.bars()) {
        r = ConceptAblation.run(model, ConceptAblation.readPairs(pairs), o, out, bars);
      }
      System.out.printf(Locale.ROOT, "concept ablation (%s): loss %.4f -> %.4f over %d steps, %.1f s; model in %s%n", r.setting,
          (double) r.details.get("loss_first_10"), (double) r.details.get("loss_last_10"), steps, r.localisationSeconds, BaselineRun.model(out));
      return 0;
    }
  }
}
