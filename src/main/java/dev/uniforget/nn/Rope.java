package dev.uniforget.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * 2-D rotary position embedding (as FLUX's, with two axes): the first half of every head
 * dimension is rotated by the token's row, the second half by its column, in adjacent pairs
 * (x_2k, x_2k+1) with frequencies theta^(-2k / (hd / 2)) per axis. The first {@code grid^2}
 * tokens of the sequence are the image patches in row-major order; the tokens after them (the
 * text) are not rotated (position 0 on both axes, like FLUX's zero text ids).
 */
public final class Rope {
  private final NDArray cos;
  private final NDArray sin;
  /** The tables' first t rows by t (a sequence without trailing padding, or the image tokens alone), made once each. */
  private final java.util.Map<Long, NDList> prefixes = new java.util.concurrent.ConcurrentHashMap<>();

  /** Tables for a sequence of {@code grid^2} image tokens followed by {@code extra} others. */
  public Rope(NDManager manager, int grid, int extra, int headDim, double theta) {
    if (headDim % 4 != 0) throw new IllegalArgumentException("rope needs a head dimension divisible by 4, found " + headDim);
    int tokens = grid * grid + extra, pairs = headDim / 2, perAxis = headDim / 4;
    float[] c = new float[tokens * pairs];
    float[] s = new float[tokens * pairs];
    for (int j = 0; j < tokens; j++) {
      boolean image = j < grid * grid;
      int row = image ? j / grid : 0, col = image ? j % grid : 0;
      for (int k = 0; k < pairs; k++) {
        int axisK = k < perAxis ? k : k - perAxis;
        double freq = Math.pow(theta, -2.0 * axisK / (headDim / 2.0));
        double angle = (k < perAxis ? row : col) * freq;
        c[j * pairs + k] = (float) Math.cos(angle);
        s[j * pairs + k] = (float) Math.sin(angle);
      }
    }
    cos = manager.create(c, new Shape(tokens, pairs));
    sin = manager.create(s, new Shape(tokens, pairs));
  }

  /**
   * Rotates q or k of shape (B, H, T, hd) at positions 0..T-1 of the sequence (T at most the
   * tables' length); the result belongs to {@code x}'s manager.
   */
  public NDArray apply(NDArray x) {
    Shape s = x.getShape();
    long b = s.get(0), h = s.get(1), t = s.get(2), hd = s.get(3);
    NDList pair = x.reshape(b, h, t, hd / 2, 2).split(2, 4);
    NDArray x0 = pair.get(0).squeeze(4), x1 = pair.get(1).squeeze(4);
    NDArray cos = this.cos, sin = this.sin;
    if (t != cos.getShape().get(0)) {
      NDList rows = prefixes.computeIfAbsent(t, n -> new NDList(this.cos.get(":" + n), this.sin.get(":" + n)));
      cos = rows.get(0);
      sin = rows.get(1);
    }
    NDArray r0 = x0.mul(cos).sub(x1.mul(sin));
    NDArray r1 = x0.mul(sin).add(x1.mul(cos));
    return r0.stack(r1, 4).reshape(b, h, t, hd);
  }
}
