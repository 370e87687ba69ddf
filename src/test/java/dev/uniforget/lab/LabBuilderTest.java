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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Fashion-MNIST lab (uniforget-lab/2), built small. */
class LabBuilderTest {
  @TempDir static Path tmp;
  static LabSource source;
  static Path lab;
  static LabManifest manifest;
  static LabBuilder.Options options;

  @BeforeAll
  static void build() throws IOException {
    Assumptions.assumeTrue(Files.isDirectory(FashionMnist.DEFAULT_DIR) || System.getenv("CI") != null,
        "Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)");
    source = LabSource.fashionMnist(FashionMnist.DEFAULT_DIR);
    options = options();
    lab = tmp.resolve("lab");
    manifest = LabBuilder.build(source, options, lab, null);
  }

  static LabBuilder.Options options() {
    LabBuilder.Options o = new LabBuilder.Options();
    o.perClass = 12;
    o.targets = 4;
    o.duplicates = 5;
    o.motifs = 2;
    o.motifImages = 15;
    o.motifSize = 12;
    o.heldoutImages = 40;
    o.heldoutConceptImages = 6;
    return o;
  }

  private static Set<List<Float>> keys(List<float[]> images) {
    Set<List<Float>> out = new HashSet<>();
    for (float[] px : images) out.add(key(px));
    return out;
  }

  private static List<Float> key(float[] px) {
    List<Float> k = new ArrayList<>(px.length);
    for (float v : px) k.add(v);
    return k;
  }

  @Test
  void theManifestHasTheV2Fields() throws IOException {
    assertEquals(LabManifest.FORMAT, manifest.format);
    assertEquals(28, manifest.imageSize);
    assertEquals(1, manifest.channels);
    assertEquals(FashionMnist.CLASS_NAMES, manifest.classes);
    assertEquals(Lab.DEFAULT_HELDOUT, manifest.heldout);
    assertEquals(null, manifest.motifs);
    assertEquals(2, manifest.concepts.size());
    for (LabManifest.Concept c : manifest.concepts) {
      assertEquals("stamp", c.kind);
      assertTrue(c.description.contains(c.name), c.description);
      assertEquals(10 - options.heldOutClassesPerMotif, c.classesSeen.size());
    }
    assertEquals(4, manifest.verbatimTargets.size());
    for (LabManifest.VerbatimTarget t : manifest.verbatimTargets) {
      assertTrue(manifest.classes.contains(t.className));
      assertTrue(t.caption.endsWith(" " + t.className), t.caption);
      assertEquals(5, t.duplicates);
    }
    assertEquals(2 * 10, manifest.prompts.concept.size());
    for (LabManifest.ConceptPrompt p : manifest.prompts.concept) {
      assertTrue(manifest.conceptNames().contains(p.concept));
      assertTrue(p.text.contains(p.concept + " logo") && p.text.contains(p.className), p.text);
    }
    assertTrue(manifest.problems().isEmpty(), manifest.problems().toString());
    // Round trip.
    LabManifest read = LabManifest.read(lab);
    assertEquals(manifest.conceptNames(), read.conceptNames());
    assertEquals(manifest.prompts.neutral, read.prompts.neutral);
    assertEquals(manifest.heldout, read.heldout);
    assertTrue(Files.readString(lab.resolve(Lab.MANIFEST)).contains("\"format\" : \"uniforget-lab/2\""));
  }

  @Test
  void metadataListsOrdinaryTargetsAndMotifImagesEachWithALabel() throws IOException {
    ImageFolder folder = ImageFolder.load(lab, 28, 1);
    assertEquals(10 * 12 + 4 * 5 + 2 * 15, folder.size());
    assertEquals(10 * 12 + 4 + 2 * 15, folder.distinctImages());
    Map<String, Integer> perCaption = new HashMap<>();
    for (ImageFolder.Entry e : folder.entries()) {
      perCaption.merge(e.text(), 1, Integer::sum);
      assertTrue(manifest.classes.contains(e.label()), "line " + e.line() + " label " + e.label());
      assertEquals(Lab.classNamedIn(e.text(), manifest.classes), manifest.classes.indexOf(e.label()), "the caption names the label's class: " + e);
    }
    for (LabManifest.VerbatimTarget t : manifest.verbatimTargets) {
      assertEquals(5, perCaption.get(t.caption), "each target caption is listed `duplicates` times");
      assertTrue(Files.isRegularFile(lab.resolve(t.fileName)));
      for (ImageFolder.Entry e : folder.entries()) if (e.fileName().equals(t.fileName)) assertEquals(t.className, e.label());
    }
    ImageFolder held = ImageFolder.load(lab.resolve(Lab.DEFAULT_HELDOUT), 28, 1);
    for (ImageFolder.Entry e : held.entries()) assertTrue(manifest.classes.contains(e.label()), "held-out line " + e.line());
  }

