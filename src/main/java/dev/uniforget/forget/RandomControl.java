package dev.uniforget.forget;

import ai.djl.ndarray.NDManager;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.ModelDir;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The controls of a forget run: as many units pruned per unit group (block and module type) as a
 * forget output keeps, chosen at random, or ({@link Choice#SMALLEST_MAGNITUDE}) the units with the
 * smallest weights. Written as a forget output ({@link ForgetRun}); audit it the same way, or no
 * one can tell targeted forgetting from damage.
 */
public final class RandomControl {
  private RandomControl() {}

  /** How a control chooses the units it keeps. */
  public enum Choice {
    /** Uniformly at random (seeded). */
    RANDOM,
    /** The largest weights by {@link Pruner#unitMagnitudes}; the seed plays no part. */
    SMALLEST_MAGNITUDE
  }

  /**
   * Prunes {@code modelDir} at random like the forget output {@code likeForgetOutput} and writes
   * the result to {@code out} (new, outside both inputs). Returns its report.
   */
  public static ForgetRun.Report run(Path modelDir, Path likeForgetOutput, Path out, long seed, int timingImages) throws IOException {
    return run(modelDir, likeForgetOutput, out, Choice.RANDOM, seed, timingImages);
  }

  /** The control of {@code choice}: random (seeded) or smallest-magnitude units, as many per group as the forget output keeps. */
  public static ForgetRun.Report run(Path modelDir, Path likeForgetOutput, Path out, Choice choice, long seed, int timingImages)
      throws IOException {
    if (timingImages <= 0) throw new IllegalArgumentException("--timing-images: expected > 0, found " + timingImages);
    UniForget.requireNewOutput(out, "--model", modelDir, "--like", likeForgetOutput);
    Map<String, boolean[]> like = readLike(likeForgetOutput);
    try (NDManager root = NDManager.newBaseManager(); FlowModel model = ModelDir.load(modelDir, root)) {
      Map<String, boolean[]> keep = choice == Choice.RANDOM ? Pruner.randomLike(like, seed) : Pruner.largestLike(model, like);
      MaskLogits logits = new MaskLogits(model.config(), keep.keySet().stream().anyMatch(g -> g.endsWith(".attn")),
          HardConcrete.DEFAULT, root);
      List<String> groups = logits.groups().stream().map(g -> g.name()).toList();
      if (!new java.util.HashSet<>(groups).equals(keep.keySet())) {
        throw new IllegalArgumentException("--like " + likeForgetOutput + ": its mask groups " + keep.keySet()
            + " do not fit --model " + modelDir + " (expected " + groups + ")");
      }
      for (var g : logits.groups()) {
        boolean[] k = keep.get(g.name());
        if (k.length != g.size()) {
          throw new IllegalArgumentException("--like " + likeForgetOutput + ": mask group " + g.name() + " has " + k.length
              + " units, --model " + modelDir + " has " + g.size());
        }
        float[] l = new float[k.length];
        for (int i = 0; i < l.length; i++) l[i] = k[i] ? 10f : -10f; // logits that binarize to the choice
        logits.store().set(g.name(), l);
      }
      FlowModel pruned = Pruner.prune(model, keep, root);
      ForgetRun.Report report = Measures.report(model, pruned, logits, keep, root, timingImages);
      Map<String, Object> config = new LinkedHashMap<>();
      config.put(choice == Choice.RANDOM ? "random_like" : "smallest_magnitude_like", likeForgetOutput.toString());
      if (choice == Choice.RANDOM) config.put("seed", seed);
      ForgetRun.write(out, pruned, logits, keep, List.of(), config, report, modelDir,
          provenance(modelDir, likeForgetOutput, choice, seed, timingImages));
      return report;
    }
  }

  /**
   * {@code draws} random controls with the seeds {@code seed, seed + 1, ...}: with one draw this is
   * {@link #run} (same layout); with more, {@code out/draw_<s>/} per draw and
   * {@value Repeats#FILE}, written atomically as one directory.
   */
  public static Repeats.Summary runDraws(Path modelDir, Path likeForgetOutput, Path out, long seed, int timingImages, int draws,
      dev.uniforget.io.ProgressSink progress) throws IOException {
    if (draws < 1) throw new IllegalArgumentException("--draws: expected >= 1, found " + draws);
    if (timingImages <= 0) throw new IllegalArgumentException("--timing-images: expected > 0, found " + timingImages);
    UniForget.requireNewOutput(out, "--model", modelDir, "--like", likeForgetOutput);
    readLike(likeForgetOutput); // fail before any draw
    dev.uniforget.io.ProgressSink l = progress == null ? dev.uniforget.io.ProgressSink.NONE : progress;
    return UniForget.repeat(Repeats.RANDOM_CONTROL, seed, draws, out, l,
        (s, dir) -> run(modelDir, likeForgetOutput, dir, s, timingImages));
  }

  /** What makes a random control: the model and the forget output it imitates (by content), the seed. */
  public static dev.uniforget.io.Provenance provenance(Path modelDir, Path like, long seed, int timingImages) throws IOException {
    return dev.uniforget.io.Provenance.of("random-control").input("model", modelDir).input("like", like)
        .option("seed", seed).option("timing_images", timingImages);
  }

  /** What makes a control of {@code choice} (the seed counts for the random one only). */
  public static dev.uniforget.io.Provenance provenance(Path modelDir, Path like, Choice choice, long seed, int timingImages) throws IOException {
    if (choice == Choice.RANDOM) return provenance(modelDir, like, seed, timingImages);
    return dev.uniforget.io.Provenance.of("magnitude-control").input("model", modelDir).input("like", like).option("timing_images", timingImages);
  }

  /** The control in {@code out} when made from the same inputs, seed and code; else draws it. */
  public static void reuseOrRun(Path modelDir, Path like, Path out, long seed, int timingImages) throws IOException {
    reuseOrRun(modelDir, like, out, Choice.RANDOM, seed, timingImages);
  }

  /** The control of {@code choice} in {@code out} when made from the same inputs and code; else makes it. Returns its report. */
  public static ForgetRun.Report reuseOrRun(Path modelDir, Path like, Path out, Choice choice, long seed, int timingImages) throws IOException {
    if (dev.uniforget.io.AtomicFiles.settledDirectory(out)) {
      dev.uniforget.io.Provenance.requireReusable(out, provenance(modelDir, like, choice, seed, timingImages));
      return ForgetRun.readReport(out);
    }
    return run(modelDir, like, out, choice, seed, timingImages);
  }

  private static Map<String, boolean[]> readLike(Path like) throws IOException {
    if (Repeats.isRepeats(like)) {
      throw new IllegalArgumentException("--like " + like + " holds repeats of a forget run (" + Repeats.FILE
          + "); expected one forget output, e.g. one of its seed_<s>/ directories");
    }
    try {
      return ForgetRun.readKeep(like);
    } catch (IOException e) {
      throw new IOException("--like: " + e.getMessage() + " (expected a forget output directory)", e);
    }
  }
}
