package dev.uniforget.audit.judge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.uniforget.audit.TinyLab;
import dev.uniforget.io.ProgressSink;
import dev.uniforget.io.Provenance;
import dev.uniforget.lab.Lab;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The instruments directory of a tiny lab: trained from the lab alone, saved, loaded, checked. */
class InstrumentsTest {
  @TempDir static Path tmp;
  static NDManager root;
  static Path labDir;
  static Lab lab;

  @BeforeAll
  static void setUp() throws IOException {
    root = NDManager.newBaseManager();
    labDir = TinyLab.build(tmp);
    lab = Lab.open(labDir);
  }

  @AfterAll
  static void tearDown() {
    if (root != null) root.close();
  }

  static Instruments.Options tiny() {
    Instruments.Options o = new Instruments.Options();
    o.quality.steps = 20;
    o.concepts.steps = 20;
    o.descriptor.steps = 5;
    for (ClassifierTrainer.Options c : List.of(o.quality, o.concepts)) {
      c.batchSize = 16;
      c.width = 4;
      c.featureDim = 16;
    }
    o.descriptor.batchSize = 16;
    o.descriptor.width = 4;
    o.descriptor.featureDim = 16;
    o.descriptor.embedDim = 8;
    o.descriptor.evalImages = 20;
    return o;
  }

