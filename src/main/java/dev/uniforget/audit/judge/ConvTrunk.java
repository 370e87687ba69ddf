package dev.uniforget.audit.judge;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.pooling.Pool;
import dev.uniforget.io.AtomicFiles;
import dev.uniforget.io.Dirs;
import dev.uniforget.io.Jsons;
import dev.uniforget.nn.Layers;
import dev.uniforget.nn.ParameterStore;
import dev.uniforget.nn.Seeds;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * The convolutional trunk shared by the judge and the copy descriptor, as functions of named
 * parameters (like {@link Layers}): three 3x3 convolutions of {@code w}, {@code 2w}, {@code 4w}
 * channels with ReLU, 2x2 max pooling after the first two, optionally a 3x3 stride-2 max pooling
 * after the third (the judge has it; the copy descriptor keeps the finer 7x7 map), then a linear
 * layer with ReLU to {@code featureDim}. The image is always the first
 * operand, so every result belongs to the caller's manager.
 */
final class ConvTrunk {
  private ConvTrunk() {}

  /** Side of the map after the trunk's poolings. */
  static int pooledSide(int imageSize, boolean finalPool) {
    int s = imageSize / 2 / 2;
    return finalPool ? (s - 3) / 2 + 1 : s;
  }

  /** Parameter names and shapes of the trunk, in creation order. */
  static Map<String, Shape> shapes(int imageSize, int channels, int width, int featureDim, boolean finalPool) {
    Map<String, Shape> m = new LinkedHashMap<>();
    int[] ch = {channels, width, 2 * width, 4 * width};
    for (int i = 1; i <= 3; i++) {
      m.put("conv" + i + ".weight", new Shape(ch[i], ch[i - 1], 3, 3));
      m.put("conv" + i + ".bias", new Shape(ch[i]));
    }
    int side = pooledSide(imageSize, finalPool);
    m.put("fc.weight", new Shape(featureDim, 4L * width * side * side));
    m.put("fc.bias", new Shape(featureDim));
    return m;
  }

  /** Zero biases; normal weights of variance 2 / fan-in before a ReLU (trunk), 1 / fan-in otherwise (heads). */
  static void initialize(ParameterStore p, Map<String, Shape> shapes, SplittableRandom rng) {
    for (Map.Entry<String, Shape> e : shapes.entrySet()) {
      Shape s = e.getValue();
      float[] data = new float[(int) s.size()];
      if (e.getKey().endsWith(".weight")) {
        long fanIn = s.size() / s.get(0);
        boolean relu = e.getKey().startsWith("conv") || e.getKey().startsWith("fc.");
        double std = Math.sqrt((relu ? 2.0 : 1.0) / fanIn);
        Seeds.fillGaussian(rng, data, 0, data.length);
        for (int i = 0; i < data.length; i++) data[i] *= (float) std;
      }
      p.put(e.getKey(), data, s);
    }
  }

  /** (B, C, S, S) or (B, C*S*S) images in [0, 1] to (B, featureDim) ReLU features. */
  static NDArray features(NDArray images, ParameterStore p, int imageSize, int channels, boolean finalPool) {
    long b = images.getShape().get(0);
    if (images.getShape().size() != b * channels * imageSize * imageSize) {
      throw new IllegalArgumentException("expected " + channels + "x" + imageSize + "x" + imageSize + " images, got shape " + images.getShape());
    }
    NDArray x = images.reshape(b, channels, imageSize, imageSize);
    x = pool(conv(x, p, "conv1"), 2, 2);
    x = pool(conv(x, p, "conv2"), 2, 2);
    x = conv(x, p, "conv3");
    if (finalPool) x = pool(x, 3, 2);
    return Activation.relu(Layers.linear(x.reshape(b, -1), p, "fc"));
  }

  private static NDArray conv(NDArray x, ParameterStore p, String prefix) {
    NDArray y = Conv2d.conv2d(x, p.get(prefix + ".weight"), p.get(prefix + ".bias"),
        new Shape(1, 1), new Shape(1, 1), new Shape(1, 1), 1).singletonOrThrow();
    return Activation.relu(y);
  }

  private static NDArray pool(NDArray x, int kernel, int stride) {
    return Pool.maxPool2d(x, new Shape(kernel, kernel), new Shape(stride, stride), new Shape(0, 0), false);
  }

  /** Flat images (each {@code size*size}) to one float array, checking every length. */
  static float[] pack(List<float[]> images, int from, int to, int numel) {
    float[] out = new float[(to - from) * numel];
    for (int i = from; i < to; i++) {
      float[] img = images.get(i);
      if (img.length != numel) {
        throw new IllegalArgumentException("image " + i + " has " + img.length + " values, expected " + numel);
      }
      System.arraycopy(img, 0, out, (i - from) * numel, numel);
    }
    return out;
  }

  /** Rows of a (B, D) array as float[B][D]. */
  static float[][] rows(NDArray a) {
    int b = (int) a.getShape().get(0), d = (int) a.getShape().get(1);
    float[] flat = a.toFloatArray();
    float[][] out = new float[b][d];
    for (int i = 0; i < b; i++) System.arraycopy(flat, i * d, out[i], 0, d);
    return out;
  }

  /** Writes {@code config} as JSON and {@code params} as safetensors into {@code dir}, atomically. */
  static void saveDirectory(Path dir, boolean replace, String configName, Object config, String weightsName,
      ParameterStore params, String format) throws IOException {
    AtomicFiles.writeDirectoryAtomically(dir, replace, tmp -> {
      Jsons.MAPPER.writeValue(tmp.resolve(configName).toFile(), config);
      params.save(tmp.resolve(weightsName), Map.of("format", format));
    });
  }

  /**
   * Reads and validates the JSON config of a {@code kind} directory holding {@code configName}
   * and {@code weightsName}; errors name the directory or the file and the field.
   */
  static <C> C readConfig(Path dir, String kind, String configName, String weightsName, Class<C> type,
      Consumer<C> validate) throws IOException {
    Dirs.requireFiles(dir, kind, configName, weightsName);
    C c = Jsons.readInput(dir.resolve(configName), type);
    try {
      validate.accept(c);
    } catch (IllegalArgumentException e) {
      throw new IOException(dir.resolve(configName) + ": " + e.getMessage(), e);
    }
    return c;
  }

  /**
   * Loads {@code file} and checks that it holds exactly the tensors of {@code expected} with
   * their shapes; errors name the file and the first mismatch.
   */
  static ParameterStore loadChecked(Path file, Map<String, Shape> expected, NDManager parent) throws IOException {
    if (!java.nio.file.Files.isRegularFile(file)) throw new IOException(file + ": weights file not found");
    ParameterStore p;
    try {
      p = ParameterStore.load(file, parent);
    } catch (RuntimeException e) {
      throw new IOException(file + ": unreadable weights: " + e.getMessage(), e);
    }
    try {
      for (Map.Entry<String, Shape> e : expected.entrySet()) {
        if (!p.contains(e.getKey())) throw new IOException(file + ": missing tensor '" + e.getKey() + "'");
        Shape s = p.get(e.getKey()).getShape();
        if (!s.equals(e.getValue())) {
          throw new IOException(file + ": tensor '" + e.getKey() + "' has shape " + s + ", the config needs " + e.getValue());
        }
      }
      for (String name : p.names()) {
        if (!expected.containsKey(name)) throw new IOException(file + ": unexpected tensor '" + name + "'");
      }
    } catch (IOException e) {
      p.close();
      throw e;
    }
    return p;
  }
}
