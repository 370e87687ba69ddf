package dev.uniforget.audit.judge;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.uniforget.nn.Layers;

/** Training losses; every constant is created in the manager of the activations. */
final class Losses {
  private Losses() {}

  /**
   * Weighted mean softmax cross-entropy of (B, K) logits against integer labels; examples of
   * weight 0 do not count. Returns a scalar.
   */
  static NDArray crossEntropy(NDArray logits, int[] labels, float[] weights) {
    int b = labels.length, k = (int) logits.getShape().get(1);
    float[] target = new float[b * k];
    float total = 0;
    for (int i = 0; i < b; i++) {
      target[i * k + labels[i]] = weights[i];
      total += weights[i];
    }
    NDManager m = logits.getManager();
    NDArray t = m.create(target, new Shape(b, k));
    return Layers.scale(logits.logSoftmax(1).mul(t).sum(), -1.0 / Math.max(total, 1e-6f));
  }

  /**
   * NT-Xent (SimCLR) of 2N unit embeddings where rows i and i + N are two views of one image:
   * cross-entropy of each row's cosine similarities / temperature, itself excluded, against its
   * partner.
   */
  static NDArray ntXent(NDArray z, float temperature) {
    int n2 = (int) z.getShape().get(0), n = n2 / 2;
    float[] self = new float[n2 * n2];
    float[] partner = new float[n2 * n2];
    for (int i = 0; i < n2; i++) {
      self[i * n2 + i] = 1e9f;
      partner[i * n2 + (i + n) % n2] = 1f;
    }
    NDManager m = z.getManager();
    NDArray sim = Layers.scale(z.matMul(z.transpose()), 1.0 / temperature).sub(m.create(self, new Shape(n2, n2)));
    return Layers.scale(sim.logSoftmax(1).mul(m.create(partner, new Shape(n2, n2))).sum(), -1.0 / n2);
  }

  /** Rows scaled to unit L2 norm. */
  static NDArray l2Normalize(NDArray x) {
    return x.div(x.square().sum(new int[] {1}, true).add(1e-12f).sqrt());
  }
}
