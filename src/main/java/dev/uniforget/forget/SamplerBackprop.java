package dev.uniforget.forget;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.uniforget.model.FlowModel;
import dev.uniforget.model.TextEncoding;
import dev.uniforget.model.UnitMasks;
import dev.uniforget.sampling.EulerSampler;
import java.util.function.Function;

/**
 * Backpropagation through the whole Euler sampler with step-wise recomputation, so memory does
 * not grow with the number of steps: run all steps forward without autograd and keep only the
 * N + 1 latents; then walk back, recomputing one step at a time under autograd and chaining
 * the vector-Jacobian product g_k = (d x_{k+1} / d x_k)^T g_{k+1} (the backward of the scalar
 * sum(x_{k+1} * g_{k+1}) with g constant). Gradients of whatever the step depends on (the mask
 * logits) accumulate over all steps.
 */
public final class SamplerBackprop {
  private SamplerBackprop() {}

  /**
   * Computes loss = mean((x_N - target)^2) of the sample that {@code masks} produce from
   * {@code noise}, accumulating d loss / d (logits) into the gradients of the tensors the masks
   * are built from. {@code masks} is called once for the forward pass and inside each
   * recomputation (so its graph is fresh), and must return the same values every time. Returns
   * the loss.
   */
  public static float backward(
      FlowModel model,
      NDManager parent,
      NDArray noise,
      NDArray target,
      TextEncoding text,
      EulerSampler.Settings s,
      Function<NDManager, UnitMasks> masks) {
    int n = s.steps();
    NDArray[] latents = new NDArray[n + 1];
    try (NDManager m = parent.newSubManager()) {
      latents[0] = noise.duplicate();
      latents[0].attach(m);
      UnitMasks forwardMasks = masks.apply(m); // no graph outside a collector: one set serves every forward step
      for (int k = 0; k < n; k++) {
        try (NDManager sk = m.newSubManager()) {
          NDArray x = latents[k].duplicate();
          x.attach(sk);
          latents[k + 1] = EulerSampler.step(model, x, k, s, text, forwardMasks);
          latents[k + 1].attach(m);
        }
      }
      NDArray diff = latents[n].sub(target);
      float loss = diff.square().mean().getFloat();
      NDArray g = diff.muli(2f / diff.getShape().size()); // d loss / d x_N
      for (int k = n - 1; k >= 0; k--) {
        try (NDManager sk = m.newSubManager()) {
          NDArray x = latents[k].duplicate();
          x.attach(sk);
          x.setRequiresGradient(true);
          try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray next = EulerSampler.step(model, x, k, s, text, masks.apply(sk));
            gc.backward(next.mul(g).sum());
          }
          NDArray gx = x.getGradient();
          NDArray gPrev = gx.duplicate();
          gPrev.attach(m);
          gx.close();
          g.close();
          g = gPrev;
        }
      }
      return loss;
    }
  }
}
