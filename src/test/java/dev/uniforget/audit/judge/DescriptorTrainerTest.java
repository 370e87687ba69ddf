package dev.uniforget.audit.judge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DescriptorTrainerTest {
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

  static DescriptorTrainer.Options tiny() {
    DescriptorTrainer.Options o = new DescriptorTrainer.Options();
    o.imageSize = S;
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

  static DescriptorConfig split(int oneIn, long seed) {
    DescriptorConfig c = new DescriptorConfig();
    c.heldoutOneIn = oneIn;
    c.splitSeed = seed;
    return c;
  }

  @Test
  void augmentedCopiesAreCloserThanOtherImagesAfterAShortTraining() throws IOException {
    List<float[]> train = SyntheticImages.blobs(300, S, 1, 5);
    train.add(train.get(0)); // a duplicate is counted once
    train.add(train.get(1).clone()); // so is an equal copy
    DescriptorTrainer.Result r = DescriptorTrainer.train(train, tiny(), root, null);
    try (CopyDescriptor d = r.descriptor()) {
      System.out.println("tiny descriptor: " + r.metrics());
      assertEquals(300, d.config().training.get("distinct_images"));
      assertEquals(10, d.config().heldoutOneIn, "the default keeps one in ten images out");
      // fresh pairs, not the trainer's own evaluation
      List<float[]> orig = SyntheticImages.blobs(100, S, 1, 6), aug = new ArrayList<>();
      SplittableRandom rng = new SplittableRandom(8);
      for (float[] img : orig) aug.add(Degradations.augmentView(img, S, rng));
      float[][] eo = d.embed(orig), ea = d.embed(aug);
      double copy = 0, other = 0;
      for (int i = 0; i < orig.size(); i++) {
        assertEquals(1.0, CopyDescriptor.cosine(eo[i], eo[i]), 1e-4);
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
        assertEquals(10, back.config().heldoutOneIn);
        assertEquals(3, back.config().splitSeed);
        for (float[] img : train) assertEquals(d.config().heldOutFromTraining(img), back.config().heldOutFromTraining(img));
      }
    }
  }

  @Test
  void theHeldOutShareIsDecidedByContentAlone() {
    DescriptorConfig c = split(10, 7);
    List<float[]> imgs = new ArrayList<>();
    for (int i = 0; i < 3000; i++) imgs.add(SyntheticImages.randomImage(S * S, 1000 + i));
    List<Boolean> first = new ArrayList<>();
    int held = 0;
    for (float[] img : imgs) {
      boolean h = c.heldOutFromTraining(img);
      first.add(h);
      if (h) held++;
    }
    // about one in ten (binomial: 300 +- 16)
    assertTrue(held >= 240 && held <= 360, held + " of 3000 held out");
    // the same content gives the same decision: a copy, another config object, another order
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < imgs.size(); i++) order.add(i);
    Collections.shuffle(order, new java.util.Random(1));
    DescriptorConfig again = split(10, 7);
    for (int i : order) assertEquals(first.get(i), again.heldOutFromTraining(imgs.get(i).clone()), "image " + i);
    // another split seed holds out other images; no share holds out none
    DescriptorConfig other = split(10, 8);
    int same = 0;
    for (int i = 0; i < imgs.size(); i++) if (first.get(i) && other.heldOutFromTraining(imgs.get(i))) same++;
    assertTrue(same < held / 3, same + " of " + held + " held out under both seeds");
    for (float[] img : imgs) assertFalse(split(0, 7).heldOutFromTraining(img));
    int fifth = 0;
    for (float[] img : imgs) if (split(5, 7).heldOutFromTraining(img)) fifth++;
    assertTrue(fifth >= 520 && fifth <= 680, fifth + " of 3000 held out for one in five");
  }

  /**
   * The held-out images never reach training: they are poisoned (one NaN pixel), so a single step
   * on any of them would make the loss NaN and stop the training. The same set trained without a
   * held-out share does stop, so the check can fail.
   */
  @Test
  void theDescriptorNeverTrainsOnItsHeldOutImages() {
    DescriptorTrainer.Options o = tiny();
    o.steps = 15;
    o.batchSize = 16;
    o.evalImages = 20;
    DescriptorConfig c = split(o.heldoutOneIn, o.seed);
    List<float[]> train = new ArrayList<>();
    int kept = 0, poisoned = 0;
    SplittableRandom rng = new SplittableRandom(9);
    for (int i = 0; kept < 60 || poisoned < 6; i++) {
      float[] img = SyntheticImages.shape(i % 4, S, 1, rng);
      if (c.heldOutFromTraining(img)) continue;
      if (kept < 60) {
        train.add(img);
        kept++;
      }
      float[] bad = img.clone();
      bad[rng.nextInt(bad.length)] = Float.NaN;
      if (poisoned < 6 && c.heldOutFromTraining(bad)) {
        train.add(bad);
        train.add(bad.clone()); // listed twice: still one held-out image
        poisoned++;
      }
    }
    Collections.shuffle(train, new java.util.Random(2));
    DescriptorTrainer.Result r = DescriptorTrainer.train(train, o, root, null);
    try (CopyDescriptor d = r.descriptor()) {
      assertEquals(66, d.config().training.get("distinct_images"));
      assertEquals(60, d.config().training.get("trained_on_images"));
      assertTrue(Double.isFinite(r.metrics().finalLoss));
      // the separation is measured on the held-out (here poisoned) images, never trained on
      assertEquals(6, r.metrics().images);
      assertTrue(Double.isNaN(r.metrics().meanCopyCosine), "measured on the held-out images: " + r.metrics());
    }
    o.heldoutOneIn = 0;
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> DescriptorTrainer.train(train, o, root, null));
    assertTrue(e.getMessage().contains("diverged"), e.getMessage());
  }

  @Test
  void rgbImagesTrainSaveAndLoad() throws IOException {
    DescriptorTrainer.Options o = tiny();
    o.channels = 3;
    o.steps = 10;
    o.batchSize = 16;
    List<float[]> train = SyntheticImages.blobs(80, S, 3, 10);
    DescriptorTrainer.Result r = DescriptorTrainer.train(train, o, root, null);
    try (CopyDescriptor d = r.descriptor()) {
      assertEquals(3, d.config().channels);
      float[][] e = d.embed(train.subList(0, 5));
      for (float[] v : e) assertEquals(1.0, CopyDescriptor.cosine(v, v), 1e-4);
      IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> d.embed(List.of(new float[S * S])));
      assertTrue(bad.getMessage().contains(String.valueOf(3 * S * S)), bad.getMessage());
      Path dir = tmp.resolve("rgb");
      d.save(dir, false);
      try (CopyDescriptor back = CopyDescriptor.load(dir, root)) {
        float[][] b = back.embed(train.subList(0, 5));
        for (int i = 0; i < 5; i++) assertArrayEquals(e[i], b[i], 0f);
      }
    }
  }

  @Test
  void badInputsOptionsAndDirectoriesGiveClearErrors() throws IOException {
    DescriptorTrainer.Options o = tiny();
    o.heldoutOneIn = 0;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> DescriptorTrainer.train(List.of(new float[S * S], new float[S * S]), o, root, null));
    assertTrue(e.getMessage().contains("2 distinct"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> DescriptorTrainer.train(List.of(new float[10]), o, root, null));
    assertTrue(e.getMessage().contains(String.valueOf(S * S)), e.getMessage());
    DescriptorTrainer.Options one = tiny();
    one.heldoutOneIn = 1; // would hold out every image
    e = assertThrows(IllegalArgumentException.class, () -> DescriptorTrainer.train(SyntheticImages.images(20, S, 1, 1), one, root, null));
    assertTrue(e.getMessage().contains("heldout-one-in"), e.getMessage());
    DescriptorConfig bad = split(1, 0);
    e = assertThrows(IllegalArgumentException.class, bad::validate);
    assertTrue(e.getMessage().contains("'heldout_one_in'"), e.getMessage());

    IOException io = assertThrows(IOException.class, () -> CopyDescriptor.load(tmp.resolve("nope"), root));
    assertTrue(io.getMessage().contains("not a copy-descriptor directory"), io.getMessage());
    Path classifierDir = tmp.resolve("classifier");
    ClassifierConfig cc = ClassifierTest.config(ClassifierConfig.QUALITY, 1, "a", "b");
    try (Classifier c = Classifier.initialize(cc, root, 1)) {
      c.save(classifierDir, false);
    }
    io = assertThrows(IOException.class, () -> CopyDescriptor.load(classifierDir, root));
    assertTrue(io.getMessage().contains("missing descriptor.json"), io.getMessage());
    Files.copy(classifierDir.resolve(Classifier.CONFIG), classifierDir.resolve(CopyDescriptor.CONFIG));
    Files.copy(classifierDir.resolve(Classifier.WEIGHTS), classifierDir.resolve(CopyDescriptor.WEIGHTS));
    io = assertThrows(IOException.class, () -> CopyDescriptor.load(classifierDir, root));
    assertTrue(io.getMessage().contains("descriptor.json"), io.getMessage());
  }
}
