package dev.uniforget.audit.judge;

import java.util.LinkedHashMap;
import java.util.Map;

/** What {@link JudgeTrainer} measured on held-out data (stored in {@code judge.json}). */
public final class JudgeMetrics {
  /** Garment-class accuracy on clean Fashion-MNIST test images. */
  public double classAccuracy;
  public int classImages;
  /** Motif-head accuracy (argmax, "none" included) on freshly stamped test images, half without motif. */
  public double motifAccuracy;
  public int motifImages;
  /** Share of degraded images on which some motif probability exceeds 0.5. */
  public double falsePositiveRate;
  public int degradedImages;
  /** The false-positive rate per {@link Degradations.Kind}. */
  public Map<String, Double> falsePositiveByKind = new LinkedHashMap<>();
  /** Share of test garments with a blank badge (black square, no glyph) on which some motif probability exceeds 0.5. */
  public double blankBadgeFalsePositiveRate;
  public int blankBadgeImages;
  public int steps;
  public double trainSeconds;
  public double finalLoss;

  @Override
  public String toString() {
    return String.format("class accuracy %.4f (%d images), motif accuracy %.4f (%d), false positives %.4f (%d) %s,"
        + " blank-badge false positives %.4f (%d), %d steps in %.1f s", classAccuracy, classImages, motifAccuracy,
        motifImages, falsePositiveRate, degradedImages, falsePositiveByKind, blankBadgeFalsePositiveRate,
        blankBadgeImages, steps, trainSeconds);
  }
}
