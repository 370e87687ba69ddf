package dev.uniforget.bench;

import ai.djl.ndarray.NDManager;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.Flops;
import dev.uniforget.model.ModelConfig;
import dev.uniforget.model.ModelDir;
import dev.uniforget.model.UnitMasks;
import dev.uniforget.model.WordTokenizer;
import dev.uniforget.sampling.EulerSampler;
import dev.uniforget.train.TrainConfig;
import dev.uniforget.train.Trainer;
import dev.uniforget.train.TrainingSet;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.IntFunction;

/**
 * The benchmarks behind {@code uniforget bench}: the training step, guided sampling and one
 * UniForget mask-training step in Java and in the PyTorch reference on the same weights and
 * captions (PyTorch 2.x eager as written and with the Java model's skipping of the work that cannot
 * reach the velocity, torch.compile, PyTorch 1.13), side by side with their ratios; two models' sampling
 * time interleaved; the peak memory of mask training. The settings are the public fields (the
 * command's options); every figure is printed, nothing is written.
 */
public final class Bench {
  /** The command a forget probe runs in a fresh JVM (its own peak memory). */
  private static final String MAIN_CLASS = "dev.uniforget.cli.Main";

  /** Java training steps of the memory check, after the rounds (at least 200). */
  public int steps = 500;
  /** Training batch. */
  public int batch = 64;
  /** The PyTorch 1.13 interpreter (the numerics reference). */
  public String python = "/usr/bin/python3";
  /** The PyTorch 2.x interpreter; a relative path is read from the project root. */
  public String torch2 = ".venv-torch2/bin/python";
  /** Skip torch.compile. */
  public boolean noCompile;
  /** Timed training steps per round, on each side. */
  public int referenceSteps = 30;
  /** Rounds of Java then PyTorch 2.x, back to back. */
  public int rounds = 3;
  /** Untimed Java training steps before the timed ones: in the first round (JIT warm-up), in each later one. */
  private static final int FIRST_WARMUP = 10, WARMUP = 3;
  /** Images per sampling repeat. */
  public int sampleImages = 256;
  /** Timed mask-training steps. */
  public int maskSteps = 5;
  /** Interleaved pairs of {@link #sampling}. */
  public int samplingRepeats = 7;
  /** The model to benchmark, given its vocabulary size. */
  public IntFunction<ModelConfig> architecture = ModelConfig::labPreset;
  /** The tokenizer's length. */
  public int maxTokens = 12;

  /** A median with its range over repeats. */
  public record Timing(double median, double min, double max) {
    public static Timing of(List<Double> values) {
      List<Double> v = new ArrayList<>(values);
      java.util.Collections.sort(v);
      return new Timing(v.get(v.size() / 2), v.get(0), v.get(v.size() - 1));
    }

    static final Timing NONE = new Timing(Double.NaN, Double.NaN, Double.NaN);

    public String show(String fmt) {
      return Double.isNaN(median) ? "n/a" : String.format(java.util.Locale.ROOT, fmt + " [" + fmt + "-" + fmt + "]", median, min, max);
    }
  }

  /** What one round measured on the Java side; {@code faultsPerStep} is -1 where /proc is missing. */
  record JavaRound(Timing trainStepMs, Timing samplingImagesPerS, Timing maskStepMs, long faultsPerStep, double matmulPeakGflops) {}

