package dev.uniforget.forget;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import dev.uniforget.model.ModelConfig;
import dev.uniforget.model.PrunableUnits;
import dev.uniforget.model.UnitGroup;
import dev.uniforget.model.UnitMasks;
import dev.uniforget.nn.Layers;
import dev.uniforget.nn.ParameterStore;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** One learnable logit per prunable unit, grouped like {@link PrunableUnits}; the only trained tensors. */
public final class MaskLogits implements AutoCloseable {
  private final List<UnitGroup> groups;
  private final ParameterStore logits;
  private final HardConcrete relaxation;

  public MaskLogits(ModelConfig config, boolean includeHeads, HardConcrete relaxation, NDManager parent) {
    this.groups = PrunableUnits.groups(config, includeHeads).stream().filter(g -> g.size() > 0).toList();
    this.relaxation = relaxation;
    this.logits = new ParameterStore(parent);
    for (UnitGroup g : groups) {
      float[] init = new float[g.size()];
      java.util.Arrays.fill(init, (float) relaxation.initialLogit());
      logits.put(g.name(), init, new Shape(g.size()));
    }
  }

  public List<UnitGroup> groups() {
    return groups;
  }

  public ParameterStore store() {
    return logits;
  }

  public HardConcrete relaxation() {
    return relaxation;
  }

  public int unitCount() {
    int n = 0;
    for (UnitGroup g : groups) n += g.size();
    return n;
  }

  /** Logistic noise for one training sample of every mask (kept fixed through a whole trajectory). */
  public Map<String, float[]> drawNoise(SplittableRandom rng) {
    Map<String, float[]> out = new LinkedHashMap<>();
    for (UnitGroup g : groups) {
      float[] n = new float[g.size()];
      for (int i = 0; i < n.length; i++) {
        double u = Math.min(1 - 1e-6, Math.max(1e-6, rng.nextDouble()));
        n[i] = (float) HardConcrete.logisticNoise(u);
      }
      out.put(g.name(), n);
    }
    return out;
  }

  /** Training masks for the given noise, built in {@code m} (differentiable w.r.t. the logits). */
  public UnitMasks sampled(NDManager m, Map<String, float[]> noise) {
    Map<String, NDArray> masks = new LinkedHashMap<>();
    for (UnitGroup g : groups) {
      masks.put(g.name(), relaxation.sample(m.create(noise.get(g.name()), new Shape(g.size())), logits.get(g.name())));
    }
    return new UnitMasks(masks);
  }

  /** Deterministic masks, built in {@code m}. */
  public UnitMasks deterministic(NDManager m) {
    Map<String, NDArray> masks = new LinkedHashMap<>();
    NDArray zero = m.create(0f);
    for (UnitGroup g : groups) masks.put(g.name(), relaxation.deterministic(zero, logits.get(g.name())));
    return new UnitMasks(masks);
  }

  /** The sparsity term R = mean over all units of sigmoid(0.4 l + 1), built in {@code m}. */
  public NDArray sparsity(NDManager m) {
    NDList parts = new NDList();
    NDArray zero = m.create(0f);
    for (UnitGroup g : groups) parts.add(zero.add(logits.get(g.name())));
    return Activation.sigmoid(Layers.scale(NDArrays.concat(parts), 0.4).add(1f)).mean();
  }

  /** Deterministic mask values per group, in Java. */
  public Map<String, float[]> deterministicValues() {
    Map<String, float[]> out = new LinkedHashMap<>();
    for (UnitGroup g : groups) {
      float[] l = logits.get(g.name()).toFloatArray();
      float[] v = new float[l.length];
      for (int i = 0; i < l.length; i++) v[i] = (float) relaxation.deterministic(l[i]);
      out.put(g.name(), v);
    }
    return out;
  }

  @Override
  public void close() {
    logits.close();
  }
}
