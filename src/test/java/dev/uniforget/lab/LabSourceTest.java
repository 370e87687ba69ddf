package dev.uniforget.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.uniforget.data.ImageFolder;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Labs built from any labelled imagefolder ({@code lab build --from}), gray and RGB. */
class LabSourceTest {
  @TempDir Path tmp;

  private static Set<List<Float>> keys(LabSource.Pool pool) {
    Set<List<Float>> out = new HashSet<>();
    for (int i = 0; i < pool.size(); i++) out.add(key(pool.image(i)));
    return out;
  }

  private static List<Float> key(float[] px) {
    List<Float> k = new ArrayList<>(px.length);
    for (float v : px) k.add(v);
    return k;
  }

  private static int[] perClass(LabSource.Pool pool, int classes) {
    int[] n = new int[classes];
    for (int i = 0; i < pool.size(); i++) n[pool.label(i)]++;
    return n;
  }

  @Test
  void aGrayFolderBuildsALabThatPassesTheCheck() throws IOException {
    Path lab = TestLabs.buildSmallLab(tmp, false);
    LabCheck.Report r = LabCheck.check(lab);
    assertTrue(r.ok(), () -> String.join("\n", r.problems()));
    LabManifest m = LabManifest.read(lab);
    assertEquals(LabManifest.FORMAT, m.format);
    assertEquals(16, m.imageSize);
    assertEquals(1, m.channels);
    assertEquals(TestLabs.CLASSES, m.classes);
    assertEquals(2, m.concepts.size());
    for (LabManifest.Concept c : m.concepts) {
      assertEquals("stamp", c.kind);
      assertEquals(2, c.classesSeen.size(), "each motif skips --held-out-classes 1 class");
    }
    assertTrue(m.builder.get("source").toString().contains("source"), m.builder.toString());

    // The held-out split comes from the source's held-out pool, the training set from its training pool.
    LabSource src = LabSource.fromFolder(tmp.resolve("source"), 0, TestLabs.HELDOUT_SHARE, 1);
    Set<List<Float>> trainPool = keys(src.train()), heldPool = keys(src.heldout());
    Lab l = Lab.open(lab);
    ImageFolder held = l.heldout();
    for (int i = 0; i < held.size(); i++) {
      if (held.entry(i).concepts().isEmpty()) assertTrue(heldPool.contains(key(held.image(i))), held.entry(i).fileName());
    }
    ImageFolder training = l.training();
    for (int i = 0; i < training.size(); i++) {
      if (training.entry(i).fileName().startsWith("images/")) assertTrue(trainPool.contains(key(training.image(i))), training.entry(i).fileName());
    }
  }

  @Test
  void rgbStaysRgb() throws IOException {
    Path lab = TestLabs.buildSmallLab(tmp, true);
    LabCheck.Report r = LabCheck.check(lab);
    assertTrue(r.ok(), () -> String.join("\n", r.problems()));
    Lab l = Lab.open(lab);
    assertEquals(3, l.channels());
    assertEquals(3 * 16 * 16, l.numel());
    BufferedImage png = ImageIO.read(lab.resolve("images/00000.png").toFile());
    assertEquals(3, png.getColorModel().getNumColorComponents(), "the lab's PNGs are colour");
    int n = 16 * 16;
    float[] img = l.training().image(0);
    assertEquals(3 * n, img.length);
    assertFalse(Arrays.equals(Arrays.copyOfRange(img, 0, n), Arrays.copyOfRange(img, n, 2 * n))
        && Arrays.equals(Arrays.copyOfRange(img, n, 2 * n), Arrays.copyOfRange(img, 2 * n, 3 * n)), "planes differ: colour kept");
    assertEquals(3 * n, l.heldout().image(0).length);

    // --channels 1 turns the same folder gray.
    LabSource gray = LabSource.fromFolder(tmp.resolve("source_rgb"), 1, 0.25, 1);
    assertEquals(1, gray.channels());
    assertEquals(n, gray.train().image(0).length);
  }

