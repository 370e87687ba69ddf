package dev.uniforget.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.uniforget.data.ImageFolder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link LabCheck} on a good lab and on hostile ones: every problem named, with its file and line or field. */
class LabCheckTest {
  @TempDir static Path shared;
  static Path good;
  static LabManifest manifest;

  @TempDir Path tmp;

  @BeforeAll
  static void buildGoodLab() throws IOException {
    good = TestLabs.buildSmallLab(shared, false);
    manifest = LabManifest.read(good);
  }

  /** A fresh copy of the good lab. */
  private Path lab() throws IOException {
    return TestLabs.copy(good, tmp.resolve("lab"));
  }

  private static Path manifestFile(Path lab) {
    return lab.resolve(Lab.MANIFEST);
  }

  private static Path trainingMeta(Path lab) {
    return lab.resolve(ImageFolder.METADATA_FILE);
  }

  private static Path heldoutMeta(Path lab) {
    return lab.resolve(Lab.DEFAULT_HELDOUT).resolve(ImageFolder.METADATA_FILE);
  }

  /** Checks {@code lab}, expects problems, and returns them. */
  private static List<String> problems(Path lab) {
    LabCheck.Report r = LabCheck.check(lab);
    assertFalse(r.ok(), "expected problems in " + lab);
    return r.problems();
  }

  /** Asserts one problem contains every part (the first part usually the file). */
  private static void assertProblem(List<String> problems, String... parts) {
    for (String p : problems) {
      boolean all = true;
      for (String part : parts) all &= p.contains(part);
      if (all) return;
    }
    throw new AssertionError("no problem contains all of " + List.of(parts) + "; problems:\n  " + String.join("\n  ", problems));
  }

  @Test
  void theBuiltLabIsOk() {
    LabCheck.Report r = LabCheck.check(good);
    assertTrue(r.ok(), () -> String.join("\n", r.problems()));
    assertEquals(LabManifest.FORMAT, r.format());
    assertTrue(r.notes().isEmpty(), r.notes().toString());
    Map<String, Object> c = r.counts();
    int lines = 3 * 20 + 3 * 4 + 2 * 5;
    assertEquals(lines, c.get("training_lines"));
    assertEquals(3 * 20 + 3 + 2 * 5, c.get("training_images"));
    assertEquals((long) lines, c.get("training_labelled_lines"));
    assertEquals(14 + 2 * 4, c.get("heldout_images"));
    assertEquals(manifest.prompts.neutral.size(), c.get("neutral_prompts"));
  }

  @Test
  void missingLabOrManifest() throws IOException {
    assertProblem(problems(tmp.resolve("nope")), "nope", "lab directory not found");
    Path lab = lab();
    Files.delete(manifestFile(lab));
    assertProblem(problems(lab), manifestFile(lab).toString(), "not found");
    Files.writeString(manifestFile(lab), "{\"format\": ");
    assertProblem(problems(lab), manifestFile(lab).toString(), "not a valid LabManifest");
  }

  @Test
  void wrongFormat() throws IOException {
    Path lab = lab();
    TestLabs.editManifest(lab, m -> m.put("format", "uniforget-lab/9"));
    assertProblem(problems(lab), manifestFile(lab).toString(), "field 'format'", "uniforget-lab/9");
  }

  @Test
  void imageSizeZeroStopsBeforeReadingImages() throws IOException {
    Path lab = lab();
    TestLabs.editManifest(lab, m -> m.put("image_size", 0));
    List<String> p = problems(lab);
    assertProblem(p, manifestFile(lab).toString(), "field 'image_size'", "found 0");
    TestLabs.editManifest(lab, m -> m.put("image_size", 28));
    assertProblem(problems(lab), trainingMeta(lab).toString(), "line 1, field 'file_name'", "found 16x16, expected 28x28");
  }

