package dev.uniforget.unlearn;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.uniforget.baselines.BaselineRun;
import dev.uniforget.io.ProgressSink;
import dev.uniforget.io.Provenance;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.ModelDir;
import dev.uniforget.model.UnitMasks;
import dev.uniforget.nn.AdamW;
import dev.uniforget.nn.ParameterStore;
import dev.uniforget.nn.Seeds;
import dev.uniforget.nn.TrainingStep;
import dev.uniforget.sampling.EulerSampler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Concept Ablation (Kumari et al. 2023), the model-based variant, as targeted unlearning told
 * the prompts to remove: fine-tune so that each target prompt's velocity at a noisy image equals
 * the frozen original's velocity for its anchor prompt at the same point, while the anchor
 * prompt's own velocity stays the original's (the preservation term). The noisy points are built
 * from images the original model draws for the anchor prompts (x_t = (1 - t) x0 + t e,
 * logit-normal t, fresh noise). By default only the text side trains (the text encoder and the
 * projections that read it, {@code text.*}, {@code txt_in}, {@code pooled_in}: what the paper's
 * cross-attention K/V fine-tuning touches in a model whose text enters through those); {@code all}
 * trains every weight.
 */
public final class ConceptAblation {
  public static final String METHOD = "concept-ablation";

  /** What to remove and what to map it to. */
  public record Pair(String target, String anchor) {}

  /** Settings. */
  public static final class Options {
    public int steps = 400;
    public int batchSize = 16;
    public float learningRate = 1e-4f;
    /** "text" (the text encoder and its projections) or "all". */
    public String weights = "text";
    /** Images drawn from each anchor prompt (the x0 of the noisy points). */
    public int anchorImages = 8;
    /** Weight of the preservation term (the anchor prompt keeps the original's velocity). */
    public double preserve = 1.0;
    public long seed = 0;

    public void validate() {
      if (steps < 1) throw new IllegalArgumentException("--steps: expected >= 1, found " + steps);
      if (batchSize < 1) throw new IllegalArgumentException("--batch-size: expected >= 1, found " + batchSize);
      if (!(learningRate > 0) || !Float.isFinite(learningRate)) throw new IllegalArgumentException("--lr: expected > 0, found " + learningRate);
      if (!weights.equals("text") && !weights.equals("all")) throw new IllegalArgumentException("--weights: expected text or all, found " + weights);
      if (anchorImages < 1) throw new IllegalArgumentException("--anchor-images: expected >= 1, found " + anchorImages);
      if (!(preserve >= 0) || !Double.isFinite(preserve)) throw new IllegalArgumentException("--preserve: expected >= 0, found " + preserve);
    }
  }

  private ConceptAblation() {}

  /** The weights a setting trains. */
  static boolean trains(String weights, String name) {
    return weights.equals("all") || name.startsWith("text.") || name.startsWith("txt_in.") || name.startsWith("pooled_in.");
  }

