package dev.uniforget.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW (decoupled weight decay, bias-corrected moments), the state named after the parameters
 * so it can be checkpointed and resumed exactly.
 */
public final class AdamW implements AutoCloseable {
  /**
   * Linear warm-up over {@code warmup} steps to {@code peak}, then a cosine decay to
   * {@code floor * peak} at {@code steps}: the schedule of every trainer that uses one.
   */
  public static float warmupCosine(float peak, int warmup, int steps, int step, double floor) {
    if (step < warmup) return peak * (step + 1) / warmup;
    double p = (double) (step - warmup) / Math.max(1, steps - warmup);
    return (float) (peak * (floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * p))));
  }

  private final ParameterStore moments; // "m.<name>" and "v.<name>"
  private final float beta1;
  private final float beta2;
  private final float eps = 1e-8f;
  private int t;

  public AdamW(ParameterStore params, NDManager parent, float beta1, float beta2) {
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.moments = new ParameterStore(parent);
    for (String name : params.names()) {
      long[] shape = params.get(name).getShape().getShape();
      int n = (int) params.get(name).getShape().size();
      moments.put("m." + name, new float[n], new ai.djl.ndarray.types.Shape(shape));
      moments.put("v." + name, new float[n], new ai.djl.ndarray.types.Shape(shape));
    }
  }

  /**
   * One update of every parameter from its gradient, which is then zeroed. Temporaries live in
   * a sub-manager of {@code scope}.
   */
  public void step(ParameterStore params, float lr, float weightDecay, NDManager scope) {
    t++;
    float bc1 = 1f - (float) Math.pow(beta1, t);
    float bc2 = 1f - (float) Math.pow(beta2, t);
    try (NDManager s = scope.newSubManager()) {
      for (String name : params.names()) {
        NDArray p = params.get(name);
        NDArray m = moments.get("m." + name);
        NDArray v = moments.get("v." + name);
        NDArray g = p.getGradient();
        g.attach(s);
        m.muli(beta1).addi(g.mul(1f - beta1));
        v.muli(beta2).addi(g.square().muli(1f - beta2));
        NDArray denom = g.zerosLike().addi(v).divi(bc2).sqrt().addi(eps);
        NDArray update = g.zerosLike().addi(m).divi(bc1).divi(denom).muli(lr);
        if (weightDecay > 0) update.addi(g.zerosLike().addi(p).muli(lr * weightDecay));
        p.subi(update);
        g.subi(g);
      }
    }
  }

  public int stepCount() {
    return t;
  }

  public void setStepCount(int t) {
    this.t = t;
  }

  public ParameterStore state() {
    return moments;
  }

  public Map<String, String> metadata() {
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("adam_step", Integer.toString(t));
    return meta;
  }

  @Override
  public void close() {
    moments.close();
  }
}