  @Test
  void duplicateClassNames() throws IOException {
    Path lab = lab();
    TestLabs.editManifest(lab, m -> ((ArrayNode) m.get("classes")).add("apple"));
    assertProblem(problems(lab), manifestFile(lab).toString(), "field 'classes'[3]", "'apple' is listed twice");
  }

  @Test
  void labelNotAmongTheClasses() throws IOException {
    Path lab = lab();
    TestLabs.editJsonLine(trainingMeta(lab), 3, o -> o.put("label", "zebra"));
    TestLabs.editJsonLine(heldoutMeta(lab), 2, o -> o.put("label", "okapi"));
    List<String> p = problems(lab);
    assertProblem(p, trainingMeta(lab).toString(), "line 3, field 'label'", "'zebra'");
    assertProblem(p, heldoutMeta(lab).toString(), "line 2, field 'label'", "'okapi'");
  }

  @Test
  void badConceptsFieldsAreAllReported() throws IOException {
    Path lab = lab();
    Path meta = trainingMeta(lab);
    TestLabs.editJsonLine(meta, 1, o -> o.putArray("concepts").add("nosuchconcept"));
    TestLabs.editJsonLine(meta, 2, o -> o.put("concepts", "velmor"));
    TestLabs.editJsonLine(meta, 4, o -> o.putArray("concepts").add(7));
    String c0 = manifest.concepts.get(0).name;
    TestLabs.editJsonLine(meta, 5, o -> o.putArray("concepts").add(c0).add(c0));
    TestLabs.editJsonLine(meta, 6, o -> o.put("label", 3));
    List<String> p = problems(lab);
    assertProblem(p, meta.toString(), "line 1, field 'concepts'", "'nosuchconcept' is not a concept of the manifest");
    assertProblem(p, meta.toString(), "line 2, field 'concepts'", "expected a list of strings");
    assertProblem(p, meta.toString(), "line 4, field 'concepts'", "element 0", "expected a non-empty string");
    assertProblem(p, meta.toString(), "line 5, field 'concepts'", "element 1", "listed twice");
    assertProblem(p, meta.toString(), "line 6, field 'label'", "expected a non-empty string");
  }

  @Test
  void verbatimTargetFileNotListedOrCountedWrong() throws IOException {
    Path lab = lab();
    TestLabs.editManifest(lab, m -> {
      ((ObjectNode) m.get("verbatim_targets").get(0)).put("file_name", "targets/nope.png");
      ((ObjectNode) m.get("verbatim_targets").get(1)).put("duplicates", 99);
    });
    List<String> p = problems(lab);
    assertProblem(p, manifestFile(lab).toString(), "verbatim_targets[0].file_name", "targets/nope.png", "not listed in metadata.jsonl");
    assertProblem(p, manifestFile(lab).toString(), "verbatim_targets[1].duplicates", "(4)", "found 99");
  }

  @Test
  void targetPromptThatIsNoCaption() throws IOException {
    Path lab = lab();
    TestLabs.editManifest(lab, m -> ((ArrayNode) m.get("prompts").get("target")).set(0, "a photo of something else"));
    List<String> p = problems(lab);
    assertProblem(p, manifestFile(lab).toString(), "prompts.target[0]", "'a photo of something else' is not the caption");
    assertProblem(p, lab.resolve(Lab.TARGET_PROMPTS).toString(), "line 1", "expected the manifest's prompts");
  }

  @Test
  void conceptPromptNamingAnUnknownConcept() throws IOException {
    Path lab = lab();
    TestLabs.editManifest(lab, m -> ((ObjectNode) m.get("prompts").get("concept").get(1)).put("concept", "ghostlogo"));
    assertProblem(problems(lab), manifestFile(lab).toString(), "prompts.concept[1].concept", "found ghostlogo");
  }