  @Test
  void theHeldoutShareIsTakenPerClass() throws IOException {
    Path folder = TestLabs.writeFolder(tmp.resolve("f"), false);
    // Uneven classes: 40 apples, 10 boats, 3 kites.
    TestLabs.editLines(folder.resolve(ImageFolder.METADATA_FILE), lines -> {
      List<String> out = new ArrayList<>(lines.subList(0, 40));
      out.addAll(lines.subList(40, 50));
      out.addAll(lines.subList(80, 83));
      return out;
    });
    LabSource src = LabSource.fromFolder(folder, 0, 0.25, 5);
    assertEquals(TestLabs.CLASSES, src.classes());
    assertEquals(16, src.imageSize());
    assertEquals(1, src.channels());
    assertEquals(List.of(10, 3, 1), Arrays.stream(perClass(src.heldout(), 3)).boxed().toList(), "round(share x n), at least one");
    assertEquals(List.of(30, 7, 2), Arrays.stream(perClass(src.train(), 3)).boxed().toList());
    Set<List<Float>> train = keys(src.train()), held = keys(src.heldout());
    assertEquals(39, train.size());
    assertEquals(14, held.size());
    held.retainAll(train);
    assertTrue(held.isEmpty(), "the pools are disjoint");

    // The split depends on the seed only.
    assertEquals(keys(src.heldout()), keys(LabSource.fromFolder(folder, 0, 0.25, 5).heldout()));
    assertNotEquals(keys(src.heldout()), keys(LabSource.fromFolder(folder, 0, 0.25, 6).heldout()));

    // A file listed on several lines counts once.
    TestLabs.editLines(folder.resolve(ImageFolder.METADATA_FILE), lines -> {
      lines.add(lines.get(0));
      lines.add(lines.get(0));
      return lines;
    });
    LabSource again = LabSource.fromFolder(folder, 0, 0.25, 5);
    assertEquals(40 + 10 + 3, again.train().size() + again.heldout().size());
  }

  @Test
  void aLineWithoutLabelIsAnErrorNamingFileLineAndField() throws IOException {
    Path folder = TestLabs.writeFolder(tmp.resolve("f"), false);
    Path meta = folder.resolve(ImageFolder.METADATA_FILE);
    TestLabs.editJsonLine(meta, 3, o -> o.remove("label"));
    IOException e = assertThrows(IOException.class, () -> LabSource.fromFolder(folder, 0, 0.25, 0));
    assertTrue(e.getMessage().contains(meta.toString()) && e.getMessage().contains("line 3, field 'label'")
        && e.getMessage().contains("missing"), e.getMessage());
  }

  @Test
  void aNonSquareImageIsAClearError() throws IOException {
    Path folder = TestLabs.writeFolder(tmp.resolve("f"), false);
    Path meta = folder.resolve(ImageFolder.METADATA_FILE);
    String fifth = Files.readAllLines(meta).get(4).replaceAll(".*\"file_name\":\"([^\"]+)\".*", "$1");
    ImageIO.write(new BufferedImage(16, 12, BufferedImage.TYPE_BYTE_GRAY), "png", folder.resolve(fifth).toFile());
    IOException e = assertThrows(IOException.class, () -> LabSource.fromFolder(folder, 0, 0.25, 0));
    assertTrue(e.getMessage().contains(meta.toString()) && e.getMessage().contains("line 5, field 'file_name'")
        && e.getMessage().contains("found 16x12, expected 16x16"), e.getMessage());

    String first = Files.readAllLines(meta).get(0).replaceAll(".*\"file_name\":\"([^\"]+)\".*", "$1");
    ImageIO.write(new BufferedImage(12, 16, BufferedImage.TYPE_BYTE_GRAY), "png", folder.resolve(first).toFile());
    e = assertThrows(IOException.class, () -> LabSource.fromFolder(folder, 0, 0.25, 0));
    assertTrue(e.getMessage().contains(first) && e.getMessage().contains("expected square images, found 12x16"), e.getMessage());
  }

