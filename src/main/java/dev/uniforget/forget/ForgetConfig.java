package dev.uniforget.forget;

/** Settings of a UniForget mask training run (saved beside the mask). */
public final class ForgetConfig {
  /** Weight of the sparsity term; larger prunes more. */
  public double beta = 0.1;
  public static final int DEFAULT_STEPS = 300;
  public int steps = DEFAULT_STEPS;
  public int batchSize = 16;
  public float learningRate = 0.5f;
  public float weightDecay = 0.01f;
  /** Sampler steps and guidance of the objective; null: the model's sampling defaults. */
  public Integer samplerSteps;
  public Float guidance;
  /** Noises per prompt in the (prompt, noise) pool whose original samples are precomputed. */
  public int seedsPerPrompt = 4;
  public boolean includeHeads = false;
  public double gamma = HardConcrete.DEFAULT.gamma();
  public double zeta = HardConcrete.DEFAULT.zeta();
  public double temperature = HardConcrete.DEFAULT.temperature();
  public double initialLogit = HardConcrete.DEFAULT.initialLogit();
  public long seed = 0;

  /** A field-by-field copy. */
  public ForgetConfig copy() {
    ForgetConfig c = new ForgetConfig();
    c.beta = beta;
    c.steps = steps;
    c.batchSize = batchSize;
    c.learningRate = learningRate;
    c.weightDecay = weightDecay;
    c.samplerSteps = samplerSteps;
    c.guidance = guidance;
    c.seedsPerPrompt = seedsPerPrompt;
    c.includeHeads = includeHeads;
    c.gamma = gamma;
    c.zeta = zeta;
    c.temperature = temperature;
    c.initialLogit = initialLogit;
    c.seed = seed;
    return c;
  }

  public HardConcrete relaxation() {
    return new HardConcrete(gamma, zeta, temperature, initialLogit);
  }

  public void validate() {
    check(beta >= 0 && Double.isFinite(beta), "--beta", ">= 0", beta);
    check(steps > 0, "--steps", "> 0", steps);
    check(batchSize > 0, "--batch-size", "> 0", batchSize);
    check(learningRate > 0, "--lr", "> 0", learningRate);
    check(weightDecay >= 0, "--weight-decay", ">= 0", weightDecay);
    check(samplerSteps == null || samplerSteps > 0, "--sampler-steps", "> 0", samplerSteps);
    check(guidance == null || guidance >= 0, "--guidance", ">= 0", guidance);
    check(seedsPerPrompt > 0, "--seeds-per-prompt", "> 0", seedsPerPrompt);
    relaxation();
  }

  private static void check(boolean ok, String option, String expected, Object found) {
    if (!ok) throw new IllegalArgumentException(option + ": expected " + expected + ", found " + found);
  }

  /** Cosine learning-rate schedule from {@code learningRate} to 0. */
  public float learningRateAt(int step) {
    return dev.uniforget.nn.AdamW.warmupCosine(learningRate, 0, steps, step, 0);
  }
}
