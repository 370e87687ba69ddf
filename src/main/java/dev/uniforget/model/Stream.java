package dev.uniforget.model;

/**
 * One adaLN-modulated attention + MLP path with its own weights: a single-stream block
 * ({@code blocks.3}), or the image or text stream of a double-stream block ({@code double.1.img},
 * {@code double.1.txt}). Every weight name and every prunable-unit group name of the path is
 * spelled here, once: the modulation linear layer and its output channels are {@code prefix.mod},
 * the attention is {@code prefix.attn} (qkv and proj; its heads are the group
 * {@code prefix.attn}), the MLP is {@code prefix.ffn} (fc1 and fc2; its hidden units are the
 * group {@code prefix.ffn}).
 */
public record Stream(Kind kind, int block, String prefix, int ffnWidth) {
  /** Where the path sits. */
  public enum Kind {
    /** A single-stream block over the joint [image; text] sequence. */
    SINGLE,
    /** The image stream of a double-stream block. */
    DOUBLE_IMAGE,
    /** The text stream of a double-stream block. */
    DOUBLE_TEXT
  }

  public static final String SINGLE_PREFIX = "blocks.";
  public static final String DOUBLE_PREFIX = "double.";

  static Stream single(int block, int ffnWidth) {
    return new Stream(Kind.SINGLE, block, SINGLE_PREFIX + block, ffnWidth);
  }

  static Stream doubleImage(int block, int ffnWidth) {
    return new Stream(Kind.DOUBLE_IMAGE, block, DOUBLE_PREFIX + block + ".img", ffnWidth);
  }

  static Stream doubleText(int block, int ffnWidth) {
    return new Stream(Kind.DOUBLE_TEXT, block, DOUBLE_PREFIX + block + ".txt", ffnWidth);
  }

  /** The modulation linear layer (weight prefix) and its output channels (unit group). */
  public String mod() {
    return prefix + ".mod";
  }

  /** The attention (weight prefix of qkv and proj) and its heads (unit group). */
  public String attn() {
    return prefix + ".attn";
  }

  /**
   * The output channels of the value projection on the text tokens (a unit group NeMo masks;
   * not among UniForget's groups): in a single block the value channels at the text positions of
   * the joint sequence, in a double block's text stream its value channels. None in an image stream.
   */
  public String textValue() {
    if (kind == Kind.DOUBLE_IMAGE) throw new IllegalStateException(prefix + " is an image stream: it has no text values");
    return prefix + ".attn.text_value";
  }

  /** The MLP (weight prefix of fc1 and fc2) and its hidden units (unit group). */
  public String ffn() {
    return prefix + ".ffn";
  }

  /** The stream name without the block index, as a report groups it: single, img or txt. */
  public String streamName() {
    return switch (kind) {
      case SINGLE -> "single";
      case DOUBLE_IMAGE -> "img";
      case DOUBLE_TEXT -> "txt";
    };
  }
}
