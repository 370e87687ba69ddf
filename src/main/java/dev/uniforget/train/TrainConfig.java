package dev.uniforget.train;

/** Training hyper-parameters; saved with every checkpoint so a resume uses the same ones. */
public final class TrainConfig {
  public int steps = 7000; // the CLI's default lives in TrainCommand.TrainOptions
  public int batchSize = 64;
  public float learningRate = 5e-4f; // the CLI's default, and the demo's, live in TrainCommand.TrainOptions and DemoCommand
  public float weightDecay = 0.0f;
  public float beta1 = 0.9f;
  public float beta2 = 0.999f;
  public int warmupSteps = 200;
  /** EMA decay of the saved weights (warmed up, see Trainer); 0 disables EMA (raw weights saved). */
  public float emaDecay = 0.995f;
  public int checkpointEvery = 500;
  /** Share of captions replaced by the empty prompt (for classifier-free guidance). */
  public float captionDropout = 0.1f;
  /** "logit-normal" (t = sigmoid(n), n ~ N(0,1), as SD3) or "uniform". */
  public String timeSampling = "logit-normal";
  public long seed = 0;

  public void validate() {
    check(steps > 0 && steps <= 100_000_000, "steps", "1..100000000", steps);
    check(batchSize > 0 && batchSize <= 65_536, "batch_size", "1..65536", batchSize);
    check(learningRate > 0 && Float.isFinite(learningRate), "learning_rate", "a finite number > 0", learningRate);
    check(weightDecay >= 0 && weightDecay <= 10, "weight_decay", "a number in [0, 10]", weightDecay);
    check(warmupSteps >= 0 && warmupSteps <= 100_000_000, "warmup_steps", "0..100000000", warmupSteps);
    check(emaDecay >= 0 && emaDecay < 1, "ema_decay", "in [0, 1)", emaDecay);
    check(checkpointEvery > 0, "checkpoint_every", "> 0", checkpointEvery);
    check(captionDropout >= 0 && captionDropout <= 1, "caption_dropout", "in [0, 1]", captionDropout);
    check(
        "logit-normal".equals(timeSampling) || "uniform".equals(timeSampling),
        "time_sampling",
        "\"logit-normal\" or \"uniform\"",
        timeSampling);
  }

  private static void check(boolean ok, String field, String expected, Object found) {
    if (!ok) throw new IllegalArgumentException(field + ": expected " + expected + ", found " + found);
  }

  /** Learning rate at a step: linear warm-up, then constant. */
  public float learningRateAt(int step) {
    return warmupSteps == 0 ? learningRate : learningRate * Math.min(1f, (step + 1f) / warmupSteps);
  }
}