  @Test
  void trainSaveLoadAndCheckAgainstTheLab() throws IOException {
    List<String> phases = new ArrayList<>();
    AtomicLong steps = new AtomicLong();
    ProgressSink progress = new ProgressSink() {
      public void phase(String name, long total) {
        phases.add(name + "/" + total);
      }

      public void step(long done) {
        steps.incrementAndGet();
      }
    };
    Path dir = tmp.resolve("instruments");
    List<float[]> probe = new ArrayList<>(lab.trainingImagesByFile().values()).subList(0, 5);
    float[][] q, c, d;
    try (Instruments inst = Instruments.train(lab, tiny(), root, progress)) {
      assertEquals(List.of("quality network/20", "concept detector/20", "copy descriptor/5"), phases);
      assertEquals(45, steps.get());
      assertEquals(TinyLab.CLASSES.stream().sorted().toList(), inst.quality().labels());
      assertEquals(lab.manifest().conceptNames(), inst.concepts().labels());
      assertEquals(ClassifierConfig.QUALITY, inst.quality().config().role);
      assertEquals(ClassifierConfig.CONCEPTS, inst.concepts().config().role);
      assertEquals(TinyLab.SIZE, inst.descriptor().config().imageSize);
      inst.checkCompatible(lab);
      // measured on the lab's held-out split: all of its labelled images, its concept images
      Map<String, Object> m = inst.metrics();
      assertEquals(List.of("quality", "concepts", "descriptor"), new ArrayList<>(m.keySet()));
      assertEquals(16, inst.quality().config().metrics.get("heldout_images"));
      Map<?, ?> recall = (Map<?, ?>) inst.concepts().config().metrics.get("heldout_recall");
      assertEquals(4, ((Map<?, ?>) recall.get(lab.manifest().conceptNames().get(0))).get("images"));
      assertEquals(12, ((Map<?, ?>) inst.concepts().config().metrics.get("heldout_false_alarm")).get("images"));
      q = inst.quality().probabilities(probe);
      c = inst.concepts().probabilities(probe);
      d = inst.descriptor().embed(probe);
      inst.save(dir, null);
      IOException e = assertThrows(IOException.class, () -> inst.save(dir, null), "never replaces a directory");
      assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
    }
    for (String f : List.of(Instruments.QUALITY, Instruments.CONCEPTS, Instruments.DESCRIPTOR, Instruments.METRICS)) {
      assertTrue(Files.exists(dir.resolve(f)), f);
    }
    try (Instruments back = Instruments.load(dir, root)) {
      back.checkCompatible(lab);
      float[][] q2 = back.quality().probabilities(probe), c2 = back.concepts().probabilities(probe), d2 = back.descriptor().embed(probe);
      for (int i = 0; i < probe.size(); i++) {
        assertArrayEquals(q[i], q2[i], 0f);
        assertArrayEquals(c[i], c2[i], 0f);
        assertArrayEquals(d[i], d2[i], 0f);
      }
    }

    // instruments of another lab are refused, naming the difference
    Lab other = Lab.open(labDir);
    other.manifest().classes = new ArrayList<>(List.of("bar", "blob", "cube"));
    try (Instruments back = Instruments.load(dir, root)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> back.checkCompatible(other));
      assertTrue(e.getMessage().contains("another lab") && e.getMessage().contains("cube"), e.getMessage());
      Lab renamed = Lab.open(labDir);
      renamed.manifest().concepts.get(0).name = "zephlum";
      e = assertThrows(IllegalArgumentException.class, () -> back.checkCompatible(renamed));
      assertTrue(e.getMessage().contains("zephlum"), e.getMessage());
    }
  }

  @Test
  void loadErrorsNameWhatIsWrong() throws IOException {
    IOException e = assertThrows(IOException.class, () -> Instruments.load(tmp.resolve("nope"), root));
    assertTrue(e.getMessage().contains("instruments directory not found"), e.getMessage());

    Path old = Files.createDirectories(tmp.resolve("old-judge/classifier"));
    e = assertThrows(IOException.class, () -> Instruments.load(old.getParent(), root));
    assertTrue(e.getMessage().contains("older `judge train`") && e.getMessage().contains("quality/"), e.getMessage());

    // a concept detector where the quality network belongs
    Path swapped = tmp.resolve("swapped");
    ClassifierConfig qc = ClassifierTest.config(ClassifierConfig.CONCEPTS, 1, "bar", "blob");
    ClassifierConfig cc = ClassifierTest.config(ClassifierConfig.CONCEPTS, 1, "velmor");
    DescriptorConfig dc = new DescriptorConfig();
    dc.imageSize = 16;
    dc.width = 4;
    dc.featureDim = 8;
    dc.embedDim = 4;
    try (Classifier a = Classifier.initialize(qc, root, 1); Classifier b = Classifier.initialize(cc, root, 2);
        CopyDescriptor d = CopyDescriptor.initialize(dc, root, 3)) {
      new Instruments(a, b, d).save(swapped, null);
    }
    e = assertThrows(IOException.class, () -> Instruments.load(swapped, root));
    assertTrue(e.getMessage().contains(swapped.resolve("quality").resolve(Classifier.CONFIG).toString()) && e.getMessage().contains("'role'"),
        e.getMessage());
  }

  @Test
  void trainAndSaveRecordsProvenanceAndReuseOrTrainReusesOnlyTheSameRecipe() throws IOException {
    Path out = tmp.resolve("made");
    Map<String, Object> m = Instruments.trainAndSave(labDir, out, tiny(), ProgressSink.NONE);
    assertTrue(m.containsKey("quality") && m.containsKey("descriptor"), m.toString());
    assertTrue(Files.isRegularFile(out.resolve(Provenance.FILE)));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Instruments.trainAndSave(labDir, out, tiny(), ProgressSink.NONE));
    assertTrue(e.getMessage().contains("already exists"), e.getMessage());
    long before = Files.getLastModifiedTime(out.resolve(Instruments.METRICS)).toMillis();
    Instruments.reuseOrTrain(labDir, out, tiny(), ProgressSink.NONE); // same recipe: kept as is
    assertEquals(before, Files.getLastModifiedTime(out.resolve(Instruments.METRICS)).toMillis());
    Instruments.Options other = tiny();
    other.quality.steps = 21;
    RuntimeException r = assertThrows(RuntimeException.class, () -> Instruments.reuseOrTrain(labDir, out, other, ProgressSink.NONE));
    assertTrue(r.getMessage().contains("quality_steps"), r.getMessage());
  }
}
