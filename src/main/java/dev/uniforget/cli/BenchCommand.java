package dev.uniforget.cli;

import ai.djl.ndarray.NDManager;
import dev.uniforget.model.FlowModel;
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
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code uniforget bench}: training and sampling speed, memory flatness, Java vs PyTorch. */
@Command(name = "bench", mixinStandardHelpOptions = true,
    header = "Speed and memory benchmarks (Java vs PyTorch, sampling, forget).",
    description = {
      "Benchmark the lab preset on this machine, side by side in one run: training step time in",
      "Java and in the PyTorch reference (same model, same batch, 2 threads each) and their ratio;",
      "sampling images/s; resident memory at the start and end of --steps training steps.",
      "Run it on an otherwise idle machine: two libtorch processes on 2 cores slow each other 10x."
    })
final class BenchCommand implements Callable<Integer> {
  @Option(names = "--steps", description = "Java training steps for the memory check (default: ${DEFAULT-VALUE}).")
  int steps = 500;

  @Option(names = "--batch-size", description = "Training batch (default: ${DEFAULT-VALUE}).")
  int batch = 64;

  @Option(names = "--python", description = "Python with torch for the reference (default: ${DEFAULT-VALUE}).")
  String python = "/usr/bin/python3";

  @Option(names = "--reference-steps", description = "Timed PyTorch steps (default: ${DEFAULT-VALUE}).")
  int referenceSteps = 30;

  @Option(names = "--sample-images", description = "Images to sample for images/s (default: ${DEFAULT-VALUE}).")
  int sampleImages = 256;

  @Option(names = "--forget", description = "Instead: peak memory and step time of UniForget mask training at 4, 8 and 16 sampler steps (each in a fresh JVM).")
  boolean forget;

  @Option(names = "--forget-probe", hidden = true, description = "Internal: one mask-training probe at this many sampler steps.")
  Integer forgetProbe;