  @Test
  void neutralPromptNamingAConceptOrATargetCaption() throws IOException {
    Path lab = lab();
    String concept = manifest.concepts.get(1).name;
    String caption = manifest.verbatimTargets.get(0).caption;
    TestLabs.editManifest(lab, m -> ((ArrayNode) m.get("prompts").get("neutral")).add("a photo of a " + concept + " kite").add(caption));
    TestLabs.editLines(lab.resolve(Lab.NEUTRAL_PROMPTS), l -> {
      l.add("a photo of a " + concept + " kite");
      l.add(caption);
      return l;
    });
    List<String> p = problems(lab);
    assertProblem(p, manifestFile(lab).toString(), "prompts.neutral", "names the concept '" + concept + "'");
    assertProblem(p, manifestFile(lab).toString(), "prompts.neutral", "'" + caption + "' is a verbatim target's caption");
    assertEquals(2, p.size(), "the prompt file was kept in step: " + p);
  }

  @Test
  void missingHeldoutFolder() throws IOException {
    Path lab = lab();
    try (var files = Files.walk(lab.resolve(Lab.DEFAULT_HELDOUT))) {
      for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(f);
    }
    assertProblem(problems(lab), heldoutMeta(lab).toString(), "held-out metadata file not found");
    TestLabs.editManifest(lab, m -> m.put("heldout", "../elsewhere"));
    assertProblem(problems(lab), manifestFile(lab).toString(), "field 'heldout'", "inside the lab");
    TestLabs.editManifest(lab, m -> m.remove("heldout"));
    assertProblem(problems(lab), manifestFile(lab).toString(), "field 'heldout'", "expected the held-out folder");
  }

