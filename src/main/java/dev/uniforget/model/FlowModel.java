package dev.uniforget.model;

import static dev.uniforget.nn.Layers.applyMask;
import static dev.uniforget.nn.Layers.attention;
import static dev.uniforget.nn.Layers.splitHeads;
import static dev.uniforget.nn.Layers.layerNorm;
import static dev.uniforget.nn.Layers.linear;
import static dev.uniforget.nn.Layers.mlp;
import static dev.uniforget.nn.Layers.silu;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.uniforget.nn.Layers;
import dev.uniforget.nn.ParameterStore;
import dev.uniforget.nn.Rope;
import java.util.SplittableRandom;

/**
 * A FLUX-style flow transformer with its own small text encoder.
 *
 * <p>Text: word tokens -> token + position embeddings -> {@code text_layers} pre-LN transformer
 * layers -> final LayerNorm; pooled vector = mean of the non-padding token states. Image: 28x28
 * patchified (patch 4 -> 49 tokens) + learned positions (or, with {@code rope}, 2-D rotary
 * embeddings in every joint attention). Conditioning c = MLP(sinusoidal(t)) + Linear(pooled).
 * First {@code double_blocks} double-stream blocks: the image and the text tokens each have
 * their own adaLN-Zero modulation, qkv and output projections and MLP, and meet in one joint
 * attention over [image; text]. Then {@code depth} single-stream blocks over the joint
 * sequence: modulation -> self-attention -> gated residual -> modulation -> MLP -> gated
 * residual. A final modulated LayerNorm and a linear layer give the velocity per patch. With
 * no double blocks this is the single-stream model of the lab preset.
 *
 * <p>The velocity skips work whose result cannot reach it: the text columns that are padding in
 * every row of the batch ({@link TextEncoding#withoutTrailingPadding}) and, in the last single
 * block, the text tokens' queries, output projection and MLP (the final layer reads the image
 * tokens only). The velocity is the same; with a probe (which sees the units of every token) the
 * whole sequence runs.
 *
 * <p>Prunable units ({@link PrunableUnits}) take an optional mask at: the MLP hidden units,
 * the modulation output channels and the attention heads of every {@link Stream} (each single
 * block, each stream of each double block), and the final modulation channels.
 *
 * <p>The joint sequence is ordered [image tokens; text tokens] (attention is permutation
 * equivariant, so this equals FLUX's [text; image] order), which keeps the per-call activation
 * as the first operand of every op: results then belong to the caller's NDManager (DJL puts an
 * op's result in the manager of its first operand) and nothing leaks into long-lived managers.
 */
public final class FlowModel implements AutoCloseable {
  /** Additive attention bias that switches a padding key off (finite, so softmax stays defined). */
  public static final float PAD_BIAS = -1e9f;

  private final ModelConfig config;
  private final WordTokenizer tokenizer;
  private final ParameterStore params;
  private final NDManager constants;
  private final NDArray ones;
  private final NDArray zeros;
  private final java.util.List<Stream> streams;
  private final Rope rope;
  /** The config's {@code text_value_off} as 0/1 masks (d) by text-value group. */
  private final java.util.Map<String, NDArray> textValueOff = new java.util.HashMap<>();

  public FlowModel(ModelConfig config, WordTokenizer tokenizer, ParameterStore params) {
    config.validate();
    if (tokenizer.vocabSize() != config.vocabSize) {
      throw new IllegalArgumentException(
          "tokenizer has " + tokenizer.vocabSize() + " words but config vocab_size is " + config.vocabSize);
    }
    if (tokenizer.maxLength() != config.maxTokens) {
      throw new IllegalArgumentException(
          "tokenizer max_length " + tokenizer.maxLength() + " != config max_tokens " + config.maxTokens);
    }
    this.config = config;
    this.tokenizer = tokenizer;
    this.params = params;
    checkShapes();
    this.constants = params.manager().newSubManager();
    this.ones = constants.ones(new Shape(config.hiddenSize));
    this.zeros = constants.zeros(new Shape(config.hiddenSize));
    this.streams = config.streams();
    this.rope = config.rope
        ? new Rope(constants, config.gridSize(), config.maxTokens, config.headDim(), config.ropeTheta) : null;
    config.textValueOff.forEach((group, channels) -> {
      float[] m = new float[config.hiddenSize];
      java.util.Arrays.fill(m, 1f);
      for (int c : channels) m[c] = 0f;
      textValueOff.put(group, constants.create(m));
    });
  }