  /**
   * The main benchmark: a fresh model of the configured architecture, saved for the PyTorch
   * references; then {@link #rounds} rounds, each the Java training step, sampling and mask step
   * followed at once by PyTorch 2.x eager on the same weights (this machine's speed drifts by
   * tens of percent within minutes, so each ratio compares two blocks run back to back, and the
   * ratios' median and range over rounds are the result); torch.compile in the first round;
   * PyTorch 1.13 once; resident memory over {@link #steps} further Java training steps.
   */
  public int run() throws Exception {
    if (steps < 200) throw new IllegalArgumentException("--steps must be >= 200 (memory is read at steps/4, steps/2 and steps)");
    if (maskSteps < 1 || sampleImages < 1 || referenceSteps < 1 || rounds < 1) {
      throw new IllegalArgumentException("--mask-steps, --sample-images, --reference-steps and --rounds must be >= 1");
    }
    Path tmp = Files.createTempDirectory("uniforget-bench");
    try (NDManager root = NDManager.newBaseManager()) {
      List<String> captions = syntheticCaptions();
      WordTokenizer tok = WordTokenizer.build(captions, maxTokens);
      ModelConfig cfg = architecture.apply(tok.vocabSize());
      FlowModel model = FlowModel.initialize(cfg, tok, root, 0);
      Path modelDir = tmp.resolve("model");
      ModelDir.save(model, modelDir, false, Map.of());
      // The PyTorch runs draw their prompts from the same captions the Java side uses.
      Path tokens = tmp.resolve("tokens.safetensors");
      float[] ids = new float[captions.size() * maxTokens];
      for (int i = 0; i < captions.size(); i++) {
        int[] row = tok.encode(captions.get(i));
        for (int j = 0; j < maxTokens; j++) ids[i * maxTokens + j] = row[j];
      }
      dev.uniforget.io.Safetensors.write(tokens, Map.of("tokens", dev.uniforget.io.Safetensors.Tensor.f32(new long[] {captions.size(), maxTokens}, ids)), null);
      // Sampling and mask training run on a second copy whose weights never train (the trained
      // copy's weights require gradients, which mask training must not compute); cost does not
      // depend on the weights' values.
      FlowModel frozen = ModelDir.load(modelDir, root);
      String threads = System.getProperty("ai.djl.pytorch.num_threads", "2");
      System.out.printf("model: %,d parameters, %d double + %d single blocks%s, %dx%dx%d images, %s threads%n",
          model.params().parameterCount(), cfg.doubleBlocks, cfg.depth, cfg.rope ? ", rope" : "", cfg.channels,
          cfg.imageSize, cfg.imageSize, threads);
      System.out.println("Java malloc settings: " + mallocSettings(System.getenv())
          + "; the PyTorch runs get glibc's defaults, as a user's python would");

      TrainingSet data = syntheticData(tok, captions, cfg);
      TrainConfig tc = new TrainConfig();
      tc.steps = FIRST_WARMUP + WARMUP * (rounds - 1) + rounds * referenceSteps + steps; // the warm-ups, the rounds, the memory run
      tc.batchSize = batch;
      tc.checkpointEvery = Integer.MAX_VALUE;
      EulerSampler.Settings s = new EulerSampler.Settings(cfg.sampler.steps, cfg.sampler.guidance);
      List<JavaRound> javaRounds = new ArrayList<>();
      List<Reference> torch = new ArrayList<>(), torchSkipping = new ArrayList<>();
      Reference compiled = null;
      long rssStart = rssMb(), rssWarm = 0, rssMid = 0, rssEnd;
      try (Trainer tr = Trainer.start(model, data, tc, tmp.resolve("run"), root)) {
        for (int r = 1; r <= rounds; r++) {
          System.err.printf("round %d of %d%n", r, rounds);
          JavaRound j = javaRound(tr, frozen, captions, s, root, r == 1 ? FIRST_WARMUP : WARMUP);
          javaRounds.add(j);
          System.err.printf(java.util.Locale.ROOT, "  java: matmul peak %.1f GFLOP/s, training step ms %s, sampling images/s %s, mask step ms %s,"
              + " page faults per training step %d%n", j.matmulPeakGflops(), j.trainStepMs().show("%.1f"), j.samplingImagesPerS().show("%.1f"),
              j.maskStepMs().show("%.0f"), j.faultsPerStep());
          Reference t = pytorch(resolveFromProject(torch2), modelDir, tokens, r == 1 && !noCompile, false, "PyTorch 2.x");
          torch.add(t);
          if (r == 1) compiled = t;
          torchSkipping.add(pytorch(resolveFromProject(torch2), modelDir, tokens, false, true, "PyTorch 2.x, skipping as Java"));
        }
        // Resident memory over a longer run of the same trainer.
        for (int i = 0; i < steps; i++) {
          tr.trainStep();
          if (i == steps / 4 - 1) rssWarm = rssMb();
          if (i == steps / 2 - 1) rssMid = rssMb();
          if ((i + 1) % 100 == 0) System.err.printf("  java memory run: step %d/%d, rss %d MB%n", i + 1, steps, rssMb());
        }
        rssEnd = rssMb();
      }
      Reference t1 = pytorch(python, modelDir, tokens, false, false, "PyTorch 1.13");

      Timing javaStep = Timing.of(javaRounds.stream().map(j -> j.trainStepMs().median()).toList());
      Timing javaSampling = Timing.of(javaRounds.stream().map(j -> j.samplingImagesPerS().median()).toList());
      Timing javaMask = Timing.of(javaRounds.stream().map(j -> j.maskStepMs().median()).toList());
      // Model FLOPs of a training step: forward + backward (about twice the forward) of the
      // flow transformer and the text encoder for every image of the batch.
      double stepFlops = 3.0 * batch * (Flops.perVelocity(cfg) + Flops.perPrompt(cfg));
      // Against the peak measured in the same round: the machine's speed moves between rounds.
      Timing peak = Timing.of(javaRounds.stream().map(JavaRound::matmulPeakGflops).toList());
      Timing utilisation = Timing.of(javaRounds.stream()
          .map(j -> stepFlops / (j.trainStepMs().median() / 1e3) / (j.matmulPeakGflops() * 1e9) * 100).toList());

      System.out.println();
      System.out.printf("%-7s %-36s %-36s %-36s%n", "round", "training step ms: Java / PyTorch = ratio", "sampling images/s: Java / PyTorch",
          "mask step ms: Java / PyTorch");
      for (int r = 0; r < rounds; r++) {
        JavaRound j = javaRounds.get(r);
        Reference t = torch.get(r);
        System.out.printf("%-7d %-36s %-36s %-36s%n", r + 1,
            pair(j.trainStepMs().median(), get(t, "train_step_ms").median(), "%.1f"),
            pair(j.samplingImagesPerS().median(), get(t, "sample_images_per_s").median(), "%.1f"),
            pair(j.maskStepMs().median(), get(t, "mask_step_ms").median(), "%.0f"));
      }
      System.out.println();
      String row = "%-40s %22s %22s %22s %22s %22s%n";
      System.out.printf(row, "median over rounds [min-max]", "Java (DJL, libtorch)", version(torch.get(0), "PyTorch 2.x") + " eager",
          "eager, skipping as Java", "torch.compile (round 1)", version(t1, "PyTorch 1.13"));
      System.out.printf(row, "training step (ms, batch " + batch + ")", javaStep.show("%.1f"), overRounds(torch, "train_step_ms").show("%.1f"),
          overRounds(torchSkipping, "train_step_ms").show("%.1f"), get(compiled, "compile_train_step_ms").show("%.1f"),
          get(t1, "train_step_ms").show("%.1f"));
      System.out.printf(row, "sampling (images/s, " + s.steps() + " steps, cfg " + s.guidance() + ")", javaSampling.show("%.1f"),
          overRounds(torch, "sample_images_per_s").show("%.1f"), overRounds(torchSkipping, "sample_images_per_s").show("%.1f"), "",
          get(t1, "sample_images_per_s").show("%.1f"));
      System.out.printf(row, "mask-training step (ms, batch 16)", javaMask.show("%.0f"), overRounds(torch, "mask_step_ms").show("%.0f"),
          overRounds(torchSkipping, "mask_step_ms").show("%.0f"), "", get(t1, "mask_step_ms").show("%.0f"));
      System.out.println();
      System.out.printf("%-62s %s%n", "Java / PyTorch 2.x eager, training step (target <= 1.0)", ratios(javaRounds, torch, JavaRound::trainStepMs, "train_step_ms"));
      System.out.printf("%-62s %s%n", "Java / PyTorch 2.x, sampling images/s (target >= 1.0)", ratios(javaRounds, torch, JavaRound::samplingImagesPerS, "sample_images_per_s"));
      System.out.printf("%-62s %s%n", "Java / PyTorch 2.x, mask-training step (target <= 1.0)", ratios(javaRounds, torch, JavaRound::maskStepMs, "mask_step_ms"));
      // The engines on the same work: PyTorch running the same velocities without what cannot reach them.
      System.out.printf("%-62s %s%n", "Java / PyTorch 2.x skipping as Java, training step", ratios(javaRounds, torchSkipping, JavaRound::trainStepMs, "train_step_ms"));
      System.out.printf("%-62s %s%n", "Java / PyTorch 2.x skipping as Java, sampling images/s", ratios(javaRounds, torchSkipping, JavaRound::samplingImagesPerS, "sample_images_per_s"));
      System.out.printf("%-62s %s%n", "Java / PyTorch 2.x skipping as Java, mask-training step", ratios(javaRounds, torchSkipping, JavaRound::maskStepMs, "mask_step_ms"));
      System.out.printf("%-62s %s%n", "PyTorch 2.x skipping as Java: max |velocity - full velocity|",
          torchSkipping.stream().map(r -> r.notes().getOrDefault("skip_dead_max_abs_diff", "n/a")).findFirst().orElse("n/a"));
      System.out.printf("%-62s %s%n", "Java (round 1) / torch.compile, training step",
          ratio(javaRounds.get(0).trainStepMs().median(), get(compiled, "compile_train_step_ms").median()));
      System.out.printf("%-62s %s%n", "Java / PyTorch 1.13, training step", ratio(javaStep.median(), get(t1, "train_step_ms").median()));
      System.out.printf(java.util.Locale.ROOT, "%-62s %s GFLOP/s; %.2f GFLOP per step = %s%% of the round's peak%n",
          "libtorch matmul peak (1024^3) and the Java training step", peak.show("%.1f"), stepFlops / 1e9, utilisation.show("%.0f"));
      System.out.printf("%-62s %s%n", "minor page faults per Java training step, by round",
          String.join(" / ", javaRounds.stream().map(j -> Long.toString(j.faultsPerStep())).toList()));
      System.out.printf("%-62s %d / %d / %d / %d MB (growth in the second half %d MB)%n",
          "resident memory: before the rounds, memory run at steps " + steps / 4 + ", " + steps / 2 + ", " + steps, rssStart, rssWarm, rssMid, rssEnd,
          rssEnd - rssMid);
      System.out.printf("%-62s %d MB%n", "JVM heap limit (-Xmx, grows lazily)", Runtime.getRuntime().maxMemory() >> 20);
    } finally {
      dev.uniforget.io.AtomicFiles.deleteRecursively(tmp);
    }
    return 0;
  }

