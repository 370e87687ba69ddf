package dev.uniforget.audit.judge;

/**
 * What {@link DescriptorTrainer} measured on a fixed subset of the training images it was kept
 * from seeing (all training images for a descriptor without a held-out share), each against a
 * fresh augmented view ({@link Degradations#augmentView}).
 */
public final class DescriptorMetrics {
  /** Images in the evaluation subset. */
  public int images;
  /** Mean cosine of an image and its augmented copy. */
  public double meanCopyCosine;
  /** Mean cosine of an image and the augmented copy of another image. */
  public double meanOtherCosine;
  /** Share of augmented copies whose most similar original in the subset is their own. */
  public double copyRetrieval;
  public int steps;
  public double trainSeconds;
  public double finalLoss;

  @Override
  public String toString() {
    return String.format("copy cosine %.3f, other cosine %.3f, retrieval@1 %.3f (%d images), %d steps in %.1f s",
        meanCopyCosine, meanOtherCosine, copyRetrieval, images, steps, trainSeconds);
  }
}
