package dev.uniforget.audit.judge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassifierTest {
  static final int S = 16;
  @TempDir Path tmp;
  NDManager root;

  @BeforeEach
  void setUp() {
    root = NDManager.newBaseManager();
  }

  @AfterEach
  void tearDown() {
    root.close();
  }

  static ClassifierConfig config(String role, int channels, String... labels) {
    ClassifierConfig c = new ClassifierConfig();
    c.role = role;
    c.imageSize = S;
    c.channels = channels;
    c.width = 4;
    c.featureDim = 12;
    c.labels = new ArrayList<>(List.of(labels));
    return c;
  }

  static List<float[]> images(int n, int channels) {
    List<float[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) out.add(SyntheticImages.randomImage(channels * S * S, 100 + i));
    return out;
  }

  @Test
  void grayAndRgbOutputsHaveTheDocumentedShapes() {
    for (int ch : new int[] {1, 3}) {
      try (Classifier net = Classifier.initialize(config(ClassifierConfig.QUALITY, ch, "a", "b", "c"), root, 1);
          NDManager m = root.newSubManager()) {
        assertEquals(ch * S * S, net.numel());
        NDArray x = m.create(new float[2 * ch * S * S], new Shape(2, ch, S, S));
        assertEquals(new Shape(2, 12), net.features(x).getShape());
        assertEquals(new Shape(2, 3), net.logits(x).getShape());
        assertEquals(new Shape(2, 3), net.probabilities(x).getShape());
        // flat rows are accepted too
        assertEquals(new Shape(2, 3), net.logits(m.create(new float[2 * ch * S * S], new Shape(2, ch * S * S))).getShape());
        // the other layout's size is an error naming what was expected
        int wrong = (ch == 1 ? 3 : 1) * S * S;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> net.logits(m.create(new float[2 * wrong], new Shape(2, wrong))));
        assertTrue(e.getMessage().contains(ch + "x" + S + "x" + S), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> net.probabilities(List.of(new float[wrong])));
        assertTrue(e.getMessage().contains(String.valueOf(ch * S * S)), e.getMessage());
      }
    }
  }

  @Test
  void qualityProbabilitiesAreASoftmaxOverClasses() {
    try (Classifier net = Classifier.initialize(config(ClassifierConfig.QUALITY, 1, "a", "b", "c", "d"), root, 2);
        NDManager m = root.newSubManager()) {
      assertFalse(net.config().multiLabel());
      List<float[]> imgs = images(6, 1);
      float[][] p = net.probabilities(imgs);
      float[][] z = ConvTrunk.rows(net.logits(m.create(ConvTrunk.pack(imgs, 0, 6, S * S), new Shape(6, S * S))));
      for (int i = 0; i < p.length; i++) {
        double sum = 0, norm = 0;
        for (float v : z[i]) norm += Math.exp(v);
        for (int k = 0; k < 4; k++) {
          assertTrue(p[i][k] > 0 && p[i][k] < 1);
          assertEquals(Math.exp(z[i][k]) / norm, p[i][k], 1e-5, "softmax of the logits");
          sum += p[i][k];
        }
        assertEquals(1.0, sum, 1e-5, "row " + i);
      }
    }
  }

  @Test
  void conceptProbabilitiesAreIndependentSigmoids() {
    try (Classifier net = Classifier.initialize(config(ClassifierConfig.CONCEPTS, 3, "velmor", "quitar", "zeph"), root, 3);
        NDManager m = root.newSubManager()) {
      assertTrue(net.config().multiLabel());
      List<float[]> imgs = images(8, 3);
      float[][] p = net.probabilities(imgs);
      float[][] z = ConvTrunk.rows(net.logits(m.create(ConvTrunk.pack(imgs, 0, 8, 3 * S * S), new Shape(8, 3 * S * S))));
      boolean someRowNotOne = false;
      for (int i = 0; i < p.length; i++) {
        double sum = 0;
        for (int k = 0; k < 3; k++) {
          assertTrue(p[i][k] > 0 && p[i][k] < 1);
          // each label's probability depends on its own logit only
          assertEquals(1 / (1 + Math.exp(-z[i][k])), p[i][k], 1e-5, "sigmoid of logit " + k);
          sum += p[i][k];
        }
        someRowNotOne |= Math.abs(sum - 1) > 1e-3;
      }
      assertTrue(someRowNotOne, "sigmoid rows are not normalised like a softmax");
    }
  }

  @Test
  void theListApiBatchesAndMatchesTheArrayApi() {
    try (Classifier net = Classifier.initialize(config(ClassifierConfig.QUALITY, 1, "a", "b"), root, 4);
        NDManager m = root.newSubManager()) {
      List<float[]> imgs = images(300, 1); // more than one internal chunk of 256
      float[][] f = net.features(imgs);
      float[][] p = net.probabilities(imgs);
      assertEquals(300, f.length);
      assertEquals(12, f[299].length);
      assertEquals(2, p[299].length);
      assertArrayEquals(net.features(m.create(imgs.get(299), new Shape(1, S * S))).toFloatArray(), f[299], 1e-5f);
      assertArrayEquals(net.probabilities(m.create(imgs.get(3), new Shape(1, S * S))).toFloatArray(), p[3], 1e-6f);
      assertEquals(0, net.probabilities(List.of()).length);
    }
  }

  @Test
  void saveAndLoadGiveIdenticalOutputs() throws IOException {
    for (String role : List.of(ClassifierConfig.QUALITY, ClassifierConfig.CONCEPTS)) {
      Path dir = tmp.resolve(role);
      List<float[]> imgs = images(5, 3);
      float[][] before, features;
      ClassifierConfig c = config(role, 3, "velmor", "quitar");
      c.metrics.put("heldout_class_accuracy", 0.5);
      try (Classifier net = Classifier.initialize(c, root, 5)) {
        before = net.probabilities(imgs);
        features = net.features(imgs);
        net.save(dir, false);
        IOException e = assertThrows(IOException.class, () -> net.save(dir, false), "never overwrites unless asked");
        assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
        net.save(dir, true);
      }
      assertTrue(Files.isRegularFile(dir.resolve(Classifier.CONFIG)) && Files.isRegularFile(dir.resolve(Classifier.WEIGHTS)));
      try (Classifier back = Classifier.load(dir, root)) {
        assertEquals(role, back.config().role);
        assertEquals(List.of("velmor", "quitar"), back.labels());
        assertEquals(3, back.config().channels);
        assertEquals(0.5, ((Number) back.config().metrics.get("heldout_class_accuracy")).doubleValue());
        float[][] after = back.probabilities(imgs), f2 = back.features(imgs);
        for (int i = 0; i < imgs.size(); i++) {
          assertArrayEquals(before[i], after[i], 0f);
          assertArrayEquals(features[i], f2[i], 0f);
        }
      }
    }
  }

  @Test
  void loadErrorsNameTheFileAndTheProblem() throws IOException {
    IOException e = assertThrows(IOException.class, () -> Classifier.load(tmp.resolve("nope"), root));
    assertTrue(e.getMessage().contains("nope") && e.getMessage().contains("not a classifier directory"), e.getMessage());

    Path dir = tmp.resolve("quality");
    try (Classifier net = Classifier.initialize(config(ClassifierConfig.QUALITY, 1, "a", "b"), root, 6)) {
      net.save(dir, false);
    }
    Path json = dir.resolve(Classifier.CONFIG), weights = dir.resolve(Classifier.WEIGHTS);
    String good = Files.readString(json);
    byte[] goodWeights = Files.readAllBytes(weights);

    // a missing file
    Files.delete(weights);
    e = assertThrows(IOException.class, () -> Classifier.load(dir, root));
    assertTrue(e.getMessage().contains(Classifier.WEIGHTS), e.getMessage());
    Files.write(weights, goodWeights);
    Files.delete(json);
    e = assertThrows(IOException.class, () -> Classifier.load(dir, root));
    assertTrue(e.getMessage().contains(Classifier.CONFIG), e.getMessage());

    // a wrong value of the role field
    assertTrue(good.contains("\"role\" : \"quality\""), good);
    Files.writeString(json, good.replace("\"role\" : \"quality\"", "\"role\" : \"judge\""));
    e = assertThrows(IOException.class, () -> Classifier.load(dir, root));
    assertTrue(e.getMessage().contains(json.toString()) && e.getMessage().contains("'role'") && e.getMessage().contains("judge"),
        e.getMessage());

    // tensors that do not fit the config
    assertTrue(good.contains("\"feature_dim\" : 12"), good);
    Files.writeString(json, good.replace("\"feature_dim\" : 12", "\"feature_dim\" : 16"));
    e = assertThrows(IOException.class, () -> Classifier.load(dir, root));
    assertTrue(e.getMessage().contains(weights.toString()) && e.getMessage().contains("fc.weight") && e.getMessage().contains("shape"),
        e.getMessage());
    assertTrue(good.contains("\"b\" ]"), good);
    Files.writeString(json, good.replace("\"b\" ]", "\"b\", \"c\" ]"));
    e = assertThrows(IOException.class, () -> Classifier.load(dir, root));
    assertTrue(e.getMessage().contains(weights.toString()) && e.getMessage().contains("head.weight"), e.getMessage());

    // unreadable JSON, unknown fields, unreadable weights
    Files.writeString(json, "{ not json");
    e = assertThrows(IOException.class, () -> Classifier.load(dir, root));
    assertTrue(e.getMessage().contains(json.toString()), e.getMessage());
    Files.writeString(json, good.replace("\"role\"", "\"colour\" : 1, \"role\""));
    e = assertThrows(IOException.class, () -> Classifier.load(dir, root));
    assertTrue(e.getMessage().contains(json.toString()) && e.getMessage().contains("colour"), e.getMessage());
    Files.writeString(json, good);
    Files.write(weights, new byte[] {1, 2, 3});
    e = assertThrows(IOException.class, () -> Classifier.load(dir, root));
    assertTrue(e.getMessage().contains(weights.toString()), e.getMessage());

    // and the good files load again
    Files.write(weights, goodWeights);
    try (Classifier back = Classifier.load(dir, root)) {
      assertEquals(ClassifierConfig.QUALITY, back.config().role);
    }
  }

  @Test
  void configValidationNamesTheField() {
    assertInvalid("format", c -> c.format = "uniforget-judge/1");
    assertInvalid("role", c -> c.role = null);
    assertInvalid("role", c -> c.role = "judge");
    assertInvalid("image_size", c -> c.imageSize = 18);
    assertInvalid("image_size", c -> c.imageSize = 8);
    assertInvalid("channels", c -> c.channels = 2);
    assertInvalid("width", c -> c.width = 0);
    assertInvalid("feature_dim", c -> c.featureDim = 0);
    assertInvalid("labels", c -> c.labels = new ArrayList<>());
    assertInvalid("labels", c -> c.labels = new ArrayList<>(List.of("a", "a")));
    assertInvalid("labels", c -> c.labels = new ArrayList<>(List.of("a", " ")));
    assertInvalid("labels", c -> c.labels = new ArrayList<>(List.of("a")));
    // one concept is fine for a detector
    ClassifierConfig one = config(ClassifierConfig.CONCEPTS, 1, "velmor");
    one.validate();
    // and so is a valid quality config; validation does not touch the weights
    config(ClassifierConfig.QUALITY, 3, "a", "b").validate();
    ClassifierConfig bad = config(ClassifierConfig.QUALITY, 1, "a", "b");
    bad.channels = 4;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Classifier.initialize(bad, root, 1));
    assertTrue(e.getMessage().contains("'channels'"), e.getMessage());
  }

  private static void assertInvalid(String field, Consumer<ClassifierConfig> change) {
    ClassifierConfig c = config(ClassifierConfig.QUALITY, 1, "a", "b");
    c.validate();
    change.accept(c);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, c::validate, field);
    assertTrue(e.getMessage().contains("field '" + field + "'"), "expected field '" + field + "' in: " + e.getMessage());
  }
}
