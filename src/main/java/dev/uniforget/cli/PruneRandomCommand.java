package dev.uniforget.cli;

import ai.djl.ndarray.NDManager;
import dev.uniforget.forget.ForgetRun;
import dev.uniforget.forget.HardConcrete;
import dev.uniforget.forget.MaskLogits;
import dev.uniforget.forget.Pruner;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.ModelDir;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code uniforget prune-random}: the control for a forget run. */
@Command(name = "prune-random", mixinStandardHelpOptions = true,
    header = "The control of a forget run: the same number of units pruned at random.",
    description = {
      "The control of a forget run: prune the same number of units per block and module type",
      "as --like (a forget output directory), chosen at random. Audit it the same way: without",
      "it no one can tell targeted forgetting from damage. Writes OUT/model, OUT/mask, OUT/report.json."
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

  @Override
  public Integer call() throws Exception {
    ForgetRun.Report report = pruneRandom(modelDir, like, out, seed, timingImages);
    ForgetCommand.print(report);
    System.out.println("randomly pruned model written to " + out.resolve(ForgetRun.MODEL));
    return 0;
  }

  /** Prunes {@code modelDir} at random like the forget output {@code like}; shared with sweep. */
  static ForgetRun.Report pruneRandom(Path modelDir, Path like, Path out, long seed, int timingImages) throws Exception {
    if (java.nio.file.Files.exists(out)) throw new IllegalArgumentException("--out " + out + " already exists");
    Map<String, boolean[]> keep = Pruner.randomLike(ForgetRun.readKeep(like), seed);
    try (NDManager root = NDManager.newBaseManager(); FlowModel model = ModelDir.load(modelDir, root)) {
      MaskLogits logits = new MaskLogits(model.config(), keep.keySet().stream().anyMatch(g -> g.endsWith(".attn")),
          HardConcrete.DEFAULT, root);
      for (var g : logits.groups()) {
        boolean[] k = keep.get(g.name());
        if (k == null || k.length != g.size()) {
          throw new IllegalArgumentException(like + ": mask group " + g.name() + " does not fit model " + modelDir);
        }
        float[] l = new float[k.length];
        for (int i = 0; i < l.length; i++) l[i] = k[i] ? 10f : -10f; // logits that binarize to the choice
        logits.store().set(g.name(), l);
      }
      FlowModel pruned = Pruner.prune(model, keep, root);
      ForgetRun.Report report = ForgetRun.report(model, pruned, logits, keep, root, timingImages);
      ForgetRun.write(out, pruned, logits, keep, List.of(), Map.of("random_like", like.toString(), "seed", seed), report, modelDir);
      return report;
    }
  }
}
