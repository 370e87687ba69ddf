package dev.uniforget.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

/** AdamW against the update of torch.optim.AdamW written out in doubles, with and without weight decay. */
class AdamWTest {
  private static final float[] START = {0.5f, -1.25f, 2f, 0f, -0.01f, 3.5f};

  /** The gradient of step k (0-based) for element i: varied in sign and size, one element 0. */
  private static float gradient(int k, int i) {
    return i == 3 ? 0f : (float) (Math.sin(1.7 * i + 0.9 * k) * (1 + i) * (k % 2 == 0 ? 1 : 0.01));
  }

  @Test
  void matchesPyTorchsAdamWUpdate() {
    for (float wd : new float[] {0f, 0.1f}) {
      float lr = 0.05f, b1 = 0.9f, b2 = 0.999f;
      int steps = 6;
      double[] want = reference(lr, wd, b1, b2, steps);
      try (NDManager root = NDManager.newBaseManager()) {
        ParameterStore p = new ParameterStore(root);
        p.put("w", START.clone(), new Shape(2, 3));
        NDArray w = p.get("w");
        w.setRequiresGradient(true);
        try (AdamW adam = new AdamW(p, root, b1, b2)) {
          for (int k = 0; k < steps; k++) {
            try (NDManager m = root.newSubManager()) {
              float[] g = new float[START.length];
              for (int i = 0; i < g.length; i++) g[i] = gradient(k, i);
              try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(w.mul(m.create(g, new Shape(2, 3))).sum());
              }
              adam.step(p, lr, wd, m);
              try (NDArray after = w.getGradient()) {
                for (float v : after.toFloatArray()) assertEquals(0f, v, "the gradient is zeroed after the update");
              }
            }
          }
          assertEquals(steps, adam.stepCount());
        }
        float[] got = w.toFloatArray();
        for (int i = 0; i < got.length; i++) {
          assertEquals(want[i], got[i], 2e-6 * Math.max(1, Math.abs(want[i])), "element " + i + " at weight decay " + wd);
        }
      }
    }
  }

  private static double[] reference(double lr, double wd, double b1, double b2, int steps) {
    double[] p = new double[START.length], m = new double[p.length], v = new double[p.length];
    for (int i = 0; i < p.length; i++) p[i] = START[i];
    for (int k = 0; k < steps; k++) {
      int t = k + 1;
      for (int i = 0; i < p.length; i++) {
        double g = gradient(k, i);
        p[i] *= 1 - lr * wd;
        m[i] = b1 * m[i] + (1 - b1) * g;
        v[i] = b2 * v[i] + (1 - b2) * g * g;
        double mHat = m[i] / (1 - Math.pow(b1, t)), vHat = v[i] / (1 - Math.pow(b2, t));
        p[i] -= lr * mHat / (Math.sqrt(vHat) + 1e-8);
      }
    }
    return p;
  }
}
