package dev.uniforget.audit.judge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.uniforget.data.FashionMnist;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DescriptorTrainerTest {
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

  static List<float[]> images(int n, long seed) {
    FashionMnist.LabeledImages g = TestData.garments(n, seed);
    List<float[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) out.add(g.imageAsFloat(i));
    return out;
  }

  static DescriptorTrainer.Options tiny() {
    DescriptorTrainer.Options o = new DescriptorTrainer.Options();
    o.steps = 80;
    o.batchSize = 32;
    o.warmupSteps = 5;
    o.width = 8;
    o.featureDim = 32;
    o.embedDim = 16;
    o.seed = 3;
    o.evalImages = 100;
    return o;
  }

  @Test
  void augmentedCopiesAreCloserThanOtherImagesAfterAShortTraining() throws IOException {
    List<float[]> train = images(300, 5);
    train.add(train.get(0)); // a duplicate is counted once
    DescriptorTrainer.Result r = DescriptorTrainer.train(train, tiny(), root, null);
    try (CopyDescriptor d = r.descriptor()) {
      System.out.println("tiny descriptor: " + r.metrics());
      assertEquals(300, d.config().training.get("distinct_images"));
      // fresh pairs, not the trainer's own evaluation
      List<float[]> orig = images(100, 6), aug = new ArrayList<>();
      SplittableRandom rng = new SplittableRandom(8);
      for (float[] img : orig) aug.add(Degradations.augmentView(img, 28, rng));
      float[][] eo = d.embed(orig), ea = d.embed(aug);
      double copy = 0, other = 0;
      for (int i = 0; i < orig.size(); i++) {
        double norm = CopyDescriptor.cosine(eo[i], eo[i]);
        assertEquals(1.0, norm, 1e-4);
        copy += CopyDescriptor.cosine(eo[i], ea[i]);
        other += CopyDescriptor.cosine(eo[(i + 1) % orig.size()], ea[i]);
      }
      copy /= orig.size();
      other /= orig.size();
      assertTrue(copy > other + 0.1, "copy cosine " + copy + " vs other " + other);
      assertTrue(r.metrics().meanCopyCosine > r.metrics().meanOtherCosine);

      Path dir = tmp.resolve("descriptor");
      d.save(dir, false);
      try (CopyDescriptor back = CopyDescriptor.load(dir, root)) {
        float[][] eb = back.embed(orig);
        for (int i = 0; i < eb.length; i++) assertArrayEquals(eo[i], eb[i], 0f);
        assertEquals(r.metrics().meanCopyCosine, back.config().metrics.meanCopyCosine);
      }
    }
  }

  @Test
  void badInputsAndDirectoriesGiveClearErrors() throws IOException {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> DescriptorTrainer.train(List.of(new float[784], new float[784]), tiny(), root, null));
    assertTrue(e.getMessage().contains("2 distinct"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> DescriptorTrainer.train(List.of(new float[10]), tiny(), root, null));
    assertTrue(e.getMessage().contains("784"), e.getMessage());

    IOException io = assertThrows(IOException.class, () -> CopyDescriptor.load(tmp.resolve("nope"), root));
    assertTrue(io.getMessage().contains("not a copy-descriptor directory"), io.getMessage());
    Path judgeDir = tmp.resolve("judge");
    try (Judge j = Judge.initialize(JudgeTest.config(TestData.lab("velmor")), root, 1)) {
      j.save(judgeDir, false);
    }
    io = assertThrows(IOException.class, () -> CopyDescriptor.load(judgeDir, root));
    assertTrue(io.getMessage().contains("missing descriptor.json"), io.getMessage());
    Files.copy(judgeDir.resolve(Judge.CONFIG), judgeDir.resolve(CopyDescriptor.CONFIG));
    Files.copy(judgeDir.resolve(Judge.WEIGHTS), judgeDir.resolve(CopyDescriptor.WEIGHTS));
    io = assertThrows(IOException.class, () -> CopyDescriptor.load(judgeDir, root));
    assertTrue(io.getMessage().contains("descriptor.json"), io.getMessage());
  }
}
