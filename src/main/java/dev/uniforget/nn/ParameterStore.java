package dev.uniforget.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.uniforget.io.Safetensors;
import dev.uniforget.io.SafetensorsFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * Named float32 tensors owned by one NDManager, in a stable order. Names follow the weight
 * file ({@code blocks.3.ffn.fc1.weight}); the store is what {@code model.safetensors} holds.
 */
public final class ParameterStore implements AutoCloseable {
  private final NDManager manager;
  private final Map<String, NDArray> arrays = new LinkedHashMap<>();

  public ParameterStore(NDManager parent) {
    this.manager = parent.newSubManager();
  }

  public NDManager manager() {
    return manager;
  }

  public NDArray get(String name) {
    NDArray a = arrays.get(name);
    if (a == null) throw new IllegalArgumentException("no parameter named '" + name + "'");
    return a;
  }

  public boolean contains(String name) {
    return arrays.containsKey(name);
  }

  /** Creates {@code name} with {@code shape}, filled by {@code init(shape, count)}. */
  public NDArray create(String name, Shape shape, BiFunction<Shape, Integer, float[]> init) {
    float[] data = init.apply(shape, (int) shape.size());
    return put(name, data, shape);
  }

  public NDArray put(String name, float[] data, Shape shape) {
    if (data.length != shape.size()) {
      throw new IllegalArgumentException(name + ": " + data.length + " values for shape " + shape);
    }
    NDArray a = manager.create(data, shape);
    NDArray old = arrays.put(name, a);
    if (old != null) old.close();
    return a;
  }

  /** Replaces the values of an existing parameter in place (same shape required). */
  public void set(String name, float[] data) {
    NDArray a = get(name);
    if (data.length != a.getShape().size()) {
      throw new IllegalArgumentException(name + ": " + data.length + " values for shape " + a.getShape());
    }
    a.set(data);
  }

  public Set<String> names() {
    return arrays.keySet();
  }

  public Collection<NDArray> arrays() {
    return arrays.values();
  }

  public long parameterCount() {
    long n = 0;
    for (NDArray a : arrays.values()) n += a.getShape().size();
    return n;
  }

  public void setRequiresGradient(boolean on) {
    for (NDArray a : arrays.values()) a.setRequiresGradient(on);
  }

  /**
   * The parameters whose names pass {@code keep}: the same arrays, not copies (to train a part of
   * a model with an optimiser that updates every parameter of its store). Closing the view
   * leaves the arrays alone; they belong to this store.
   */
  public ParameterStore view(java.util.function.Predicate<String> keep) {
    ParameterStore v = new ParameterStore(manager);
    for (Map.Entry<String, NDArray> e : arrays.entrySet()) if (keep.test(e.getKey())) v.arrays.put(e.getKey(), e.getValue());
    return v;
  }

  /** A deep copy in its own manager (for EMA, frozen teachers). */
  public ParameterStore copy(NDManager parent) {
    ParameterStore c = new ParameterStore(parent);
    for (Map.Entry<String, NDArray> e : arrays.entrySet()) {
      c.put(e.getKey(), e.getValue().toFloatArray(), e.getValue().getShape());
    }
    return c;
  }


  /** Writes every parameter as F32 to {@code file} (atomically). */
  public void save(Path file, Map<String, String> metadata) throws IOException {
    Map<String, Safetensors.Tensor> out = new LinkedHashMap<>();
    for (Map.Entry<String, NDArray> e : arrays.entrySet()) {
      out.put(e.getKey(), Safetensors.Tensor.f32(e.getValue().getShape().getShape(), e.getValue().toFloatArray()));
    }
    Safetensors.write(file, out, metadata);
  }

  /** The dtypes weights may have (read as float32). */
  public static final java.util.List<String> WEIGHT_DTYPES = java.util.List.of("F32", "F16", "BF16", "F64");

  /**
   * Reads every tensor of a safetensors file (F32/F16/BF16/F64 read as float32). An integer tensor
   * or a NaN or infinite value is an error naming the tensor (it would otherwise load and fail
   * much later, somewhere else).
   */
  public static ParameterStore load(Path file, NDManager parent) throws IOException {
    ParameterStore p = new ParameterStore(parent);
    try (SafetensorsFile f = Safetensors.open(file)) {
      for (String name : f.names()) {
        String dtype = f.info(name).dtype();
        if (!WEIGHT_DTYPES.contains(dtype)) {
          throw new IOException(file + ": tensor '" + name + "' has dtype " + dtype + "; weights must be floating point " + WEIGHT_DTYPES);
        }
        float[] v = f.readFloats(name);
        for (int i = 0; i < v.length; i++) {
          if (!Float.isFinite(v[i])) {
            throw new IOException(file + ": tensor '" + name + "' holds " + v[i] + " at element " + i + " (weights must be finite)");
          }
        }
        p.put(name, v, new Shape(f.info(name).shape()));
      }
    } catch (IOException | RuntimeException e) {
      p.close();
      throw e;
    }
    return p;
  }

  /** Sets every parameter of this store to the values of the same name in {@code file} (a checkpoint); a missing one is an error. */
  public void loadValues(Path file) throws IOException {
    try (NDManager tmp = manager.newSubManager(); ParameterStore src = load(file, tmp)) {
      for (String name : names()) {
        if (!src.contains(name)) throw new IOException(file + ": missing tensor '" + name + "'");
        if (src.get(name).getShape().size() != get(name).getShape().size()) {
          throw new IOException(file + ": tensor '" + name + "' has shape " + src.get(name).getShape() + ", expected " + get(name).getShape());
        }
        set(name, src.get(name).toFloatArray());
      }
    }
  }

  @Override
  public void close() {
    manager.close();
  }
}
