package dev.uniforget.cli;

import dev.uniforget.forget.ForgetRun;
import dev.uniforget.forget.RandomControl;
import dev.uniforget.forget.Repeats;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code uniforget prune-random}: the control for a forget run ({@link RandomControl}). */
@Command(name = "prune-random", aliases = "prune-control", mixinStandardHelpOptions = true,
    header = "The control of a forget run: the same number of units pruned at random (or the smallest).",
    description = {
      "The control of a forget run: prune the same number of units per block and module type",
      "as --like (a forget output directory), chosen at random (or, with --by smallest-magnitude,",
      "the units with the smallest weights). Audit it the same way: without it no one can tell",
      "targeted forgetting from damage. Writes OUT/model, OUT/mask, OUT/report.json; with",
      "--draws D > 1 (random only), OUT/draw_<s>/ per seed s and OUT/repeats.json."
    })
final class PruneRandomCommand implements Callable<Integer> {
  @Option(names = "--model", required = true, description = "The model the forget run pruned.")
  Path modelDir;

  @Option(names = "--like", required = true, description = "A forget output directory (its mask/mask.safetensors).")
  Path like;

  @Option(names = "--out", required = true, description = "Output directory (must not exist).")
  Path out;

  @Option(names = "--seed", description = "Seed of the random choice (default: ${DEFAULT-VALUE}).")
  long seed = 0;

  @Option(names = "--timing-images", description = "Images sampled to time the model before/after (default: ${DEFAULT-VALUE}).")
  int timingImages = 64;

  @Option(names = "--draws", description = "Random draws: --seed, --seed + 1, ... (default: ${DEFAULT-VALUE}); "
      + "more than 1 writes OUT/draw_<s>/ per seed and OUT/repeats.json.")
  int draws = 1;

  @Option(names = "--by", description = "random or smallest-magnitude (default: ${DEFAULT-VALUE}).",
      converter = ChoiceConverter.class)
  dev.uniforget.forget.RandomControl.Choice by = dev.uniforget.forget.RandomControl.Choice.RANDOM;

  static final class ChoiceConverter implements picocli.CommandLine.ITypeConverter<dev.uniforget.forget.RandomControl.Choice> {
    @Override
    public dev.uniforget.forget.RandomControl.Choice convert(String v) {
      return switch (v) {
        case "random" -> dev.uniforget.forget.RandomControl.Choice.RANDOM;
        case "smallest-magnitude" -> dev.uniforget.forget.RandomControl.Choice.SMALLEST_MAGNITUDE;
        default -> throw new picocli.CommandLine.TypeConversionException("expected random or smallest-magnitude, found '" + v + "'");
      };
    }
  }

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter w = spec.commandLine().getOut();
    if (by != RandomControl.Choice.RANDOM && draws != 1) throw new IllegalArgumentException("--draws: the smallest-magnitude choice has one draw");
    if (draws == 1) {
      ForgetRun.Report report = RandomControl.run(modelDir, like, out, by, seed, timingImages);
      w.println();
      w.print(report.summary());
      w.println((by == RandomControl.Choice.RANDOM ? "randomly" : "smallest-magnitude") + " pruned model written to " + ForgetRun.model(out));
    } else {
      Repeats.Summary summary = RandomControl.runDraws(modelDir, like, out, seed, timingImages, draws,
          new ForgetCommand.BarListener(spec.commandLine().getErr()));
      w.println();
      w.print(summary.summary());
      w.println(draws + " randomly pruned outputs written to " + out.resolve(Repeats.dirName(Repeats.RANDOM_CONTROL, seed)) + " ... "
          + out.resolve(Repeats.dirName(Repeats.RANDOM_CONTROL, seed + draws - 1)) + "; statistics in " + out.resolve(Repeats.FILE));
    }
    w.flush();
    return 0;
  }
}