  @Override
  public Integer call() throws Exception {
    if (forgetProbe != null) return forgetProbe(forgetProbe);
    if (forget) return forgetBench();
    if (steps < 200) throw new IllegalArgumentException("--steps must be >= 200 (memory is read at steps 100, steps/2 and steps)");
    Path tmp = Files.createTempDirectory("uniforget-bench");
    try (NDManager root = NDManager.newBaseManager()) {
      List<String> captions = syntheticCaptions();
      WordTokenizer tok = WordTokenizer.build(captions, 12);
      ModelConfig cfg = ModelConfig.labPreset(tok.vocabSize());
      FlowModel model = FlowModel.initialize(cfg, tok, root, 0);
      Path modelDir = tmp.resolve("model");
      ModelDir.save(model, modelDir, false, Map.of());
      System.out.printf("lab preset: %,d parameters, %dx%d images, batch %d, %s threads%n",
          model.params().parameterCount(), cfg.imageSize, cfg.imageSize, batch,
          System.getProperty("ai.djl.pytorch.num_threads", "2"));

      // Sampling speed (before training: the weights do not change the cost).
      EulerSampler.Settings s = new EulerSampler.Settings(cfg.sampler.steps, cfg.sampler.guidance);
      List<String> prompts = new ArrayList<>();
      long[] seeds = new long[sampleImages];
      for (int i = 0; i < sampleImages; i++) {
        prompts.add(captions.get(i % captions.size()));
        seeds[i] = i;
      }
      EulerSampler.sample(model, root, prompts.subList(0, 64), java.util.Arrays.copyOf(seeds, 64), s, UnitMasks.NONE, 64, null);
      long t0 = System.nanoTime();
      EulerSampler.sample(model, root, prompts, seeds, s, UnitMasks.NONE, 64, null);
      double imgPerSec = sampleImages / ((System.nanoTime() - t0) / 1e9);

      // Java training steps and resident memory.
      TrainingSet data = syntheticData(tok, captions, cfg);
      TrainConfig tc = new TrainConfig();
      tc.steps = steps;
      tc.batchSize = batch;
      tc.checkpointEvery = Integer.MAX_VALUE;
      long rssStart = rssMb();
      long rssWarm = 0, rssMid = 0;
      double timed = 0;
      try (Trainer tr = Trainer.start(model, data, tc, tmp.resolve("run"), root)) {
        for (int i = 0; i < steps; i++) {
          long a = System.nanoTime();
          tr.trainStep();
          if (i >= 10) timed += System.nanoTime() - a;
          if (i == 99) rssWarm = rssMb();
          if (i == steps / 2 - 1) rssMid = rssMb();
          if ((i + 1) % 100 == 0) System.err.printf("  java step %d/%d, rss %d MB%n", i + 1, steps, rssMb());
        }
      }
      long rssEnd = rssMb();
      double javaMs = timed / 1e6 / (steps - 10);

      // PyTorch reference on the same model directory, after the Java run (never concurrently).
      double torchMs = pytorchStepMs(modelDir);

      System.out.println();
      System.out.printf("%-42s %12s%n", "measure", "value");
      System.out.printf("%-42s %12.1f%n", "Java training step (ms, batch " + batch + ")", javaMs);
      System.out.printf("%-42s %12s%n", "PyTorch reference step (ms, batch " + batch + ")", Double.isNaN(torchMs) ? "n/a" : String.format("%.1f", torchMs));
      System.out.printf("%-42s %12s%n", "Java / PyTorch step time ratio (target <= 0.8)", Double.isNaN(torchMs) ? "n/a" : String.format("%.2f", javaMs / torchMs));
      System.out.printf("%-42s %12.1f%n", "sampling images/s (" + s.steps() + " steps, guidance " + s.guidance() + ")", imgPerSec);
      System.out.printf("%-42s %12d%n", "resident memory before training (MB)", rssStart);
      System.out.printf("%-42s %12d%n", "resident memory after 100 steps (MB)", rssWarm);
      System.out.printf("%-42s %12d%n", "resident memory after " + steps / 2 + " steps (MB)", rssMid);
      System.out.printf("%-42s %12d%n", "resident memory after " + steps + " steps (MB)", rssEnd);
      System.out.printf("%-42s %12d%n", "growth from step " + steps / 2 + " to " + steps + " (MB)", rssEnd - rssMid);
      System.out.printf("%-42s %12d%n", "JVM heap limit (MB; -Xmx, grows lazily)", Runtime.getRuntime().maxMemory() >> 20);
    } finally {
      dev.uniforget.io.AtomicFiles.deleteRecursively(tmp);
    }
    return 0;
  }

  /** Runs one probe per sampler-step count in a fresh JVM, so each peak RSS is its own. */
  private int forgetBench() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    System.out.printf("%-14s %14s %14s%n", "sampler steps", "peak RSS (MB)", "s / mask step");
    for (int n : new int[] {4, 8, 16}) {
      Process p = new ProcessBuilder(java, "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
          Main.class.getName(), "bench", "--forget-probe", Integer.toString(n)).redirectErrorStream(true).start();
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
  private int forgetProbe(int samplerSteps) throws Exception {
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

  private double pytorchStepMs(Path modelDir) throws Exception {
    Path script = referenceScript();
    if (script == null) {
      System.err.println("PyTorch reference script not found (src/test/python/flow_reference.py); skipping");
      return Double.NaN;
    }
    Process p = new ProcessBuilder(python, script.toString(), "bench", modelDir.toString(),
        Integer.toString(referenceSteps), Integer.toString(batch)).redirectErrorStream(true).start();
    String last = null;
    StringBuilder all = new StringBuilder();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        all.append(line).append('\n');
        if (line.contains("step_ms")) last = line;
      }
    }
    if (p.waitFor() != 0 || last == null) {
      System.err.println("PyTorch reference failed (" + python + "):\n" + all);
      return Double.NaN;
    }
    System.err.println("  " + last);
    return Double.parseDouble(last.substring(last.indexOf("step_ms") + 8).trim());
  }

  /** The reference script beside the jar's project (target/uniforget.jar -> src/test/python). */
  static Path referenceScript() throws Exception {
    Path jar = Path.of(BenchCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    for (Path dir = jar.getParent(); dir != null; dir = dir.getParent()) {
      Path s = dir.resolve("src/test/python/flow_reference.py");
      if (Files.isRegularFile(s)) return s;
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
