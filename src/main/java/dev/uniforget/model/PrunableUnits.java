package dev.uniforget.model;

import java.util.ArrayList;
import java.util.List;

/**
 * The registry of prunable unit groups of a model, in a fixed order: per {@link Stream} (the
 * image and text streams of every double block, then every single block) its MLP hidden units,
 * its modulation output channels and, optionally, its attention heads; then the final
 * modulation. Group names are the streams' ({@code blocks.3.ffn}, {@code double.1.txt.mod}).
 */
public final class PrunableUnits {
  private PrunableUnits() {}

  /** The MLP hidden units of single-stream block {@code block}. */
  public static String ffn(int block) {
    return Stream.single(block, 0).ffn();
  }

  /** The modulation channels of single-stream block {@code block}. */
  public static String modulation(int block) {
    return Stream.single(block, 0).mod();
  }

  /** The attention heads of single-stream block {@code block}. */
  public static String heads(int block) {
    return Stream.single(block, 0).attn();
  }

  public static final String FINAL_MODULATION = "final.mod";

  /** All groups; attention heads only when {@code includeHeads}. */
  public static List<UnitGroup> groups(ModelConfig c, boolean includeHeads) {
    List<UnitGroup> out = new ArrayList<>();
    for (Stream s : c.streams()) {
      out.add(new UnitGroup(s.ffn(), UnitGroup.Kind.FFN, s, s.ffnWidth()));
      out.add(new UnitGroup(s.mod(), UnitGroup.Kind.MODULATION, s, c.blockModulationWidth()));
      if (includeHeads) out.add(new UnitGroup(s.attn(), UnitGroup.Kind.ATTENTION_HEAD, s, c.numHeads));
    }
    out.add(new UnitGroup(FINAL_MODULATION, UnitGroup.Kind.MODULATION, null, c.finalModulationWidth()));
    return out;
  }
}