  /** Reads "target TAB anchor" lines (blank lines and lines starting with # skipped); errors name the file and line. */
  public static List<Pair> readPairs(Path file) throws IOException {
    if (!Files.isRegularFile(file)) throw new IOException(file + ": file not found (expected lines 'target prompt<TAB>anchor prompt')");
    List<String> lines;
    try {
      lines = Files.readAllLines(file, java.nio.charset.StandardCharsets.UTF_8);
    } catch (java.nio.charset.MalformedInputException e) {
      throw new IOException(file + ": not UTF-8 text", e);
    }
    List<Pair> out = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) continue;
      String[] f = lines.get(i).split("\t", -1);
      if (f.length != 2 || f[0].isBlank() || f[1].isBlank()) {
        throw new IOException(file + " line " + (i + 1) + ": expected 'target prompt<TAB>anchor prompt', found '" + lines.get(i) + "'");
      }
      if (f[0].strip().equals(f[1].strip())) throw new IOException(file + " line " + (i + 1) + ": the target and the anchor are the same prompt");
      out.add(new Pair(f[0].strip(), f[1].strip()));
    }
    if (out.isEmpty()) throw new IOException(file + ": no pairs (expected lines 'target prompt<TAB>anchor prompt')");
    return out;
  }

  /** Fine-tunes {@code modelDir} on {@code pairs} and writes the output {@code out} (model, report, provenance). */
  public static BaselineRun.Report run(Path modelDir, List<Pair> pairs, Options o, Path out, ProgressSink progress) throws IOException {
    o.validate();
    if (pairs.isEmpty()) throw new IllegalArgumentException("no target/anchor pairs");
    if (Files.exists(out)) throw new IllegalArgumentException("--out " + out + " already exists (expected a new directory)");
    ProgressSink l = progress == null ? ProgressSink.NONE : progress;
    try (NDManager root = NDManager.newBaseManager(); FlowModel frozen = ModelDir.load(modelDir, root);
        FlowModel model = ModelDir.load(modelDir, root)) {
      long t0 = System.nanoTime();
      int c = model.config().channels, size = model.config().imageSize, numel = c * size * size;
      EulerSampler.Settings s = new EulerSampler.Settings(model.config().sampler.steps, model.config().sampler.guidance);
      List<String> anchorPrompts = new ArrayList<>();
      long[] seeds = new long[pairs.size() * o.anchorImages];
      for (int k = 0; k < pairs.size(); k++) {
        for (int j = 0; j < o.anchorImages; j++) {
          anchorPrompts.add(pairs.get(k).anchor());
          seeds[k * o.anchorImages + j] = o.seed + j;
        }
      }
      l.phase("anchor images", anchorPrompts.size());
      float[][] anchors = EulerSampler.sample(frozen, root, anchorPrompts, seeds, s, UnitMasks.NONE, 64, l::step);
      l.end();

      ParameterStore trained = model.params().view(n -> trains(o.weights, n));
      List<Float> losses = new ArrayList<>();
      trained.setRequiresGradient(true);
      l.phase("concept ablation", o.steps);
      try (AdamW adam = new AdamW(trained, root, 0.9f, 0.999f)) {
        for (int step = 0; step < o.steps; step++) {
          double loss = TrainingStep.run("concept ablation", step, o.seed ^ 0xCA, trained, adam, o.learningRate, 0f, root, (m, rng) -> {
            int b = o.batchSize;
            String[] prompts = new String[2 * b];
            float[] xt = new float[b * numel], t = new float[b], t2 = new float[2 * b], e = new float[numel];
            for (int i = 0; i < b; i++) {
              int a = rng.nextInt(anchorPrompts.size());
              Pair pair = pairs.get(a / o.anchorImages);
              prompts[i] = pair.target();
              prompts[b + i] = pair.anchor();
              t[i] = (float) (1 / (1 + Math.exp(-Seeds.gaussian(rng))));
              t2[i] = t[i];
              t2[b + i] = t[i];
              Seeds.fillGaussian(rng, e, 0, numel);
              for (int j = 0; j < numel; j++) xt[i * numel + j] = (1 - t[i]) * anchors[a][j] + t[i] * e[j];
            }
            NDArray x = m.create(xt, new Shape(b, c, size, size));
            String[] anchorsOnly = java.util.Arrays.copyOfRange(prompts, b, 2 * b);
            NDArray teacher = frozen.velocity(x, t, frozen.encodeText(frozen.tokenize(m, anchorsOnly)), UnitMasks.NONE);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
              NDList v = model.velocity(x.concat(x, 0), t2, model.encodeText(model.tokenize(m, prompts)), UnitMasks.NONE).split(2, 0);
              NDArray ablate = v.get(0).sub(teacher).square().mean();
              NDArray keep = v.get(1).sub(teacher).square().mean();
              NDArray total = ablate.add(dev.uniforget.nn.Layers.scale(keep, o.preserve));
              gc.backward(total);
              return total.getFloat();
            }
          });
          losses.add((float) loss);
          l.step(step + 1);
        }
      } finally {
        trained.setRequiresGradient(false);
        l.end();
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      BaselineRun.Report report = new BaselineRun.Report();
      report.method = METHOD;
      report.setting = "target prompts with anchors (" + pairs.size() + " pairs)";
      report.prompts = pairs.size();
      report.localisationSeconds = seconds;
      report.details.put("weights", o.weights);
      report.details.put("trained_parameters", trained.parameterCount());
      report.details.put("steps", o.steps);
      report.details.put("batch_size", o.batchSize);
      report.details.put("lr", o.learningRate);
      report.details.put("preserve", o.preserve);
      report.details.put("anchor_images_per_pair", o.anchorImages);
      report.details.put("loss_first_10", mean(losses.subList(0, Math.min(10, losses.size()))));
      report.details.put("loss_last_10", mean(losses.subList(Math.max(0, losses.size() - 10), losses.size())));
      BaselineRun.write(out, model, report, provenance(modelDir, pairs, o));
      l.message(String.format(Locale.ROOT, "concept ablation: %d pairs, %d steps, loss %.4f -> %.4f, %.1f s", pairs.size(), o.steps,
          (double) report.details.get("loss_first_10"), (double) report.details.get("loss_last_10"), seconds));
      return report;
    }
  }

  private static double mean(List<Float> v) {
    double s = 0;
    for (float f : v) s += f;
    return v.isEmpty() ? Double.NaN : s / v.size();
  }

  public static Provenance provenance(Path modelDir, List<Pair> pairs, Options o) throws IOException {
    StringBuilder text = new StringBuilder();
    for (Pair p : pairs) text.append(p.target()).append('\t').append(p.anchor()).append('\n');
    return Provenance.of(METHOD).input("model", modelDir).inputText("pairs", text.toString())
        .option("steps", o.steps).option("batch_size", o.batchSize).option("lr", o.learningRate).option("weights", o.weights)
        .option("anchor_images", o.anchorImages).option("preserve", o.preserve).option("seed", o.seed);
  }
}
