package dev.uniforget.model;

/**
 * A group of prunable units with a stable name, e.g. {@code blocks.3.ffn} (the hidden units of
 * block 3's MLP), {@code blocks.3.mod} (its modulation output channels), {@code blocks.3.attn}
 * (its attention heads) or {@code final.mod}. Unit {@code i} of a group is addressed by
 * {@code name + "[" + i + "]"}.
 */
public record UnitGroup(String name, Kind kind, int block, int size) {
  public enum Kind {
    FFN,
    MODULATION,
    ATTENTION_HEAD
  }
}
