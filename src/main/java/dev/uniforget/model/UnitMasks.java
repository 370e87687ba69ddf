package dev.uniforget.model;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Multiplicative masks by unit-group name (see {@link PrunableUnits}), and optionally a probe
 * that sees the units' activations. A group without a mask runs unmasked at no cost;
 * {@link #NONE} masks nothing and probes nothing.
 */
public final class UnitMasks {
  public static final UnitMasks NONE = new UnitMasks(Map.of());

  /**
   * Sees the activations of a unit group as the model computes them (after its mask): for an
   * {@link UnitGroup.Kind#FFN} group, the MLP hidden units (B, T, width) that feed {@code fc2}.
   * Must not keep or modify the array beyond the call.
   */
  public interface Probe {
    void onUnits(String group, NDArray activations);
  }

  private final Map<String, NDArray> masks;
  private final Probe probe;

  public UnitMasks(Map<String, NDArray> masks) {
    this(masks, null);
  }

  public UnitMasks(Map<String, NDArray> masks, Probe probe) {
    this.masks = new LinkedHashMap<>(masks);
    this.probe = probe;
  }

  /** Only a probe: nothing masked. */
  public static UnitMasks probing(Probe probe) {
    return new UnitMasks(Map.of(), probe);
  }

  /** The mask of a group, or null when the group is not masked. */
  public NDArray get(String group) {
    return masks.get(group);
  }

  /** The probe, or null. */
  public Probe probe() {
    return probe;
  }

  public Map<String, NDArray> asMap() {
    return java.util.Collections.unmodifiableMap(masks);
  }

  public boolean isEmpty() {
    return masks.isEmpty() && probe == null;
  }
}
