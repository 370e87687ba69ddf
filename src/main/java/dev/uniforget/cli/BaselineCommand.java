package dev.uniforget.cli;

import dev.uniforget.baselines.BaselineRun;
import dev.uniforget.baselines.ConceptPrune;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code uniforget baseline ...}: the field's targeted methods, told the memorized prompts. */
@Command(name = "baseline", mixinStandardHelpOptions = true,
    header = "The field's targeted methods (told the memorized prompts), for comparison with UniForget.",
    description = {
      "Targeted baselines. Unlike UniForget, each is told what to remove: a file of memorized",
      "prompts (e.g. a lab's prompts/target.txt). Each writes OUT/model (audit it like any model),",
      "OUT/report.json and OUT/provenance.json."
    },
    subcommands = {BaselineCommand.ConceptPruneCommand.class, BaselineCommand.NeMoCommand.class})
final class BaselineCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  @Command(name = "conceptprune", aliases = "wanda", mixinStandardHelpOptions = true,
      header = "Wanda / ConceptPrune: zero the fc2 weights most salient for the memorized prompts.",
      description = {
        "Wanda / ConceptPrune (Chavhan et al. 2024): score every weight of every MLP output layer",
        "(fc2) by |W_ij| * ||x_j|| (x: the hidden units over all tokens and images) along the guided",
        "sampler of the memorized prompts, in the memorized prompt's branch and in the empty",
        "prompt's (the reference), at each of the first --first-steps sampler steps; per row, zero",
        "the top --share of the weights that are more salient for the memorized prompts; union over",
        "the steps."
      })
  static final class ConceptPruneCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "The model to edit.")
    Path model;

    @Option(names = "--prompts", required = true, description = "The memorized prompts, one per line (e.g. LAB/prompts/target.txt).")
    Path prompts;

    @Option(names = "--out", required = true, description = "Output directory (must not exist).")
    Path out;

    @Option(names = "--share", description = "Share of each fc2 row zeroed per step (default: ${DEFAULT-VALUE}).")
    double share = new ConceptPrune.Options().share;

    @Option(names = "--first-steps", description = "Sampler steps, from the first, whose selections are united (default: ${DEFAULT-VALUE}).")
    int firstSteps = new ConceptPrune.Options().firstSteps;

    @Option(names = "--seeds", description = "Samples per memorized prompt behind the activation norms (default: ${DEFAULT-VALUE}).")
    int seeds = new ConceptPrune.Options().seeds;

    @Option(names = "--seed", description = "First noise seed (default: ${DEFAULT-VALUE}).")
    long seed = 0;

    @Override
    public Integer call() throws Exception {
      ConceptPrune.Options o = new ConceptPrune.Options();
      o.share = share;
      o.firstSteps = firstSteps;
      o.seeds = seeds;
      o.seed = seed;
      List<String> memorized = SampleCommand.readPrompts(prompts);
      BaselineRun.Report r;
      try (Progress.Bars bars = Progress.bars()) {
        r = ConceptPrune.run(model, memorized, o, out, bars);
      }
      System.out.printf(Locale.ROOT, "conceptprune (%s): %,d fc2 weights zeroed (%.2f%%), localisation %.1f s; model in %s%n",
          r.setting, r.zeroedWeightsTotal, 100 * r.zeroedShare, r.localisationSeconds, BaselineRun.model(out));
      return 0;
    }
  }

  @Command(name = "nemo", mixinStandardHelpOptions = true,
      header = "NeMo: find and switch off the text-value neurons that carry each memorized prompt.",
      description = {
        "NeMo (Hintersdorf et al. 2024): neurons are the value-projection channels on the text tokens",
        "(the text stream's in double blocks, the text positions' in single blocks). Their activations",
        "on the --neutral prompts give z-scores; a first-step detector (the mean pairwise correlation of",
        "the clean-image predictions from --detector-seeds noises) with a threshold derived on this",
        "model (mean + 1 sd over the neutral prompts) says when a prompt is still memorized. Per",
        "memorized prompt: neurons with z > theta (theta from 5 down by 0.25, plus --top-k) until the",
        "detector stops flagging, then whole groups and single neurons re-enabled while it stays quiet.",
        "The union is written as one model (config text_value_off)."
      })
  static final class NeMoCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "The model to edit.")
    Path model;

    @Option(names = "--prompts", required = true, description = "The memorized prompts, one per line (e.g. LAB/prompts/target.txt).")
    Path prompts;

    @Option(names = "--neutral", required = true, description = "Neutral prompts for the statistics and the threshold (e.g. LAB/prompts/neutral.txt).")
    Path neutral;

    @Option(names = "--out", required = true, description = "Output directory (must not exist).")
    Path out;

    @Option(names = "--detector-seeds", description = "Noises behind a detector score (default: ${DEFAULT-VALUE}).")
    int detectorSeeds = new dev.uniforget.baselines.NeMo.Options().detectorSeeds;

    @Option(names = "--activation-seeds", description = "Noises behind a prompt's activations (default: ${DEFAULT-VALUE}).")
    int activationSeeds = new dev.uniforget.baselines.NeMo.Options().activationSeeds;

    @Option(names = "--top-k", description = "Neurons of highest z added per group at every theta (default: ${DEFAULT-VALUE}).")
    int topK = new dev.uniforget.baselines.NeMo.Options().topK;

    @Option(names = "--seed", description = "First noise seed (default: ${DEFAULT-VALUE}).")
    long seed = 0;

    @Override
    public Integer call() throws Exception {
      dev.uniforget.baselines.NeMo.Options o = new dev.uniforget.baselines.NeMo.Options();
      o.detectorSeeds = detectorSeeds;
      o.activationSeeds = activationSeeds;
      o.topK = topK;
      o.seed = seed;
      BaselineRun.Report r;
      try (Progress.Bars bars = Progress.bars()) {
        r = dev.uniforget.baselines.NeMo.run(model, SampleCommand.readPrompts(prompts), SampleCommand.readPrompts(neutral), o, out, bars);
      }
      System.out.printf(Locale.ROOT, "nemo (%s): detector threshold %.4f; %s of %d prompts flagged, %s found; %s neurons off in all, %.1f s; model in %s%n",
          r.setting, (double) r.details.get("detector_threshold"), r.details.get("flagged_prompts"), r.prompts, r.details.get("found_prompts"),
          r.details.get("neurons_off_union"), r.localisationSeconds, BaselineRun.model(out));
      return 0;
    }
  }
}
