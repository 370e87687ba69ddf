package dev.uniforget.audit;

/**
 * Structural similarity (Wang et al. 2004) of two images in [0, 1] (RGB: mean over planes), with a 7x7
 * Gaussian window (sigma 1.5) over the valid region, C1 = 0.01^2, C2 = 0.03^2.
 */
public final class Ssim {
  private static final int WIN = 7;
  private static final double[] KERNEL = kernel();
  private static final double C1 = 1e-4, C2 = 9e-4;

  private Ssim() {}

  private static double[] kernel() {
    double[] k = new double[WIN * WIN];
    double sum = 0, c = (WIN - 1) / 2.0;
    for (int y = 0; y < WIN; y++) {
      for (int x = 0; x < WIN; x++) {
        k[y * WIN + x] = Math.exp(-((x - c) * (x - c) + (y - c) * (y - c)) / (2 * 1.5 * 1.5));
        sum += k[y * WIN + x];
      }
    }
    for (int i = 0; i < k.length; i++) k[i] /= sum;
    return k;
  }

  /** SSIM of two gray images, or the mean over planes of two planar RGB images. */
  public static double of(float[] a, float[] b, int size) {
    int n = size * size;
    if (a.length == b.length && a.length == 3 * n) {
      double s = 0;
      for (int c = 0; c < 3; c++) {
        s += of(java.util.Arrays.copyOfRange(a, c * n, (c + 1) * n), java.util.Arrays.copyOfRange(b, c * n, (c + 1) * n), size);
      }
      return s / 3;
    }
    if (a.length != n || b.length != n) {
      throw new IllegalArgumentException("SSIM needs two " + size + "x" + size + " images (gray, or both planar RGB)");
    }
    if (size < WIN) throw new IllegalArgumentException("SSIM needs images of at least " + WIN + " pixels a side");
    double total = 0;
    int count = 0;
    for (int y0 = 0; y0 + WIN <= size; y0++) {
      for (int x0 = 0; x0 + WIN <= size; x0++) {
        double ma = 0, mb = 0, saa = 0, sbb = 0, sab = 0;
        for (int y = 0; y < WIN; y++) {
          for (int x = 0; x < WIN; x++) {
            double w = KERNEL[y * WIN + x];
            double va = a[(y0 + y) * size + x0 + x], vb = b[(y0 + y) * size + x0 + x];
            ma += w * va;
            mb += w * vb;
            saa += w * va * va;
            sbb += w * vb * vb;
            sab += w * va * vb;
          }
        }
        double va = saa - ma * ma, vb = sbb - mb * mb, cov = sab - ma * mb;
        total += ((2 * ma * mb + C1) * (2 * cov + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
        count++;
      }
    }
    return total / count;
  }
}
