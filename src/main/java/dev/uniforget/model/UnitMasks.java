package dev.uniforget.model;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Multiplicative masks by unit-group name (see {@link PrunableUnits}). A group without a mask
 * runs unmasked at no cost; {@link #NONE} masks nothing.
 */
public final class UnitMasks {
  public static final UnitMasks NONE = new UnitMasks(Map.of());

  private final Map<String, NDArray> masks;

  public UnitMasks(Map<String, NDArray> masks) {
    this.masks = new LinkedHashMap<>(masks);
  }

  /** The mask of a group, or null when the group is not masked. */
  public NDArray get(String group) {
    return masks.get(group);
  }

  public Map<String, NDArray> asMap() {
    return java.util.Collections.unmodifiableMap(masks);
  }

  public boolean isEmpty() {
    return masks.isEmpty();
  }
}
