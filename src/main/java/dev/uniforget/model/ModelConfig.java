package dev.uniforget.model;

import java.util.ArrayList;
import java.util.List;

/**
 * Architecture and sampler defaults of a flow transformer; the {@code config.json} of a model
 * directory. Every size lives here; {@link #labPreset} gives the defaults for 28x28 labs.
 */
public final class ModelConfig {
  public static final String FORMAT = "uniforget-flow/1";

  public String format = FORMAT;
  public int imageSize = 28;
  public int channels = 1;
  public int patchSize = 4;
  public int hiddenSize = 128;
  /** Single-stream blocks (after the double-stream blocks). */
  public int depth = 4;
  public int numHeads = 4;
  /** Hidden width of each single-stream block's MLP; pruning shrinks these. */
  public List<Integer> ffnWidths = new ArrayList<>();
  /**
   * Double-stream blocks (FLUX layout), before the single-stream ones: the image and the text
   * tokens keep their own modulation, attention projections and MLP, joined in one attention.
   * 0 = today's single-stream model.
   */
  public int doubleBlocks = 0;
  /** Hidden width of each double block's image-stream MLP; pruning shrinks these. */
  public List<Integer> doubleImgFfnWidths = new ArrayList<>();
  /** Hidden width of each double block's text-stream MLP; pruning shrinks these. */
  public List<Integer> doubleTxtFfnWidths = new ArrayList<>();
  /**
   * 2-D rotary position embedding of the image tokens in every joint attention (rows on the
   * first half of each head, columns on the second; text tokens unrotated) instead of learned
   * absolute positions ({@code img_pos}).
   */
  public boolean rope = false;
  public float ropeTheta = 10000f;
  /**
   * Value-projection channels switched off on the text tokens, by text-value group
   * ({@link Stream#textValue()}, e.g. {@code blocks.2.attn.text_value}): how a model edited by
   * NeMo records its deactivated neurons (empty for every other model).
   */
  public java.util.Map<String, List<Integer>> textValueOff = new java.util.TreeMap<>();
  public int textLayers = 2;
  public int textHeads = 4;
  public int textFfnWidth = 512;
  public int maxTokens = 12;
  public int vocabSize;
  public int timeFreqDim = 256;
  public SamplerDefaults sampler = new SamplerDefaults();

  /** How a model samples unless told otherwise. */
  public static final class SamplerDefaults {
    public int steps = 10;
    public float guidance = 3.0f;
  }

  public static ModelConfig labPreset(int vocabSize) {
    ModelConfig c = new ModelConfig();
    c.vocabSize = vocabSize;
    c.setBlocks(0, c.depth, 4 * c.hiddenSize);
    return c;
  }

  /** Sets the block counts with every MLP (both streams of double blocks) at {@code ffnWidth}. */
  public void setBlocks(int doubleBlocks, int singleBlocks, int ffnWidth) {
    this.doubleBlocks = doubleBlocks;
    this.depth = singleBlocks;
    ffnWidths = new ArrayList<>(java.util.Collections.nCopies(singleBlocks, ffnWidth));
    doubleImgFfnWidths = new ArrayList<>(java.util.Collections.nCopies(doubleBlocks, ffnWidth));
    doubleTxtFfnWidths = new ArrayList<>(java.util.Collections.nCopies(doubleBlocks, ffnWidth));
  }

  /**
   * Every modulated attention + MLP path in forward order: per double block its image then its
   * text stream, then the single blocks. The one list that weights, unit groups, pruning and
   * FLOPs are derived from.
   */
  public List<Stream> streams() {
    List<Stream> out = new ArrayList<>();
    for (int i = 0; i < doubleBlocks; i++) {
      out.add(Stream.doubleImage(i, doubleImgFfnWidths.get(i)));
      out.add(Stream.doubleText(i, doubleTxtFfnWidths.get(i)));
    }
    for (int i = 0; i < depth; i++) out.add(Stream.single(i, ffnWidths.get(i)));
    return out;
  }

  /** Records a stream's new MLP width (after pruning). */
  public void setFfnWidth(Stream s, int width) {
    List<Integer> widths = switch (s.kind()) {
      case SINGLE -> ffnWidths;
      case DOUBLE_IMAGE -> doubleImgFfnWidths;
      case DOUBLE_TEXT -> doubleTxtFfnWidths;
    };
    widths.set(s.block(), width);
  }

  public int gridSize() {
    return imageSize / patchSize;
  }

  public int numPatches() {
    return gridSize() * gridSize();
  }

  public int patchDim() {
    return channels * patchSize * patchSize;
  }

  public int headDim() {
    return hiddenSize / numHeads;
  }

  /** Width of a stream's modulation output: shift/scale/gate for attention and for MLP. */
  public int blockModulationWidth() {
    return 6 * hiddenSize;
  }

  public int finalModulationWidth() {
    return 2 * hiddenSize;
  }

  /** Throws IllegalArgumentException naming the first inconsistent field. */
  /** Upper bounds of a config a user may hand in (far above any model of these labs; they keep sizes and products in range). */
  public static final int MAX_IMAGE_SIZE = 1024, MAX_WIDTH = 65_536, MAX_BLOCKS = 256, MAX_TOKENS = 1024, MAX_VOCAB = 10_000_000,
      MAX_SAMPLER_STEPS = 100_000;
  public static final float MAX_GUIDANCE = 1000f;