  /** A freshly initialised model (DiT-style init: adaLN-Zero, zero output layer). */
  public static FlowModel initialize(ModelConfig c, WordTokenizer tok, NDManager manager, long seed) {
    ParameterStore p = new ParameterStore(manager);
    for (ParameterSpec s : ParameterSpec.all(c)) {
      SplittableRandom rng = new SplittableRandom(seed ^ (s.name().hashCode() * 0x9E3779B97F4A7C15L));
      p.put(s.name(), s.init().sample(s.shape(), rng), new Shape(s.shape()));
    }
    return new FlowModel(c, tok, p);
  }

  private void checkShapes() {
    for (ParameterSpec s : ParameterSpec.all(config)) {
      if (!params.contains(s.name())) {
        throw new IllegalArgumentException("weights lack parameter '" + s.name() + "'");
      }
      Shape got = params.get(s.name()).getShape();
      if (!got.equals(new Shape(s.shape()))) {
        throw new IllegalArgumentException(
            "parameter '" + s.name() + "' has shape " + got + ", config expects " + new Shape(s.shape()));
      }
    }
    if (params.names().size() != ParameterSpec.all(config).size()) {
      for (String n : params.names()) {
        if (ParameterSpec.all(config).stream().noneMatch(s -> s.name().equals(n))) {
          throw new IllegalArgumentException("weights have unexpected parameter '" + n + "'");
        }
      }
    }
  }

  public ModelConfig config() {
    return config;
  }

  public WordTokenizer tokenizer() {
    return tokenizer;
  }

  public ParameterStore params() {
    return params;
  }

  /** Prompts already warned about (a prompt cut to the model's length is said once per run, on stderr). */
  private static final java.util.Set<String> WARNED_CUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * Token ids (B, L) for prompts; the empty string is the unconditional prompt. A prompt with more
   * words than the model reads is cut to its first {@code max_tokens} words, and said so once.
   */
  public NDArray tokenize(NDManager m, String... prompts) {
    int l = config.maxTokens;
    int[] ids = new int[prompts.length * l];
    for (int i = 0; i < prompts.length; i++) {
      if (tokenizer.truncates(prompts[i]) && WARNED_CUT.size() < 10_000 && WARNED_CUT.add(prompts[i])) {
        System.err.println("warning: the prompt '" + prompts[i] + "' has " + WordTokenizer.words(prompts[i]).size() + " words; the model reads the first "
            + l + ", the rest is cut");
      }
      System.arraycopy(tokenizer.encode(prompts[i]), 0, ids, i * l, l);
    }
    return m.create(ids, new Shape(prompts.length, l)).toType(DataType.INT64, false);
  }

  /** Runs the text encoder; returns projected context tokens, joint key bias and pooled vector. */
  public TextEncoding encodeText(NDArray tokens) {
    return encodeText(tokens, wordVectors(tokens));
  }

  /** The input word vectors (B, L, D) of token ids (B, L): the encoder's embedding table, before positions. */
  public NDArray wordVectors(NDArray tokens) {
    return Layers.embedding(tokens, params.get("text.tok_emb"));
  }

  /**
   * Runs the text encoder on given input word vectors (B, L, D) instead of the table's, e.g. a
   * learned vector in place of one word (textual inversion); {@code tokens} still decide which
   * positions are padding.
   */
  public TextEncoding encodeText(NDArray tokens, NDArray wordVectors) {
    NDManager m = tokens.getManager();
    long b = tokens.getShape().get(0), l = tokens.getShape().get(1);
    long[] ids = tokens.toLongArray();
    int np = config.numPatches();
    float[] notPad = new float[ids.length];
    float[] textBias = new float[ids.length];
    float[] jointBias = new float[(int) (b * (np + l))]; // image keys first, always on
    float[] count = new float[(int) b];
    for (int i = 0; i < b; i++) {
      for (int j = 0; j < l; j++) {
        int at = (int) (i * l + j);
        boolean pad = ids[at] == WordTokenizer.PAD_ID;
        notPad[at] = pad ? 0f : 1f;
        textBias[at] = pad ? PAD_BIAS : 0f;
        jointBias[(int) (i * (np + l) + np + j)] = textBias[at];
        count[i] += notPad[at];
      }
    }

    NDArray x = wordVectors.add(params.get("text.pos_emb"));
    for (int i = 0; i < config.textLayers; i++) {
      String p = "text.layers." + i;
      x = x.add(attention(layerNorm(x, params, p + ".ln1"), params, p + ".attn", config.textHeads,
          m.create(textBias, new Shape(b, 1, 1, l)), null));
      x = x.add(mlp(layerNorm(x, params, p + ".ln2"), params, p + ".ffn", null));
    }
    x = layerNorm(x, params, "text.ln_final");
    NDArray weights = m.create(notPad, new Shape(b, l, 1));
    float[] inv = new float[(int) b];
    for (int i = 0; i < b; i++) inv[i] = count[i] > 0 ? 1f / count[i] : 0f;
    NDArray pooled = x.mul(weights).sum(new int[] {1}).mul(m.create(inv, new Shape(b, 1)));
    return new TextEncoding(
        linear(x, params, "txt_in"), m.create(jointBias, new Shape(b, 1, 1, np + l)), linear(pooled, params, "pooled_in"));
  }

