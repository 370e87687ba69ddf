package dev.uniforget.train;

import ai.djl.ndarray.NDManager;
import dev.uniforget.data.ImageFolder;
import dev.uniforget.io.ProgressSink;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.ModelConfig;
import dev.uniforget.model.WordTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/** The training stage's entry point: trains (or resumes) a run on an image folder; returns the model directory. */
public final class TrainRun {
  private TrainRun() {}

  /**
   * @param architecture the model config for a tokenizer of the given vocabulary size (new runs)
   */
  public static Path run(Path data, Path out, boolean resume, TrainConfig cfg, int imageSize, int channels, int maxTokens,
      IntFunction<ModelConfig> architecture, ProgressSink progress, Consumer<String> log) throws Exception {
    try (dev.uniforget.io.OutputLock lock = dev.uniforget.io.OutputLock.acquire(out)) {
      return runLocked(data, out, resume, cfg, imageSize, channels, maxTokens, architecture, progress, log);
    }
  }

  private static Path runLocked(Path data, Path out, boolean resume, TrainConfig cfg, int imageSize, int channels, int maxTokens,
      IntFunction<ModelConfig> architecture, ProgressSink progress, Consumer<String> log) throws Exception {
    ImageFolder folder = ImageFolder.load(data, imageSize, channels);
    try (NDManager root = NDManager.newBaseManager()) {
      Trainer trainer;
      if (resume) {
        if (!dev.uniforget.io.AtomicFiles.settledDirectory(out.resolve(Trainer.CHECKPOINT))) { // a replace killed midway is undone first
          throw new IllegalArgumentException("--resume: " + out + " has no checkpoint to continue");
        }
        WordTokenizer tok = WordTokenizer.load(out.resolve(Trainer.CHECKPOINT).resolve("tokenizer.json"));
        TrainingSet set = TrainingData.from(folder, tok);
        trainer = Trainer.resume(out, set, cfg.steps, root);
      } else {
        WordTokenizer tok = WordTokenizer.build(TrainingData.captions(folder), maxTokens);
        ModelConfig mc = architecture.apply(tok.vocabSize());
        TrainingSet set = TrainingData.from(folder, tok);
        FlowModel model = FlowModel.initialize(mc, tok, root, cfg.seed);
        log.accept(String.format("training %,d parameters on %,d pairs (%d distinct images), %d steps at batch %d",
            model.params().parameterCount(), set.size(), folder.distinctImages(), cfg.steps, cfg.batchSize));
        trainer = Trainer.start(model, set, cfg, out, root);
      }
      try (trainer) {
        progress.phase("train", trainer.totalSteps());
        progress.step(trainer.step());
        return trainer.run((step, total, loss) -> {
          progress.step(step);
          progress.note(String.format("loss %.4f", loss));
        });
      }
    }
  }
}
