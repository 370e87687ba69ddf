package dev.uniforget.forget;

import ai.djl.ndarray.NDManager;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.UnitMasks;
import dev.uniforget.sampling.EulerSampler;
import dev.uniforget.nn.Seeds;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * The (neutral prompt, noise) pool of a forget run and the ORIGINAL model's final samples for
 * it, computed once: the targets of mask training and of retraining.
 *
 * <p>The seed policy of a forget run's pairs, in one place: pair {@code p} of the training pool
 * (prompt-major: prompt {@code i}, noise {@code j} is pair {@code i * seedsPerPrompt + j}) gets
 * the noise seed {@code Seeds.mix(seed, BASE + 2p)}, so every (prompt, noise) pair has its own
 * noise; held-out pair {@code q} ({@link #heldOut}) gets {@code Seeds.mix(seed, BASE + 2q + 1)}.
 * The counters differ in parity and {@code Seeds.mix} is a bijection, so a held-out seed is never
 * a pool seed, and no two pairs share a seed.
 */
public record NeutralPool(List<String> prompts, long[] seeds, float[][] originals, EulerSampler.Settings settings) {
  private static final long BASE = 1_000_000L;

  /** (prompt, seed) pairs in order, without samples. */
  public record Pairs(List<String> prompts, long[] seeds) {
    public int size() {
      return seeds.length;
    }
  }

  public static NeutralPool build(FlowModel original, List<String> neutral, int seedsPerPrompt, long seed,
      EulerSampler.Settings s, NDManager root, IntConsumer progress) {
    Pairs pairs = trainingPairs(neutral, seedsPerPrompt, seed);
    float[][] originals = EulerSampler.sample(original, root, pairs.prompts(), pairs.seeds(), s, UnitMasks.NONE, 64, progress);
    return new NeutralPool(pairs.prompts(), pairs.seeds(), originals, s);
  }

  /** The training pool's pairs: every prompt with {@code seedsPerPrompt} noises of its own. */
  public static Pairs trainingPairs(List<String> neutral, int seedsPerPrompt, long seed) {
    return pairs(neutral, seedsPerPrompt, seed, 0, "--seeds-per-prompt");
  }

  /**
   * Held-out pairs for measuring fidelity: every prompt {@code seedsPerPrompt} times, each with a
   * seed that no training pool of the same {@code seed} uses (whatever its size).
   */
  public static Pairs heldOut(List<String> neutral, int seedsPerPrompt, long seed) {
    return pairs(neutral, seedsPerPrompt, seed, 1, "--fidelity-seeds");
  }

  private static Pairs pairs(List<String> neutral, int seedsPerPrompt, long seed, int parity, String option) {
    if (neutral.isEmpty()) throw new IllegalArgumentException("no prompts to train masks on (expected at least one neutral prompt)");
    if (seedsPerPrompt <= 0) throw new IllegalArgumentException(option + ": expected > 0, found " + seedsPerPrompt);
    long n = (long) neutral.size() * seedsPerPrompt;
    if (n > Integer.MAX_VALUE) throw new IllegalArgumentException(option + ": " + neutral.size() + " prompts x " + seedsPerPrompt + " is too many pairs");
    List<String> prompts = new ArrayList<>((int) n);
    long[] seeds = new long[(int) n];
    for (int i = 0; i < neutral.size(); i++) {
      for (int j = 0; j < seedsPerPrompt; j++) {
        int p = i * seedsPerPrompt + j;
        prompts.add(neutral.get(i));
        seeds[p] = Seeds.mix(seed, BASE + 2L * p + parity);
      }
    }
    return new Pairs(Collections.unmodifiableList(prompts), seeds);
  }

  public int size() {
    return seeds.length;
  }
}
