package dev.uniforget.audit.judge;

import dev.uniforget.data.FashionMnist;
import dev.uniforget.lab.Glyphs;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Examples for the judge, synthesised from labelled garment images and the lab's motifs. Motif
 * label 0 is "none", {@code i + 1} is motif {@code i}. Badges are stamped at uniformly random
 * positions (every position, not only the lab's patch-aligned ones).
 *
 * <p>Training mixture: 30% clean garments (none); 35% stamped garments (the motif), of which a
 * third get a MILD degradation ({@link Degradations#mild}) and stay positives, so that the head
 * still recognises a slightly imperfect generated badge; 5% garments with a BLANK badge (a black
 * square of a motif's size without glyph, sometimes with a few white specks; none), so that a
 * black patch alone does not count as a motif; 20% garments with a random, possibly heavy
 * degradation (none; class loss at half weight); 10% pure artefact images (none; no class
 * loss). Heavily degraded stamped images are not used: whether a badge under heavy artefacts is
 * still "the motif" is ill-defined, and as negatives they would teach the head to miss noisy
 * badges.
 */
final class JudgeData {
  /** One example. */
  record Example(float[] pixels, int classLabel, float classWeight, int motifLabel) {}

  private final FashionMnist.LabeledImages images;
  private final int size;
  private final List<float[]> badges = new ArrayList<>();
  private final List<Integer> badgeSizes = new ArrayList<>();

  JudgeData(FashionMnist.LabeledImages images, List<String> glyphs, List<Integer> sizes) {
    if (images.rows() != images.cols()) {
      throw new IllegalArgumentException("square images expected, got " + images.rows() + "x" + images.cols());
    }
    this.images = images;
    this.size = images.rows();
    for (int i = 0; i < glyphs.size(); i++) {
      int s = sizes.get(i);
      if (s < 1 || s > size) throw new IllegalArgumentException("motif size " + s + " does not fit " + size + "x" + size);
      badges.add(Glyphs.badge(glyphs.get(i), s));
      badgeSizes.add(s);
    }
  }

  int motifCount() {
    return badges.size();
  }

  /** A random training example. */
  Example training(SplittableRandom rng) {
    int idx = rng.nextInt(images.size());
    float[] px = images.imageAsFloat(idx);
    int y = images.label(idx);
    double u = rng.nextDouble();
    if (u < 0.30 || (u < 0.65 && badges.isEmpty())) return new Example(px, y, 1f, 0);
    if (u < 0.65) {
      int m = rng.nextInt(badges.size());
      float[] s = stamped(px, m, rng);
      if (rng.nextInt(3) == 0) s = Degradations.mild(s, size, rng);
      return new Example(s, y, 1f, m + 1);
    }
    if (u < 0.70 && !badges.isEmpty()) return new Example(blankBadge(px, rng), y, 1f, 0);
    if (u < 0.90) return new Example(Degradations.randomDegradation(px, size, rng), y, 0.5f, 0);
    Degradations.Kind[] kinds = Degradations.Kind.values();
    return new Example(Degradations.artefactImage(kinds[rng.nextInt(kinds.length)], size, rng), 0, 0f, 0);
  }

  /** Image {@code idx} with motif {@code m} stamped at a random position. */
  float[] stamped(int idx, int m, SplittableRandom rng) {
    return stamped(images.imageAsFloat(idx), m, rng);
  }

  /** {@code px} with a black square of a random motif's size, sometimes with white specks. */
  float[] blankBadge(float[] px, SplittableRandom rng) {
    int s = badgeSizes.get(rng.nextInt(badgeSizes.size()));
    float[] blank = new float[s * s];
    if (rng.nextBoolean()) blank = Degradations.speckle(blank, 0.15f * (float) rng.nextDouble(), rng);
    float[] out = px.clone();
    Glyphs.stamp(out, size, blank, s, rng.nextInt(size - s + 1), rng.nextInt(size - s + 1));
    return out;
  }

  private float[] stamped(float[] px, int m, SplittableRandom rng) {
    int s = badgeSizes.get(m);
    float[] out = px.clone();
    Glyphs.stamp(out, size, badges.get(m), s, rng.nextInt(size - s + 1), rng.nextInt(size - s + 1));
    return out;
  }
}