  @Test
  void heldoutImageThatIsATrainingImageIsALeak() throws IOException {
    Path lab = lab();
    ImageFolder held = ImageFolder.load(lab.resolve(Lab.DEFAULT_HELDOUT), 16, 1);
    ImageFolder.Entry victim = held.entries().get(3);
    Files.copy(lab.resolve("images/00007.png"), lab.resolve(Lab.DEFAULT_HELDOUT).resolve(victim.fileName()),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    assertProblem(problems(lab), heldoutMeta(lab).toString(), "1 held-out image(s) are pixel-identical to a training image",
        victim.fileName() + " (line " + victim.line() + ")");
  }

  @Test
  void conceptCarriedByNoHeldoutImage() throws IOException {
    Path lab = lab();
    String concept = manifest.concepts.get(0).name;
    TestLabs.editLines(heldoutMeta(lab), lines -> lines.stream().map(l -> l.replace("\"concepts\":[\"" + concept + "\"]", "\"concepts\":[]")).toList());
    assertProblem(problems(lab), heldoutMeta(lab).toString(), "no held-out image carries concept '" + concept + "'");
  }

  @Test
  void conceptCarriedByNoTrainingImage() throws IOException {
    Path lab = lab();
    String concept = manifest.concepts.get(1).name;
    TestLabs.editLines(trainingMeta(lab), lines -> lines.stream().map(l -> l.replace("\"concepts\":[\"" + concept + "\"]", "\"concepts\":[]")).toList());
    assertProblem(problems(lab), manifestFile(lab).toString(), "concept '" + concept + "' is carried by no training image");
  }

  @Test
  void tooFewPlainHeldoutImages() throws IOException {
    Path lab = lab();
    TestLabs.editLines(heldoutMeta(lab), lines -> new ArrayList<>(lines.subList(5, lines.size())));
    assertProblem(problems(lab), heldoutMeta(lab).toString(), "at least 10 held-out images without concepts, found 9");
  }

  @Test
  void promptFileDifferingFromTheManifest() throws IOException {
    Path lab = lab();
    TestLabs.editLines(lab.resolve(Lab.NEUTRAL_PROMPTS), l -> {
      l.set(4, "a photo of a changed kite");
      return l;
    });
    Files.delete(lab.resolve(Lab.CONCEPT_PROMPTS));
    List<String> p = problems(lab);
    assertProblem(p, lab.resolve(Lab.NEUTRAL_PROMPTS).toString(), "line 5", "expected the manifest's prompts");
    assertProblem(p, lab.resolve(Lab.CONCEPT_PROMPTS).toString(), "prompt file not found");
    assertEquals(2, p.size(), p.toString());
  }

  @Test
  void severalProblemsAreAllReported() throws IOException {
    Path lab = lab();
    TestLabs.editManifest(lab, m -> {
      ((ObjectNode) m.get("verbatim_targets").get(2)).put("duplicates", 5);
      ((ArrayNode) m.get("classes")).add("boat");
    });
    TestLabs.editJsonLine(trainingMeta(lab), 2, o -> o.put("label", "zebra"));
    TestLabs.editJsonLine(trainingMeta(lab), 9, o -> o.put("file_name", "images/missing.png"));
    TestLabs.editJsonLine(heldoutMeta(lab), 4, o -> o.putArray("concepts").add("ghostlogo"));
    TestLabs.editLines(lab.resolve(Lab.TARGET_PROMPTS), l -> l.subList(0, 2));
    List<String> p = problems(lab);
    assertProblem(p, manifestFile(lab).toString(), "verbatim_targets[2].duplicates");
    assertProblem(p, manifestFile(lab).toString(), "field 'classes'[3]", "'boat' is listed twice");
    assertProblem(p, trainingMeta(lab).toString(), "line 2, field 'label'", "'zebra'");
    assertProblem(p, trainingMeta(lab).toString(), "line 9, field 'file_name'", "does not exist");
    assertProblem(p, heldoutMeta(lab).toString(), "line 4, field 'concepts'", "'ghostlogo'");
    assertProblem(p, lab.resolve(Lab.TARGET_PROMPTS).toString(), "line 3", "(3 prompts), found 2 lines");
    assertEquals(6, p.size(), String.join("\n", p));
  }

  /** A corruption of the manifest, the text a problem must contain, and whether {@link Lab#open} refuses it. */
  private record Case(String name, Consumer<ObjectNode> edit, String expected, boolean openFails) {}

  @Test
  void nullsGiveProblemsNotStackTraces() throws IOException {
    String m0 = "manifest.json: ";
    List<Case> cases = List.of(
        new Case("null target", m -> m.putArray("verbatim_targets").addNull(), m0 + "verbatim_targets[0]: expected an object, found null", true),
        new Case("null targets", m -> m.putNull("verbatim_targets"), m0 + "field 'verbatim_targets': expected a list", true),
        new Case("null concept", m -> ((ArrayNode) m.get("concepts")).addNull(), m0 + "concepts[2]: expected an object, found null", true),
        new Case("null concepts", m -> m.putNull("concepts"), m0 + "field 'concepts': expected a list", true),
        new Case("null class", m -> ((ArrayNode) m.get("classes")).addNull(), m0 + "field 'classes'[3]: expected a non-empty name", true),
        new Case("null classes", m -> m.putNull("classes"), m0 + "field 'classes': expected a list", true),
        new Case("null class seen", m -> ((ArrayNode) m.get("concepts").get(0).get("classes_seen")).addNull(),
            m0 + "concepts[0].classes_seen", true),
        new Case("null prompts", m -> m.putNull("prompts"), m0 + "field 'prompts'", true),
        new Case("null neutral prompts", m -> ((ObjectNode) m.get("prompts")).putNull("neutral"), m0 + "prompts.neutral: expected at least one", true),
        new Case("null neutral prompt", m -> ((ArrayNode) m.get("prompts").get("neutral")).addNull(), m0 + "prompts.neutral[", true),
        new Case("null target prompts", m -> ((ObjectNode) m.get("prompts")).putNull("target"), Lab.TARGET_PROMPTS + " line 1", false),
        new Case("null target prompt", m -> ((ArrayNode) m.get("prompts").get("target")).addNull(), m0 + "prompts.target[3]", true),
        new Case("null concept prompts", m -> ((ObjectNode) m.get("prompts")).putNull("concept"), Lab.CONCEPT_PROMPTS + " line 1", false),
        new Case("null concept prompt", m -> ((ArrayNode) m.get("prompts").get("concept")).addNull(), m0 + "prompts.concept[", true),
        new Case("null concept prompt text", m -> ((ObjectNode) m.get("prompts").get("concept").get(0)).putNull("text"),
            m0 + "prompts.concept[0].text", true),
        new Case("null heldout", m -> m.putNull("heldout"), m0 + "field 'heldout'", true),
        new Case("null format", m -> m.putNull("format"), m0 + "field 'format'", true),
        new Case("bad format and nulls", m -> {
          m.put("format", "uniforget-lab/9");
          m.putNull("concepts");
          m.putNull("verbatim_targets");
          m.putNull("classes");
          ((ObjectNode) m.get("prompts")).putNull("neutral");
          ((ObjectNode) m.get("prompts")).putNull("concept");
        }, m0 + "field 'format'", true),
        new Case("v1 with null motif", m -> {
          m.put("format", LabManifest.FORMAT_V1);
          m.remove("heldout");
          m.remove("concepts");
          m.putArray("motifs").addNull();
        }, m0 + "motifs[0].name", true));
    int i = 0;
    for (Case c : cases) {
      Path lab = TestLabs.copy(good, tmp.resolve("case" + i++));
      TestLabs.editManifest(lab, c.edit());
      LabCheck.Report r = LabCheck.check(lab); // must not throw
      assertFalse(r.ok(), c.name());
      assertProblem(r.problems(), c.expected());
      if (c.openFails()) {
        IOException e = assertThrows(IOException.class, () -> Lab.open(lab), c.name());
        assertTrue(e.getMessage().contains(manifestFile(lab).toString()), e.getMessage());
      }
    }
  }

  @Test
  void aV1LabIsReadWithANoteAndHasNoHeldoutSplit() throws IOException {
    Path v1 = TestLabs.writeV1Lab(tmp.resolve("v1"));
    LabCheck.Report r = LabCheck.check(v1);
    assertTrue(r.ok(), () -> String.join("\n", r.problems()));
    assertEquals(LabManifest.FORMAT_V1, r.format());
    assertTrue(r.notes().stream().anyMatch(n -> n.contains("no held-out split")), r.notes().toString());
    assertEquals(Map.of("zephlum", 3), r.counts().get("training_concept_images"));
    assertEquals(18L, r.counts().get("training_labelled_lines"), "v1 labels come from the captions");

    Lab lab = Lab.open(v1);
    assertFalse(lab.hasHeldout());
    assertEquals(List.of("zephlum"), lab.manifest().conceptNames());
    assertEquals("stamp", lab.manifest().concepts.get(0).kind);
    assertEquals("zephlum", lab.manifest().prompts.concept.get(0).concept, "v1's 'motif' is read as 'concept'");
    IOException e = assertThrows(IOException.class, lab::heldout);
    assertTrue(e.getMessage().contains(v1.resolve(Lab.MANIFEST).toString()) && e.getMessage().contains("no held-out split")
        && e.getMessage().contains("lab build"), e.getMessage());

    // A v1 lab with a problem is still checked in full.
    TestLabs.editManifest(v1, m -> ((ObjectNode) m.get("verbatim_targets").get(0)).put("duplicates", 2));
    assertProblem(problems(v1), v1.resolve(Lab.MANIFEST).toString(), "verbatim_targets[0].duplicates", "(3)", "found 2");
    // v1 and v2 fields do not mix.
    TestLabs.editManifest(v1, m -> m.putArray("concepts").addObject().put("name", "x"));
    assertProblem(problems(v1), v1.resolve(Lab.MANIFEST).toString(), "field 'concepts'", "uniforget-lab/2 field");
  }
}
