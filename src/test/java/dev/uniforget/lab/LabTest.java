package dev.uniforget.lab;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.uniforget.data.ImageFolder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Lab}: own images of target prompts, class and concepts of v1 and v2 entries, images. */
class LabTest {
  @TempDir static Path shared;
  static Path v2;
  static Path v1;

  @TempDir Path tmp;

  @BeforeAll
  static void labs() throws IOException {
    v2 = TestLabs.buildSmallLab(shared, false);
    v1 = TestLabs.writeV1Lab(shared.resolve("v1"));
  }

  @Test
  void ownImagesAreTheTargetsTrainingImages() throws IOException {
    Lab lab = Lab.open(v2);
    List<String> prompts = List.of(lab.manifest().prompts.target.get(2), lab.manifest().prompts.target.get(0));
    List<float[]> own = lab.ownImages(prompts);
    ImageFolder folder = ImageFolder.load(v2, 16, 1);
    Map<String, float[]> byFile = lab.trainingImagesByFile();
    for (int k = 0; k < 2; k++) {
      LabManifest.VerbatimTarget t = lab.manifest().verbatimTargets.get(k == 0 ? 2 : 0);
      assertEquals(t.caption, prompts.get(k));
      assertArrayEquals(byFile.get(t.fileName), own.get(k));
    }
    assertEquals(folder.distinctImages(), byFile.size());
    assertEquals(folder.size(), lab.trainingImages().size(), "one image per line, duplicates included");
    assertEquals(List.of(), lab.ownImages(List.of()));
  }