  /**
   * One round of the Java side: the matmul peak, {@link #referenceSteps} training steps after {@code warmup}
   * untimed ones (with the page faults they cost), then sampling (3 repeats of
   * {@link #sampleImages} after an untimed one) and {@link #maskSteps} mask-training steps, as
   * the reference script times them.
   */
  private JavaRound javaRound(Trainer tr, FlowModel frozen, List<String> captions, EulerSampler.Settings s, NDManager root, int warmup)
      throws java.io.IOException {
    double peak = matmulPeakGflops(root);
    for (int i = 0; i < warmup; i++) tr.trainStep();
    List<Double> stepMs = new ArrayList<>();
    long faults0 = minorFaults();
    for (int i = 0; i < referenceSteps; i++) {
      long a = System.nanoTime();
      tr.trainStep();
      stepMs.add((System.nanoTime() - a) / 1e6);
    }
    long faults1 = minorFaults();
    List<String> prompts = new ArrayList<>();
    long[] seeds = new long[sampleImages];
    for (int i = 0; i < sampleImages; i++) {
      prompts.add(captions.get(i % captions.size()));
      seeds[i] = i;
    }
    // One untimed repeat first, as the reference script warms up (a 64-image warm-up left round 1 the slowest in every run).
    EulerSampler.sample(frozen, root, prompts, seeds, s, UnitMasks.NONE, 64, null);
    List<Double> rates = new ArrayList<>();
    for (int rep = 0; rep < 3; rep++) {
      long t0 = System.nanoTime();
      EulerSampler.sample(frozen, root, prompts, seeds, s, UnitMasks.NONE, 64, null);
      rates.add(sampleImages / ((System.nanoTime() - t0) / 1e9));
    }
    Timing mask = javaMaskStepMs(frozen, captions, root);
    return new JavaRound(Timing.of(stepMs), Timing.of(rates), mask, faults0 < 0 || faults1 < 0 ? -1 : (faults1 - faults0) / referenceSteps, peak);
  }

