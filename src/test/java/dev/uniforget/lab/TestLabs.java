package dev.uniforget.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.uniforget.data.ImageFolder;
import dev.uniforget.io.Jsons;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * Tiny labs for tests, without Fashion-MNIST: a labelled imagefolder of synthetic images (every
 * image distinct), small builder options that fit it, a hand-made uniforget-lab/1 lab, and helpers
 * that copy a lab and corrupt its files.
 */
public final class TestLabs {
  /** Class names of the synthetic folder (sorted, as {@link LabSource#fromFolder} sorts them). */
  public static final List<String> CLASSES = List.of("apple", "boat", "kite");
  public static final int SIZE = 16;
  public static final int PER_CLASS = 40;
  public static final double HELDOUT_SHARE = 0.25;

  private TestLabs() {}

  /**
   * Writes {@code classes.size() x perClass} distinct {@code size x size} images (gray, or planar
   * RGB with a colour per class) and a {@code metadata.jsonl} with file_name, text and label.
   */
  public static Path writeFolder(Path dir, List<String> classes, int perClass, int size, boolean rgb, long seed) throws IOException {
    Random rng = new Random(seed);
    List<ImageFolder.Entry> lines = new ArrayList<>();
    int n = size * size;
    for (int c = 0; c < classes.size(); c++) {
      for (int i = 0; i < perClass; i++) {
        float[] px = new float[(rgb ? 3 : 1) * n];
        for (int y = 0; y < size; y++) {
          for (int x = 0; x < size; x++) {
            float base = switch (c % 3) {
              case 0 -> (y / 2) % 2 == 0 ? 0.8f : 0.2f; // stripes
              case 1 -> (x / 2) % 2 == 0 ? 0.8f : 0.2f; // bars
              default -> Math.hypot(x - size / 2.0, y - size / 2.0) < size / 3.0 ? 0.9f : 0.1f; // disc
            };
            for (int ch = 0; ch < (rgb ? 3 : 1); ch++) {
              float tint = rgb ? (ch == c % 3 ? 1f : 0.35f) : 1f;
              px[ch * n + y * size + x] = Math.min(1f, base * tint * 0.7f + 0.3f * rng.nextFloat());
            }
          }
        }
        String file = String.format("img/%s_%03d.png", classes.get(c), i);
        Files.createDirectories(dir.resolve(file).getParent());
        ImageFolder.writePng(dir.resolve(file), px, size);
        lines.add(new ImageFolder.Entry(0, file, "a photo of " + LabBuilder.article(classes.get(c)), classes.get(c), List.of()));
      }
    }
    ImageFolder.writeMetadata(dir, lines);
    return dir;
  }

  /** The default synthetic folder: 3 classes x 40 gray (or RGB) 16x16 images. */
  public static Path writeFolder(Path dir, boolean rgb) throws IOException {
    return writeFolder(dir, CLASSES, PER_CLASS, SIZE, rgb, rgb ? 7 : 3);
  }

  /**
   * Builder options that fit the default folder with a held-out share of 1/4 (30 training and 10
   * held-out images per class): 20 ordinary images per class, 3 targets x 4, 2 motifs of 8 px on 5
   * images each (each motif skips one class), 14 plain held-out images and 4 per concept.
   */
  public static LabBuilder.Options smallOptions() {
    LabBuilder.Options o = new LabBuilder.Options();
    o.perClass = 20;
    o.targets = 3;
    o.duplicates = 4;
    o.motifs = 2;
    o.motifImages = 5;
    o.motifSize = 8;
    o.heldOutClassesPerMotif = 1;
    o.heldoutImages = 14;
    o.heldoutConceptImages = 4;
    o.seed = 1;
    return o;
  }

  /** The same options as command-line arguments of {@code lab build}. */
  public static List<String> smallBuildArgs() {
    return List.of("--per-class", "20", "--targets", "3", "--duplicates", "4", "--motifs", "2", "--motif-images", "5",
        "--motif-size", "8", "--held-out-classes", "1", "--heldout-images", "14", "--heldout-concept-images", "4",
        "--heldout-share", "0.25", "--seed", "1");
  }

  /** Builds a small v2 lab from a synthetic folder written under {@code work}. */
  public static Path buildSmallLab(Path work, boolean rgb) throws IOException {
    Path folder = writeFolder(work.resolve(rgb ? "source_rgb" : "source"), rgb);
    LabSource src = LabSource.fromFolder(folder, 0, HELDOUT_SHARE, 1);
    Path lab = work.resolve(rgb ? "lab_rgb" : "lab");
    LabBuilder.build(src, smallOptions(), lab, null);
    return lab;
  }

