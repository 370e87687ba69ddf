package dev.uniforget.cli;

import ai.djl.ndarray.NDManager;
import dev.uniforget.io.ImageGrid;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.ModelDir;
import dev.uniforget.model.UnitMasks;
import dev.uniforget.sampling.EulerSampler;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code uniforget sample}. */
@Command(name = "sample", mixinStandardHelpOptions = true,
    header = "Generate images for prompts as one PNG grid.",
    description = {
      "Generate images for prompts and write them as one PNG grid: one row per prompt, one",
      "column per seed (seeds --seed-start .. --seed-start + --seeds - 1). Seeds fully",
      "determine the samples. A .txt file beside the PNG lists the row prompts."
    })
final class SampleCommand implements Callable<Integer> {
  @Option(names = "--model", required = true, description = "Model directory.")
  Path modelDir;

  @Option(names = {"-p", "--prompt"}, description = "A prompt (repeatable); \"\" is the unconditional prompt.")
  List<String> prompts = new ArrayList<>();

  @Option(names = "--prompts", description = "A file with one prompt per line (blank lines skipped).")
  Path promptFile;

  @Option(names = "--seeds", description = "Samples per prompt (default: ${DEFAULT-VALUE}).")
  int seeds = 8;

  @Option(names = "--seed-start", description = "First seed (default: ${DEFAULT-VALUE}).")
  long seedStart = 0;

  @Option(names = "--steps", description = "Sampler steps (default: the model's config).")
  Integer steps;

  @Option(names = "--guidance", description = "Classifier-free guidance scale (default: the model's config).")
  Float guidance;

  @Option(names = "--batch-size", description = "Images per forward batch (default: ${DEFAULT-VALUE}).")
  int batchSize = 64;

  @Option(names = "--out", required = true, description = "Output PNG file.")
  Path out;

  @Override
  public Integer call() throws Exception {
    List<String> all = new ArrayList<>(prompts);
    if (promptFile != null) all.addAll(readPrompts(promptFile));
    if (all.isEmpty()) throw new IllegalArgumentException("no prompts: give --prompt TEXT or --prompts FILE");
    if (seeds <= 0) throw new IllegalArgumentException("--seeds must be > 0, found " + seeds);
    try (NDManager root = NDManager.newBaseManager(); FlowModel model = ModelDir.load(modelDir, root)) {
      warnUnknownWords(model, all);
      EulerSampler.Settings s = new EulerSampler.Settings(
          steps != null ? steps : model.config().sampler.steps,
          guidance != null ? guidance : model.config().sampler.guidance);
      List<List<float[]>> rows = grid(model, root, all, seeds, seedStart, s, batchSize);
      ImageGrid.write(out, rows, model.config().imageSize, 3);
      byte[] captions = (String.join("\n", all) + "\n").getBytes(StandardCharsets.UTF_8);
      dev.uniforget.io.AtomicFiles.writeAtomically(Path.of(out + ".txt"), tmp -> Files.write(tmp, captions));
      System.out.printf("%d images (%d prompts x %d seeds, %d steps, guidance %.2f) written to %s%n",
          all.size() * seeds, all.size(), seeds, s.steps(), s.guidance(), out);
    }
    return 0;
  }

  /** Samples {@code seeds} images per prompt with a progress bar; rows of images in [0, 1]. */
  static List<List<float[]>> grid(FlowModel model, NDManager root, List<String> prompts, int seeds, long seedStart,
      EulerSampler.Settings s, int batchSize) {
    try (ProgressBar pb = Progress.bar("sample", (long) prompts.size() * seeds, "img")) {
      return EulerSampler.rows(model, root, prompts, seeds, seedStart, s, batchSize, pb::stepTo);
    }
  }

  /** Warns on stderr about prompt words the model's tokenizer does not know (they read as <unk>). */
  static void warnUnknownWords(FlowModel model, List<String> prompts) {
    for (String p : prompts) {
      List<String> unknown = model.tokenizer().unknownWords(p);
      if (!unknown.isEmpty()) System.err.println("warning: words unknown to the model's tokenizer: " + unknown + " in \"" + p + "\"");
    }
  }

  static List<String> readPrompts(Path file) throws java.io.IOException {
    return dev.uniforget.io.PromptFile.read(file);
  }
}