  /** "java / torch = ratio" of one round. */
  private static String pair(double javaValue, double torchValue, String fmt) {
    return String.format(java.util.Locale.ROOT, fmt + " / " + fmt + " = %s", javaValue, torchValue, ratio(javaValue, torchValue));
  }

  /** The median [min-max] over rounds of one PyTorch timing. */
  private static Timing overRounds(List<Reference> rounds, String key) {
    List<Double> v = rounds.stream().map(r -> get(r, key).median()).filter(x -> !Double.isNaN(x)).toList();
    return v.isEmpty() ? Timing.NONE : Timing.of(v);
  }

  /** Median [min-max] over rounds of the per-round ratio Java / PyTorch. */
  private static String ratios(List<JavaRound> javaRounds, List<Reference> torch, java.util.function.Function<JavaRound, Timing> side,
      String key) {
    List<Double> v = new ArrayList<>();
    for (int r = 0; r < javaRounds.size(); r++) {
      double t = get(torch.get(r), key).median();
      if (!Double.isNaN(t)) v.add(side.apply(javaRounds.get(r)).median() / t);
    }
    if (v.isEmpty()) return "n/a";
    Timing t = Timing.of(v);
    return String.format(java.util.Locale.ROOT, "%.2f [%.2f-%.2f] over %d rounds", t.median(), t.min(), t.max(), v.size());
  }

