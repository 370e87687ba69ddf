package dev.uniforget.forget;

import ai.djl.ndarray.NDManager;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.Flops;
import dev.uniforget.model.Stream;
import dev.uniforget.model.UnitGroup;
import dev.uniforget.model.UnitMasks;
import dev.uniforget.sampling.EulerSampler;
import dev.uniforget.stats.SmallSample;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** What a forget report measures: deactivated shares, size, FLOPs, timed sampling, neutral fidelity. */
public final class Measures {
  private Measures() {}

  /**
   * Mean squared difference between {@code model}'s and {@code original}'s final samples for
   * the same (prompt, seed) pairs: how faithfully neutral generation is kept.
   */
  public static double sampleMse(FlowModel original, FlowModel model, UnitMasks masks, NeutralPool.Pairs pairs,
      EulerSampler.Settings s, NDManager root) {
    float[][] a = EulerSampler.sample(original, root, pairs.prompts(), pairs.seeds(), s, UnitMasks.NONE, 64, null);
    float[][] b = EulerSampler.sample(model, root, pairs.prompts(), pairs.seeds(), s, masks, 64, null);
    double sum = 0;
    long n = 0;
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < a[i].length; j++) {
        double d = a[i][j] - b[i][j];
        sum += d * d;
        n++;
      }
    }
    return sum / n;
  }

  /** Deactivated shares and units per module type and for the whole mask (no sampling). */
  public static ForgetRun.Report shares(MaskLogits logits, Map<String, boolean[]> keep) {
    ForgetRun.Report r = new ForgetRun.Report();
    long offAll = 0, all = 0;
    for (Map.Entry<UnitGroup.Kind, double[]> e : MaskTrainer.countsByKind(logits, keep).entrySet()) {
      double kept = e.getValue()[0], n = e.getValue()[1];
      String key = ForgetRun.Report.kindKey(e.getKey());
      r.deactivatedShare.put(key, 1 - kept / n);
      r.deactivatedUnits.put(key, (int) (n - kept));
      offAll += (long) (n - kept);
      all += (long) n;
    }
    r.deactivatedShare.put(ForgetRun.Report.WHOLE_MASK, all == 0 ? 0 : (double) offAll / all);
    // With double-stream blocks, also per stream (img, txt, single): which stream the masks thin out.
    boolean twoStreams = logits.groups().stream().anyMatch(g -> g.stream() != null && g.stream().kind() != Stream.Kind.SINGLE);
    if (twoStreams) {
      Map<String, long[]> byStream = new java.util.LinkedHashMap<>();
      for (UnitGroup g : logits.groups()) {
        if (g.stream() == null) continue;
        long[] kc = byStream.computeIfAbsent(ForgetRun.Report.kindKey(g.kind()) + "_" + g.stream().streamName(), k -> new long[2]);
        for (boolean k : keep.get(g.name())) {
          if (k) kc[0]++;
          kc[1]++;
        }
      }
      byStream.forEach((key, kc) -> {
        r.deactivatedShare.put(key, kc[1] == 0 ? 0 : 1 - (double) kc[0] / kc[1]);
        r.deactivatedUnits.put(key, (int) (kc[1] - kc[0]));
      });
    }
    return r;
  }

  /** The report of a pruning: {@link #shares}, parameters, FLOPs and sampling time before/after. */
  public static ForgetRun.Report report(FlowModel original, FlowModel pruned, MaskLogits logits, Map<String, boolean[]> keep,
      NDManager root, int timingImages) {
    if (timingImages <= 0) throw new IllegalArgumentException("--timing-images: expected > 0, found " + timingImages);
    ForgetRun.Report r = shares(logits, keep);
    r.parametersBefore = original.params().parameterCount();
    r.parametersAfter = pruned.params().parameterCount();
    var s = original.config().sampler;
    r.flopsPerImageBefore = Flops.perImage(original.config(), s.steps, s.guidance);
    r.flopsPerImageAfter = Flops.perImage(pruned.config(), s.steps, s.guidance);
    r.flopsRatio = (double) r.flopsPerImageBefore / r.flopsPerImageAfter;
    SamplingTiming t = timeSampling(original, pruned, root, timingImages, SAMPLING_REPEATS);
    r.samplingRepeats = SAMPLING_REPEATS;
    r.samplingSecondsBefore = SmallSample.median(t.before());
    r.samplingSecondsAfter = SmallSample.median(t.after());
    r.samplingSecondsBeforeRange = SmallSample.range(t.before());
    r.samplingSecondsAfterRange = SmallSample.range(t.after());
    r.samplingImages = timingImages;
    r.speedup = SmallSample.median(t.speedups());
    r.speedupRange = SmallSample.range(t.speedups());
    return r;
  }

  /** Seconds per repeat of sampling the same images with model a and with model b, and a / b per repeat. */
  public record SamplingTiming(double[] before, double[] after, double[] speedups) {}

  /**
   * Times sampling {@code images} images (empty prompt, seeds 0.., the original's sampler
   * settings) with {@code original} and {@code pruned} in one run: one warm-up each, then
   * {@code repeats} interleaved pairs, so drift and noise of the machine fall on both alike.
   */
  public static SamplingTiming timeSampling(FlowModel original, FlowModel pruned, NDManager root, int images, int repeats) {
    var s = original.config().sampler;
    EulerSampler.Settings settings = new EulerSampler.Settings(s.steps, s.guidance);
    List<String> prompts = new ArrayList<>();
    long[] seeds = new long[images];
    for (int i = 0; i < images; i++) {
      prompts.add("");
      seeds[i] = i;
    }
    time(original, root, prompts, seeds, settings); // warm-up
    time(pruned, root, prompts, seeds, settings);
    double[] before = new double[repeats], after = new double[repeats], ratio = new double[repeats];
    for (int rep = 0; rep < repeats; rep++) {
      before[rep] = time(original, root, prompts, seeds, settings);
      after[rep] = time(pruned, root, prompts, seeds, settings);
      ratio[rep] = before[rep] / after[rep];
    }
    return new SamplingTiming(before, after, ratio);
  }

  /** Interleaved (original, pruned) timing pairs behind a report's sampling speed-up. */
  public static final int SAMPLING_REPEATS = 5;

  private static double time(FlowModel m, NDManager root, List<String> prompts, long[] seeds, EulerSampler.Settings s) {
    long t0 = System.nanoTime();
    EulerSampler.sample(m, root, prompts, seeds, s, UnitMasks.NONE, 64, null);
    return (System.nanoTime() - t0) / 1e9;
  }
}