  /** Sinusoidal embedding of t in [0, 1] scaled by 1000 (DiT): [cos(t f_k), sin(t f_k)]. */
  public float[] timestepFeatures(float[] t) {
    int half = config.timeFreqDim / 2;
    float[] out = new float[t.length * config.timeFreqDim];
    for (int i = 0; i < t.length; i++) {
      for (int k = 0; k < half; k++) {
        double freq = Math.exp(-Math.log(10000.0) * k / half);
        double arg = t[i] * 1000.0 * freq;
        out[i * config.timeFreqDim + k] = (float) Math.cos(arg);
        out[i * config.timeFreqDim + half + k] = (float) Math.sin(arg);
      }
    }
    return out;
  }

  /** Velocity prediction v(x_t, t, text) for images x (B, C, H, W) at times t (B). */
  public NDArray velocity(NDArray x, float[] t, TextEncoding text, UnitMasks masks) {
    NDManager m = x.getManager();
    // Work whose result cannot reach the output is skipped: the text columns that are padding in
    // every row, and the text tokens' rows after the last attention (see block). A probe sees the
    // full sequence, as before (the baselines' statistics read it), so nothing is skipped then.
    boolean whole = masks.probe() != null;
    if (!whole) text = text.withoutTrailingPadding(m);
    NDArray img = imageTokens(x);
    NDArray txt = text.states();
    NDArray condAct = silu(conditioning(m, t, text));
    // Without autograd (sampling, and the forward pass of mask training) each block runs in its
    // own scope and its intermediates are freed when it ends, so the next block writes into memory
    // just freed (warm in cache) instead of fresh pages: on 2 cores this is what made elementwise
    // ops several times slower than PyTorch's, which frees a tensor at its last use. The block's
    // inputs (the text states and silu(c) too) are lent to the scope and go back when it closes,
    // so no intermediate lands in a longer-lived manager. Under autograd the same scopes were
    // measured to buy nothing (the graph keeps most arrays for its backward), so it runs unscoped.
    boolean scoped = !ai.djl.pytorch.jni.JniUtils.isGradMode();
    for (int i = 0; i < config.doubleBlocks; i++) {
      NDList out;
      if (scoped) {
        try (NDManager scope = m.newSubManager()) {
          img.tempAttach(scope);
          txt.tempAttach(scope);
          condAct.tempAttach(scope);
          out = doubleBlock(img, txt, condAct, text.keyBias(), i, masks);
          out.attach(m);
        }
      } else {
        out = doubleBlock(img, txt, condAct, text.keyBias(), i, masks);
      }
      img = out.get(0);
      txt = out.get(1);
    }
    NDArray seq = img.concat(txt, 1);
    for (int i = 0; i < config.depth; i++) {
      if (scoped) {
        try (NDManager scope = m.newSubManager()) {
          seq.tempAttach(scope);
          condAct.tempAttach(scope);
          NDArray next = block(seq, condAct, text.keyBias(), i, masks, !whole && i == config.depth - 1);
          next.attach(m);
          seq = next;
        }
      } else {
        seq = block(seq, condAct, text.keyBias(), i, masks, !whole && i == config.depth - 1);
      }
    }
    return finalLayer(seq, condAct, masks);
  }

  /** Patch embeddings (B, P, D), plus the learned positions unless the model uses rope. */
  public NDArray imageTokens(NDArray x) {
    NDArray img = linear(patchify(x), params, "img_in");
    return rope == null ? img.add(params.get("img_pos")) : img;
  }