  /** The glibc malloc variables this process was started with, or what their absence means. */
  static String mallocSettings(Map<String, String> env) {
    List<String> set = new ArrayList<>();
    for (String k : new java.util.TreeSet<>(env.keySet())) {
      if (k.startsWith("MALLOC_") || k.equals("GLIBC_TUNABLES")) set.add(k + "=" + env.get(k));
    }
    return set.isEmpty() ? "glibc defaults (./uniforget sets MALLOC_ARENA_MAX, MALLOC_MMAP_THRESHOLD_ and MALLOC_TRIM_THRESHOLD_)"
        : String.join(" ", set);
  }

  /** This process's minor page faults so far (/proc/self/stat field 10), or -1 where there is none. */
  static long minorFaults() {
    try {
      String st = Files.readString(Path.of("/proc/self/stat"));
      return Long.parseLong(st.substring(st.lastIndexOf(')') + 2).split(" ")[7]);
    } catch (java.io.IOException | RuntimeException e) {
      return -1;
    }
  }

  /** What one PyTorch run measured: its version (null when it did not run), timings by key and single-valued lines by key. */
  record Reference(String version, Map<String, Timing> timings, Map<String, String> notes) {}

  private static Timing get(Reference r, String key) {
    return r.timings().getOrDefault(key, Timing.NONE);
  }