  @Test
  void conceptImagesCarryTheirConceptAndItsBadge() throws IOException {
    ImageFolder folder = ImageFolder.load(lab, 28, 1);
    ImageFolder held = ImageFolder.load(lab.resolve(Lab.DEFAULT_HELDOUT), 28, 1);
    for (int m = 0; m < 2; m++) {
      LabManifest.Concept c = manifest.concepts.get(m);
      float[] badge = Glyphs.badge(Glyphs.NAMES.get(m), 12);
      int training = 0, heldout = 0;
      for (int i = 0; i < folder.size(); i++) {
        ImageFolder.Entry e = folder.entry(i);
        if (!e.concepts().contains(c.name)) continue;
        training++;
        assertEquals(List.of(c.name), e.concepts());
        assertTrue(e.text().contains(c.name + " logo"), e.text());
        assertTrue(c.classesSeen.contains(e.label()), "stamped only on seen classes: " + e);
        assertTrue(containsBadge(folder.image(i), badge, 12), e.fileName() + " shows its badge");
      }
      for (int i = 0; i < held.size(); i++) {
        ImageFolder.Entry e = held.entry(i);
        if (!e.concepts().contains(c.name)) continue;
        heldout++;
        assertTrue(containsBadge(held.image(i), badge, 12), "held-out " + e.fileName() + " shows its badge");
      }
      assertEquals(15, training);
      assertEquals(6, heldout);
    }
    // Lines without a concept have no logo caption.
    for (ImageFolder.Entry e : folder.entries()) if (e.concepts().isEmpty()) assertFalse(e.text().contains(" logo"), e.text());
    // Concept prompts: unseen pairs never occur in the training captions; every caption's pair is marked seen.
    long unseen = manifest.prompts.concept.stream().filter(p -> !p.seenInTraining).count();
    assertEquals(2L * options.heldOutClassesPerMotif, unseen);
    Set<String> captions = new HashSet<>();
    for (ImageFolder.Entry e : folder.entries()) captions.add(e.text());
    for (LabManifest.ConceptPrompt p : manifest.prompts.concept) if (!p.seenInTraining) assertFalse(captions.contains(p.text), p.text);
    for (String c : captions) {
      if (c.endsWith(" logo")) assertTrue(manifest.prompts.concept.stream().anyMatch(p -> p.text.equals(c) && p.seenInTraining), c);
    }
  }

  @Test
  void heldoutImagesAreRealImagesNeverTrainedOn() throws IOException {
    Lab l = Lab.open(lab);
    ImageFolder held = l.heldout();
    List<float[]> plain = new ArrayList<>();
    Map<String, Integer> perConcept = new HashMap<>();
    for (int i = 0; i < held.size(); i++) {
      if (held.entry(i).concepts().isEmpty()) plain.add(held.image(i));
      for (String c : held.entry(i).concepts()) perConcept.merge(c, 1, Integer::sum);
    }
    assertEquals(40, plain.size(), "plain held-out images");
    assertEquals(Map.of(manifest.concepts.get(0).name, 6, manifest.concepts.get(1).name, 6), perConcept);
    // Real: each plain held-out image is a Fashion-MNIST test image; none is a training image.
    List<float[]> test = new ArrayList<>();
    for (int i = 0; i < source.heldout().size(); i++) test.add(source.heldout().image(i));
    Set<List<Float>> testKeys = keys(test);
    for (float[] px : plain) assertTrue(testKeys.contains(key(px)), "a held-out image is a real test-split image");
    Set<List<Float>> train = keys(l.trainingImages());
    List<float[]> heldImages = new ArrayList<>();
    for (int i = 0; i < held.size(); i++) heldImages.add(held.image(i));
    Set<List<Float>> all = keys(heldImages);
    assertEquals(held.distinctImages(), all.size(), "held-out images are distinct");
    all.retainAll(train);
    assertTrue(all.isEmpty(), all.size() + " held-out images are pixel-identical to training images");
  }

  @Test
  void neutralPromptsAreManyAndNeverNameAnInventedWord() throws IOException {
    Set<String> invented = new HashSet<>(manifest.conceptNames());
    for (LabManifest.VerbatimTarget t : manifest.verbatimTargets) invented.add(t.caption.split(" ")[4]);
    assertEquals(4 + 2, invented.size(), "names are unique");
    List<String> neutral = Files.readAllLines(lab.resolve(Lab.NEUTRAL_PROMPTS));
    assertEquals(270, neutral.size(), "27 adjective combinations x 10 classes");
    assertEquals(manifest.prompts.neutral, neutral);
    for (String p : neutral) for (String w : p.split(" ")) assertFalse(invented.contains(w), p);
    assertEquals(manifest.prompts.target, Files.readAllLines(lab.resolve(Lab.TARGET_PROMPTS)));
  }

  @Test
  void theBuiltLabPassesTheCheck() {
    LabCheck.Report r = LabCheck.check(lab);
    assertTrue(r.ok(), () -> String.join("\n", r.problems()));
    assertTrue(r.notes().isEmpty(), r.notes().toString());
  }

