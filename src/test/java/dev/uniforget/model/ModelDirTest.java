package dev.uniforget.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.uniforget.io.Jsons;
import dev.uniforget.io.Safetensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelDirTest {
  @TempDir Path tmp;

  NDManager root;
  WordTokenizer tok;
  ModelConfig config;
  Path dir;

  @BeforeEach
  void setUp() throws IOException {
    root = NDManager.newBaseManager();
    tok = TestModels.tokenizer();
    config = TestModels.tinyConfig(tok);
    dir = tmp.resolve("model");
    try (FlowModel model = FlowModel.initialize(config, tok, root, 1)) {
      TestModels.randomize(model.params(), 2, 0.2);
      ModelDir.save(model, dir, false, Map.of("origin", "test"));
    }
  }

  @AfterEach
  void tearDown() {
    root.close();
  }

  private float[] velocity(FlowModel model) {
    try (NDManager m = root.newSubManager()) {
      NDArray x = m.create(TestModels.gaussians(new SplittableRandom(3), 2 * 64, 1), new Shape(2, 1, 8, 8));
      TextEncoding text = model.encodeText(model.tokenize(m, "a red square", ""));
      return model.velocity(x, new float[] {0.2f, 0.8f}, text, UnitMasks.NONE).toFloatArray();
    }
  }

  private IOException loadFails(String... parts) {
    IOException e = assertThrows(IOException.class, () -> ModelDir.load(dir, root).close());
    for (String p : parts) assertTrue(e.getMessage().contains(p), () -> "'" + e.getMessage() + "' lacks '" + p + "'");
    return e;
  }

  @Test
  void saveThenLoadGivesTheSameModel() throws IOException {
    try (FlowModel a = FlowModel.initialize(config, tok, root, 1)) {
      TestModels.randomize(a.params(), 2, 0.2);
      try (FlowModel b = ModelDir.load(dir, root)) {
        assertEquals(a.params().names(), b.params().names());
        assertEquals(tok.vocab(), b.tokenizer().vocab());
        assertEquals(config.ffnWidths, b.config().ffnWidths);
        assertEquals(config.sampler.steps, b.config().sampler.steps);
        float[] va = velocity(a);
        assertArrayEquals(va, velocity(b));
        assertTrue(TestModels.maxAbs(va) > 1e-3);
      }
    }
    try (var f = Safetensors.open(dir.resolve(ModelDir.WEIGHTS))) {
      assertEquals("test", f.metadata().get("origin"));
    }
  }

  @Test
  void loadRejectsAMissingDirectory() {
    dir = tmp.resolve("nowhere");
    loadFails(dir.toString(), "no such directory");
  }

  @Test
  void loadRejectsAMissingConfig() throws IOException {
    Files.delete(dir.resolve(ModelDir.CONFIG));
    loadFails(dir.toString(), "missing config.json");
  }

  @Test
  void loadNamesTheInconsistentConfigField() throws IOException {
    ObjectNode c = (ObjectNode) Jsons.MAPPER.readTree(dir.resolve(ModelDir.CONFIG).toFile());
    c.put("num_heads", 5); // does not divide hidden_size 32
    Jsons.MAPPER.writeValue(dir.resolve(ModelDir.CONFIG).toFile(), c);
    loadFails(dir.resolve(ModelDir.CONFIG).toString(), "num_heads", "5");
  }

  /** The config's text with {@code from} replaced by {@code to} (hostile edits a tree cannot express, e.g. a duplicate key). */
  private void editConfig(String from, String to) throws IOException {
    String text = Files.readString(dir.resolve(ModelDir.CONFIG));
    assertTrue(text.contains(from), text);
    Files.writeString(dir.resolve(ModelDir.CONFIG), text.replaceFirst(java.util.regex.Pattern.quote(from), java.util.regex.Matcher.quoteReplacement(to)));
  }

  @Test
  void hostileConfigValuesAreClearErrors() throws IOException {
    String good = Files.readString(dir.resolve(ModelDir.CONFIG));
    String[][] cases = {
      {"\"hidden_size\" : 32", "\"hidden_size\" : 32, \"hidden_size\" : 64", "Duplicate field 'hidden_size'"},
      {"\"guidance\" : 3.0", "\"guidance\" : 1e39", "out of range"},
      {"\"guidance\" : 3.0", "\"guidance\" : \"NaN\"", "expected a number"},
      {"\"guidance\" : 3.0", "\"guidance\" : 2000", "sampler.guidance"},
      {"\"image_size\" : 8", "\"image_size\" : 10000000000", "image_size"},
      {"\"image_size\" : 8", "\"image_size\" : 4096", "image_size"},
      {"\"hidden_size\" : 32", "\"hidden_size\" : null", "hidden_size"},
      {"\"ffn_widths\" : [ 64, 64 ]", "\"ffn_widths\" : [ 64, null ]", "ffn_widths"},
      {"\"steps\" : 4", "\"steps\" : 1000000", "sampler.steps"},
    };
    for (String[] c : cases) {
      Files.writeString(dir.resolve(ModelDir.CONFIG), good);
      editConfig(c[0], c[1]);
      IOException e = assertThrows(IOException.class, () -> ModelDir.load(dir, root).close(), c[1]);
      assertTrue(e.getMessage().contains(dir.resolve(ModelDir.CONFIG).toString()) && e.getMessage().contains(c[2]),
          () -> c[1] + ": '" + e.getMessage() + "' lacks the file or '" + c[2] + "'");
    }
    Files.writeString(dir.resolve(ModelDir.CONFIG), good);
    ModelDir.load(dir, root).close(); // the untouched config still loads
  }

  @Test
  void loadRejectsAnUnknownConfigField() throws IOException {
    ObjectNode c = (ObjectNode) Jsons.MAPPER.readTree(dir.resolve(ModelDir.CONFIG).toFile());
    c.put("hiden_size", 64);
    Jsons.MAPPER.writeValue(dir.resolve(ModelDir.CONFIG).toFile(), c);
    loadFails(dir.resolve(ModelDir.CONFIG).toString(), "hiden_size");
  }

  @Test
  void loadNamesAMissingParameter() throws IOException {
    Path w = dir.resolve(ModelDir.WEIGHTS);
    Map<String, Safetensors.Tensor> tensors = TestModels.readTensors(w);
    assertTrue(tensors.remove("blocks.1.attn.proj.bias") != null);
    Safetensors.write(w, tensors, null);
    loadFails(dir.toString(), "blocks.1.attn.proj.bias");
  }

  @Test
  void loadNamesAParameterOfTheWrongShape() throws IOException {
    Path w = dir.resolve(ModelDir.WEIGHTS);
    Map<String, Safetensors.Tensor> tensors = TestModels.readTensors(w);
    tensors.put("img_pos", Safetensors.Tensor.f32(new long[] {5, 32}, new float[5 * 32]));
    Safetensors.write(w, tensors, null);
    loadFails(dir.toString(), "img_pos", "(5, 32)");
  }

  @Test
  void loadNamesAnUnexpectedParameter() throws IOException {
    Path w = dir.resolve(ModelDir.WEIGHTS);
    Map<String, Safetensors.Tensor> tensors = TestModels.readTensors(w);
    tensors.put("blocks.7.mod.weight", Safetensors.Tensor.f32(new long[] {2}, new float[2]));
    Safetensors.write(w, tensors, null);
    loadFails(dir.toString(), "blocks.7.mod.weight");
  }

  @Test
  void weightsThatAreNotFiniteOrNotFloatingPointAreNamed() throws IOException {
    Path w = dir.resolve(ModelDir.WEIGHTS);
    Map<String, Safetensors.Tensor> good = TestModels.readTensors(w);
    for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
      Map<String, Safetensors.Tensor> tensors = new java.util.LinkedHashMap<>(good);
      float[] v = new float[32 * 32];
      v[37] = bad;
      tensors.put("txt_in.weight", Safetensors.Tensor.f32(new long[] {32, 32}, v));
      Safetensors.write(w, tensors, null);
      loadFails("txt_in.weight", "element 37", "finite");
    }
    Map<String, Safetensors.Tensor> tensors = new java.util.LinkedHashMap<>(good);
    tensors.put("txt_in.bias", Safetensors.Tensor.i64(new long[] {32}, new long[32]));
    Safetensors.write(w, tensors, null);
    loadFails("txt_in.bias", "dtype I64", "floating point");
  }

  @Test
  void saveRefusesToOverwriteUnlessAskedAndLeavesTheDirectoryIntact() throws IOException {
    byte[] weights = Files.readAllBytes(dir.resolve(ModelDir.WEIGHTS));
    byte[] cfg = Files.readAllBytes(dir.resolve(ModelDir.CONFIG));
    try (FlowModel other = FlowModel.initialize(config, tok, root, 99)) {
      IOException e = assertThrows(IOException.class, () -> ModelDir.save(other, dir, false, Map.of()));
      assertTrue(e.getMessage().contains(dir.getFileName().toString()), e.getMessage());
      assertArrayEquals(weights, Files.readAllBytes(dir.resolve(ModelDir.WEIGHTS)));
      assertArrayEquals(cfg, Files.readAllBytes(dir.resolve(ModelDir.CONFIG)));
      try (var files = Files.list(tmp)) {
        assertEquals(1, files.count(), "no temporary directory left behind");
      }
      ModelDir.save(other, dir, true, Map.of());
      assertTrue(!java.util.Arrays.equals(weights, Files.readAllBytes(dir.resolve(ModelDir.WEIGHTS))));
      try (FlowModel back = ModelDir.load(dir, root)) {
        assertArrayEquals(velocity(other), velocity(back));
      }
    }
  }
}
