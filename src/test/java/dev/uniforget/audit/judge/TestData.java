package dev.uniforget.audit.judge;

import dev.uniforget.data.FashionMnist;
import dev.uniforget.lab.LabManifest;
import java.util.SplittableRandom;

/** Synthetic stand-ins for Fashion-MNIST and a lab manifest, so the tests need no data set. */
final class TestData {
  private TestData() {}

  /**
   * {@code n} 28x28 "garments" of 10 classes: class k is a bright rectangle of width
   * 6 + 4 (k mod 5) and height 8 or 20, jittered by up to 3 px, of random intensity, with texture.
   */
  static FashionMnist.LabeledImages garments(int n, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    byte[] px = new byte[n * 784];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      int k = rng.nextInt(10);
      labels[i] = k;
      int w = 6 + 4 * (k % 5), h = k < 5 ? 8 : 20;
      int cy = 14 + rng.nextInt(7) - 3, cx = 14 + rng.nextInt(7) - 3;
      double level = 0.4 + 0.6 * rng.nextDouble();
      for (int y = Math.max(0, cy - h / 2); y < Math.min(28, cy + h / 2); y++) {
        for (int x = Math.max(0, cx - w / 2); x < Math.min(28, cx + w / 2); x++) {
          double v = level * (0.8 + 0.2 * rng.nextDouble());
          px[i * 784 + y * 28 + x] = (byte) Math.round(255 * v);
        }
      }
    }
    return new FashionMnist.LabeledImages(28, 28, px, labels);
  }

  /** A lab manifest with the given motif names (glyphs in {@code Glyphs.NAMES} order, 12 px). */
  static LabManifest lab(String... motifNames) {
    LabManifest m = new LabManifest();
    m.imageSize = 28;
    m.channels = 1;
    m.classes = new java.util.ArrayList<>(FashionMnist.CLASS_NAMES);
    String[] glyphs = {"ring", "cross", "triangle", "diamond"};
    for (int i = 0; i < motifNames.length; i++) {
      LabManifest.Motif motif = new LabManifest.Motif();
      motif.name = motifNames[i];
      motif.glyph = glyphs[i];
      motif.size = 12;
      m.motifs.add(motif);
    }
    return m;
  }

  /** A random image in [0, 1]. */
  static float[] randomImage(int size, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] out = new float[size * size];
    for (int i = 0; i < out.length; i++) out[i] = (float) rng.nextDouble();
    return out;
  }
}
