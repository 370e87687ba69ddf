package dev.uniforget.forget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.TestModels;
import dev.uniforget.model.WordTokenizer;
import dev.uniforget.sampling.EulerSampler;
import dev.uniforget.nn.Seeds;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The seed policy of a forget run's (prompt, noise) pairs: the training pool and the held-out fidelity pairs. */
class NeutralPoolTest {
  /** Class-ordered prompts, like a lab's neutral prompt file (10 classes x 3 prompts). */
  static List<String> classOrdered() {
    List<String> p = new ArrayList<>();
    for (int c = 0; c < 10; c++) for (String tone : List.of("dark", "light", "plain")) p.add("a photo of a " + tone + " class" + c);
    return p;
  }

  @Test
  void everyPoolPairHasItsOwnNoise() {
    try (NDManager root = NDManager.newBaseManager()) {
      WordTokenizer tok = TestModels.tokenizer();
      FlowModel model = FlowModel.initialize(TestModels.tinyConfig(tok), tok, root, 3);
      List<String> prompts = List.of("a red square", "dark", "light");
      NeutralPool pool = NeutralPool.build(model, prompts, 2, 7, new EulerSampler.Settings(1, 1f), root, null);
      assertEquals(6, pool.size());
      assertEquals(List.of("a red square", "a red square", "dark", "dark", "light", "light"), pool.prompts());
      Set<Long> seeds = new HashSet<>();
      for (long s : pool.seeds()) seeds.add(s);
      assertEquals(6, seeds.size(), "pool seeds are pairwise distinct: " + java.util.Arrays.toString(pool.seeds()));
      assertDistinctNoises(pool.seeds());
      // The starting noises the sampler uses differ too, pair by pair.
      float[] all = EulerSampler.noise(root, model, pool.seeds()).toFloatArray();
      int per = 64;
      for (int a = 0; a < 6; a++) {
        for (int b = a + 1; b < 6; b++) {
          boolean same = true;
          for (int i = 0; i < per && same; i++) same = all[a * per + i] == all[b * per + i];
          assertFalse(same, "pairs " + a + " and " + b + " start from the same noise");
        }
      }
    }
  }

  @Test
  void largePoolsHaveNoRepeatedSeedAndAreDeterministic() {
    NeutralPool.Pairs p = NeutralPool.trainingPairs(classOrdered(), 16, 3);
    assertEquals(30 * 16, p.size());
    Set<Long> seen = new HashSet<>();
    for (long s : p.seeds()) assertTrue(seen.add(s), "seed " + s + " repeats");
    assertEquals(p.seeds()[17], NeutralPool.trainingPairs(classOrdered(), 16, 3).seeds()[17]);
    // Another mask seed gives another pool.
    Set<Long> other = new HashSet<>();
    for (long s : NeutralPool.trainingPairs(classOrdered(), 16, 4).seeds()) other.add(s);
    other.retainAll(seen);
    assertTrue(other.isEmpty(), "pools of seeds 3 and 4 share " + other.size() + " seeds");
  }

  @Test
  void heldOutPairsCoverEveryPromptAndNeverReuseAPoolSeed() {
    List<String> prompts = classOrdered();
    for (int perPrompt : new int[] {1, 3}) {
      NeutralPool.Pairs held = NeutralPool.heldOut(prompts, perPrompt, 5);
      assertEquals(prompts.size() * perPrompt, held.size());
      Map<String, Integer> count = new HashMap<>();
      for (String p : held.prompts()) count.merge(p, 1, Integer::sum);
      assertEquals(new HashSet<>(prompts), count.keySet(), "every prompt is measured, not a prefix of the class-ordered list");
      for (String p : prompts) assertEquals(perPrompt, count.get(p), p);
      Set<Long> heldSeeds = new HashSet<>();
      for (long s : held.seeds()) assertTrue(heldSeeds.add(s), "held-out seed " + s + " repeats");
      // No training pool of the same mask seed uses a held-out seed, whatever its size.
      for (int poolPerPrompt : new int[] {1, 4, 64}) {
        for (long s : NeutralPool.trainingPairs(prompts, poolPerPrompt, 5).seeds()) {
          assertFalse(heldSeeds.contains(s), "held-out seed " + s + " is in the training pool (" + poolPerPrompt + " per prompt)");
        }
      }
      assertDistinctNoises(held.seeds());
    }
    assertThrows(IllegalArgumentException.class, () -> NeutralPool.heldOut(prompts, 0, 5));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NeutralPool.heldOut(List.of(), 1, 5));
    assertTrue(e.getMessage().contains("no prompts"), e.getMessage());
  }

  private static void assertDistinctNoises(long[] seeds) {
    Set<String> noises = new HashSet<>();
    for (long s : seeds) assertTrue(noises.add(java.util.Arrays.toString(Seeds.noise(s, 16))), "seed " + s + " repeats a noise");
  }
}