  private static String version(Reference r, String fallback) {
    return r.version() != null ? "PyTorch " + r.version() : fallback;
  }

  private static String ratio(double a, double b) {
    return Double.isNaN(a) || Double.isNaN(b) ? "n/a" : String.format(java.util.Locale.ROOT, "%.2f", a / b);
  }

  /** Median GFLOP/s of a 1024 x 1024 x 1024 matmul in libtorch, the engine's own peak here. */
  private static double matmulPeakGflops(NDManager root) {
    try (NDManager m = root.newSubManager()) {
      ai.djl.ndarray.NDArray a = m.randomNormal(new ai.djl.ndarray.types.Shape(1024, 1024));
      ai.djl.ndarray.NDArray b = m.randomNormal(new ai.djl.ndarray.types.Shape(1024, 1024));
      List<Double> g = new ArrayList<>();
      for (int i = 0; i < 13; i++) {
        long t0 = System.nanoTime();
        ai.djl.ndarray.NDArray c = a.matMul(b);
        c.getFloat(0, 0); // forces the result
        double sec = (System.nanoTime() - t0) / 1e9;
        c.close();
        if (i >= 3) g.add(2.0 * 1024 * 1024 * 1024 / sec / 1e9);
      }
      return Timing.of(g).median();
    }
  }

  /** Median time of a UniForget mask-training step at batch 16 with the model's sampler (the first step warms up). */
  private Timing javaMaskStepMs(FlowModel model, List<String> captions, NDManager root) {
    dev.uniforget.forget.ForgetConfig fc = new dev.uniforget.forget.ForgetConfig();
    fc.steps = maskSteps + 1;
    fc.batchSize = 16;
    fc.seedsPerPrompt = 1;
    dev.uniforget.forget.MaskLogits logits = new dev.uniforget.forget.MaskLogits(model.config(), false, fc.relaxation(), root);
    List<Double> ms = new ArrayList<>();
    long[] last = new long[1];
    List<String> pool = captions.subList(0, Math.min(16, captions.size()));
    // The pool's original samples are computed before the first step; time from the first callback on.
    dev.uniforget.forget.MaskTrainer.train(model, pool, logits, fc, root, (l, total) -> {
      long now = System.nanoTime();
      if (l.step() > 1) ms.add((now - last[0]) / 1e6);
      last[0] = now;
    });
    return Timing.of(ms);
  }

  /** Sampling time of two model directories, interleaved (the speed a pruning buys, measured with its spread). */
  public int sampling(Path a, Path b) throws Exception {
    if (samplingRepeats < 3) throw new IllegalArgumentException("--sampling-repeats must be >= 3, found " + samplingRepeats);
    try (NDManager root = NDManager.newBaseManager(); FlowModel ma = ModelDir.load(a, root); FlowModel mb = ModelDir.load(b, root)) {
      var s = ma.config().sampler;
      double flops = (double) Flops.perImage(ma.config(), s.steps, s.guidance) / Flops.perImage(mb.config(), s.steps, s.guidance);
      System.out.printf(java.util.Locale.ROOT, "A %s: %,d parameters; B %s: %,d parameters; FLOPs per image A/B x%.3f; %s threads%n",
          a, ma.params().parameterCount(), b, mb.params().parameterCount(), flops, System.getProperty("ai.djl.pytorch.num_threads", "2"));
      System.out.printf("%-8s %-26s %-26s %-28s%n", "images", "A s median [min-max]", "B s median [min-max]", "speed-up A/B median [min-max]");
      for (int images : new int[] {64, 256}) {
        dev.uniforget.forget.Measures.SamplingTiming t = dev.uniforget.forget.Measures.timeSampling(ma, mb, root, images, samplingRepeats);
        System.out.printf("%-8d %-26s %-26s %-28s%n", images, show(t.before()), show(t.after()), show(t.speedups()));
      }
    }
    return 0;
  }