  /** The joint token sequence [image tokens; projected text tokens] a single block reads. */
  public NDArray inputSequence(NDArray x, TextEncoding text) {
    return imageTokens(x).concat(text.states(), 1);
  }

  /** Conditioning vector c = MLP(sinusoidal(t)) + projected pooled text, (B, D). */
  public NDArray conditioning(NDManager m, float[] t, TextEncoding text) {
    NDArray temb = m.create(timestepFeatures(t), new Shape(t.length, config.timeFreqDim));
    return linear(silu(linear(temb, params, "time_in.fc1")), params, "time_in.fc2").add(text.pooled());
  }

  /** Modulated final norm of the image tokens and the linear un-patchify to (B, C, H, W). */
  public NDArray finalLayer(NDArray seq, NDArray condAct, UnitMasks masks) {
    NDArray imgTokens = seq.get(":, :" + config.numPatches() + ", :");
    NDList mod = applyMask(linear(condAct, params, "final.mod"), masks.get(PrunableUnits.FINAL_MODULATION)).split(2, 1);
    NDArray h = modulate(Layers.layerNorm(imgTokens, ones, zeros), mod.get(0), mod.get(1));
    return unpatchify(linear(h, params, "final.out"));
  }

  /** One single-stream block over the joint sequence. {@code condAct} is silu(c), shared by all modulations. */
  public NDArray block(NDArray x, NDArray condAct, NDArray keyBias, int i, UnitMasks masks) {
    return block(x, condAct, keyBias, i, masks, false);
  }

  /**
   * The same; with {@code imageOnly} it returns the image tokens' rows (B, P, D) alone: all
   * tokens give keys and values, but only the image tokens query, and only they go through the
   * output projection and the MLP. For the last block that is the whole of what the final layer
   * reads, so the text rows' work there is skipped.
   */
  NDArray block(NDArray x, NDArray condAct, NDArray keyBias, int i, UnitMasks masks, boolean imageOnly) {
    Stream s = streams.get(2 * config.doubleBlocks + i);
    NDList c = modulation(condAct, s, masks);
    NDList qkv = splitHeads(linear(modulate(Layers.layerNorm(x, ones, zeros), c.get(0), c.get(1)), params, s.attn() + ".qkv"), config.numHeads);
    int np = config.numPatches();
    NDArray q = imageOnly ? qkv.get(0).get(":, :, :" + np + ", :") : qkv.get(0);
    NDArray v = textValues(qkv.get(2), s, masks, np);
    NDArray h = Layers.mergeHeads(attend(q, qkv.get(1), v, keyBias), masks.get(s.attn()), params, s.attn() + ".proj");
    return mlpResidual(Layers.gatedResidual(imageOnly ? x.get(":, :" + np + ", :") : x, h, c.get(2)), c, s, masks);
  }

  /**
   * One double-stream block: image tokens (B, P, D) and text tokens (B, L, D), each modulated
   * and projected with its own weights, attend jointly over [image; text]; each stream then has
   * its own output projection, gated residuals and MLP. Returns the new (image, text) tokens.
   */
  public NDList doubleBlock(NDArray img, NDArray txt, NDArray condAct, NDArray keyBias, int i, UnitMasks masks) {
    Stream si = streams.get(2 * i), st = streams.get(2 * i + 1);
    NDList ci = modulation(condAct, si, masks), ct = modulation(condAct, st, masks);
    NDList qi = splitHeads(linear(modulate(Layers.layerNorm(img, ones, zeros), ci.get(0), ci.get(1)), params, si.attn() + ".qkv"), config.numHeads);
    NDList qt = splitHeads(linear(modulate(Layers.layerNorm(txt, ones, zeros), ct.get(0), ct.get(1)), params, st.attn() + ".qkv"), config.numHeads);
    NDArray vt = textValues(qt.get(2), st, masks, 0);
    NDArray out = attend(qi.get(0).concat(qt.get(0), 2), qi.get(1).concat(qt.get(1), 2), qi.get(2).concat(vt, 2), keyBias);
    long p = img.getShape().get(1);
    NDArray hi = Layers.mergeHeads(out.get(":, :" + p), masks.get(si.attn()), params, si.attn() + ".proj");
    NDArray ht = Layers.mergeHeads(out.get(":, " + p + ":"), masks.get(st.attn()), params, st.attn() + ".proj");
    return new NDList(mlpResidual(Layers.gatedResidual(img, hi, ci.get(2)), ci, si, masks),
        mlpResidual(Layers.gatedResidual(txt, ht, ct.get(2)), ct, st, masks));
  }

