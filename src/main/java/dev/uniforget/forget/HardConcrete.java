package dev.uniforget.forget;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import dev.uniforget.nn.Layers;

/**
 * The hard-concrete relaxation of a binary mask (Louizos et al. 2018) as UniForget uses it:
 * with logit l, temperature a and u ~ U(0, 1) during training,
 * s = sigmoid((log u - log(1 - u) + l) / a), m = clamp(s (zeta - gamma) + gamma, 0, 1);
 * at evaluation u is replaced by its deterministic value: s = sigmoid(l / a).
 * The sparsity term is R = mean sigmoid(0.4 l + 1), a smooth share of units that stay on.
 */
public record HardConcrete(double gamma, double zeta, double temperature, double initialLogit) {
  public static final HardConcrete DEFAULT = new HardConcrete(-0.1, 1.1, 0.83, 3.0);

  public HardConcrete {
    if (!(zeta > 1) || !(gamma < 0)) throw new IllegalArgumentException("need gamma < 0 < 1 < zeta, found " + gamma + ", " + zeta);
    if (!(temperature > 0)) throw new IllegalArgumentException("temperature must be > 0, found " + temperature);
  }

  /** Deterministic mask value of one logit. */
  public double deterministic(double logit) {
    return stretch(sigmoid(logit / temperature));
  }

  /** Training-time mask value of one logit for a uniform draw u in (0, 1). */
  public double sample(double logit, double u) {
    return stretch(sigmoid((Math.log(u) - Math.log(1 - u) + logit) / temperature));
  }

  /** Logistic noise log u - log(1 - u) of a uniform draw, the random part of a sample. */
  public static double logisticNoise(double u) {
    return Math.log(u) - Math.log(1 - u);
  }

  /** Training-time masks: {@code noise} (logistic, first operand: results land in its manager) + logits. */
  public NDArray sample(NDArray noise, NDArray logits) {
    return stretch(Activation.sigmoid(Layers.scale(noise.add(logits), 1 / temperature)));
  }

  /** Deterministic masks; {@code zero} is a scalar 0 in the caller's manager (keeps results there). */
  public NDArray deterministic(NDArray zero, NDArray logits) {
    return stretch(Activation.sigmoid(Layers.scale(zero.add(logits), 1 / temperature)));
  }

  /** The sparsity term's per-unit value sigmoid(0.4 l + 1). */
  public static double keepProxy(double logit) {
    return sigmoid(0.4 * logit + 1);
  }

  private NDArray stretch(NDArray s) {
    return Layers.scale(s, zeta - gamma).add(gamma).clip(0, 1); // out of place: sigmoid's backward needs s
  }

  private double stretch(double s) {
    return Math.max(0, Math.min(1, s * (zeta - gamma) + gamma));
  }

  static double sigmoid(double x) {
    return 1 / (1 + Math.exp(-x));
  }
}
