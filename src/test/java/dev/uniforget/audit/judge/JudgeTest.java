package dev.uniforget.audit.judge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.uniforget.data.FashionMnist;
import dev.uniforget.lab.LabManifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JudgeTest {
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

  static JudgeConfig config(LabManifest lab) {
    JudgeConfig c = new JudgeConfig();
    c.width = 4;
    c.featureDim = 16;
    c.classes = new ArrayList<>(FashionMnist.CLASS_NAMES);
    c.labFormat = lab.format;
    for (LabManifest.Motif m : lab.motifs) {
      c.motifNames.add(m.name);
      c.motifGlyphs.add(m.glyph);
      c.motifSizes.add(m.size);
    }
    return c;
  }

  static List<float[]> images(int n) {
    List<float[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) out.add(TestData.randomImage(28, 100 + i));
    return out;
  }

  @Test
  void outputsHaveTheDocumentedShapes() {
    try (Judge j = Judge.initialize(config(TestData.lab("velmor", "quitar")), root, 1);
        NDManager m = root.newSubManager()) {
      NDArray x = m.create(new float[3 * 784], new Shape(3, 1, 28, 28));
      Judge.Outputs out = j.forward(x);
      assertEquals(new Shape(3, 16), out.features().getShape());
      assertEquals(new Shape(3, 10), out.classLogits().getShape());
      assertEquals(new Shape(3, 3), out.motifLogits().getShape());
      assertEquals(new Shape(3, 16), j.features(m.create(new float[3 * 784], new Shape(3, 784))).getShape());
      NDArray p = j.motifProbabilities(x);
      assertArrayEquals(new float[] {1, 1, 1}, p.sum(new int[] {1}).toFloatArray(), 1e-5f);
      assertEquals(List.of("none", "velmor", "quitar"), j.motifLabels());
      assertThrows(IllegalArgumentException.class, () -> j.features(m.create(new float[3 * 100], new Shape(3, 100))));
    }
  }

  @Test
  void listApiBatchesAndMatchesTheArrayApi() {
    try (Judge j = Judge.initialize(config(TestData.lab("velmor")), root, 2); NDManager m = root.newSubManager()) {
      List<float[]> imgs = images(300); // more than one internal chunk
      float[][] f = j.features(imgs);
      float[][] c = j.classProbabilities(imgs);
      float[][] mo = j.motifProbabilities(imgs);
      assertEquals(300, f.length);
      assertEquals(16, f[299].length);
      assertEquals(10, c[0].length);
      assertEquals(2, mo[0].length);
      float[] direct = j.features(m.create(imgs.get(299), new Shape(1, 784))).toFloatArray();
      assertArrayEquals(direct, f[299], 1e-5f);
    }
  }

  @Test
  void saveAndLoadGiveIdenticalOutputs() throws IOException {
    LabManifest lab = TestData.lab("velmor", "quitar");
    List<float[]> imgs = images(5);
    Path dir = tmp.resolve("judge");
    float[][] before, after;
    try (Judge j = Judge.initialize(config(lab), root, 3)) {
      before = j.motifProbabilities(imgs);
      j.save(dir, false);
      assertThrows(IOException.class, () -> j.save(dir, false));
    }
    try (Judge j = Judge.load(dir, root)) {
      after = j.motifProbabilities(imgs);
      assertEquals(List.of("velmor", "quitar"), j.config().motifNames);
      j.checkCompatible(lab);
    }
    for (int i = 0; i < imgs.size(); i++) assertArrayEquals(before[i], after[i], 0f);
  }

  @Test
  void aJudgeForAnotherLabIsDetected() {
    try (Judge j = Judge.initialize(config(TestData.lab("velmor", "quitar")), root, 4)) {
      j.checkCompatible(TestData.lab("velmor", "quitar"));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> j.checkCompatible(TestData.lab("velmor", "zephlum")));
      assertTrue(e.getMessage().contains("another lab") && e.getMessage().contains("zephlum"), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> j.checkCompatible(TestData.lab("velmor")));
      LabManifest bigger = TestData.lab("velmor", "quitar");
      bigger.motifs.get(1).size = 16;
      e = assertThrows(IllegalArgumentException.class, () -> j.checkCompatible(bigger));
      assertTrue(e.getMessage().contains("16 px"), e.getMessage());
    }
  }

  @Test
  void badDirectoriesGiveClearErrors() throws IOException {
    IOException e = assertThrows(IOException.class, () -> Judge.load(tmp.resolve("nope"), root));
    assertTrue(e.getMessage().contains("not a judge directory"), e.getMessage());

    Path empty = Files.createDirectory(tmp.resolve("empty"));
    e = assertThrows(IOException.class, () -> Judge.load(empty, root));
    assertTrue(e.getMessage().contains("missing judge.json"), e.getMessage());

    Path dir = tmp.resolve("judge");
    try (Judge j = Judge.initialize(config(TestData.lab("velmor")), root, 5)) {
      j.save(dir, false);
    }
    Path json = dir.resolve(Judge.CONFIG);
    String good = Files.readString(json);
    Files.writeString(json, good.replace("\"feature_dim\" : 16", "\"feature_dim\" : 32"));
    e = assertThrows(IOException.class, () -> Judge.load(dir, root));
    assertTrue(e.getMessage().contains("fc.weight") && e.getMessage().contains("shape"), e.getMessage());

    Files.writeString(json, good.replace("uniforget-judge/1", "uniforget-judge/9"));
    e = assertThrows(IOException.class, () -> Judge.load(dir, root));
    assertTrue(e.getMessage().contains("format"), e.getMessage());

    Files.writeString(json, "{ not json");
    e = assertThrows(IOException.class, () -> Judge.load(dir, root));
    assertTrue(e.getMessage().contains("judge.json"), e.getMessage());

    Files.writeString(json, good);
    Files.write(dir.resolve(Judge.WEIGHTS), new byte[] {1, 2, 3});
    e = assertThrows(IOException.class, () -> Judge.load(dir, root));
    assertTrue(e.getMessage().contains("judge.safetensors"), e.getMessage());
  }
}
