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
    subcommands = {BaselineCommand.ConceptPruneCommand.class})
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
}