  /**
   * Values v (B, H, T, hd) of a path whose text tokens start at position {@code textFrom}, with
   * the text-value mask of the config ({@code text_value_off}) and of {@code masks} applied to
   * the text positions, and shown to the probe as (B, L, H hd).
   */
  private NDArray textValues(NDArray v, Stream s, UnitMasks masks, long textFrom) {
    String group = s.textValue();
    NDArray fixed = textValueOff.get(group), given = masks.get(group);
    UnitMasks.Probe probe = masks.probe();
    if (fixed == null && given == null && probe == null) return v;
    Shape sh = v.getShape();
    long b = sh.get(0), h = sh.get(1), t = sh.get(2), hd = sh.get(3);
    NDArray img = textFrom > 0 ? v.get(":, :, :" + textFrom + ", :") : null;
    NDArray txt = textFrom > 0 ? v.get(":, :, " + textFrom + ":, :") : v;
    for (NDArray m : new NDArray[] {fixed, given}) {
      if (m == null) continue;
      NDArray mh = m.reshape(h, 1, hd);
      mh.attach(v.getManager());
      txt = txt.mul(mh);
    }
    if (probe != null) probe.onUnits(group, txt.transpose(0, 2, 1, 3).reshape(b, t - textFrom, h * hd));
    return img == null ? txt : img.concat(txt, 2);
  }

  /** Joint attention of (q, k, v) (B, H, T, hd), rotated first when the model uses rope. */
  private NDArray attend(NDArray q, NDArray k, NDArray v, NDArray keyBias) {
    if (rope != null) {
      q = rope.apply(q);
      k = rope.apply(k);
    }
    return Layers.attend(q, k, v, keyBias);
  }

  /** A stream's masked modulation as (B, 1, D) chunks: shift1, scale1, gate1, shift2, scale2, gate2. */
  private NDList modulation(NDArray condAct, Stream s, UnitMasks masks) {
    return applyMask(linear(condAct, params, s.mod()), masks.get(s.mod())).expandDims(1).split(6, 2);
  }

  /** x + gate2 * MLP(modulated norm of x), for a stream whose MLP may be fully pruned. */
  private NDArray mlpResidual(NDArray x, NDList c, Stream s, UnitMasks masks) {
    if (s.ffnWidth() > 0) {
      UnitMasks.Probe probe = masks.probe();
      NDArray h = mlp(modulate(Layers.layerNorm(x, ones, zeros), c.get(3), c.get(4)), params, s.ffn(), masks.get(s.ffn()),
          probe == null ? null : a -> probe.onUnits(s.ffn(), a));
      return Layers.gatedResidual(x, h, c.get(5));
    }
    // Every hidden unit pruned: fc2(0) = its bias, exactly what the masked model adds.
    return x.add(c.get(5).mul(params.get(s.ffn() + ".fc2.bias")));
  }

  /**
   * normed * (1 + scale) + shift, {@code normed} a fresh array only this reads: the shift is added
   * in place on the product (an add's backward needs neither operand), and without autograd the
   * product is taken in place too.
   */
  private static NDArray modulate(NDArray normed, NDArray shift, NDArray scale) {
    if (shift.getShape().dimension() == 2) {
      shift = shift.expandDims(1);
      scale = scale.expandDims(1);
    }
    return (Layers.inPlace() ? normed.muli(scale.add(1f)) : normed.mul(scale.add(1f))).addi(shift);
  }

  /** (B, C, H, W) -> (B, H/p * W/p, C*p*p), patches in row-major order, channels outermost. */
  public NDArray patchify(NDArray x) {
    long b = x.getShape().get(0);
    int c = config.channels, p = config.patchSize, g = config.gridSize();
    return x.reshape(b, c, g, p, g, p).transpose(0, 2, 4, 1, 3, 5).reshape(b, (long) g * g, (long) c * p * p);
  }

  public NDArray unpatchify(NDArray tokens) {
    long b = tokens.getShape().get(0);
    int c = config.channels, p = config.patchSize, g = config.gridSize();
    return tokens.reshape(b, g, g, c, p, p).transpose(0, 3, 1, 4, 2, 5).reshape(b, c, (long) g * p, (long) g * p);
  }

  @Override
  public void close() {
    constants.close();
    params.close();
  }
}
