package dev.uniforget.audit.judge;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code judge.json} holds: the architecture, the lab it was trained for (format and motifs
 * in head order; motif head index 0 is "none", index {@code i + 1} is {@code motifNames[i]}) and
 * the accuracies measured after training. Schema "uniforget-judge/1".
 */
public final class JudgeConfig {
  public static final String FORMAT = "uniforget-judge/1";

  public String format = FORMAT;
  public int imageSize = 28;
  public int channels = 1;
  /** Trunk width: the convolutions have width, 2 width and 4 width channels. */
  public int width = 32;
  /** Dimension of the penultimate features (the FID space). */
  public int featureDim = 128;
  public List<String> classes = new ArrayList<>();
  public List<String> motifNames = new ArrayList<>();
  public List<String> motifGlyphs = new ArrayList<>();
  public List<Integer> motifSizes = new ArrayList<>();
  /** The {@code format} of the lab manifest the judge was trained for. */
  public String labFormat;
  /** Measured after training; null for an untrained judge. */
  public JudgeMetrics metrics;
  /** The training options, informational. */
  public Map<String, Object> training = new LinkedHashMap<>();

  /** Throws IllegalArgumentException naming the first invalid field. */
  public void validate() {
    check(FORMAT.equals(format), "format", "\"" + FORMAT + "\"", format);
    check(imageSize >= 16 && imageSize % 4 == 0, "image_size", "a multiple of 4, >= 16", imageSize);
    check(channels == 1, "channels", "1", channels);
    check(width >= 1 && width <= 512, "width", "in 1..512", width);
    check(featureDim >= 1 && featureDim <= 4096, "feature_dim", "in 1..4096", featureDim);
    check(classes != null && !classes.isEmpty(), "classes", "a non-empty list", classes);
    check(motifNames != null, "motif_names", "a list", motifNames);
    check(motifGlyphs != null && motifGlyphs.size() == motifNames.size(), "motif_glyphs",
        motifNames.size() + " entries", motifGlyphs);
    check(motifSizes != null && motifSizes.size() == motifNames.size(), "motif_sizes",
        motifNames.size() + " entries", motifSizes);
  }

  private static void check(boolean ok, String field, String expected, Object found) {
    if (!ok) throw new IllegalArgumentException("field '" + field + "': expected " + expected + ", found " + found);
  }
}
