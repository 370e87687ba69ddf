package dev.uniforget.forget;

import ai.djl.ndarray.NDManager;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.UnitMasks;
import dev.uniforget.sampling.EulerSampler;
import dev.uniforget.sampling.Seeds;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * The (neutral prompt, noise) pool of a forget run and the ORIGINAL model's final samples for
 * it, computed once: the targets of mask training and of retraining.
 */
public record NeutralPool(List<String> prompts, long[] seeds, float[][] originals, EulerSampler.Settings settings) {

  public static NeutralPool build(FlowModel original, List<String> neutral, int seedsPerPrompt, long seed,
      EulerSampler.Settings s, NDManager root, IntConsumer progress) {
    if (neutral.isEmpty()) throw new IllegalArgumentException("no prompts to train masks on");
    List<String> prompts = new ArrayList<>();
    long[] seeds = new long[neutral.size() * seedsPerPrompt];
    for (int i = 0; i < neutral.size(); i++) {
      for (int j = 0; j < seedsPerPrompt; j++) {
        prompts.add(neutral.get(i));
        seeds[i * seedsPerPrompt + j] = Seeds.mix(seed, 1_000_000L + j);
      }
    }
    float[][] originals = EulerSampler.sample(original, root, prompts, seeds, s, UnitMasks.NONE, 64, progress);
    return new NeutralPool(prompts, seeds, originals, s);
  }

  public int size() {
    return seeds.length;
  }
}
