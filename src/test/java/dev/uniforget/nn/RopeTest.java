package dev.uniforget.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The defining properties of the 2-D rotary embedding, independent of any reference code. */
class RopeTest {
  static final int GRID = 4, EXTRA = 3, HD = 8, T = GRID * GRID + EXTRA;

  @Test
  void scoresDependOnlyOnTheRelativePositionAndTextTokensAreNotRotated() {
    try (NDManager m = NDManager.newBaseManager()) {
      Rope rope = new Rope(m, GRID, EXTRA, HD, 100.0);
      SplittableRandom rng = new SplittableRandom(1);
      float[] q = new float[HD], k = new float[HD];
      for (int i = 0; i < HD; i++) {
        q[i] = (float) rng.nextGaussian();
        k[i] = (float) rng.nextGaussian();
      }
      // The same q at every position and the same k at every position: (1, 1, T, HD).
      NDArray rq = rope.apply(m.create(tile(q), new Shape(1, 1, T, HD)));
      NDArray rk = rope.apply(m.create(tile(k), new Shape(1, 1, T, HD)));
      float[] scores = rq.matMul(rk.transpose(0, 1, 3, 2)).toFloatArray(); // (T, T)
      // (0,0)->(1,2) and (2,1)->(3,3): the same offset (+1 row, +2 columns), the same score.
      assertEquals(score(scores, at(0, 0), at(1, 2)), score(scores, at(2, 1), at(3, 3)), 1e-4);
      assertEquals(score(scores, at(1, 1), at(1, 1)), score(scores, at(3, 2), at(3, 2)), 1e-4);
      // Other offsets give other scores (the rotation is not the identity).
      assertTrue(Math.abs(score(scores, at(0, 0), at(1, 2)) - score(scores, at(0, 0), at(2, 1))) > 1e-3);
      // Rotation keeps each vector's length.
      float[] r = rq.toFloatArray();
      for (int j = 0; j < T; j++) {
        double n = 0, n0 = 0;
        for (int i = 0; i < HD; i++) {
          n += r[j * HD + i] * r[j * HD + i];
          n0 += q[i] * q[i];
        }
        assertEquals(n0, n, 1e-4);
      }
      // Patch (0,0) and the text tokens after the patches are unrotated.
      for (int j : new int[] {0, GRID * GRID, T - 1}) {
        for (int i = 0; i < HD; i++) assertEquals(q[i], r[j * HD + i], 1e-6);
      }
      assertThrows(IllegalArgumentException.class, () -> new Rope(m, GRID, EXTRA, 6, 100.0));
    }
  }

  private static int at(int row, int col) {
    return row * GRID + col;
  }

  private static double score(float[] s, int i, int j) {
    return s[i * T + j];
  }

  private static float[] tile(float[] v) {
    float[] out = new float[T * HD];
    for (int j = 0; j < T; j++) System.arraycopy(v, 0, out, j * HD, HD);
    return out;
  }
}
