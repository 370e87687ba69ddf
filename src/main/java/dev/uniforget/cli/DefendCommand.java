package dev.uniforget.cli;

import dev.uniforget.attack.AdversarialDefence;
import dev.uniforget.baselines.BaselineRun;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code uniforget defend}: adversarial fine-tuning against the embedding attack. */
@Command(name = "defend", mixinStandardHelpOptions = true,
    header = "Adversarial fine-tuning against the embedding attack (Finding Dori's defence), after forgetting.",
    description = {
      "Told the memorized prompts and images (--memorized: an image folder, PNG files + metadata.jsonl",
      "whose text is each image's memorized prompt). Each of --rounds rounds runs the embedding attack",
      "on the current model for every memorized image (--attack-steps, starting alternately from the",
      "prompt and from noise), then fine-tunes every weight but the text encoder's for --steps so that",
      "the found embeddings draw the surrogate (what the given model draws from the memorized prompt)",
      "instead of the memorized image, with the ordinary training loss on images the given model draws",
      "for the --neutral prompts (weight --keep). Writes OUT/model, OUT/report.json, OUT/provenance.json;",
      "audit and attack OUT/model like any other model."
    })
final class DefendCommand implements Callable<Integer> {
  @Option(names = "--model", required = true, description = "The model to defend (e.g. a UniForget output's model).")
  Path model;

  @Option(names = "--memorized", required = true, description = "Image folder of the memorized images, captioned with their prompts.")
  Path memorized;

  @Option(names = "--neutral", required = true, description = "Neutral prompts, one per line (the ordinary data).")
  Path neutral;

  @Option(names = "--out", required = true, description = "Output directory (must not exist).")
  Path out;

  @Option(names = "--rounds", description = "Attack-then-fine-tune rounds (default: ${DEFAULT-VALUE}).")
  int rounds = new AdversarialDefence.Options().rounds;

  @Option(names = "--steps", description = "Fine-tuning steps per round (default: ${DEFAULT-VALUE}).")
  int steps = new AdversarialDefence.Options().steps;

  @Option(names = "--lr", description = "AdamW learning rate (default: ${DEFAULT-VALUE}).")
  float lr = new AdversarialDefence.Options().learningRate;

  @Option(names = "--batch-size", description = "Noisy copies per memorized image and step (default: ${DEFAULT-VALUE}).")
  int batch = new AdversarialDefence.Options().batchSize;

  @Option(names = "--keep", description = "Weight of the ordinary-data term (default: ${DEFAULT-VALUE}).")
  double keep = new AdversarialDefence.Options().keep;

  @Option(names = "--attack-steps", description = "Attack steps per round (default: ${DEFAULT-VALUE}).")
  int attackSteps = new AdversarialDefence.Options().attack.steps;

  @Option(names = "--seed", description = "Seed (default: ${DEFAULT-VALUE}).")
  long seed = 0;

  @Override
  public Integer call() throws Exception {
    AdversarialDefence.Options o = new AdversarialDefence.Options();
    o.rounds = rounds;
    o.steps = steps;
    o.learningRate = lr;
    o.batchSize = batch;
    o.keep = keep;
    o.attack.steps = attackSteps;
    o.attack.snapshots = java.util.List.of(attackSteps);
    o.seed = seed;
    BaselineRun.Report r;
    try (Progress.Bars bars = Progress.bars()) {
      r = AdversarialDefence.run(model, memorized, SampleCommand.readPrompts(neutral), o, out, bars);
    }
    System.out.printf(Locale.ROOT, "defence (%s): surrogate loss %.4f -> %.4f, ordinary loss %.4f -> %.4f, %.1f s; model in %s%n", r.setting,
        (double) r.details.get("surrogate_loss_first_10"), (double) r.details.get("surrogate_loss_last_10"),
        (double) r.details.get("ordinary_loss_first_10"), (double) r.details.get("ordinary_loss_last_10"), r.localisationSeconds,
        BaselineRun.model(out));
    return 0;
  }
}
