package dev.uniforget.model;

/** Floating-point operations (2 per multiply-add) of the matrix products, from a config. */
public final class Flops {
  private Flops() {}

  /** One velocity evaluation for one image (text encoding excluded). */
  public static long perVelocity(ModelConfig c) {
    long d = c.hiddenSize, np = c.numPatches(), t = np + c.maxTokens, p = c.patchDim();
    long f = 2 * np * p * d + 2 * (c.timeFreqDim * d + d * d);
    for (int i = 0; i < c.depth; i++) {
      long w = c.ffnWidths.get(i);
      f += 2 * d * 6 * d + 2 * t * d * 3 * d + 2 * 2 * t * t * d + 2 * t * d * d + 2 * 2 * t * d * w;
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
