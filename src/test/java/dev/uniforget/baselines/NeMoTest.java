package dev.uniforget.baselines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.ModelDir;
import dev.uniforget.model.TestModels;
import dev.uniforget.model.WordTokenizer;
import dev.uniforget.train.TrainConfig;
import dev.uniforget.train.Trainer;
import dev.uniforget.train.TrainingSet;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NeMoTest {
  @TempDir Path tmp;

  static final String MEMORIZED = "a red square";
  static final List<String> NEUTRAL = List.of("dark", "light", "a blue circle on green grass", "dark light");

  /**
   * A tiny model that memorizes one image: "a red square" is one fixed pattern listed 24 times,
   * "dark", "light" and "a blue circle on green grass" are 24 different random images each.
   */
  private Path memorizingModel() throws Exception {
    WordTokenizer tok = TestModels.tokenizer();
    List<String> captions = List.of(MEMORIZED, "dark", "light", "a blue circle on green grass");
    int per = 24, n = per * captions.size(), l = tok.maxLength();
    SplittableRandom rng = new SplittableRandom(7);
    float[] pattern = new float[64];
    for (int j = 0; j < 64; j++) pattern[j] = rng.nextDouble() < 0.5 ? -0.9f : 0.9f;
    float[] images = new float[n * 64];
    long[] tokens = new long[n * l];
    for (int i = 0; i < n; i++) {
      int c = i % captions.size();
      for (int j = 0; j < 64; j++) images[i * 64 + j] = c == 0 ? pattern[j] : (float) (rng.nextDouble() * 2 - 1);
      int[] ids = tok.encode(captions.get(c));
      for (int j = 0; j < l; j++) tokens[i * l + j] = ids[j];
    }
    TrainConfig tc = new TrainConfig();
    tc.steps = 300;
    tc.batchSize = 16;
    tc.learningRate = 3e-3f;
    tc.warmupSteps = 10;
    tc.emaDecay = 0.9f;
    tc.checkpointEvery = 10_000;
    tc.seed = 3;
    Path run = tmp.resolve("run");
    Path trained;
    try (NDManager root = NDManager.newBaseManager(); FlowModel model = FlowModel.initialize(TestModels.tinyConfig(tok), tok, root, 1);
        Trainer tr = Trainer.start(model, new TrainingSet(images, tokens, n, 64, l), tc, run, root)) {
      trained = tr.run(null);
    }
    // The text reaches this model by two roads: the token values (NeMo's neurons) and the pooled
    // vector of the adaLN modulation. NeMo can only cut the first; the fixture closes the second
    // (pooled_in's weight set to zero: every prompt gets the same pooled vector), so that the
    // memorized prompt's memory runs through the values alone.
    Path valuesOnly = tmp.resolve("values_only");
    try (NDManager root = NDManager.newBaseManager(); FlowModel model = ModelDir.load(trained, root)) {
      model.params().set("pooled_in.weight", new float[32 * 32]);
      ModelDir.save(model, valuesOnly, false, java.util.Map.of());
    }
    return valuesOnly;
  }

  @Test
  void theThresholdIsDerivedOnTheModelAndTheFoundNeuronsSilenceTheDetector() throws Exception {
    Path modelDir = memorizingModel();
    NeMo.Options o = new NeMo.Options();
    Path out = tmp.resolve("nemo");
    BaselineRun.Report r = NeMo.run(modelDir, List.of(MEMORIZED), NEUTRAL, o, out, null);
    try (NDManager root = NDManager.newBaseManager(); FlowModel before = ModelDir.load(modelDir, root);
        FlowModel after = ModelDir.load(BaselineRun.model(out), root)) {
      // The threshold: mean + 1 sd of the neutral prompts' detector scores on this model.
      double[] s = NEUTRAL.stream().mapToDouble(p -> NeMo.score(before, p, new TreeSet<>(), o, root)).toArray();
      double mean = java.util.Arrays.stream(s).average().orElseThrow();
      double sd = Math.sqrt(java.util.Arrays.stream(s).map(x -> (x - mean) * (x - mean)).sum() / (s.length - 1));
      double threshold = (double) r.details.get("detector_threshold");
      assertEquals(mean + sd, threshold, 1e-9);
      double memorizedScore = NeMo.score(before, MEMORIZED, new TreeSet<>(), o, root);
      System.out.printf("NeMoTest: threshold %.4f, memorized prompt %.4f, neutral %s, report %s%n", threshold, memorizedScore,
          java.util.Arrays.toString(s), r.details);
      assertTrue(memorizedScore > threshold, "the memorized prompt is flagged: " + memorizedScore + " vs " + threshold);
      TreeSet<NeMo.Neuron> all = new TreeSet<>();
      for (String g : NeMo.groups(before.config())) for (int c = 0; c < 32; c++) all.add(new NeMo.Neuron(g, c));
      @SuppressWarnings("unchecked")
      NeMo.PromptResult pr = ((List<NeMo.PromptResult>) r.details.get("per_prompt")).get(0);
      assertTrue(pr.flagged);
      // With every text value off the score must fall below the threshold, or NeMo finds nothing
      // and switches nothing off (here the text also reaches the image through the text keys of the
      // joint attention, which NeMo does not touch).
      double allOff = NeMo.score(before, MEMORIZED, all, o, root);
      assertEquals(allOff < threshold, pr.found, "found exactly when switching every neuron off is enough: " + allOff);
      if (!pr.found) {
        assertTrue(after.config().textValueOff.isEmpty());
        assertEquals(0, pr.neurons);
      }
      assertEquals(pr.off, after.config().textValueOff);

      // The search itself, at a threshold that every neuron off does reach: found, refined, still below.
      double t2 = (allOff + memorizedScore) / 2;
      var groups = NeMo.groups(before.config());
      java.util.Map<String, double[]> mean1 = new java.util.LinkedHashMap<>(), sd1 = new java.util.LinkedHashMap<>();
      java.util.Map<String, double[]> acts = NeMo.activations(before, NEUTRAL.get(0), o, root);
      for (String g : groups) {
        mean1.put(g, acts.get(g));
        double[] ones = new double[32];
        java.util.Arrays.fill(ones, 1);
        sd1.put(g, ones);
      }
      NeMo.PromptResult found = NeMo.localise(before, MEMORIZED, groups, mean1, sd1, t2, o, root);
      assertTrue(found.found, "at threshold " + t2);
      assertTrue(found.neurons >= 1 && found.neurons <= found.neuronsInitial, found.neurons + " of " + found.neuronsInitial);
      TreeSet<NeMo.Neuron> offSet = new TreeSet<>();
      found.off.forEach((g, cs) -> cs.forEach(c -> offSet.add(new NeMo.Neuron(g, c))));
      assertEquals(found.scoreAfter, NeMo.score(before, MEMORIZED, offSet, o, root), 1e-9);
      assertTrue(found.scoreAfter < t2, "the refined set still silences the detector: " + found.scoreAfter);
      // Only the text values of the model changed: the weights are the original's.
      for (String name : before.params().names()) {
        assertEquals(0.0, TestModels.maxAbsDiff(before.params().get(name).toFloatArray(), after.params().get(name).toFloatArray()), 0.0, name);
      }
    }
  }

  @Test
  void settingsAndInputsAreChecked() {
    NeMo.Options bad = new NeMo.Options();
    bad.detectorSeeds = 1;
    assertThrows(IllegalArgumentException.class, bad::validate);
    Path nowhere = tmp.resolve("none");
    assertThrows(IllegalArgumentException.class, () -> NeMo.run(nowhere, List.of(), NEUTRAL, new NeMo.Options(), tmp.resolve("o"), null));
    assertThrows(IllegalArgumentException.class, () -> NeMo.run(nowhere, List.of(MEMORIZED), List.of("dark"), new NeMo.Options(), tmp.resolve("o"), null));
    assertEquals(new TreeSet<>(List.of(new NeMo.Neuron("g", 1), new NeMo.Neuron("g", 3))),
        NeMo.select(java.util.Map.of("g", new double[] {0, 6, 1, 5.5}), 5.25, 0));
    assertEquals(2, NeMo.select(java.util.Map.of("g", new double[] {0, 6, 1, 5.5}), 5.25, 1).size(), "top-1 is already in");
  }
}