  public void validate() {
    require(FORMAT.equals(format), "format", "\"" + FORMAT + "\"", format);
    require(imageSize > 0 && imageSize <= MAX_IMAGE_SIZE, "image_size", "1.." + MAX_IMAGE_SIZE, imageSize);
    require(channels == 1 || channels == 3, "channels", "1 or 3", channels);
    require(patchSize > 0 && imageSize % patchSize == 0, "patch_size", "a divisor of image_size " + imageSize, patchSize);
    require(hiddenSize > 0 && hiddenSize <= MAX_WIDTH, "hidden_size", "1.." + MAX_WIDTH, hiddenSize);
    require(numHeads > 0 && hiddenSize % numHeads == 0, "num_heads", "a divisor of hidden_size " + hiddenSize, numHeads);
    require(textHeads > 0 && hiddenSize % textHeads == 0, "text_heads", "a divisor of hidden_size " + hiddenSize, textHeads);
    require(depth >= 0 && depth <= MAX_BLOCKS, "depth", "0.." + MAX_BLOCKS, depth);
    require(doubleBlocks >= 0 && doubleBlocks <= MAX_BLOCKS, "double_blocks", "0.." + MAX_BLOCKS, doubleBlocks);
    require(depth + doubleBlocks > 0, "depth", "> 0 when double_blocks is 0 (a model needs a block)", depth);
    requireWidths(ffnWidths, depth, "ffn_widths", "single-stream block");
    requireWidths(doubleImgFfnWidths, doubleBlocks, "double_img_ffn_widths", "double-stream block");
    requireWidths(doubleTxtFfnWidths, doubleBlocks, "double_txt_ffn_widths", "double-stream block");
    require(textValueOff != null, "text_value_off", "an object (group -> channels)", null);
    java.util.Set<String> groups = new java.util.HashSet<>();
    for (Stream st : streams()) if (st.kind() != Stream.Kind.DOUBLE_IMAGE) groups.add(st.textValue());
    for (java.util.Map.Entry<String, List<Integer>> e : textValueOff.entrySet()) {
      require(groups.contains(e.getKey()), "text_value_off", "text-value groups of this model " + new java.util.TreeSet<>(groups), e.getKey());
      require(e.getValue() != null, "text_value_off." + e.getKey(), "a list of channels", null);
      for (Integer ch : e.getValue()) {
        require(ch != null && ch >= 0 && ch < hiddenSize, "text_value_off." + e.getKey(), "channels in [0, " + hiddenSize + ")", e.getValue());
      }
    }
    if (rope) {
      require(headDim() % 4 == 0, "rope", "a head dimension (hidden_size / num_heads) divisible by 4", headDim());
      require(ropeTheta > 1 && Float.isFinite(ropeTheta), "rope_theta", "a finite number > 1", ropeTheta);
    }
    require(textLayers >= 0 && textLayers <= MAX_BLOCKS, "text_layers", "0.." + MAX_BLOCKS, textLayers);
    require(textFfnWidth > 0 && textFfnWidth <= MAX_WIDTH, "text_ffn_width", "1.." + MAX_WIDTH, textFfnWidth);
    require(maxTokens > 0 && maxTokens <= MAX_TOKENS, "max_tokens", "1.." + MAX_TOKENS, maxTokens);
    require(vocabSize >= 2 && vocabSize <= MAX_VOCAB, "vocab_size", "2 (<pad>, <unk>).." + MAX_VOCAB, vocabSize);
    require(timeFreqDim > 0 && timeFreqDim % 2 == 0 && timeFreqDim <= MAX_WIDTH, "time_freq_dim", "an even number in 2.." + MAX_WIDTH, timeFreqDim);
    require(sampler != null && sampler.steps > 0 && sampler.steps <= MAX_SAMPLER_STEPS, "sampler.steps", "1.." + MAX_SAMPLER_STEPS,
        sampler == null ? null : sampler.steps);
    require(sampler.guidance >= 0 && sampler.guidance <= MAX_GUIDANCE, "sampler.guidance", "0.." + MAX_GUIDANCE, sampler.guidance);
  }

  private static void requireWidths(List<Integer> widths, int blocks, String field, String what) {
    require(widths != null && widths.size() == blocks, field, blocks + " entries (one per " + what + ")", widths);
    for (Integer w : widths) require(w != null && w >= 0 && w <= MAX_WIDTH, field, "entries in 0.." + MAX_WIDTH, widths);
  }

  private static void require(boolean ok, String field, String expected, Object found) {
    if (!ok) {
      throw new IllegalArgumentException("config field '" + field + "': expected " + expected + ", found " + found);
    }
  }

  public ModelConfig copy() {
    ModelConfig c = new ModelConfig();
    c.format = format;
    c.imageSize = imageSize;
    c.channels = channels;
    c.patchSize = patchSize;
    c.hiddenSize = hiddenSize;
    c.depth = depth;
    c.numHeads = numHeads;
    c.ffnWidths = new ArrayList<>(ffnWidths);
    c.doubleBlocks = doubleBlocks;
    c.doubleImgFfnWidths = new ArrayList<>(doubleImgFfnWidths);
    c.doubleTxtFfnWidths = new ArrayList<>(doubleTxtFfnWidths);
    c.rope = rope;
    c.ropeTheta = ropeTheta;
    c.textValueOff = new java.util.TreeMap<>();
    textValueOff.forEach((k, v) -> c.textValueOff.put(k, new ArrayList<>(v)));
    c.textLayers = textLayers;
    c.textHeads = textHeads;
    c.textFfnWidth = textFfnWidth;
    c.maxTokens = maxTokens;
    c.vocabSize = vocabSize;
    c.timeFreqDim = timeFreqDim;
    c.sampler.steps = sampler.steps;
    c.sampler.guidance = sampler.guidance;
    return c;
  }
}
