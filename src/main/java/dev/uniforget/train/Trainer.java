package dev.uniforget.train;

import dev.uniforget.nn.AdamW;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.uniforget.io.AtomicFiles;
import dev.uniforget.io.Jsons;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.ModelDir;
import dev.uniforget.model.TextEncoding;
import dev.uniforget.model.UnitMasks;
import dev.uniforget.model.WordTokenizer;
import dev.uniforget.nn.ParameterStore;
import dev.uniforget.nn.Seeds;
import dev.uniforget.nn.TrainingStep;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rectified-flow training: x_t = (1 - t) x0 + t e, the model predicts v = e - x0, MSE loss.
 * AdamW with warm-up, optional EMA, atomic checkpoints every K steps in {@code RUN/checkpoint}
 * and exact resume (weights, EMA, optimizer moments, step; every step's batch, times, noise and
 * caption drops are drawn from a generator seeded by (seed, step)). The final model directory
 * {@code RUN/model} holds the EMA weights (or the raw ones when EMA is off).
 */
public final class Trainer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);
  public static final String CHECKPOINT = "checkpoint";
  public static final String MODEL = "model";
  private static final String EMA_FILE = "ema.safetensors";
  private static final String OPTIMIZER_FILE = "optimizer.safetensors";
  private static final String STATE_FILE = "trainer_state.json";

  /** Progress callback after each step. */
  public interface Listener {
    void onStep(int step, int totalSteps, float loss);
  }

  /** What a checkpoint records beside the tensors. */
  public static final class State {
    public int step;
    public float lastLoss;
    public TrainConfig trainConfig;
  }

  private final FlowModel model;
  private final TrainingSet data;
  private final TrainConfig cfg;
  private final Path runDir;
  private final NDManager root;
  private final AdamW adam;
  private final ParameterStore ema;
  private int step;
  private float lastLoss = Float.NaN;

  private Trainer(FlowModel model, TrainingSet data, TrainConfig cfg, Path runDir, NDManager root) {
    cfg.validate();
    if (data.maxTokens() != model.config().maxTokens) {
      throw new IllegalArgumentException("data has " + data.maxTokens() + " tokens per caption, model " + model.config().maxTokens);
    }
    int numel = model.config().channels * model.config().imageSize * model.config().imageSize;
    if (data.imageNumel() != numel) {
      throw new IllegalArgumentException("data images have " + data.imageNumel() + " values, model expects " + numel);
    }
    this.model = model;
    this.data = data;
    this.cfg = cfg;
    this.runDir = runDir;
    this.root = root;
    model.params().setRequiresGradient(true);
    this.adam = new AdamW(model.params(), root, cfg.beta1, cfg.beta2);
    this.ema = cfg.emaDecay > 0 ? model.params().copy(root) : null;
  }

  /** A new run in {@code runDir}; refuses a directory that already holds a checkpoint. */
  public static Trainer start(FlowModel model, TrainingSet data, TrainConfig cfg, Path runDir, NDManager root)
      throws IOException {
    if (AtomicFiles.settledDirectory(runDir.resolve(CHECKPOINT)) || Files.exists(runDir.resolve(CHECKPOINT))) {
      throw new IOException(runDir + " already holds a checkpoint: continue it with --resume, or choose another --out");
    }
    return new Trainer(model, data, cfg, runDir, root);
  }

  /**
   * Continues the run in {@code runDir} from its last checkpoint. {@code totalSteps} > 0
   * extends or shortens the run; all other settings are the checkpoint's.
   */
  public static Trainer resume(Path runDir, TrainingSet data, int totalSteps, NDManager root) throws IOException {
    Path ck = runDir.resolve(CHECKPOINT);
    State st = Jsons.readInput(ck.resolve(STATE_FILE), State.class);
    FlowModel model = ModelDir.load(ck, root);
    if (totalSteps > 0) st.trainConfig.steps = totalSteps;
    Trainer tr = new Trainer(model, data, st.trainConfig, runDir, root);
    tr.step = st.step;
    tr.lastLoss = st.lastLoss;
    tr.adam.setStepCount(st.step);
    loadInto(tr.adam.state(), ck.resolve(OPTIMIZER_FILE));
    if (tr.ema != null) loadInto(tr.ema, ck.resolve(EMA_FILE));
    LOG.info("resuming {} at step {} of {}", runDir, st.step, st.trainConfig.steps);
    return tr;
  }

  private static void loadInto(ParameterStore target, Path file) throws IOException {
    target.loadValues(file);
  }

  public FlowModel model() {
    return model;
  }

  public int step() {
    return step;
  }

  public int totalSteps() {
    return cfg.steps;
  }

  /** Trains until the configured number of steps, checkpointing; returns the final model dir. */
  public Path run(Listener listener) throws IOException {
    while (step < cfg.steps) {
      float loss;
      try {
        loss = trainStep();
      } catch (TrainingStep.Diverged e) {
        throw new IOException(String.format(
            "training diverged: loss is %s at step %d; the last good checkpoint (step %d) is kept in %s",
            e.loss, step + 1, lastCheckpointStep(), runDir.resolve(CHECKPOINT)), e);
      }
      step++;
      lastLoss = loss;
      if (listener != null) listener.onStep(step, cfg.steps, loss);
      if (step % cfg.checkpointEvery == 0 || step == cfg.steps) writeCheckpoint();
    }
    return writeFinalModel();
  }

  private int lastCheckpointStep() {
    try {
      return Jsons.readInput(runDir.resolve(CHECKPOINT).resolve(STATE_FILE), State.class).step;
    } catch (IOException e) {
      return 0;
    }
  }

  /**
   * One optimisation step on the batch of the current step ({@link TrainingStep}: its own random
   * stream, AdamW, then the EMA); returns its loss. A non-finite loss makes no update and throws
   * {@link TrainingStep.Diverged}.
   */
  public float trainStep() {
    int b = cfg.batchSize, numel = data.imageNumel(), l = data.maxTokens();
    return (float) TrainingStep.run("training", step, cfg.seed, model.params(), adam, cfg.learningRateAt(step), cfg.weightDecay, root,
        (m, rng) -> {
          float[] xt = new float[b * numel];
          float[] target = new float[b * numel];
          float[] noise = new float[numel];
          long[] tokens = new long[b * l];
          float[] t = new float[b];
          for (int i = 0; i < b; i++) {
            int idx = rng.nextInt(data.size());
            t[i] = sampleTime(rng);
            boolean drop = rng.nextFloat() < cfg.captionDropout;
            if (!drop) System.arraycopy(data.tokens(), idx * l, tokens, i * l, l);
            Seeds.fillGaussian(rng, noise, 0, numel);
            for (int j = 0; j < numel; j++) {
              float x0 = data.images()[idx * numel + j];
              xt[i * numel + j] = (1 - t[i]) * x0 + t[i] * noise[j];
              target[i * numel + j] = noise[j] - x0;
            }
          }
          int c = model.config().channels, s = model.config().imageSize;
          NDArray x = m.create(xt, new Shape(b, c, s, s));
          NDArray v = m.create(target, new Shape(b, c, s, s));
          NDArray tok = m.create(tokens, new Shape(b, l));
          float lossValue;
          try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            TextEncoding text = model.encodeText(tok);
            NDArray loss = model.velocity(x, t, text, UnitMasks.NONE).sub(v).square().mean();
            gc.backward(loss);
            lossValue = loss.getFloat();
          }
          return lossValue;
        }, m -> {
          if (ema != null) updateEma(m);
        });
  }

  private float sampleTime(SplittableRandom rng) {
    if ("uniform".equals(cfg.timeSampling)) return (float) rng.nextDouble();
    return (float) (1.0 / (1.0 + Math.exp(-Seeds.gaussian(rng))));
  }

  /** EMA with warm-up: decay min(ema_decay, (1 + step) / (10 + step)), so early EMA follows the weights. */
  private void updateEma(NDManager scope) {
    float d = Math.min(cfg.emaDecay, (1f + step) / (10f + step));
    try (NDManager s = scope.newSubManager()) {
      for (String name : model.params().names()) {
        NDArray p = model.params().get(name);
        p.tempAttach(s);
        ema.get(name).muli(d).addi(p.mul(1f - d));
      }
    }
  }

  private void writeCheckpoint() throws IOException {
    Map<String, String> meta = Map.of("step", Integer.toString(step));
    State st = new State();
    st.step = step;
    st.lastLoss = lastLoss;
    st.trainConfig = cfg;
    AtomicFiles.writeDirectoryAtomically(runDir.resolve(CHECKPOINT), true, tmp -> {
      Jsons.MAPPER.writeValue(tmp.resolve(ModelDir.CONFIG).toFile(), model.config());
      Jsons.MAPPER.writeValue(tmp.resolve(ModelDir.TOKENIZER).toFile(), model.tokenizer());
      model.params().save(tmp.resolve(ModelDir.WEIGHTS), meta);
      adam.state().save(tmp.resolve(OPTIMIZER_FILE), meta);
      if (ema != null) ema.save(tmp.resolve(EMA_FILE), meta);
      Jsons.MAPPER.writeValue(tmp.resolve(STATE_FILE).toFile(), st);
    });
    LOG.debug("checkpoint at step {} in {}", step, runDir.resolve(CHECKPOINT));
  }

  private Path writeFinalModel() throws IOException {
    Path out = runDir.resolve(MODEL);
    ParameterStore weights = ema != null ? ema : model.params();
    FlowModel saved = new FlowModel(model.config(), model.tokenizer(), weights);
    Map<String, String> meta = new java.util.LinkedHashMap<>(); // fixed order: identical runs write identical files
    meta.put("step", Integer.toString(step));
    meta.put("weights", ema != null ? "ema" : "raw");
    ModelDir.save(saved, out, true, meta);
    return out;
  }

  @Override
  public void close() {
    adam.close();
    if (ema != null) ema.close();
  }

}
