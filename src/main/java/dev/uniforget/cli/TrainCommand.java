package dev.uniforget.cli;

import ai.djl.ndarray.NDManager;
import dev.uniforget.data.ImageFolder;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.ModelConfig;
import dev.uniforget.model.WordTokenizer;
import dev.uniforget.train.TrainConfig;
import dev.uniforget.train.Trainer;
import dev.uniforget.train.TrainingData;
import dev.uniforget.train.TrainingSet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code uniforget train}. */
@Command(name = "train", mixinStandardHelpOptions = true,
    header = "Train a text-conditional flow transformer on an image folder.",
    description = {
      "Train a text-conditional flow transformer (rectified flow) on an image folder.",
      "Writes RUN/checkpoint (every --checkpoint-every steps, atomically) and RUN/model (final,",
      "EMA weights). --resume continues RUN exactly where its last checkpoint stopped."
    })
final class TrainCommand implements Callable<Integer> {
  @Option(names = "--data", required = true, description = "Image folder (PNG files + metadata.jsonl), e.g. a lab.")
  Path data;

  @Option(names = "--out", required = true, description = "Run directory (checkpoint/ and model/ go here).")
  Path out;

  @Option(names = "--resume", description = "Continue the run in --out from its last checkpoint.")
  boolean resume;

  @Mixin TrainOptions train = new TrainOptions();

  @Mixin ArchitectureOptions arch = new ArchitectureOptions();

  @Override
  public Integer call() throws Exception {
    if (out.toAbsolutePath().normalize().startsWith(data.toAbsolutePath().normalize())) {
      throw new IllegalArgumentException("--out " + out + " must not be inside the input --data " + data);
    }
    TrainConfig cfg = train.toConfig();
    if (resume && train.steps == null) cfg.steps = 0; // 0: keep the checkpoint's number of steps
    Path model = run(data, out, resume, cfg, arch);
    System.out.println("model written to " + model);
    return 0;
  }

  /** Trains (or resumes) a run with progress bars. */
  static Path run(Path data, Path out, boolean resume, TrainConfig cfg, ArchitectureOptions arch) throws Exception {
    try (Progress.Bars bars = Progress.bars()) {
      return dev.uniforget.train.TrainRun.run(data, out, resume, cfg, arch.imageSize, arch.channels, arch.maxTokens,
          arch::toConfig, bars, System.err::println);
    }
  }

  /** Training hyper-parameters as options. */
  static final class TrainOptions {
    @Option(names = "--steps", description = "Training steps (default: " + DEFAULT_STEPS + "; `demo`: " + DemoCommand.Recipe.FASHION_STEPS
        + " on Fashion-MNIST, " + DemoCommand.Recipe.EMOJI_STEPS + " on emoji; with --resume: the checkpoint's).")
    Integer steps;

    static final int DEFAULT_STEPS = 7000;

    @Option(names = "--batch-size", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batchSize = new TrainConfig().batchSize;

    @Option(names = "--lr", description = "AdamW learning rate (default: " + DEFAULT_LR + "; `demo` on Fashion-MNIST: "
        + DemoCommand.Recipe.FASHION_LR + ").")
    Float lr;

    static final float DEFAULT_LR = 5e-4f;

    @Option(names = "--ema-decay", description = "EMA decay of the saved weights, 0 = off (default: ${DEFAULT-VALUE}).")
    float emaDecay = new TrainConfig().emaDecay;

    @Option(names = "--checkpoint-every", description = "Checkpoint interval in steps (default: ${DEFAULT-VALUE}).")
    int checkpointEvery = new TrainConfig().checkpointEvery;

    @Option(names = "--time-sampling", description = "logit-normal or uniform (default: ${DEFAULT-VALUE}).")
    String timeSampling = new TrainConfig().timeSampling;

    @Option(names = "--seed", description = "Seed of init, batches, noise (default: ${DEFAULT-VALUE}).")
    long seed = 0;

    TrainConfig toConfig() {
      TrainConfig c = new TrainConfig();
      c.steps = steps != null ? steps : DEFAULT_STEPS;
      c.batchSize = batchSize;
      c.learningRate = lr != null ? lr : DEFAULT_LR;
      c.emaDecay = emaDecay;
      c.checkpointEvery = checkpointEvery;
      c.timeSampling = timeSampling;
      c.seed = seed;
      c.validate();
      return c;
    }
  }

  /** Architecture of a new model (ignored on --resume: the checkpoint's config is used). */
  static final class ArchitectureOptions {
    @Option(names = "--image-size", description = "Image side in pixels (default: ${DEFAULT-VALUE}).")
    int imageSize = 28;

    @Option(names = "--channels", description = "1 (grayscale) or 3 (default: ${DEFAULT-VALUE}).")
    int channels = 1;

    @Option(names = "--hidden-size", description = "Transformer width (default: ${DEFAULT-VALUE}).")
    int hiddenSize = 128;

    @Option(names = "--depth", description = "Single-stream blocks (default: ${DEFAULT-VALUE}).")
    int depth = 4;

    @Option(names = "--double-blocks", description = {"Double-stream blocks before the single-stream ones (FLUX",
        "layout: image and text tokens with their own weights, one joint attention; default: ${DEFAULT-VALUE})."})
    int doubleBlocks = 0;

    @Option(names = "--rope", description = "2-D rotary position embedding of the image tokens instead of learned positions.")
    boolean rope;

    @Option(names = "--heads", description = "Attention heads (default: ${DEFAULT-VALUE}).")
    int heads = 4;

    @Option(names = "--patch-size", description = "Patch side (default: ${DEFAULT-VALUE}).")
    int patchSize = 4;

    @Option(names = "--text-layers", description = "Text encoder layers (default: ${DEFAULT-VALUE}).")
    int textLayers = 2;

    @Option(names = "--max-tokens", description = "Caption length in words (default: ${DEFAULT-VALUE}).")
    int maxTokens = 12;

    @Option(names = "--sample-steps", description = "Default sampler steps saved in config (default: ${DEFAULT-VALUE}).")
    int sampleSteps = 10;

    @Option(names = "--guidance", description = "Default guidance scale saved in config (default: ${DEFAULT-VALUE}).")
    float guidance = 3.0f;

    ModelConfig toConfig(int vocabSize) {
      ModelConfig c = ModelConfig.labPreset(vocabSize);
      c.imageSize = imageSize;
      c.channels = channels;
      c.hiddenSize = hiddenSize;
      c.numHeads = heads;
      c.textHeads = heads;
      c.patchSize = patchSize;
      c.textLayers = textLayers;
      c.textFfnWidth = 4 * hiddenSize;
      c.maxTokens = maxTokens;
      c.setBlocks(doubleBlocks, depth, 4 * hiddenSize);
      c.rope = rope;
      c.sampler.steps = sampleSteps;
      c.sampler.guidance = guidance;
      c.validate();
      return c;
    }
  }
}
