package dev.uniforget.train;

/**
 * Training pairs in memory: images (C*H*W floats each, in [-1, 1]) and their token ids.
 * Duplicated pairs are simply listed several times.
 */
public record TrainingSet(float[] images, long[] tokens, int size, int imageNumel, int maxTokens) {
  public TrainingSet {
    if (size <= 0) throw new IllegalArgumentException("training set is empty");
    if (images.length != (long) size * imageNumel) {
      throw new IllegalArgumentException(images.length + " pixel values for " + size + " images of " + imageNumel);
    }
    if (tokens.length != (long) size * maxTokens) {
      throw new IllegalArgumentException(tokens.length + " token ids for " + size + " captions of " + maxTokens);
    }
  }
}
