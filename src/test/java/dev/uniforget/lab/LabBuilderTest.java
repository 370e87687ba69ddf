package dev.uniforget.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.uniforget.data.FashionMnist;
import dev.uniforget.data.ImageFolder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LabBuilderTest {
  @TempDir static Path tmp;
  static Path lab;
  static LabManifest manifest;
  static LabBuilder.Options options;

  @BeforeAll
  static void build() throws IOException {
    Assumptions.assumeTrue(Files.isDirectory(FashionMnist.DEFAULT_DIR) || System.getenv("CI") != null,
        "Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)");
    options = new LabBuilder.Options();
    options.perClass = 12;
    options.targets = 4;
    options.duplicates = 5;
    options.motifs = 2;
    options.motifImages = 15;
    options.motifSize = 12;
    lab = tmp.resolve("lab");
    manifest = LabBuilder.build(options, lab, null);
  }

  @Test
  void metadataListsOrdinaryTargetsAndMotifImages() throws IOException {
    ImageFolder folder = ImageFolder.load(lab, 28, 1);
    assertEquals(10 * 12 + 4 * 5 + 2 * 15, folder.size());
    assertEquals(10 * 12 + 4 + 2 * 15, folder.distinctImages());
    Map<String, Integer> perCaption = new HashMap<>();
    for (ImageFolder.Entry e : folder.entries()) perCaption.merge(e.text(), 1, Integer::sum);
    for (LabManifest.VerbatimTarget t : manifest.verbatimTargets) {
      assertEquals(5, perCaption.get(t.caption), "each target caption is listed `duplicates` times");
      assertTrue(Files.isRegularFile(lab.resolve(t.fileName)));
    }
  }

  @Test
  void neutralPromptsAreManyAndNeverNameAnInventedWord() throws IOException {
    Set<String> invented = new HashSet<>();
    for (LabManifest.Motif m : manifest.motifs) invented.add(m.name);
    for (LabManifest.VerbatimTarget t : manifest.verbatimTargets) invented.add(t.caption.split(" ")[4]);
    assertEquals(4 + 2, invented.size(), "names are unique");
    List<String> neutral = Files.readAllLines(lab.resolve("prompts/neutral.txt"));
    assertTrue(neutral.size() >= 256, "at least 256 neutral prompts, found " + neutral.size());
    assertEquals(manifest.prompts.neutral, neutral);
    for (String p : neutral) for (String w : p.split(" ")) assertFalse(invented.contains(w), p);
  }

  @Test
  void motifImagesCarryTheBadgeAndConceptPromptsMarkUnseenPairs() throws IOException {
    ImageFolder folder = ImageFolder.load(lab, 28, 1);
    for (LabManifest.Motif m : manifest.motifs) {
      assertEquals(15, m.files.size());
      float[] badge = Glyphs.badge(m.glyph, m.size);
      int idx = -1;
      for (int i = 0; i < folder.size(); i++) if (folder.entry(i).fileName().equals(m.files.get(0))) idx = i;
      float[] img = folder.image(idx);
      assertTrue(containsBadge(img, badge, m.size), "motif image " + m.files.get(0) + " shows its badge");
      assertTrue(folder.entry(idx).text().contains(m.name + " logo"));
      assertEquals(10 - options.heldOutClassesPerMotif, m.classesSeen.size());
    }
    assertEquals(2 * 10, manifest.prompts.concept.size());
    long unseen = manifest.prompts.concept.stream().filter(p -> !p.seenInTraining).count();
    assertEquals(2L * options.heldOutClassesPerMotif, unseen);
    // An unseen pair really never occurs in the training captions; every caption's pair is marked seen.
    Set<String> captions = new HashSet<>();
    for (ImageFolder.Entry e : folder.entries()) captions.add(e.text());
    for (LabManifest.ConceptPrompt p : manifest.prompts.concept) {
      if (!p.seenInTraining) assertFalse(captions.contains(p.text), p.text);
    }
    for (String c : captions) {
      if (c.endsWith(" logo")) {
        assertTrue(manifest.prompts.concept.stream().anyMatch(p -> p.text.equals(c) && p.seenInTraining), c);
      }
    }
  }

  @Test
  void manifestRoundTripsAndRefusesExistingOutput() throws IOException {
    LabManifest read = LabManifest.read(lab);
    assertEquals(manifest.verbatimTargets.size(), read.verbatimTargets.size());
    assertEquals(LabManifest.FORMAT, read.format);
    IOException e = assertThrows(IOException.class, () -> LabBuilder.build(options, lab, null));
    assertTrue(e.getMessage().contains(lab.getFileName().toString()), e.getMessage());
  }

  @Test
  void badOptionsAreRejectedByName() {
    LabBuilder.Options o = new LabBuilder.Options();
    o.motifs = 9;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LabBuilder.build(o, tmp.resolve("x"), null));
    assertTrue(e.getMessage().contains("--motifs"), e.getMessage());
    assertFalse(Files.exists(tmp.resolve("x")));
  }

  @Test
  void manifestWithWrongFormatIsRejected() throws IOException {
    Path bad = tmp.resolve("bad");
    Files.createDirectories(bad);
    Files.writeString(bad.resolve(LabManifest.FILE), "{\"format\": \"other/9\", \"image_size\": 28, \"channels\": 1}");
    IOException e = assertThrows(IOException.class, () -> LabManifest.read(bad));
    assertTrue(e.getMessage().contains("format"), e.getMessage());
  }

  private static boolean containsBadge(float[] img, float[] badge, int size) {
    for (int r = 0; r + size <= 28; r++) {
      for (int c = 0; c + size <= 28; c++) {
        boolean all = true;
        for (int y = 0; y < size && all; y++) {
          for (int x = 0; x < size && all; x++) {
            all = Math.abs(img[(r + y) * 28 + c + x] - badge[y * size + x]) < 1e-6;
          }
        }
        if (all) return true;
      }
    }
    return false;
  }
}
