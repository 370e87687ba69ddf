package dev.uniforget.attack;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.uniforget.baselines.BaselineRun;
import dev.uniforget.data.ImageFolder;
import dev.uniforget.io.ProgressSink;
import dev.uniforget.io.Provenance;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.ModelDir;
import dev.uniforget.model.TextEncoding;
import dev.uniforget.model.UnitMasks;
import dev.uniforget.nn.AdamW;
import dev.uniforget.nn.Layers;
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
 * Adversarial fine-tuning against the embedding attack (Finding Dori's defence), applied to a
 * model after forgetting: in each round the attack is run on the current model for every
 * memorized image (the defender holds the memorized prompts and images), then the weights are
 * fine-tuned so that the found embeddings produce the <em>surrogate</em> (what the model given to
 * the defence draws from the memorized prompt) instead of the memorized image, while the
 * ordinary training loss on ordinary data keeps the rest: images the given model draws for the
 * neutral prompts, with those prompts. The attack starts alternate between the memorized prompt's
 * own encoding and noise from round to round.
 */
public final class AdversarialDefence {
  public static final String METHOD = "adversarial-defence";

  /** Settings. */
  public static final class Options {
    public int rounds = 5;
    /** Fine-tuning steps per round. */
    public int steps = 40;
    public float learningRate = 1e-4f;
    /** Noisy copies per memorized image and step (and as many ordinary images). */
    public int batchSize = 4;
    /** Weight of the ordinary-data term. */
    public double keep = 1.0;
    /** Surrogate and ordinary images drawn per prompt. */
    public int imagesPerPrompt = 2;
    public EmbeddingAttack.Options attack = new EmbeddingAttack.Options();
    public long seed = 0;

    public Options() {
      attack.steps = 25;
      attack.snapshots = List.of(25);
    }

    public void validate() {
      if (rounds < 1 || rounds > 10_000) throw new IllegalArgumentException("--rounds: expected 1..10000, found " + rounds);
      if (steps < 1 || steps > 1_000_000) throw new IllegalArgumentException("--steps: expected 1..1000000, found " + steps);
      if (!(learningRate > 0) || !Float.isFinite(learningRate)) throw new IllegalArgumentException("--lr: expected a finite number > 0, found " + learningRate);
      if (batchSize < 1 || batchSize > 1024) throw new IllegalArgumentException("--batch-size: expected 1..1024, found " + batchSize);
      if (!(keep >= 0) || !Double.isFinite(keep)) throw new IllegalArgumentException("--keep: expected a finite number >= 0, found " + keep);
      if (imagesPerPrompt < 1 || imagesPerPrompt > 1024) throw new IllegalArgumentException("--images-per-prompt: expected 1..1024, found " + imagesPerPrompt);
      attack.validate();
      if (attack.lastSnapshot() != attack.steps) throw new IllegalArgumentException("the defence uses the attack's last step: snapshots must end at " + attack.steps);
    }
  }

  private AdversarialDefence() {}

  /** The memorized images and prompts the defender holds: an image folder (its captions are the prompts). */
  public static ImageFolder readMemorized(Path dir, FlowModel model) throws IOException {
    if (!Files.isDirectory(dir)) throw new IOException(dir + ": not a directory (expected an image folder: PNG files + metadata.jsonl whose text is the memorized prompt)");
    return ImageFolder.load(dir, model.config().imageSize, model.config().channels);
  }

  public static Provenance provenance(Path modelDir, Path memorized, List<String> neutral, Options o) throws IOException {
    return Provenance.of(METHOD).input("model", modelDir).input("memorized", memorized).inputText("neutral", String.join("\n", neutral))
        .option("rounds", o.rounds).option("steps", o.steps).option("lr", o.learningRate).option("batch_size", o.batchSize)
        .option("keep", o.keep).option("images_per_prompt", o.imagesPerPrompt).option("attack_steps", o.attack.steps)
        .option("attack_lr", o.attack.learningRate).option("attack_batch_size", o.attack.batchSize).option("seed", o.seed);
  }

  /** Defends {@code modelDir} and writes {@code out} (model, report, provenance; {@code out} must not exist). */
  public static BaselineRun.Report run(Path modelDir, Path memorizedDir, List<String> neutral, Options o, Path out, ProgressSink progress)
      throws IOException {
    o.validate();
    if (neutral.isEmpty()) throw new IllegalArgumentException("no neutral prompts (the ordinary data of the defence)");
    if (Files.exists(out)) throw new IllegalArgumentException("--out " + out + " already exists (expected a new directory)");
    ProgressSink l = progress == null ? ProgressSink.NONE : progress;
    Provenance prov = provenance(modelDir, memorizedDir, neutral, o);
    try (NDManager root = NDManager.newBaseManager(); FlowModel model = ModelDir.load(modelDir, root)) {
      long t0 = System.nanoTime();
      ImageFolder mem = readMemorized(memorizedDir, model);
      if (mem.size() == 0) throw new IOException(memorizedDir + ": no memorized images");
      List<float[]> images = new ArrayList<>();
      List<String> prompts = new ArrayList<>();
      for (int i = 0; i < mem.size(); i++) {
        images.add(mem.image(i));
        prompts.add(mem.entry(i).text());
      }
      int n = images.size(), k = o.imagesPerPrompt, c = model.config().channels, size = model.config().imageSize, numel = c * size * size;
      EulerSampler.Settings s = new EulerSampler.Settings(model.config().sampler.steps, model.config().sampler.guidance);
      // The surrogates (the given model's own drawings of the memorized prompts) and the ordinary data.
      List<String> drawPrompts = new ArrayList<>();
      for (String p : prompts) for (int j = 0; j < k; j++) drawPrompts.add(p);
      for (String p : neutral) for (int j = 0; j < k; j++) drawPrompts.add(p);
      long[] seeds = new long[drawPrompts.size()];
      for (int i = 0; i < seeds.length; i++) seeds[i] = o.seed + 1000 + i % k;
      l.phase("defence: surrogates and ordinary images", seeds.length);
      float[][] drawn = EulerSampler.sample(model, root, drawPrompts, seeds, s, UnitMasks.NONE, 64, l::step);
      l.end();

      ParameterStore trained = model.params().view(name -> !name.startsWith("text.")); // the attack enters after the text encoder
      List<Double> advLoss = new ArrayList<>(), keepLoss = new ArrayList<>(), attackLoss = new ArrayList<>();
      try (AdamW adam = new AdamW(trained, root, 0.9f, 0.999f)) {
        int globalStep = 0;
        for (int round = 0; round < o.rounds; round++) {
          // 1. The attack on the current model (weights frozen during it).
          EmbeddingAttack.Options ao = copy(o.attack, o.seed + 7919L * round);
          EmbeddingAttack.Rows rows;
          try (NDManager m = root.newSubManager()) {
            TextEncoding own = model.encodeText(model.tokenize(m, prompts.toArray(new String[0])));
            TextEncoding start = round % 2 == 0 ? own : EmbeddingAttack.noiseLike(own, m, o.seed + round);
            l.phase("defence round " + (round + 1) + "/" + o.rounds + ": attack", ao.steps);
            rows = EmbeddingAttack.learnRows(model, images, start, ao, root, l::step);
            l.end();
          }
          double[] lastLoss = rows.loss()[rows.loss().length - 1];
          double al = 0;
          for (double v : lastLoss) al += v / lastLoss.length;
          attackLoss.add(al);
          int b = o.batchSize, rowsAdv = n * b;
          int[] rowOf = new int[rowsAdv]; // noisy copy r belongs to memorized image r / b
          for (int r = 0; r < rowsAdv; r++) rowOf[r] = r / b;
          EulerSampler.Conditioning found = rows.conditioning(model, rows.states().size() - 1, rowOf);
          // 2. Fine-tune: the found embeddings toward the surrogates, the neutral prompts kept.
          trained.setRequiresGradient(true);
          l.phase("defence round " + (round + 1) + "/" + o.rounds + ": fine-tune", o.steps);
          try {
            for (int step = 0; step < o.steps; step++, globalStep++) {
              double[] parts = new double[2];
              TrainingStep.run("adversarial defence", globalStep, o.seed ^ 0xDEF, trained, adam, o.learningRate, 0f, root, (m, rng) -> {
                float[] xt = new float[2 * rowsAdv * numel], v = new float[2 * rowsAdv * numel], t = new float[2 * rowsAdv], e = new float[numel];
                String[] keepPrompts = new String[rowsAdv];
                for (int r = 0; r < 2 * rowsAdv; r++) {
                  float[] x0;
                  if (r < rowsAdv) {
                    x0 = drawn[(r / b) * k + rng.nextInt(k)]; // the surrogate of memorized image r / b
                  } else {
                    int q = rng.nextInt(neutral.size() * k);
                    x0 = drawn[n * k + q];
                    keepPrompts[r - rowsAdv] = neutral.get(q / k);
                  }
                  t[r] = (float) (1 / (1 + Math.exp(-Seeds.gaussian(rng))));
                  Seeds.fillGaussian(rng, e, 0, numel);
                  for (int j = 0; j < numel; j++) {
                    xt[r * numel + j] = (1 - t[r]) * x0[j] + t[r] * e[j];
                    v[r * numel + j] = e[j] - x0[j];
                  }
                }
                NDArray x = m.create(xt, new Shape(2 * rowsAdv, c, size, size)), target = m.create(v, new Shape(2 * rowsAdv, c, size, size));
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                  TextEncoding keepText = model.encodeText(model.tokenize(m, keepPrompts));
                  TextEncoding attackRows = found.encode(m, 0, rowsAdv, false);
                  TextEncoding text = new TextEncoding(attackRows.states().concat(keepText.states(), 0), attackRows.keyBias().concat(keepText.keyBias(), 0),
                      attackRows.pooled().concat(keepText.pooled(), 0));
                  NDList out2 = model.velocity(x, t, text, UnitMasks.NONE).sub(target).square().split(2, 0);
                  NDArray adv = out2.get(0).mean(), kept = out2.get(1).mean();
                  NDArray total = adv.add(Layers.scale(kept, o.keep));
                  gc.backward(total);
                  parts[0] = adv.getFloat();
                  parts[1] = kept.getFloat();
                  return total.getFloat();
                }
              });
              advLoss.add(parts[0]);
              keepLoss.add(parts[1]);
              l.step(step + 1);
            }
          } finally {
            trained.setRequiresGradient(false);
            l.end();
          }
          l.message(String.format(Locale.ROOT, "defence round %d/%d: attack loss %.4f; toward surrogates %.4f, ordinary %.4f", round + 1, o.rounds, al,
              mean(advLoss.subList(Math.max(0, advLoss.size() - 10), advLoss.size())), mean(keepLoss.subList(Math.max(0, keepLoss.size() - 10), keepLoss.size()))));
        }
      }
      BaselineRun.Report report = new BaselineRun.Report();
      report.method = METHOD;
      report.setting = "memorized prompts and images (" + n + "), neutral prompts (" + neutral.size() + ")";
      report.prompts = n;
      report.localisationSeconds = (System.nanoTime() - t0) / 1e9;
      report.details.put("rounds", o.rounds);
      report.details.put("steps_per_round", o.steps);
      report.details.put("lr", o.learningRate);
      report.details.put("keep", o.keep);
      report.details.put("trained_parameters", trained.parameterCount());
      report.details.put("attack_loss_by_round", attackLoss);
      report.details.put("surrogate_loss_first_10", mean(advLoss.subList(0, Math.min(10, advLoss.size()))));
      report.details.put("surrogate_loss_last_10", mean(advLoss.subList(Math.max(0, advLoss.size() - 10), advLoss.size())));
      report.details.put("ordinary_loss_first_10", mean(keepLoss.subList(0, Math.min(10, keepLoss.size()))));
      report.details.put("ordinary_loss_last_10", mean(keepLoss.subList(Math.max(0, keepLoss.size() - 10), keepLoss.size())));
      BaselineRun.write(out, model, report, prov);
      return report;
    }
  }

  private static EmbeddingAttack.Options copy(EmbeddingAttack.Options a, long seed) {
    EmbeddingAttack.Options c = new EmbeddingAttack.Options();
    c.steps = a.steps;
    c.learningRate = a.learningRate;
    c.batchSize = a.batchSize;
    c.snapshots = List.of(a.steps);
    c.seed = seed;
    return c;
  }

  private static double mean(List<Double> v) {
    double s = 0;
    for (double x : v) s += x;
    return v.isEmpty() ? Double.NaN : s / v.size();
  }
}
