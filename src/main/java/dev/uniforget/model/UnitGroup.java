package dev.uniforget.model;

/**
 * A group of prunable units with a stable name, e.g. {@code blocks.3.ffn} (the hidden units of
 * single block 3's MLP), {@code double.1.img.mod} (the modulation output channels of double
 * block 1's image stream), {@code blocks.3.attn} (attention heads) or {@code final.mod}. Unit
 * {@code i} of a group is addressed by {@code name + "[" + i + "]"}. {@code stream} is the path
 * the group belongs to, null for the final layer.
 */
public record UnitGroup(String name, Kind kind, Stream stream, int size) {
  public enum Kind {
    FFN,
    MODULATION,
    ATTENTION_HEAD
  }
}