  private static String show(double[] v) {
    double[] r = dev.uniforget.stats.SmallSample.range(v);
    return String.format(java.util.Locale.ROOT, "%.3f [%.3f-%.3f]", dev.uniforget.stats.SmallSample.median(v), r[0], r[1]);
  }

  /** Runs one probe per sampler-step count in a fresh JVM, so each peak RSS is its own. */
  public int forget() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    System.out.printf("%-14s %14s %14s%n", "sampler steps", "peak RSS (MB)", "s / mask step");
    for (int n : new int[] {4, 8, 16}) {
      Process p = new ProcessBuilder(java, "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
          MAIN_CLASS, "bench", "--forget-probe", Integer.toString(n)).redirectErrorStream(true).start();
      String result = null;
      StringBuilder all = new StringBuilder();
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          all.append(line).append('\n');
          if (line.startsWith("probe ")) result = line;
        }
      }
      if (p.waitFor() != 0 || result == null) throw new IllegalStateException("forget probe failed:\n" + all);
      String[] f = result.split(" ");
      System.out.printf("%-14d %14s %14s%n", n, f[2], f[3]);
    }
    return 0;
  }

  /** Three mask-training steps (batch 16) on the lab preset; prints peak RSS and time per step. */
  public static int forgetProbe(int samplerSteps) throws Exception {
    try (NDManager root = NDManager.newBaseManager()) {
      List<String> captions = syntheticCaptions();
      WordTokenizer tok = WordTokenizer.build(captions, 12);
      FlowModel model = FlowModel.initialize(ModelConfig.labPreset(tok.vocabSize()), tok, root, 0);
      dev.uniforget.forget.ForgetConfig cfg = new dev.uniforget.forget.ForgetConfig();
      cfg.steps = 4;
      cfg.batchSize = 16;
      cfg.samplerSteps = samplerSteps;
      cfg.seedsPerPrompt = 1;
      dev.uniforget.forget.MaskLogits logits =
          new dev.uniforget.forget.MaskLogits(model.config(), false, cfg.relaxation(), root);
      long[] start = new long[1];
      dev.uniforget.forget.MaskTrainer.train(model, captions.subList(0, 16), logits, cfg, root, (l, total) -> {
        if (l.step() == 1) start[0] = System.nanoTime(); // the first step warms up
      });
      double perStep = (System.nanoTime() - start[0]) / 1e9 / (cfg.steps - 1);
      long peak = -1;
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) peak = Long.parseLong(line.replaceAll("\\D", "")) / 1024;
      }
      System.out.printf("probe %d %d %.2f%n", samplerSteps, peak, perStep);
    }
    return 0;
  }

  /**
   * Runs the reference script's bench on {@code interpreter}; returns its timings by key (and
   * "version"), or an empty map with the reason on stderr when that interpreter is missing or
   * fails: the table then says n/a.
   */
  private Reference pytorch(String interpreter, Path modelDir, Path tokens, boolean compile, boolean skipDead, String label) throws Exception {
    Map<String, Timing> out = new java.util.LinkedHashMap<>();
    Map<String, String> notes = new java.util.LinkedHashMap<>();
    String version = null;
    Path script = referenceScript();
    if (script == null) {
      System.err.println("PyTorch reference script not found (src/test/python/flow_reference.py, looked for upwards from the jar and"
          + " from the working directory: run bench from the project); skipping " + label);
      return new Reference(null, out, notes);
    }
    if (!Files.isExecutable(Path.of(interpreter))) {
      System.err.println(label + ": no interpreter at " + interpreter
          + (label.contains("2") ? " (create it with scripts/torch2-venv.sh)" : " (apt-get install -y python3-torch)"));
      return new Reference(null, out, notes);
    }
    List<String> cmd = new ArrayList<>(List.of(interpreter, script.toString(), "bench", modelDir.toString(),
        Integer.toString(referenceSteps), Integer.toString(batch)));
    cmd.addAll(List.of("--sample-images", Integer.toString(sampleImages), "--mask-steps", Integer.toString(maskSteps), "--tokens", tokens.toString()));
    if (compile) cmd.add("--compile");
    if (skipDead) cmd.add("--skip-dead");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("OMP_NUM_THREADS", System.getProperty("ai.djl.pytorch.num_threads", "2")); // the Java side's count
    // What a user's python runs with: glibc's own malloc behaviour, not the launcher's settings for the JVM.
    pb.environment().keySet().removeIf(k -> k.startsWith("MALLOC_") || k.equals("GLIBC_TUNABLES"));
    Process p = pb.start();
    StringBuilder all = new StringBuilder();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        all.append(line).append('\n');
        String[] f = line.trim().split("\\s+");
        if (f.length >= 2 && f[0].equals("pytorch")) {
          version = f[1];
        } else if (f.length == 2 && f[0].matches("[a-z_]+")) {
          notes.put(f[0], f[1]);
        } else if (f.length == 4 && f[0].matches("[a-z_]+")) {
          try {
            out.put(f[0], new Timing(Double.parseDouble(f[1]), Double.parseDouble(f[2]), Double.parseDouble(f[3])));
          } catch (NumberFormatException e) {
            // a line of the library's own output, not ours
          }
        }
        if (line.startsWith("compile") || line.startsWith("skip_dead") || line.contains("_ms") || line.contains("_per_s")) {
          System.err.println("  " + label + ": " + line);
        }
      }
    }
    if (p.waitFor() != 0) {
      System.err.println(label + " reference failed (" + interpreter + "):\n" + all);
    }
    return new Reference(version, out, notes);
  }

  private static String resolveFromProject(String interpreter) throws Exception {
    Path p = Path.of(interpreter);
    if (p.isAbsolute()) return interpreter;
    Path script = referenceScript();
    return script == null ? interpreter : script.getParent().getParent().getParent().getParent().resolve(p).toString();
  }

  /**
   * The reference script of the project: found upwards from the jar (target/uniforget.jar ->
   * src/test/python), else upwards from the working directory (a jar copied elsewhere and run
   * from the project); null when neither has it.
   */
  static Path referenceScript() throws Exception {
    Path jar = Path.of(Bench.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    for (Path start : List.of(jar.getParent(), Path.of("").toAbsolutePath())) {
      for (Path dir = start; dir != null; dir = dir.getParent()) {
        Path s = dir.resolve("src/test/python/flow_reference.py");
        if (Files.isRegularFile(s)) return s;
      }
    }
    return null;
  }

  static List<String> syntheticCaptions() {
    String[] classes = {"t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot"};
    String[] adj = {"dark", "light", "small", "large", "plain", "patterned"};
    List<String> out = new ArrayList<>();
    for (String c : classes) for (String a : adj) out.add("a photo of a " + a + " " + c);
    return out;
  }

  private static TrainingSet syntheticData(WordTokenizer tok, List<String> captions, ModelConfig cfg) {
    int n = 2048, numel = cfg.channels * cfg.imageSize * cfg.imageSize, l = tok.maxLength();
    Random r = new Random(0);
    float[] images = new float[n * numel];
    for (int i = 0; i < images.length; i++) images[i] = r.nextFloat() * 2 - 1;
    long[] tokens = new long[n * l];
    for (int i = 0; i < n; i++) {
      int[] ids = tok.encode(captions.get(i % captions.size()));
      for (int j = 0; j < l; j++) tokens[i * l + j] = ids[j];
    }
    return new TrainingSet(images, tokens, n, numel, l);
  }

  static long rssMb() throws java.io.IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
    }
    return -1;
  }
}
