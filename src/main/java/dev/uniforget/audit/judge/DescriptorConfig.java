package dev.uniforget.audit.judge;

import java.util.LinkedHashMap;
import java.util.Map;

/** What {@code descriptor.json} holds: the architecture, training options and measured separation. */
@com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL) // absent, not null: the strict reader refuses nulls
public final class DescriptorConfig {
  public static final String FORMAT = "uniforget-copy-descriptor/1";

  public String format = FORMAT;
  public int imageSize = 28;
  public int channels = 1;
  /** Trunk width: the convolutions have width, 2 width and 4 width channels. */
  public int width = 32;
  /** Hidden feature dimension before the projection. */
  public int featureDim = 128;
  /** Dimension of the L2-normalised embedding. */
  public int embedDim = 128;
  /**
   * Whether the trunk ends with the judge's 3x3 stride-2 pooling. Without it the 7x7 map keeps
   * the fine detail that tells a copy from a near-duplicate photo (absent in files written before
   * the field existed, which had it: default true).
   */
  public boolean finalPool = true;
  /**
   * The descriptor never trains on one in {@code heldoutOneIn} distinct training images, chosen by
   * their content and {@code splitSeed} ({@link #heldOutFromTraining}): the audit measures copy
   * recall on those, images the descriptor never saw. 0 = no images held out (older files).
   */
  public int heldoutOneIn = 0;
  public long splitSeed = 0;
  /** Measured after training; null for an untrained descriptor. */
  public DescriptorMetrics metrics;
  /** The training options, informational. */
  public Map<String, Object> training = new LinkedHashMap<>();

  /** Throws IllegalArgumentException naming the first invalid field. */
  public void validate() {
    check(FORMAT.equals(format), "format", "\"" + FORMAT + "\"", format);
    check(imageSize >= 16 && imageSize % 4 == 0, "image_size", "a multiple of 4, >= 16", imageSize);
    check(channels == 1 || channels == 3, "channels", "1 or 3", channels);
    check(heldoutOneIn == 0 || heldoutOneIn >= 2, "heldout_one_in", "0 or >= 2", heldoutOneIn);
    check(width >= 1 && width <= 512, "width", "in 1..512", width);
    check(featureDim >= 1 && featureDim <= 4096, "feature_dim", "in 1..4096", featureDim);
    check(embedDim >= 2 && embedDim <= 4096, "embed_dim", "in 2..4096", embedDim);
  }

  /** Whether {@code image} is one of the training images the descriptor was kept from seeing. */
  public boolean heldOutFromTraining(float[] image) {
    return heldoutOneIn > 0 && Math.floorMod(dev.uniforget.nn.Seeds.mix(splitSeed, java.util.Arrays.hashCode(image)), heldoutOneIn) == 0;
  }

  private static void check(boolean ok, String field, String expected, Object found) {
    if (!ok) throw new IllegalArgumentException("field '" + field + "': expected " + expected + ", found " + found);
  }
}
