package dev.uniforget.cli;

import dev.uniforget.forget.ForgetConfig;
import dev.uniforget.sweep.Sweep;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code uniforget sweep}: the lab analogue of the paper's beta ablation, with random controls and error bars. */
@Command(name = "sweep", mixinStandardHelpOptions = true,
    header = "Forget and audit at several betas and mask seeds, with random controls.",
    description = {
      "For each beta: UniForget with --repeats mask seeds, one random control per seed (the same",
      "units per group, drawn at random), each model audited the same way; one table of means with",
      "95%% t-intervals over the seeds (OUT/table/sweep.md, sweep.json, plots vs beta). Every part",
      "records what made it: re-running reuses a part only when its inputs (content hashes),",
      "options and code match, and stops with the differences otherwise."
    })
final class SweepCommand implements Callable<Integer> {
  @Option(names = "--model", required = true, description = "The model to prune.")
  Path modelDir;

  @Option(names = "--prompts", required = true, description = "Neutral prompts for forget.")
  Path prompts;

  @Option(names = "--lab", required = true, description = "The lab, for the audits only.")
  Path lab;

  @Option(names = "--judge", required = true, description = "Output of `uniforget judge train` for the lab.")
  Path judge;

  @Option(names = "--out", required = true, description = "Output directory (created; parts already there are reused when they match).")
  Path out;

  @Option(names = "--betas", split = ",", description = "Betas (default: ${DEFAULT-VALUE}).")
  List<Double> betas = List.of(0.02, 0.1, 0.5);

  @Option(names = "--repeats", description = "Mask seeds per beta, each with its own random control (default: ${DEFAULT-VALUE}).")
  int repeats = 3;

  @Option(names = "--steps", description = "Mask training steps per run (default: ${DEFAULT-VALUE}).")
  int steps = new ForgetConfig().steps;

  @Option(names = "--batch-size", description = "Mask training batch (default: ${DEFAULT-VALUE}).")
  int batchSize = new ForgetConfig().batchSize;

  @Option(names = "--seed", description = "First mask seed (default: ${DEFAULT-VALUE}).")
  long seed = 0;

  @Option(names = "--seeds", description = "Audit seeds per prompt (default: ${DEFAULT-VALUE}).")
  int seeds = 8;

  @Option(names = "--fid-images", description = "Audit FID/KID generations (default: ${DEFAULT-VALUE}).")
  int fidImages = 1000;

  @Override
  public Integer call() throws Exception {
    Sweep.Request r = new Sweep.Request();
    r.model = modelDir;
    r.neutralPrompts = SampleCommand.readPrompts(prompts);
    r.lab = lab;
    r.instruments = judge;
    r.out = out;
    r.betas = betas;
    r.repeats = repeats;
    r.forget.config.steps = steps;
    r.forget.config.batchSize = batchSize;
    r.forget.config.seed = seed;
    r.audit.seeds = seeds;
    r.audit.fidImages = fidImages;
    try (Progress.Bars bars = Progress.bars()) {
      Sweep.run(r, bars, System.err::println);
    }
    System.out.print(java.nio.file.Files.readString(out.resolve("table").resolve(Sweep.TABLE_MD)));
    return 0;
  }
}
