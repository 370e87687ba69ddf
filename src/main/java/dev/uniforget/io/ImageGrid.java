package dev.uniforget.io;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/** The one image-grid writer: rows of gray or planar RGB images in [0, 1], upscaled, 2 px gaps. */
public final class ImageGrid {
  private ImageGrid() {}

  /**
   * Writes {@code rows} (each a list of size x size images) as one PNG, atomically. Row and
   * column counts may differ per row; the canvas fits the longest row.
   */
  public static void write(Path png, List<List<float[]>> rows, int size, int scale) throws IOException {
    BufferedImage img = render(rows, size, scale);
    AtomicFiles.writeAtomically(png, tmp -> {
      if (!ImageIO.write(img, "png", tmp.toFile())) throw new IOException("no PNG writer available");
    });
  }

  /** The grid as PNG bytes (for self-contained HTML reports). */
  public static byte[] pngBytes(List<List<float[]>> rows, int size, int scale) throws IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    if (!ImageIO.write(render(rows, size, scale), "png", out)) throw new IOException("no PNG writer available");
    return out.toByteArray();
  }

  private static BufferedImage render(List<List<float[]>> rows, int size, int scale) {
    int gap = 2, cols = 0, n = size * size;
    boolean rgb = false;
    for (List<float[]> r : rows) {
      cols = Math.max(cols, r.size());
      for (float[] px : r) rgb |= px.length == 3 * n;
    }
    if (rows.isEmpty() || cols == 0) throw new IllegalArgumentException("an image grid needs at least one image");
    int cell = size * scale + gap, bands = rgb ? 3 : 1;
    BufferedImage img = new BufferedImage(cols * cell + gap, rows.size() * cell + gap,
        rgb ? BufferedImage.TYPE_3BYTE_BGR : BufferedImage.TYPE_BYTE_GRAY);
    var raster = img.getRaster();
    for (int b = 0; b < bands; b++) {
      for (int y = 0; y < img.getHeight(); y++) for (int x = 0; x < img.getWidth(); x++) raster.setSample(x, y, b, 96);
    }
    for (int r = 0; r < rows.size(); r++) {
      for (int c = 0; c < rows.get(r).size(); c++) {
        float[] px = rows.get(r).get(c);
        if (px.length != n && px.length != 3 * n) {
          throw new IllegalArgumentException("image " + r + "," + c + " has " + px.length + " values, expected " + n
              + " (gray) or " + 3 * n + " (RGB)");
        }
        int planes = px.length / n;
        for (int b = 0; b < bands; b++) {
          int plane = planes == 1 ? 0 : b; // a gray image on an RGB canvas is gray in every band
          for (int y = 0; y < size * scale; y++) {
            for (int x = 0; x < size * scale; x++) {
              float v = px[plane * n + (y / scale) * size + x / scale];
              raster.setSample(gap + c * cell + x, gap + r * cell + y, b, Math.round(Math.max(0, Math.min(1, v)) * 255));
            }
          }
        }
      }
    }
    return img;
  }

  /** Maps model output in [-1, 1] to pixel values in [0, 1] (clamped). */
  public static float[] toUnit(float[] x) {
    float[] out = new float[x.length];
    for (int i = 0; i < x.length; i++) out[i] = Math.max(0f, Math.min(1f, (x[i] + 1f) / 2f));
    return out;
  }
}
