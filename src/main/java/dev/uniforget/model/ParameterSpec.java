package dev.uniforget.model;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Name, shape and initialiser of every parameter a config implies (the weight-file layout). */
public record ParameterSpec(String name, long[] shape, Init init) {

  /** How a parameter starts. */
  public enum Init {
    ZEROS,
    ONES,
    NORMAL_002,
    XAVIER;

    public float[] sample(long[] shape, SplittableRandom rng) {
      int n = 1;
      for (long d : shape) n *= (int) d;
      float[] out = new float[n];
      switch (this) {
        case ZEROS -> {}
        case ONES -> java.util.Arrays.fill(out, 1f);
        case NORMAL_002 -> {
          for (int i = 0; i < n; i++) out[i] = (float) (0.02 * gaussian(rng));
        }
        case XAVIER -> {
          double bound = Math.sqrt(6.0 / (shape[0] + shape[1]));
          for (int i = 0; i < n; i++) out[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
        }
      }
      return out;
    }
  }

  static double gaussian(SplittableRandom rng) {
    double u1 = 1.0 - rng.nextDouble();
    double u2 = rng.nextDouble();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  public static List<ParameterSpec> all(ModelConfig c) {
    List<ParameterSpec> s = new ArrayList<>();
    long d = c.hiddenSize;
    s.add(new ParameterSpec("text.tok_emb", new long[] {c.vocabSize, d}, Init.NORMAL_002));
    s.add(new ParameterSpec("text.pos_emb", new long[] {c.maxTokens, d}, Init.NORMAL_002));
    for (int i = 0; i < c.textLayers; i++) {
      String p = "text.layers." + i;
      norm(s, p + ".ln1", d);
      linear(s, p + ".attn.qkv", 3 * d, d, Init.XAVIER);
      linear(s, p + ".attn.proj", d, d, Init.XAVIER);
      norm(s, p + ".ln2", d);
      linear(s, p + ".ffn.fc1", c.textFfnWidth, d, Init.XAVIER);
      linear(s, p + ".ffn.fc2", d, c.textFfnWidth, Init.XAVIER);
    }
    norm(s, "text.ln_final", d);
    linear(s, "txt_in", d, d, Init.XAVIER);
    linear(s, "pooled_in", d, d, Init.XAVIER);
    linear(s, "img_in", d, c.patchDim(), Init.XAVIER);
    if (!c.rope) s.add(new ParameterSpec("img_pos", new long[] {c.numPatches(), d}, Init.NORMAL_002));
    linear(s, "time_in.fc1", d, c.timeFreqDim, Init.NORMAL_002);
    linear(s, "time_in.fc2", d, d, Init.NORMAL_002);
    for (Stream st : c.streams()) {
      linear(s, st.mod(), c.blockModulationWidth(), d, Init.ZEROS);
      linear(s, st.attn() + ".qkv", 3 * d, d, Init.XAVIER);
      linear(s, st.attn() + ".proj", d, d, Init.XAVIER);
      int w = st.ffnWidth();
      if (w > 0) {
        linear(s, st.ffn() + ".fc1", w, d, Init.XAVIER);
        linear(s, st.ffn() + ".fc2", d, w, Init.XAVIER);
      } else { // every hidden unit pruned: the MLP's output is its constant output bias
        s.add(new ParameterSpec(st.ffn() + ".fc2.bias", new long[] {d}, Init.ZEROS));
      }
    }
    linear(s, "final.mod", c.finalModulationWidth(), d, Init.ZEROS);
    linear(s, "final.out", c.patchDim(), d, Init.ZEROS);
    return s;
  }

  private static void linear(List<ParameterSpec> s, String name, long out, long in, Init init) {
    s.add(new ParameterSpec(name + ".weight", new long[] {out, in}, init));
    s.add(new ParameterSpec(name + ".bias", new long[] {out}, Init.ZEROS));
  }

  private static void norm(List<ParameterSpec> s, String name, long d) {
    s.add(new ParameterSpec(name + ".weight", new long[] {d}, Init.ONES));
    s.add(new ParameterSpec(name + ".bias", new long[] {d}, Init.ZEROS));
  }
}
