package dev.uniforget.lab;

import java.util.List;

/** Procedural motifs: a black square badge with a white glyph, high contrast on any garment. */
public final class Glyphs {
  public static final List<String> NAMES = List.of("ring", "cross", "triangle", "diamond");

  private Glyphs() {}

  /** The badge of {@code glyph} as size x size pixels in [0, 1] (0 = black, 1 = white). */
  public static float[] badge(String glyph, int size) {
    float[] out = new float[size * size];
    double c = (size - 1) / 2.0, margin = size / 8.0;
    for (int y = 0; y < size; y++) {
      for (int x = 0; x < size; x++) {
        double dx = x - c, dy = y - c;
        boolean on =
            switch (glyph) {
              case "ring" -> {
                double r = Math.hypot(dx, dy);
                yield r <= c - margin + 0.5 && r >= (c - margin) * 0.5;
              }
              case "cross" -> {
                double w = size / 10.0 + 0.5;
                yield Math.abs(dx) <= c - margin + 0.5 && Math.abs(dy) <= c - margin + 0.5
                    && (Math.abs(dx - dy) <= w || Math.abs(dx + dy) <= w);
              }
              case "triangle" -> {
                double top = margin, bottom = size - 1 - margin;
                double frac = (y - top) / (bottom - top);
                yield y >= top && y <= bottom && Math.abs(dx) <= frac * (c - margin) + 0.5;
              }
              case "diamond" -> Math.abs(dx) + Math.abs(dy) <= c - margin + 0.5;
              default -> throw new IllegalArgumentException("unknown glyph '" + glyph + "', expected one of " + NAMES);
            };
        out[y * size + x] = on ? 1f : 0f;
      }
    }
    return out;
  }

  /** Overwrites the square at (row, col) of a gray image (imageSize^2, [0, 1]) with a badge. */
  public static void stamp(float[] image, int imageSize, float[] badge, int size, int row, int col) {
    stamp(image, imageSize, 1, badge, size, row, col);
  }

  /** The same on every plane of a planar image of {@code channels} planes (gray badge on colour). */
  public static void stamp(float[] image, int imageSize, int channels, float[] badge, int size, int row, int col) {
    int plane = imageSize * imageSize;
    for (int c = 0; c < channels; c++) {
      for (int y = 0; y < size; y++) {
        System.arraycopy(badge, y * size, image, c * plane + (row + y) * imageSize + col, size);
      }
    }
  }
}
