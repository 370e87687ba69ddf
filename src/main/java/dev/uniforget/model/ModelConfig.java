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
  public int depth = 4;
  public int numHeads = 4;
  /** Hidden width of each block's MLP; pruning shrinks these. */
  public List<Integer> ffnWidths = new ArrayList<>();
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
    for (int i = 0; i < c.depth; i++) c.ffnWidths.add(4 * c.hiddenSize);
    return c;
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

  /** Width of a block's modulation output: shift/scale/gate for attention and for MLP. */
  public int blockModulationWidth() {
    return 6 * hiddenSize;
  }

  public int finalModulationWidth() {
    return 2 * hiddenSize;
  }

  /** Throws IllegalArgumentException naming the first inconsistent field. */
  public void validate() {
    require(FORMAT.equals(format), "format", "\"" + FORMAT + "\"", format);
    require(imageSize > 0, "image_size", "> 0", imageSize);
    require(channels == 1 || channels == 3, "channels", "1 or 3", channels);
    require(patchSize > 0 && imageSize % patchSize == 0, "patch_size", "a divisor of image_size " + imageSize, patchSize);
    require(hiddenSize > 0, "hidden_size", "> 0", hiddenSize);
    require(numHeads > 0 && hiddenSize % numHeads == 0, "num_heads", "a divisor of hidden_size " + hiddenSize, numHeads);
    require(textHeads > 0 && hiddenSize % textHeads == 0, "text_heads", "a divisor of hidden_size " + hiddenSize, textHeads);
    require(depth > 0, "depth", "> 0", depth);
    require(ffnWidths != null && ffnWidths.size() == depth, "ffn_widths", depth + " entries (one per block)", ffnWidths);
    for (int w : ffnWidths) require(w >= 0, "ffn_widths", "entries >= 0", ffnWidths);
    require(textLayers >= 0, "text_layers", ">= 0", textLayers);
    require(textFfnWidth > 0, "text_ffn_width", "> 0", textFfnWidth);
    require(maxTokens > 0, "max_tokens", "> 0", maxTokens);
    require(vocabSize >= 2, "vocab_size", ">= 2 (<pad>, <unk>)", vocabSize);
    require(timeFreqDim > 0 && timeFreqDim % 2 == 0, "time_freq_dim", "an even number > 0", timeFreqDim);
    require(sampler != null && sampler.steps > 0, "sampler.steps", "> 0", sampler == null ? null : sampler.steps);
    require(sampler.guidance >= 0, "sampler.guidance", ">= 0", sampler.guidance);
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
