package dev.uniforget.io;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProvenanceTest {
  @TempDir Path tmp;

  private static final String HEX64 = "[0-9a-f]{64}";

  private static Path write(Path file, String content) throws IOException {
    Files.createDirectories(file.getParent());
    return Files.writeString(file, content);
  }

  private static String sha256(byte[] bytes) throws Exception {
    return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  /** A small directory: a.txt, sub/b.bin, sub/deeper/c.txt. */
  private Path tree(String name) throws IOException {
    Path d = tmp.resolve(name);
    write(d.resolve("a.txt"), "alpha");
    write(d.resolve("sub/b.bin"), "beta");
    write(d.resolve("sub/deeper/c.txt"), "gamma");
    return d;
  }

  // ------------------------------------------------------------ hashPath

  @Test
  void fileHashIsTheSha256OfItsBytesStreamed() throws Exception {
    byte[] big = new byte[3 * (1 << 20) + 17];
    new Random(1).nextBytes(big);
    Path f = Files.write(tmp.resolve("big.bin"), big);
    assertEquals(sha256(big), Provenance.hashPath(f));
    Path empty = Files.write(tmp.resolve("empty"), new byte[0]);
    assertEquals(sha256(new byte[0]), Provenance.hashPath(empty));
    Path emptyDir = Files.createDirectories(tmp.resolve("empty-dir"));
    assertNotEquals(Provenance.hashPath(empty), Provenance.hashPath(emptyDir), "a directory never hashes like a file");
  }

  @Test
  void sameContentInAnotherCreationOrderHashesTheSame() throws IOException {
    Path one = tree("one");
    Path two = tmp.resolve("two");
    write(two.resolve("sub/deeper/c.txt"), "gamma");
    write(two.resolve("sub/b.bin"), "beta");
    write(two.resolve("a.txt"), "alpha");
    String h = Provenance.hashPath(one);
    assertTrue(h.matches("sha256:" + HEX64), h);
    assertEquals(h, Provenance.hashPath(two));
    assertEquals(h, Provenance.hashPath(one), "stable across calls");
    // an empty directory has no file: it does not count
    Files.createDirectories(two.resolve("empty/dir"));
    assertEquals(h, Provenance.hashPath(two));
  }

  @Test
  void changingOneByteRenamingOrAddingAnEmptyFileChangesTheHash() throws IOException {
    Path d = tree("d");
    String before = Provenance.hashPath(d);

    write(d.resolve("sub/b.bin"), "betA");
    String changed = Provenance.hashPath(d);
    assertNotEquals(before, changed);
    write(d.resolve("sub/b.bin"), "beta");
    assertEquals(before, Provenance.hashPath(d));

    Files.move(d.resolve("a.txt"), d.resolve("a2.txt"));
    assertNotEquals(before, Provenance.hashPath(d));
    Files.move(d.resolve("a2.txt"), d.resolve("sub/a.txt"));
    assertNotEquals(before, Provenance.hashPath(d), "moving a file into a subdirectory");
    Files.move(d.resolve("sub/a.txt"), d.resolve("a.txt"));
    assertEquals(before, Provenance.hashPath(d));

    Files.createFile(d.resolve("sub/empty"));
    assertNotEquals(before, Provenance.hashPath(d));
  }

  @Test
  void pathsAndContentsAreLengthPrefixedSoSplitsDoNotCollide() throws IOException {
    Path x = tmp.resolve("x");
    write(x.resolve("f"), "ab");
    Path y = tmp.resolve("y");
    write(y.resolve("fa"), "b");
    assertNotEquals(Provenance.hashPath(x), Provenance.hashPath(y));

    Path p = tmp.resolve("p");
    write(p.resolve("a"), "1");
    write(p.resolve("b"), "");
    Path q = tmp.resolve("q");
    write(q.resolve("a"), "");
    write(q.resolve("b"), "1");
    assertNotEquals(Provenance.hashPath(p), Provenance.hashPath(q));
  }

  @Test
  void theDirectorysOwnProvenanceAndAtomicTemporariesAreSkipped() throws IOException {
    Path d = tree("d");
    String before = Provenance.hashPath(d);
    Provenance.of("lab").option("n", 1).write(d);
    assertTrue(Files.isRegularFile(d.resolve(Provenance.FILE)));
    assertEquals(before, Provenance.hashPath(d));

    // what AtomicFiles leaves while writing: a file temp and a directory temp or backup
    write(d.resolve(".weights.safetensors.0a1b2c3d.tmp"), "half");
    write(d.resolve("sub/.c.txt.deadbeef.tmp"), "half");
    write(d.resolve(".model.12345678.old/x"), "old");
    write(d.resolve(".model.9abcdef0.tmp/x"), "new");
    assertEquals(before, Provenance.hashPath(d));

    // but a provenance.json deeper down (a nested artefact) is content
    write(d.resolve("sub/" + Provenance.FILE), "{}");
    assertNotEquals(before, Provenance.hashPath(d));
  }

  @Test
  void aTempNamedLikeAtomicFilesIsRecognised() throws IOException {
    Path target = tmp.resolve("t/out.json");
    Path[] seen = new Path[1];
    AtomicFiles.writeAtomically(target, t -> {
      seen[0] = t;
      Files.writeString(t, "x");
    });
    assertTrue(Provenance.isAtomicTemp(seen[0]), seen[0].toString());
    assertFalse(Provenance.isAtomicTemp(target));
    assertFalse(Provenance.isAtomicTemp(Path.of(".hidden.tmp")));
    assertTrue(Provenance.isAtomicTemp(OutputLock.lockFile(target)), "a lock file is never content");
  }

  @Test
  void aSymbolicLinkInsideIsRefusedNamingIt() throws IOException {
    Path d = tree("d");
    Path link = d.resolve("sub/link.txt");
    try {
      Files.createSymbolicLink(link, d.resolve("a.txt"));
    } catch (UnsupportedOperationException | IOException e) {
      assumeTrue(false, "symbolic links not supported here: " + e);
    }
    IOException e = assertThrows(IOException.class, () -> Provenance.hashPath(d));
    assertTrue(e.getMessage().contains("link.txt") && e.getMessage().contains("symbolic link"), e.getMessage());

    Files.delete(link);
    Files.createSymbolicLink(d.resolve("dirlink"), d.resolve("sub"));
    e = assertThrows(IOException.class, () -> Provenance.hashPath(d));
    assertTrue(e.getMessage().contains("dirlink"), e.getMessage());
    assertThrows(IOException.class, () -> Provenance.of("audit").input("model", d));
  }

  @Test
  void aMissingPathIsAClearError() {
    Path none = tmp.resolve("nope");
    IOException e = assertThrows(IOException.class, () -> Provenance.hashPath(none));
    assertTrue(e.getMessage().contains(none.toString()), e.getMessage());
  }

  @Test
  void twelveThousandSmallFilesHashQuickly() throws IOException {
    Path d = tmp.resolve("pngs");
    Random r = new Random(7);
    byte[] b = new byte[600];
    for (int i = 0; i < 12_000; i++) {
      Path sub = d.resolve(String.format("class%02d", i % 10));
      if (i < 10) Files.createDirectories(sub);
      r.nextBytes(b);
      Files.write(sub.resolve(String.format("img%05d.png", i)), b);
    }
    Provenance.hashPath(d); // warm the file cache and the JIT
    long t0 = System.nanoTime();
    String h = Provenance.hashPath(d);
    double s = (System.nanoTime() - t0) / 1e9;
    assertTrue(h.startsWith("sha256:"));
    // the bound is 2 s on an idle machine; generous here because tests share the CPUs
    assertTrue(s < 10, "hashing 12,000 small files took " + s + " s");
  }

  // ------------------------------------------------------------ the file

  @Test
  void writeThenReadRoundTripsWithNoDifferences() throws IOException {
    Path model = tree("model");
    Path prompts = write(tmp.resolve("prompts.txt"), "a cat\na dog\n");
    Provenance p =
        Provenance.of("forget")
            .input("model", model)
            .input("prompts", prompts)
            .option("steps", 200)
            .option("lr", 0.1)
            .option("lambda", 0.5f)
            .option("seed", 3L)
            .option("big", 1L << 40)
            .option("name", "uniforget")
            .option("binarize", true)
            .option("none", null)
            .option("seeds", List.of(1, 2, 3))
            .option("weights", new double[] {0.25, 1e-8})
            .option("nested", Map.of("k", List.of("a", 2)));
    Path out = tmp.resolve("out");
    p.write(out);
    Provenance back = Provenance.read(out);

    assertEquals(List.of(), p.differences(back));
    assertEquals(List.of(), back.differences(p));
    assertTrue(p.matches(out));
    assertDoesNotThrow(() -> Provenance.requireReusable(out, p));
    assertEquals("forget", back.stage());
    assertEquals(List.of("model", "prompts"), List.copyOf(back.inputs().keySet()));
    assertEquals(Provenance.hashPath(model), back.inputs().get("model"));
    assertEquals(List.of("steps", "lr", "lambda", "seed", "big", "name", "binarize", "none", "seeds", "weights", "nested"),
        List.copyOf(back.options().keySet()));
    assertEquals(Provenance.codeVersion(), back.recordedCodeVersion());
    assertTrue(back.created().isPresent());
    assertTrue(p.created().isEmpty());

    JsonNode json = Jsons.MAPPER.readTree(out.resolve(Provenance.FILE).toFile());
    assertEquals(List.of("format", "stage", "inputs", "options", "code_version", "created"), List.copyOf(fieldNames(json)));
    assertEquals(Provenance.FORMAT, json.get("format").asText());
    assertEquals(0.1, json.get("options").get("lr").asDouble());
    // the write is atomic: nothing left beside the file
    try (var s = Files.list(out)) {
      assertEquals(List.of(Provenance.FILE), s.map(f -> f.getFileName().toString()).toList());
    }
  }

  private static List<String> fieldNames(JsonNode n) {
    List<String> names = new java.util.ArrayList<>();
    n.fieldNames().forEachRemaining(names::add);
    return names;
  }

  @Test
  void optionsCompareByJsonValue() {
    Provenance base = Provenance.of("audit");
    assertEquals(List.of(), base.option("n", 3).differences(base.option("n", 3L)));
    assertEquals(List.of(), base.option("n", 3).differences(base.option("n", 3.0)));
    assertEquals(List.of(), base.option("x", 0.1).differences(base.option("x", Double.valueOf("0.1"))));
    assertEquals(List.of(), base.option("l", List.of(1, 2)).differences(base.option("l", new long[] {1, 2})));
    assertEquals(List.of(), base.option("m", Map.of("a", 1, "b", 2)).differences(base.option("m", Map.of("b", 2L, "a", 1))));
    assertEquals(1, base.option("l", List.of(1, 2)).differences(base.option("l", List.of(2, 1))).size());
    assertEquals(1, base.option("n", 3).differences(base.option("n", "3")).size());
    assertEquals(1, base.option("x", 0.1).differences(base.option("x", 0.1000001)).size());
    assertEquals(1, base.option("b", true).differences(base.option("b", "true")).size());
  }

  @Test
  void jsonNumbersReadBackEqualWhatWasGiven() throws IOException {
    Provenance p = Provenance.of("judge").option("lr", 0.1).option("epochs", 3).option("momentum", 0.9f);
    Path d = tmp.resolve("judge");
    p.write(d);
    // and a hand-edited file with a long 3 and a decimal 0.1 still matches
    ObjectNode json = (ObjectNode) Jsons.MAPPER.readTree(d.resolve(Provenance.FILE).toFile());
    ((ObjectNode) json.get("options")).put("epochs", 3L).put("lr", new java.math.BigDecimal("0.10"));
    Files.writeString(d.resolve(Provenance.FILE), Jsons.MAPPER.writeValueAsString(json));
    assertEquals(List.of(), p.differences(Provenance.read(d)));
  }

  @Test
  void everyKindOfDifferenceIsReportedByName() throws IOException {
    Path m1 = write(tmp.resolve("m1/w.bin"), "weights one").getParent();
    Path m2 = write(tmp.resolve("m2/w.bin"), "weights two").getParent();
    Path judge = write(tmp.resolve("judge.bin"), "judge");
    Path lab = write(tmp.resolve("lab.bin"), "lab");
    Provenance recorded = Provenance.of("forget")
        .input("model", m1).input("judge", judge)
        .option("steps", 100).option("lr", 0.1).option("old", "x").option("seeds", List.of(1, 2, 3));
    Provenance now = Provenance.of("audit")
        .input("model", m2).input("lab", lab)
        .option("steps", 200).option("lr", 0.1).option("new", false).option("seeds", List.of(1, 2, 4));
    List<String> d = now.differences(recorded);
    String all = String.join("\n", d);
    assertEquals(8, d.size(), all);
    assertTrue(d.contains("stage: recorded \"forget\", now \"audit\""), all);
    assertTrue(has(d, "input \"model\"", "changed", Provenance.hashPath(m1).substring(0, 20), Provenance.hashPath(m2).substring(0, 20)), all);
    assertTrue(has(d, "input \"judge\"", "recorded, but not an input now"), all);
    assertTrue(has(d, "input \"lab\"", "not recorded"), all);
    assertTrue(d.contains("option \"steps\": recorded 100, now 200"), all);
    assertTrue(d.contains("option \"old\": recorded \"x\", not set now"), all);
    assertTrue(d.contains("option \"new\": now false, not recorded"), all);
    assertTrue(has(d, "option \"seeds\": recorded [1,2,3], now [1,2,4]", "index 2"), all);
    assertFalse(all.contains("\"lr\""), all);

    // the code version, as if the file had been written by another build
    Path dir = tmp.resolve("old-build");
    now.write(dir);
    ObjectNode json = (ObjectNode) Jsons.MAPPER.readTree(dir.resolve(Provenance.FILE).toFile());
    json.put("code_version", "sha256:" + "0".repeat(64));
    json.put("created", "2001-01-01T00:00:00Z");
    Files.writeString(dir.resolve(Provenance.FILE), Jsons.MAPPER.writeValueAsString(json));
    List<String> code = now.differences(Provenance.read(dir));
    assertEquals(1, code.size(), code.toString());
    assertTrue(has(code, "code version", "0".repeat(64), Provenance.codeVersion()), code.toString());
  }

  private static boolean has(List<String> lines, String... parts) {
    return lines.stream().anyMatch(l -> java.util.Arrays.stream(parts).allMatch(l::contains));
  }

  @Test
  void requireReusableExplainsWhatIsWrong() throws IOException {
    Path dir = tree("made-by-old");
    Provenance wanted = Provenance.of("forget").option("steps", 200);

    IllegalStateException e = assertThrows(IllegalStateException.class, () -> Provenance.requireReusable(dir, wanted));
    assertEquals(dir + " exists but records no provenance (made by an older uniforget?); delete it or choose another output directory",
        e.getMessage());
    assertFalse(wanted.matches(dir));

    Provenance.of("forget").option("steps", 100).option("lr", 0.5).write(dir);
    e = assertThrows(IllegalStateException.class, () -> Provenance.requireReusable(dir, wanted));
    assertTrue(e.getMessage().startsWith(dir.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("option \"steps\": recorded 100, now 200"), e.getMessage());
    assertTrue(e.getMessage().contains("option \"lr\": recorded 0.5, not set now"), e.getMessage());
    assertTrue(e.getMessage().endsWith("delete it or choose another output directory"), e.getMessage());
    assertFalse(wanted.matches(dir));

    wanted.write(dir);
    assertDoesNotThrow(() -> Provenance.requireReusable(dir, wanted));
    assertTrue(wanted.matches(dir));

    Files.writeString(dir.resolve(Provenance.FILE), "{ not json");
    e = assertThrows(IllegalStateException.class, () -> Provenance.requireReusable(dir, wanted));
    assertTrue(e.getMessage().contains(dir.resolve(Provenance.FILE).toString()), e.getMessage());
    assertTrue(e.getMessage().endsWith("delete it or choose another output directory"), e.getMessage());
    assertFalse(wanted.matches(dir));

    Path none = tmp.resolve("none");
    e = assertThrows(IllegalStateException.class, () -> Provenance.requireReusable(none, wanted));
    assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
  }

  @Test
  void readNamesTheFileWhenMissingOrInvalid() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("d"));
    Path file = dir.resolve(Provenance.FILE);
    IOException e = assertThrows(IOException.class, () -> Provenance.read(dir));
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());

    Files.writeString(file, "[1, 2");
    e = assertThrows(IOException.class, () -> Provenance.read(dir));
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());

    Provenance.of("lab").write(dir);
    String good = Files.readString(file);
    Files.writeString(file, good.replace(Provenance.FORMAT, "uniforget-provenance/9"));
    e = assertThrows(IOException.class, () -> Provenance.read(dir));
    assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("uniforget-provenance/9"), e.getMessage());

    Files.writeString(file, good.replace("\"stage\"", "\"stages\""));
    e = assertThrows(IOException.class, () -> Provenance.read(dir));
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());

    ObjectNode json = (ObjectNode) Jsons.MAPPER.readTree(good);
    json.remove("code_version");
    Files.writeString(file, Jsons.MAPPER.writeValueAsString(json));
    e = assertThrows(IOException.class, () -> Provenance.read(dir));
    assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("code_version"), e.getMessage());

    json = (ObjectNode) Jsons.MAPPER.readTree(good);
    ((ObjectNode) json.get("inputs")).put("model", "md5:abc");
    Files.writeString(file, Jsons.MAPPER.writeValueAsString(json));
    e = assertThrows(IOException.class, () -> Provenance.read(dir));
    assertTrue(e.getMessage().contains("model") && e.getMessage().contains("md5:abc"), e.getMessage());
  }

  @Test
  void builderRefusesDuplicatesPathsAndBadHashes() throws IOException {
    Path f = write(tmp.resolve("f"), "x");
    Provenance p = Provenance.of("audit").input("model", f).option("steps", 1);
    assertThrows(IllegalArgumentException.class, () -> p.input("model", f));
    assertThrows(IllegalArgumentException.class, () -> p.option("steps", 2));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.option("out", tmp));
    assertTrue(e.getMessage().contains("input("), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> p.inputHash("lab", "sha256:xyz"));
    assertThrows(IllegalArgumentException.class, () -> Provenance.of(" "));
    // builders do not change the provenance they start from
    Provenance more = p.option("lr", 0.1);
    assertEquals(List.of("steps"), List.copyOf(p.options().keySet()));
    assertEquals(List.of("steps", "lr"), List.copyOf(more.options().keySet()));
    assertEquals(Provenance.hashPath(f), p.inputHash("copy", Provenance.hashPath(f)).inputs().get("copy"));
  }

  // ------------------------------------------------------------ code version

  @Test
  void codeVersionIsStableAndLooksLikeASha256() {
    String v = Provenance.codeVersion();
    assertTrue(v.matches("sha256:" + HEX64 + "( \\(.*\\))?"), v);
    assertSame(v, Provenance.codeVersion());
    assertEquals(v, Provenance.of("lab").recordedCodeVersion());
  }

  @Test
  void classesHashCoversProjectClassesOnlyAndAgreesBetweenJarAndDirectory() throws Exception {
    Path classes = tmp.resolve("classes");
    write(classes.resolve("dev/uniforget/io/A.class"), "class A v1");
    write(classes.resolve("dev/uniforget/model/B.class"), "class B");
    write(classes.resolve("dev/uniforget/model/B$1.class"), "class B$1");
    String v1 = Provenance.hashClasses(classes);
    assertTrue(v1.matches("sha256:" + HEX64), v1);
    assertEquals(v1, Provenance.hashClasses(classes));

    // resources and other packages are not part of it
    write(classes.resolve("simplelogger.properties"), "x");
    write(classes.resolve("dev/uniforget/notes.txt"), "x");
    write(classes.resolve("org/other/C.class"), "x");
    assertEquals(v1, Provenance.hashClasses(classes));

    // the same classes in a jar give the same version
    Path jar = tmp.resolve("uniforget.jar");
    try (OutputStream os = Files.newOutputStream(jar); ZipOutputStream zip = new ZipOutputStream(os)) {
      for (String name : List.of("META-INF/MANIFEST.MF", "dev/uniforget/model/B.class", "dev/uniforget/io/A.class",
          "dev/uniforget/model/B$1.class", "org/other/C.class")) {
        zip.putNextEntry(new ZipEntry(name));
        String content = name.startsWith("dev/") ? Files.readString(classes.resolve(name)) : "x";
        zip.write(content.getBytes(StandardCharsets.UTF_8));
        zip.closeEntry();
      }
    }
    assertEquals(v1, Provenance.hashClasses(jar));

    // a changed class changes it
    write(classes.resolve("dev/uniforget/io/A.class"), "class A v2");
    assertNotEquals(v1, Provenance.hashClasses(classes));

    Path nothing = Files.createDirectories(tmp.resolve("empty-classes"));
    assertThrows(IOException.class, () -> Provenance.hashClasses(nothing));
  }
}
