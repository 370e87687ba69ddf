package dev.uniforget.model;

import java.util.ArrayList;
import java.util.List;

/** The registry of prunable unit groups of a model, in a fixed order. */
public final class PrunableUnits {
  private PrunableUnits() {}

  public static String ffn(int block) {
    return "blocks." + block + ".ffn";
  }

  public static String modulation(int block) {
    return "blocks." + block + ".mod";
  }

  public static String heads(int block) {
    return "blocks." + block + ".attn";
  }

  public static final String FINAL_MODULATION = "final.mod";

  /** All groups; attention heads only when {@code includeHeads}. */
  public static List<UnitGroup> groups(ModelConfig c, boolean includeHeads) {
    List<UnitGroup> out = new ArrayList<>();
    for (int i = 0; i < c.depth; i++) {
      out.add(new UnitGroup(ffn(i), UnitGroup.Kind.FFN, i, c.ffnWidths.get(i)));
      out.add(new UnitGroup(modulation(i), UnitGroup.Kind.MODULATION, i, c.blockModulationWidth()));
      if (includeHeads) out.add(new UnitGroup(heads(i), UnitGroup.Kind.ATTENTION_HEAD, i, c.numHeads));
    }
    out.add(new UnitGroup(FINAL_MODULATION, UnitGroup.Kind.MODULATION, -1, c.finalModulationWidth()));
    return out;
  }
}
