package dev.uniforget.model;

/** Floating-point operations (2 per multiply-add) of the matrix products, from a config. */
public final class Flops {
  private Flops() {}

  /** One velocity evaluation for one image (text encoding excluded). */
  public static long perVelocity(ModelConfig c) {
    long d = c.hiddenSize, np = c.numPatches(), l = c.maxTokens, t = np + l, p = c.patchDim();
    long f = 2 * np * p * d + 2 * (c.timeFreqDim * d + d * d);
    for (Stream s : c.streams()) {
      // A single block's path runs over all t tokens; a double block's stream over its own
      // tokens (projections, MLP), and the joint attention products are counted once per block
      // (with the image stream).
      long n = switch (s.kind()) {
        case SINGLE -> t;
        case DOUBLE_IMAGE -> np;
        case DOUBLE_TEXT -> l;
      };
      long w = s.ffnWidth();
      f += 2 * d * 6 * d + 2 * n * d * 3 * d + 2 * n * d * d + 2 * 2 * n * d * w;
      if (s.kind() != Stream.Kind.DOUBLE_TEXT) f += 2 * 2 * t * t * d;
    }
    return f + 2 * d * 2 * d + 2 * np * d * p;
  }

  /** Encoding one prompt (text encoder + projections). */
  public static long perPrompt(ModelConfig c) {
    long d = c.hiddenSize, l = c.maxTokens;
    long f = 2 * l * d * d + 2 * d * d;
    for (int i = 0; i < c.textLayers; i++) f += 2 * l * d * 3 * d + 4 * l * l * d + 2 * l * d * d + 4 * l * d * c.textFfnWidth;
    return f;
  }

  /** One sampled image: prompt encodings and every velocity evaluation (x2 with guidance). */
  public static long perImage(ModelConfig c, int steps, float guidance) {
    int passes = guidance == 1f ? 1 : 2;
    return passes * (perPrompt(c) + steps * perVelocity(c));
  }
}
