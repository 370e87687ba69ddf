package dev.uniforget.model;

import ai.djl.ndarray.NDManager;
import dev.uniforget.io.AtomicFiles;
import dev.uniforget.io.Dirs;
import dev.uniforget.io.Jsons;
import dev.uniforget.nn.ParameterStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * A model directory, the unit of exchange between commands (like a diffusers folder):
 * {@code config.json} (architecture + sampler defaults), {@code model.safetensors} (all weights)
 * and {@code tokenizer.json}. Written atomically (temp dir + rename).
 */
public final class ModelDir {
  public static final String CONFIG = "config.json";
  public static final String WEIGHTS = "model.safetensors";
  public static final String TOKENIZER = "tokenizer.json";

  private ModelDir() {}

  public static ModelConfig readConfig(Path dir) throws IOException {
    Dirs.requireFiles(dir, "model", CONFIG, WEIGHTS, TOKENIZER);
    ModelConfig c = Jsons.readInput(dir.resolve(CONFIG), ModelConfig.class);
    try {
      c.validate();
    } catch (IllegalArgumentException e) {
      throw new IOException(dir.resolve(CONFIG) + ": " + e.getMessage(), e);
    }
    return c;
  }

  public static FlowModel load(Path dir, NDManager manager) throws IOException {
    ModelConfig config = readConfig(dir);
    WordTokenizer tok = WordTokenizer.load(dir.resolve(TOKENIZER));
    ParameterStore params = ParameterStore.load(dir.resolve(WEIGHTS), manager);
    try {
      return new FlowModel(config, tok, params);
    } catch (IllegalArgumentException e) {
      params.close();
      throw new IOException(dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Writes {@code model} to {@code dir} atomically. Refuses an existing directory unless
   * {@code replace}; a failure leaves whatever was there untouched.
   */
  public static void save(FlowModel model, Path dir, boolean replace, Map<String, String> metadata)
      throws IOException {
    AtomicFiles.writeDirectoryAtomically(dir, replace, tmp -> {
      Jsons.MAPPER.writeValue(tmp.resolve(CONFIG).toFile(), model.config());
      Jsons.MAPPER.writeValue(tmp.resolve(TOKENIZER).toFile(), model.tokenizer());
      model.params().save(tmp.resolve(WEIGHTS), metadata);
    });
  }
}