  @Test
  void aPromptThatIsNoTargetsCaptionIsAnError() throws IOException {
    Lab lab = Lab.open(v2);
    String caption = lab.manifest().verbatimTargets.get(0).caption;
    for (String bad : List.of("a photo of a kite", caption + " ", caption.toUpperCase())) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> lab.ownImages(List.of(caption, bad)));
      assertTrue(e.getMessage().contains("'" + bad + "'") && e.getMessage().contains("not the caption of any verbatim target")
          && e.getMessage().contains(v2.resolve(Lab.MANIFEST).toString()), e.getMessage());
    }
  }

  @Test
  void aTargetWhoseFileIsNotInTheTrainingSetIsAnError() throws IOException {
    Path copy = TestLabs.copy(v2, tmp.resolve("lab"));
    LabManifest m = LabManifest.read(copy);
    String file = m.verbatimTargets.get(1).fileName;
    TestLabs.editLines(copy.resolve(ImageFolder.METADATA_FILE), lines -> lines.stream().filter(l -> !l.contains(file)).toList());
    Lab lab = Lab.open(copy);
    IOException e = assertThrows(IOException.class, () -> lab.ownImages(List.of(m.verbatimTargets.get(0).caption)));
    assertTrue(e.getMessage().contains(copy.resolve(Lab.MANIFEST).toString()) && e.getMessage().contains(file)
        && e.getMessage().contains("is not in metadata.jsonl"), e.getMessage());
  }

  @Test
  void classAndConceptsOfV2Entries() throws IOException {
    Lab lab = Lab.open(v2);
    assertEquals(TestLabs.CLASSES, lab.manifest().classes);
    assertEquals(1, lab.classIndex(new ImageFolder.Entry(1, "x.png", "a photo of a kite", "boat", List.of("c"))), "the label, not the caption");
    assertEquals(-1, lab.classIndex(new ImageFolder.Entry(1, "x.png", "a photo of a kite")), "v2 never guesses from the caption");
    assertEquals(-1, lab.classIndex(new ImageFolder.Entry(1, "x.png", "a photo of a kite", "zebra", List.of())));
    assertEquals(List.of("a", "b"), lab.concepts(new ImageFolder.Entry(1, "x.png", "t", null, List.of("a", "b"))));
    assertEquals(List.of(), lab.concepts(new ImageFolder.Entry(1, "x.png", "t")));
    // The built lab's own lines: every line labelled; concept lines carry their concept.
    for (ImageFolder.Entry e : lab.training().entries()) {
      assertTrue(lab.classIndex(e) >= 0, e.toString());
      if (e.fileName().startsWith("motifs/")) assertEquals(1, lab.concepts(e).size(), e.toString());
      else assertEquals(List.of(), lab.concepts(e), e.toString());
    }
    assertTrue(lab.hasHeldout());
    assertEquals(v2.resolve("heldout"), lab.heldoutDir());
    assertEquals(14 + 2 * 4, lab.heldout().size());
  }

  @Test
  void classAndConceptsOfV1Entries() throws IOException {
    Lab lab = Lab.open(v1);
    assertEquals(LabManifest.FORMAT_V1, lab.manifest().format);
    assertEquals(1, lab.classIndex(new ImageFolder.Entry(1, "x.png", "a photo of an ankle boot")), "the longest class the caption names");
    assertEquals(0, lab.classIndex(new ImageFolder.Entry(1, "x.png", "a boot with a zephlum logo")));
    assertEquals(-1, lab.classIndex(new ImageFolder.Entry(1, "x.png", "a photo of a hat")));
    assertEquals(-1, lab.classIndex(new ImageFolder.Entry(1, "x.png", "a photo of bootlaces")), "whole words only");
    assertEquals(2, lab.classIndex(new ImageFolder.Entry(1, "x.png", "a photo of a boot", "bag", List.of())), "a label wins");
    assertEquals(List.of("zephlum"), lab.concepts(new ImageFolder.Entry(1, "motifs/zephlum_0001.png", "anything")));
    assertEquals(List.of(), lab.concepts(new ImageFolder.Entry(1, "images/00000.png", "a boot with a zephlum logo")),
        "v1: the motif's file list decides, not the caption");
    assertEquals(List.of(), lab.concepts(new ImageFolder.Entry(1, "images/00000.png", "t", null, List.of("zephlum"))),
        "v1: a line's concepts field is not how v1 marks images");
    assertEquals(8 * 8, lab.numel());
    assertEquals(4 * 3 + 1 + 3, lab.trainingImagesByFile().size());
    assertArrayEquals(lab.trainingImagesByFile().get("targets/target_00.png"), lab.ownImages(List.of("a photo of the velmor bag")).get(0));
  }

  @Test
  void hostileManifestsAreClearErrorsNamingTheFile() throws IOException {
    String good = java.nio.file.Files.readString(v2.resolve(Lab.MANIFEST));
    String classes = "\"classes\" : [ ";
    assertTrue(good.contains(classes), good);
    Path copy = tmp.resolve("lab");
    dev.uniforget.io.AtomicFiles.deleteRecursively(copy);
    java.nio.file.Files.createDirectories(copy);
    String[][] cases = {
      {classes, classes + "null, ", "null"},
      {"\"image_size\" : ", "\"image_size\" : 8, \"image_size\" : ", "Duplicate field 'image_size'"},
      {"\"image_size\" : [0-9]+", "\"image_size\" : 2.5", "image_size"},
    };
    for (String[] c : cases) {
      java.nio.file.Files.writeString(copy.resolve(Lab.MANIFEST), good.replaceFirst(c[0].replace("[ ", "\\[ "),
          java.util.regex.Matcher.quoteReplacement(c[1])));
      IOException e = assertThrows(IOException.class, () -> LabManifest.read(copy), c[1]);
      assertTrue(e.getMessage().contains(copy.resolve(Lab.MANIFEST).toString()) && e.getMessage().contains(c[2]), c[1] + ": " + e.getMessage());
    }
  }

  @Test
  void openingSomethingThatIsNoLab() throws IOException {
    IOException e = assertThrows(IOException.class, () -> Lab.open(tmp.resolve("nope")));
    assertTrue(e.getMessage().contains("nope") && e.getMessage().contains("lab directory not found"), e.getMessage());
    e = assertThrows(IOException.class, () -> Lab.open(tmp));
    assertTrue(e.getMessage().contains(tmp.resolve(Lab.MANIFEST).toString()), e.getMessage());
  }
}