  @Test
  void badFoldersAndOptionsAreClearErrors() throws IOException {
    IOException e = assertThrows(IOException.class, () -> LabSource.fromFolder(tmp.resolve("none"), 0, 0.25, 0));
    assertTrue(e.getMessage().contains("metadata file not found"), e.getMessage());
    Path folder = TestLabs.writeFolder(tmp.resolve("f"), false);
    for (double share : new double[] {0, 1, -0.5, Double.NaN}) {
      IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> LabSource.fromFolder(folder, 0, share, 0));
      assertTrue(x.getMessage().contains("--heldout-share"), x.getMessage());
    }
    // More ordinary images per class than the folder has.
    LabSource src = LabSource.fromFolder(folder, 0, 0.25, 0);
    LabBuilder.Options o = TestLabs.smallOptions();
    o.perClass = 31;
    e = assertThrows(IOException.class, () -> LabBuilder.build(src, o, tmp.resolve("lab"), null));
    assertTrue(e.getMessage().contains("has only 30 training images of class 'apple'") && e.getMessage().contains("--per-class"), e.getMessage());
    assertFalse(Files.exists(tmp.resolve("lab")));
    // A motif badge larger than the images.
    LabBuilder.Options big = TestLabs.smallOptions();
    big.motifSize = 17;
    IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> LabBuilder.build(src, big, tmp.resolve("lab"), null));
    assertTrue(x.getMessage().contains("--motif-size") && x.getMessage().contains("16"), x.getMessage());
    // Every class held out from a motif.
    LabBuilder.Options allHeld = TestLabs.smallOptions();
    allHeld.heldOutClassesPerMotif = 3;
    x = assertThrows(IllegalArgumentException.class, () -> LabBuilder.build(src, allHeld, tmp.resolve("lab"), null));
    assertTrue(x.getMessage().contains("--held-out-classes"), x.getMessage());
    // An unknown or every class as a data concept.
    LabBuilder.Options unknown = TestLabs.smallOptions();
    unknown.conceptClasses = List.of("zebra");
    x = assertThrows(IllegalArgumentException.class, () -> LabBuilder.build(src, unknown, tmp.resolve("lab"), null));
    assertTrue(x.getMessage().contains("--concept-classes") && x.getMessage().contains("'zebra'"), x.getMessage());
    LabBuilder.Options every = TestLabs.smallOptions();
    every.conceptClasses = TestLabs.CLASSES;
    x = assertThrows(IllegalArgumentException.class, () -> LabBuilder.build(src, every, tmp.resolve("lab"), null));
    assertTrue(x.getMessage().contains("--concept-classes"), x.getMessage());
    assertFalse(Files.exists(tmp.resolve("lab")));
    // A held-out pool too small for 10 plain images beside the concept images: refused, not a lab that fails its check.
    Path small = TestLabs.writeFolder(tmp.resolve("small"), TestLabs.CLASSES, 24, 16, false, 5);
    LabSource smallSrc = LabSource.fromFolder(small, 0, 0.25, 0);
    assertEquals(18, smallSrc.heldout().size());
    LabBuilder.Options tight = TestLabs.smallOptions();
    tight.perClass = 10;
    tight.heldoutConceptImages = 5;
    e = assertThrows(IOException.class, () -> LabBuilder.build(smallSrc, tight, tmp.resolve("lab"), null));
    assertTrue(e.getMessage().contains("leaves 9 plain held-out images") && e.getMessage().contains("--heldout-share"), e.getMessage());
    assertFalse(Files.exists(tmp.resolve("lab")));
  }

  @Test
  void aFolderLabWithADataConceptPassesTheCheck() throws IOException {
    Path folder = TestLabs.writeFolder(tmp.resolve("f"), false);
    LabSource src = LabSource.fromFolder(folder, 0, 0.25, 1);
    LabBuilder.Options o = TestLabs.smallOptions();
    o.conceptClasses = List.of("apple");
    Path lab = tmp.resolve("lab");
    LabManifest m = LabBuilder.build(src, o, lab, null);
    LabCheck.Report r = LabCheck.check(lab);
    assertTrue(r.ok(), () -> String.join("\n", r.problems()));
    LabManifest.Concept data = m.concepts.get(2);
    assertEquals("data", data.kind);
    assertEquals(List.of("apple"), data.classesSeen);
    String wrongArticle = LabBuilder.article(data.name).startsWith("an ") ? "a" : "an";
    int stamped = 0;
    for (ImageFolder.Entry e : ImageFolder.load(lab, 16, 1).entries()) {
      assertFalse((" " + e.text() + " ").contains(" apple "), e.text());
      assertEquals("apple".equals(e.label()), e.concepts().contains(data.name), e.toString());
      assertFalse((" " + e.text() + " ").contains(" " + wrongArticle + " " + data.name + " "), "article: " + e.text());
      if (e.concepts().size() == 2) stamped++;
    }
    assertTrue(stamped > 0, "some apple images carry a stamp too (their captions are renamed as well)");
    ImageFolder held = ImageFolder.load(lab.resolve(Lab.DEFAULT_HELDOUT), 16, 1);
    long heldData = held.entries().stream().filter(e -> e.concepts().equals(List.of(data.name))).count();
    long plain = held.entries().stream().filter(e -> e.concepts().isEmpty()).count();
    assertEquals(4, heldData, "--heldout-concept-images held-out images of the data concept");
    assertEquals(14, plain, "--heldout-images stays the number of plain held-out images");
  }

  @Test
  void buildingTwiceWithTheSameSeedGivesTheSameFiles() throws IOException {
    Path folder = TestLabs.writeFolder(tmp.resolve("f"), true);
    Path a = tmp.resolve("a"), b = tmp.resolve("b"), c = tmp.resolve("c");
    LabBuilder.build(LabSource.fromFolder(folder, 0, 0.25, 1), TestLabs.smallOptions(), a, null);
    LabBuilder.build(LabSource.fromFolder(folder, 0, 0.25, 1), TestLabs.smallOptions(), b, null);
    TestLabs.assertSameTree(a, b);
    LabBuilder.Options other = TestLabs.smallOptions();
    other.seed = 2;
    LabBuilder.build(LabSource.fromFolder(folder, 0, 0.25, 1), other, c, null);
    assertNotEquals(Files.readString(a.resolve(ImageFolder.METADATA_FILE)), Files.readString(c.resolve(ImageFolder.METADATA_FILE)));
  }
}