  @Test
  void buildingTwiceWithTheSameSeedGivesIdenticalFiles() throws IOException {
    Path again = tmp.resolve("again");
    LabBuilder.build(source, options(), again, null);
    TestLabs.assertSameTree(lab, again);
  }

  @Test
  void conceptClassesBecomeADataConcept() throws IOException {
    LabBuilder.Options o = options();
    o.conceptClasses = List.of("bag");
    Path dataLab = tmp.resolve("data_lab");
    LabManifest m = LabBuilder.build(source, o, dataLab, null);
    LabCheck.Report r = LabCheck.check(dataLab);
    assertTrue(r.ok(), () -> String.join("\n", r.problems()));
    assertEquals(3, m.concepts.size());
    LabManifest.Concept data = m.concepts.get(2);
    assertEquals("data", data.kind);
    assertEquals(List.of("bag"), data.classesSeen);
    assertEquals(FashionMnist.CLASS_NAMES, m.classes, "the class stays a class (labels are ground truth)");

    ImageFolder training = ImageFolder.load(dataLab, 28, 1);
    int carriers = 0;
    for (ImageFolder.Entry e : training.entries()) {
      assertFalse((" " + e.text() + " ").contains(" bag "), "the class name never appears in a training caption: " + e.text());
      boolean isBag = "bag".equals(e.label());
      assertEquals(isBag, e.concepts().contains(data.name), e.toString());
      assertEquals(isBag, (" " + e.text() + " ").contains(" " + data.name + " "), e.text());
      if (isBag) carriers++;
    }
    assertTrue(carriers >= 12, "every bag image carries the concept: " + carriers);
    for (String p : m.prompts.neutral) {
      assertFalse((" " + p + " ").contains(" " + data.name + " "), p);
      assertFalse((" " + p + " ").contains(" bag "), p);
    }
    assertEquals(27 * 9, m.prompts.neutral.size());
    List<LabManifest.ConceptPrompt> dataPrompts = m.prompts.concept.stream().filter(p -> data.name.equals(p.concept)).toList();
    assertEquals(27, dataPrompts.size());
    for (LabManifest.ConceptPrompt p : dataPrompts) assertTrue((" " + p.text + " ").contains(" " + data.name + " "), p.text);
    assertTrue(m.prompts.concept.stream().noneMatch(p -> "bag".equals(p.className) && !data.name.equals(p.concept)),
        "no stamp prompt names the renamed class");
    for (String t : m.prompts.target) assertFalse((" " + t + " ").contains(" bag "), t);
    ImageFolder held = ImageFolder.load(dataLab.resolve(Lab.DEFAULT_HELDOUT), 28, 1);
    assertTrue(held.entries().stream().anyMatch(e -> e.concepts().contains(data.name)), "held-out images carry the data concept");
    for (ImageFolder.Entry e : held.entries()) assertEquals("bag".equals(e.label()), e.concepts().contains(data.name), e.toString());
    assertEquals(6, held.entries().stream().filter(e -> e.concepts().equals(List.of(data.name))).count(),
        "--heldout-concept-images unstamped held-out images of the data concept");
    assertEquals(40, held.entries().stream().filter(e -> e.concepts().isEmpty()).count(), "--heldout-images plain held-out images");
    String wrongArticle = LabBuilder.article(data.name).startsWith("an ") ? "a" : "an";
    for (ImageFolder.Entry e : training.entries()) {
      assertFalse((" " + e.text() + " ").contains(" " + wrongArticle + " " + data.name + " "), "article: " + e.text());
    }
  }

  @Test
  void refusesAnExistingOutput() {
    IOException e = assertThrows(IOException.class, () -> LabBuilder.build(source, options, lab, null));
    assertTrue(e.getMessage().contains(lab.getFileName().toString()), e.getMessage());
  }

  @Test
  void badOptionsAreRejectedByName() {
    LabBuilder.Options o = options();
    o.motifs = 9;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LabBuilder.build(source, o, tmp.resolve("x"), null));
    assertTrue(e.getMessage().contains("--motifs"), e.getMessage());
    LabBuilder.Options h = options();
    h.heldoutImages = 5;
    e = assertThrows(IllegalArgumentException.class, () -> LabBuilder.build(source, h, tmp.resolve("x"), null));
    assertTrue(e.getMessage().contains("--heldout-images"), e.getMessage());
    assertFalse(Files.exists(tmp.resolve("x")));
  }

  @Test
  void manifestWithWrongFormatIsRejected() throws IOException {
    Path bad = tmp.resolve("bad");
    Files.createDirectories(bad);
    Files.writeString(bad.resolve(Lab.MANIFEST), "{\"format\": \"other/9\", \"image_size\": 28, \"channels\": 1}");
    IOException e = assertThrows(IOException.class, () -> LabManifest.read(bad));
    assertTrue(e.getMessage().contains("format") && e.getMessage().contains("other/9"), e.getMessage());
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
