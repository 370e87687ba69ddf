package dev.uniforget.audit.judge;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a classifier directory's {@code classifier.json} holds: the architecture, its role and
 * labels, what it was trained on and what it measured on held-out images. Two roles: the
 * {@code quality} network (softmax over the lab's classes, trained on clean images only; its
 * penultimate features are the FID/KID space and its class probabilities the alignment), and the
 * {@code concepts} detector (an independent sigmoid per protected concept, trained with degraded
 * and artefact negatives). Schema "uniforget-classifier/1".
 */
@com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL) // absent, not null: the strict reader refuses nulls
public final class ClassifierConfig {
  public static final String FORMAT = "uniforget-classifier/1";
  public static final String QUALITY = "quality";
  public static final String CONCEPTS = "concepts";

  public String format = FORMAT;
  public String role;
  public int imageSize = 28;
  public int channels = 1;
  /** Trunk width: the convolutions have width, 2 width and 4 width channels. */
  public int width = 32;
  /** Dimension of the penultimate features (the FID space of the quality network). */
  public int featureDim = 128;
  /** Class names (quality) or concept names (concepts), in head order. */
  public List<String> labels = new ArrayList<>();
  /** Measured on held-out images after training. */
  public Map<String, Object> metrics = new LinkedHashMap<>();
  /** The training options and data, informational. */
  public Map<String, Object> training = new LinkedHashMap<>();

  /** Sigmoid per label (concepts) instead of a softmax over labels (quality). */
  public boolean multiLabel() {
    return CONCEPTS.equals(role);
  }

  /** Throws IllegalArgumentException naming the first invalid field. */
  public void validate() {
    check(FORMAT.equals(format), "format", "\"" + FORMAT + "\"", format);
    check(QUALITY.equals(role) || CONCEPTS.equals(role), "role", "\"quality\" or \"concepts\"", role);
    check(imageSize >= 16 && imageSize % 4 == 0 && imageSize <= 1024, "image_size", "a multiple of 4 in 16..1024", imageSize);
    check(channels == 1 || channels == 3, "channels", "1 or 3", channels);
    check(width >= 1 && width <= 512, "width", "in 1..512", width);
    check(featureDim >= 1 && featureDim <= 4096, "feature_dim", "in 1..4096", featureDim);
    check(labels != null && !labels.isEmpty() && labels.stream().allMatch(l -> l != null && !l.isBlank())
        && labels.stream().distinct().count() == labels.size(), "labels", "a non-empty list of distinct names", labels);
    check(QUALITY.equals(role) ? labels.size() >= 2 : true, "labels", "at least 2 classes for the quality network", labels);
    if (metrics == null) metrics = new LinkedHashMap<>();
    if (training == null) training = new LinkedHashMap<>();
  }

  private static void check(boolean ok, String field, String expected, Object found) {
    if (!ok) throw new IllegalArgumentException("field '" + field + "': expected " + expected + ", found " + found);
  }
}