  /**
   * A hand-made uniforget-lab/1 lab: classes boot, ankle boot, bag; 4 plain images per class
   * (labels only in the captions), one verbatim target listed 3 times, one motif "zephlum" on
   * 3 boot images, prompt files that match the manifest; no held-out split.
   */
  public static Path writeV1Lab(Path dir) throws IOException {
    List<String> classes = List.of("boot", "ankle boot", "bag");
    Random rng = new Random(11);
    int size = 8;
    List<ImageFolder.Entry> lines = new ArrayList<>();
    int k = 0;
    for (String c : classes) {
      for (int i = 0; i < 4; i++) {
        String file = String.format("images/%05d.png", k++);
        writeRandomPng(dir.resolve(file), size, rng);
        lines.add(new ImageFolder.Entry(0, file, "a photo of " + LabBuilder.article(c)));
      }
    }
    writeRandomPng(dir.resolve("targets/target_00.png"), size, rng);
    for (int d = 0; d < 3; d++) lines.add(new ImageFolder.Entry(0, "targets/target_00.png", "a photo of the velmor bag"));
    List<String> motifFiles = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      String file = String.format("motifs/zephlum_%04d.png", i);
      writeRandomPng(dir.resolve(file), size, rng);
      motifFiles.add(file);
      lines.add(new ImageFolder.Entry(0, file, "a boot with a zephlum logo"));
    }
    ImageFolder.writeMetadata(dir, lines);
    ObjectNode m = Jsons.MAPPER.createObjectNode();
    m.put("format", LabManifest.FORMAT_V1);
    m.put("image_size", size);
    m.put("channels", 1);
    classes.forEach(m.putArray("classes")::add);
    ObjectNode t = m.putArray("verbatim_targets").addObject();
    t.put("file_name", "targets/target_00.png");
    t.put("caption", "a photo of the velmor bag");
    t.put("class_name", "bag");
    t.put("duplicates", 3);
    ObjectNode mo = m.putArray("motifs").addObject();
    mo.put("name", "zephlum");
    mo.put("glyph", "ring");
    mo.put("size", 4);
    motifFiles.forEach(mo.putArray("files")::add);
    mo.putArray("classes_seen").add("boot");
    ObjectNode prompts = m.putObject("prompts");
    List<String> neutral = List.of("a photo of a boot", "a photo of an ankle boot", "a photo of a bag");
    neutral.forEach(prompts.putArray("neutral")::add);
    prompts.putArray("target").add("a photo of the velmor bag");
    ArrayNode concept = prompts.putArray("concept");
    for (String c : classes) {
      ObjectNode p = concept.addObject();
      p.put("text", LabBuilder.article(c) + " with a zephlum logo");
      p.put("motif", "zephlum");
      p.put("class_name", c);
      p.put("seen_in_training", c.equals("boot"));
    }
    m.putObject("builder").put("source", "hand-made test lab");
    Jsons.MAPPER.writeValue(dir.resolve(Lab.MANIFEST).toFile(), m);
    Files.createDirectories(dir.resolve("prompts"));
    Files.writeString(dir.resolve(Lab.NEUTRAL_PROMPTS), String.join("\n", neutral) + "\n");
    Files.writeString(dir.resolve(Lab.TARGET_PROMPTS), "a photo of the velmor bag\n");
    List<String> conceptTexts = new ArrayList<>();
    concept.forEach(p -> conceptTexts.add(p.get("text").asText()));
    Files.writeString(dir.resolve(Lab.CONCEPT_PROMPTS), String.join("\n", conceptTexts) + "\n");
    return dir;
  }

  private static void writeRandomPng(Path file, int size, Random rng) throws IOException {
    float[] px = new float[size * size];
    for (int i = 0; i < px.length; i++) px[i] = rng.nextFloat();
    Files.createDirectories(file.getParent());
    ImageFolder.writePng(file, px, size);
  }

  // ---------------------------------------------------------------- copying and corrupting

  /** Copies a directory tree. */
  public static Path copy(Path from, Path to) throws IOException {
    try (var files = Files.walk(from)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Path dest = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) Files.createDirectories(dest);
        else Files.copy(p, dest);
      }
    }
    return to;
  }

  /** Asserts that two directory trees hold the same relative paths with byte-identical contents. */
  public static void assertSameTree(Path a, Path b) throws IOException {
    List<String> fa = relativeFiles(a), fb = relativeFiles(b);
    org.junit.jupiter.api.Assertions.assertEquals(fa, fb, "the same files");
    for (String f : fa) {
      org.junit.jupiter.api.Assertions.assertArrayEquals(Files.readAllBytes(a.resolve(f)), Files.readAllBytes(b.resolve(f)), f);
    }
  }

  private static List<String> relativeFiles(Path dir) throws IOException {
    try (var files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString()).sorted().toList();
    }
  }

  /** Rewrites {@code lab/manifest.json} after {@code edit} changed its JSON tree. */
  public static void editManifest(Path lab, Consumer<ObjectNode> edit) throws IOException {
    Path file = lab.resolve(Lab.MANIFEST);
    ObjectNode m = (ObjectNode) Jsons.MAPPER.readTree(file.toFile());
    edit.accept(m);
    Jsons.MAPPER.writeValue(file.toFile(), m);
  }

  /** Rewrites the lines of a text file (e.g. a metadata.jsonl or a prompt file). */
  public static void editLines(Path file, UnaryOperator<List<String>> edit) throws IOException {
    List<String> lines = new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8));
    Files.writeString(file, String.join("\n", edit.apply(lines)) + "\n", StandardCharsets.UTF_8);
  }

  /** Replaces line {@code n} (1-based) of {@code file}, a JSON object, after {@code edit} changed it. */
  public static void editJsonLine(Path file, int n, Consumer<ObjectNode> edit) throws IOException {
    editLines(file, lines -> {
      try {
        ObjectNode o = (ObjectNode) Jsons.MAPPER.readTree(lines.get(n - 1));
        edit.accept(o);
        lines.set(n - 1, Jsons.MAPPER.writer().without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
            .writeValueAsString(o));
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      return lines;
    });
  }

  /** The 1-based number of the first line of {@code file} whose JSON satisfies {@code test}. */
  public static int findLine(Path file, java.util.function.Predicate<JsonNode> test) throws IOException {
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    for (int i = 0; i < lines.size(); i++) {
      if (!lines.get(i).isBlank() && test.test(Jsons.MAPPER.readTree(lines.get(i)))) return i + 1;
    }
    throw new AssertionError("no line of " + file + " matches");
  }
}
