package dev.uniforget.audit;

import ai.djl.ndarray.NDArray;
import dev.uniforget.sampling.EulerSampler;

/**
 * The text-conditional magnitude of Wen et al. (ICLR 2024): per image, the mean over sampling
 * steps of ||v(x_t, c) - v(x_t, empty)||_2, recorded while the images are generated. A prompt's
 * score is the mean over its seeds; memorized prompts score much higher than ordinary ones.
 */
public final class Magnitude implements EulerSampler.GuidanceObserver {
  private final double[] sum;
  private final int[] count;

  public Magnitude(int images) {
    sum = new double[images];
    count = new int[images];
  }

  @Override
  public void onGuidedStep(int firstImage, int k, NDArray vCond, NDArray vUncond) {
    float[] norms = vCond.sub(vUncond).square().sum(new int[] {1, 2, 3}).sqrt().toFloatArray();
    for (int i = 0; i < norms.length; i++) {
      sum[firstImage + i] += norms[i];
      count[firstImage + i]++;
    }
  }

  /** Mean magnitude of image i over the steps seen. */
  public double of(int image) {
    if (count[image] == 0) throw new IllegalStateException("no step recorded for image " + image);
    return sum[image] / count[image];
  }
}
