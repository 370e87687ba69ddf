package dev.uniforget.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;

/**
 * The few building blocks, as functions of activations and named parameters. The activation
 * is always the first operand, so every result belongs to the caller's step manager.
 * A {@code mask} argument, when not null, multiplies the units it names (the prune hook).
 */
public final class Layers {
  public static final float LN_EPS = 1e-6f;

  private Layers() {}

  /**
   * y = x W^T + b with {@code prefix.weight} (out, in) and {@code prefix.bias} (out). An input of
   * three or more axes runs as one 2-D product on its (rows, in) view: libtorch then adds the bias
   * inside the GEMM (addmm), where the batched path did a matmul and a separate pass over the output.
   */
  public static NDArray linear(NDArray x, ParameterStore p, String prefix) {
    NDArray w = p.get(prefix + ".weight"), b = p.get(prefix + ".bias");
    Shape s = x.getShape();
    if (s.dimension() <= 2) return Linear.linear(x, w, b).singletonOrThrow();
    long in = s.get(s.dimension() - 1);
    NDArray y = Linear.linear(x.reshape(-1, in), w, b).singletonOrThrow();
    long[] dims = s.getShape();
    dims[dims.length - 1] = w.getShape().get(0);
    return y.reshape(new Shape(dims));
  }

  /** LayerNorm over the last axis with affine {@code prefix.weight}/{@code prefix.bias}. */
  public static NDArray layerNorm(NDArray x, ParameterStore p, String prefix) {
    return layerNorm(x, p.get(prefix + ".weight"), p.get(prefix + ".bias"));
  }

  public static NDArray layerNorm(NDArray x, NDArray gamma, NDArray beta) {
    long d = x.getShape().get(x.getShape().dimension() - 1);
    return LayerNorm.layerNorm(x, new Shape(d), gamma, beta, LN_EPS).singletonOrThrow();
  }

  public static NDArray embedding(NDArray tokens, NDArray table) {
    return Embedding.embedding(tokens, table, SparseFormat.DENSE).singletonOrThrow();
  }

  public static NDArray gelu(NDArray x) {
    return Activation.gelu(x);
  }

  public static NDArray silu(NDArray x) {
    return x.mul(Activation.sigmoid(x));
  }

  /**
   * x * v with the scalar held as an array in x's manager, made by libtorch ({@code full}), not
   * from Java memory. Never use DJL's mul(Number) or div(Number) where autograd may run: they
   * close their scalar at once, and a scalar made from Java memory dies with its handle, yet the
   * backward pass reads it (a use-after-free that corrupted gradients into NaN in mask training).
   * One libtorch owns outlives its handle while the graph holds it.
   */
  public static NDArray scale(NDArray x, double v) {
    return x.mul(x.getManager().full(new Shape(), (float) v));
  }

  /**
   * Whether a layer may write its result over a fresh intermediate of its own: only without
   * autograd (sampling, the forward pass of mask training), where no graph keeps the operand for
   * a backward pass. The result is the same bit for bit (the same kernel; a + b == b + a); what
   * it saves is a fresh output array per op, whose pages another op then has to fetch.
   */
  public static boolean inPlace() {
    return !ai.djl.pytorch.jni.JniUtils.isGradMode();
  }

  /**
   * The gated residual x + gate * h of a block, {@code h} a fresh output of the caller (a
   * projection) that nothing else reads: x is added in place on the product (an add's backward
   * needs neither operand), and without autograd the product is written over {@code h}.
   */
  public static NDArray gatedResidual(NDArray x, NDArray h, NDArray gate) {
    return (inPlace() ? h.muli(gate) : h.mul(gate)).addi(x);
  }

  /** Multiplies the last axis of {@code x} by {@code mask} (null: unchanged, no cost). */
  public static NDArray applyMask(NDArray x, NDArray mask) {
    return mask == null ? x : x.mul(mask);
  }

  /** MLP: fc2(mask * gelu(fc1(x))); the mask addresses the hidden units. */
  public static NDArray mlp(NDArray x, ParameterStore p, String prefix, NDArray hiddenMask) {
    return mlp(x, p, prefix, hiddenMask, null);
  }

  /** The same; {@code hidden} (when not null) sees the masked hidden units that feed fc2. */
  public static NDArray mlp(NDArray x, ParameterStore p, String prefix, NDArray hiddenMask,
      java.util.function.Consumer<NDArray> hidden) {
    NDArray h = applyMask(gelu(linear(x, p, prefix + ".fc1")), hiddenMask);
    if (hidden != null) hidden.accept(h);
    return linear(h, p, prefix + ".fc2");
  }

  /**
   * Multi-head self-attention with a fused qkv projection. {@code keyBias} (B,1,1,T) is added
   * to the scores (0 for real keys, a large negative for padding). {@code headMask} (H)
   * multiplies each head's output before the output projection.
   */
  public static NDArray attention(
      NDArray x, ParameterStore p, String prefix, int heads, NDArray keyBias, NDArray headMask) {
    NDList qkv = splitHeads(linear(x, p, prefix + ".qkv"), heads);
    return mergeHeads(attend(qkv.get(0), qkv.get(1), qkv.get(2), keyBias), headMask, p, prefix + ".proj");
  }

  /** A fused projection (B, T, 3D) as q, k, v of shape (B, H, T, D/H). */
  public static NDList splitHeads(NDArray qkv, int heads) {
    Shape s = qkv.getShape();
    long b = s.get(0), t = s.get(1), d = s.get(2) / 3, hd = d / heads;
    NDList parts = qkv.reshape(b, t, 3, heads, hd).transpose(2, 0, 3, 1, 4).split(3, 0);
    return new NDList(parts.get(0).squeeze(0), parts.get(1).squeeze(0), parts.get(2).squeeze(0));
  }

  /** softmax(q k^T / sqrt(hd) + keyBias) v for q, k, v (B, H, T, hd); returns (B, T, H, hd). */
  public static NDArray attend(NDArray q, NDArray k, NDArray v, NDArray keyBias) {
    long hd = q.getShape().get(3);
    // The 1/sqrt(hd) scale on q (T x hd values) rather than on the scores (T x T): the same product, one smaller pass.
    NDArray scores = scale(q, 1.0 / Math.sqrt(hd)).matMul(k.transpose(0, 1, 3, 2));
    if (keyBias != null) scores = scores.addi(keyBias);
    return scores.softmax(-1).matMul(v).transpose(0, 2, 1, 3);
  }

  /**
   * Heads (B, T, H, hd), each multiplied by its {@code headMask} entry (null: unmasked), merged
   * to (B, T, H hd) and projected by {@code projPrefix}.
   */
  public static NDArray mergeHeads(NDArray out, NDArray headMask, ParameterStore p, String projPrefix) {
    Shape s = out.getShape();
    long heads = s.get(2);
    if (headMask != null) {
      NDArray m = headMask.reshape(heads, 1);
      m.attach(out.getManager());
      out = out.mul(m);
    }
    return linear(out.reshape(s.get(0), s.get(1), heads * s.get(3)), p, projPrefix);
  }
}
