package dev.uniforget.io;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonAutoDetect.Visibility;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.FileVisitResult;
import java.nio.file.FileVisitor;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.CodeSource;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * What made an artefact directory: the file {@value #FILE} inside it (schema {@value #FORMAT}),
 * with the stage that made it, the content hashes of its inputs, its options, and the version of
 * the code. A result found on disk is reused only when the provenance recorded beside it
 * {@linkplain #differences(Provenance) matches} the one of the run that wants it
 * ({@link #requireReusable(Path, Provenance)}); otherwise the caller recomputes or stops.
 *
 * <pre>{@code
 * Provenance wanted = Provenance.of("forget")
 *     .input("model", modelDir).input("prompts", promptsFile)
 *     .option("steps", 200).option("lr", 0.1).option("seeds", List.of(1, 2, 3));
 * if (Files.exists(out)) {
 *   Provenance.requireReusable(out, wanted);   // or: if (!wanted.matches(out)) recompute
 * } else {
 *   ... compute into a temp dir, wanted.write(tmp), rename ...
 * }
 * }</pre>
 *
 * <p>The file's fields: {@code format}, {@code stage}, {@code inputs} (name to
 * "sha256:&lt;hex&gt;", see {@link #hashPath(Path)}), {@code options} (name to any JSON value),
 * {@code code_version} (see {@link #codeVersion()}) and {@code created} (when it was written;
 * informational, never compared).
 *
 * <p>Instances are immutable: {@link #input} and {@link #option} return a new provenance.
 */
@JsonAutoDetect(
    fieldVisibility = Visibility.ANY,
    getterVisibility = Visibility.NONE,
    isGetterVisibility = Visibility.NONE,
    setterVisibility = Visibility.NONE,
    creatorVisibility = Visibility.NONE)
@JsonPropertyOrder({"format", "stage", "inputs", "options", "codeVersion", "created"})
public final class Provenance {
  /** The schema of the file. */
  public static final String FORMAT = "uniforget-provenance/1";
  /** The name of the file inside an artefact directory. */
  public static final String FILE = "provenance.json";

  private static final String SHA256 = "sha256:";
  private static final Pattern HASH = Pattern.compile("sha256:[0-9a-f]{64}");
  /**
   * Temporaries of {@link AtomicFiles}: ".NAME.[PID-]&lt;8 hex&gt;.tmp" (being written) or ".old"
   * (backup), and the lock files of {@link OutputLock} (".NAME.lock"): never content.
   */
  private static final Pattern ATOMIC_TEMP = Pattern.compile("\\..+\\.(?:\\d+-)?[0-9a-f]{8}\\.(tmp|old)|\\..+\\.lock");
  private static final String PROJECT_CLASSES = "dev/uniforget/";
  /** Starts a directory's hashed stream, so that no directory hashes like a file (an empty one like an empty file). */
  private static final byte[] TREE_HEADER = "uniforget-tree/1\n".getBytes(StandardCharsets.US_ASCII);
  private static final int MAX_SHOWN = 200;
  private static final ObjectWriter COMPACT = Jsons.MAPPER.writer().without(SerializationFeature.INDENT_OUTPUT);

  private static volatile String cachedCodeVersion;

  private String format;
  private String stage;
  private LinkedHashMap<String, String> inputs;
  private LinkedHashMap<String, JsonNode> options;
  private String codeVersion;
  private String created;

  /** For Jackson. */
  private Provenance() {}

  private Provenance(
      String stage,
      LinkedHashMap<String, String> inputs,
      LinkedHashMap<String, JsonNode> options,
      String codeVersion,
      String created) {
    this.format = FORMAT;
    this.stage = stage;
    this.inputs = inputs;
    this.options = options;
    this.codeVersion = codeVersion;
    this.created = created;
  }

  // ---------------------------------------------------------------- building

  /** A provenance of {@code stage} (e.g. "forget", "audit", "judge", "lab") made by this code. */
  public static Provenance of(String stage) {
    requireName("stage", stage);
    return new Provenance(stage, new LinkedHashMap<>(), new LinkedHashMap<>(), codeVersion(), null);
  }

  /**
   * This provenance plus the input {@code name}, whose content ({@link #hashPath(Path) file or
   * directory}) is hashed now.
   *
   * @throws IllegalArgumentException if an input of that name is already recorded
   * @throws IOException if {@code p} cannot be hashed (missing, holds a symbolic link, ...)
   */
  public Provenance input(String name, Path p) throws IOException {
    requireName("input name", name);
    if (inputs.containsKey(name)) throw new IllegalArgumentException("input \"" + name + "\" is given twice");
    return inputHash(name, hashPath(p));
  }

  /**
   * This provenance plus the input {@code name} given as text held in memory (e.g. a prompt list),
   * recorded by the SHA-256 of its UTF-8 bytes (the same hash a file of exactly those bytes has).
   */
  public Provenance inputText(String name, String text) {
    return inputHash(name, SHA256 + HexFormat.of().formatHex(sha256().digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8))));
  }

  /**
   * This provenance plus the input {@code name} whose content hash ("sha256:&lt;64 hex&gt;", as
   * made by {@link #hashPath(Path)}) is already known.
   */
  public Provenance inputHash(String name, String hash) {
    requireName("input name", name);
    if (inputs.containsKey(name)) throw new IllegalArgumentException("input \"" + name + "\" is given twice");
    if (hash == null || !HASH.matcher(hash).matches()) {
      throw new IllegalArgumentException("input \"" + name + "\": not a content hash \"sha256:<64 hex>\": " + hash);
    }
    LinkedHashMap<String, String> in = new LinkedHashMap<>(inputs);
    in.put(name, hash);
    return new Provenance(stage, in, options, codeVersion, created);
  }

  /**
   * This provenance plus the option {@code name}: a number, string, boolean, null, list or array
   * of those (or anything else Jackson writes as JSON). It is kept as its JSON value, so it
   * compares equal to itself read back from the file (0.1 to 0.1, an Integer 3 to a Long 3).
   * Paths are refused: an input is recorded by content with {@link #input(String, Path)}.
   *
   * @throws IllegalArgumentException if the option is given twice, is a path, or is not JSON
   */
  public Provenance option(String name, Object value) {
    requireName("option name", name);
    if (options.containsKey(name)) throw new IllegalArgumentException("option \"" + name + "\" is given twice");
    if (value instanceof Path || value instanceof File) {
      throw new IllegalArgumentException("option \"" + name + "\" is a path (" + value
          + "); record the content it names with input(name, path), or pass a string");
    }
    JsonNode json;
    try {
      // through the text, so that the value is exactly what write() puts in the file and read() gets back
      json = Jsons.MAPPER.readTree(COMPACT.writeValueAsString(value));
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("option \"" + name + "\" cannot be written as JSON: " + e.getOriginalMessage(), e);
    }
    LinkedHashMap<String, JsonNode> opts = new LinkedHashMap<>(options);
    opts.put(name, json);
    return new Provenance(stage, inputs, opts, codeVersion, created);
  }

  // ---------------------------------------------------------------- accessors

  public String stage() {
    return stage;
  }

  /** The inputs in the order given: name to "sha256:&lt;hex&gt;". */
  public Map<String, String> inputs() {
    return Collections.unmodifiableMap(inputs);
  }

  /** The options in the order given, as JSON values (copies). */
  public Map<String, JsonNode> options() {
    LinkedHashMap<String, JsonNode> copy = new LinkedHashMap<>();
    options.forEach((k, v) -> copy.put(k, v.deepCopy()));
    return Collections.unmodifiableMap(copy);
  }

  /** The code version recorded (for a provenance made by {@link #of}: the running code's). */
  public String recordedCodeVersion() {
    return codeVersion;
  }

  /** When the file was written (ISO-8601); empty for a provenance not read from a file. */
  public Optional<String> created() {
    return Optional.ofNullable(created);
  }

  // ---------------------------------------------------------------- file

  /**
   * Writes {@value #FILE} into {@code dir} atomically (creating {@code dir} if needed, replacing
   * an existing file), with {@code created} set to now. The file is not part of {@code dir}'s
   * {@linkplain #hashPath(Path) content hash}.
   */
  public void write(Path dir) throws IOException {
    Jsons.write(dir.resolve(FILE), new Provenance(stage, inputs, options, codeVersion, Instant.now().toString()));
  }

  /**
   * Reads {@code dir}'s {@value #FILE}.
   *
   * @throws IOException naming the file when it is missing, is not valid JSON, has another
   *     format or lacks a field
   */
  public static Provenance read(Path dir) throws IOException {
    Path file = dir.resolve(FILE);
    Provenance p = Jsons.read(file, Provenance.class);
    if (!FORMAT.equals(p.format)) {
      throw new IOException(file + ": unsupported provenance format " + quote(p.format) + " (expected \"" + FORMAT + "\")");
    }
    requireField(file, "stage", p.stage == null || p.stage.isBlank() ? null : p.stage);
    requireField(file, "inputs", p.inputs);
    requireField(file, "options", p.options);
    requireField(file, "code_version", p.codeVersion == null || p.codeVersion.isBlank() ? null : p.codeVersion);
    requireField(file, "created", p.created);
    for (Map.Entry<String, String> e : p.inputs.entrySet()) {
      if (e.getValue() == null || !HASH.matcher(e.getValue()).matches()) {
        throw new IOException(file + ": input \"" + e.getKey() + "\" has no content hash \"sha256:<64 hex>\": " + e.getValue());
      }
    }
    return p;
  }

  // ---------------------------------------------------------------- comparing

  /**
   * Every way in which {@code other} (the provenance recorded with a result) differs from this
   * one (the provenance of what is wanted now), one human-readable line each: the stage, each
   * input missing, extra or with other content, each option missing, extra or with another JSON
   * value (numbers compare by value, lists element-wise), and the code version. Empty when they
   * match. {@code created} and the order of inputs and options are ignored.
   */
  public List<String> differences(Provenance other) {
    List<String> out = new ArrayList<>();
    if (!stage.equals(other.stage)) {
      out.add("stage: recorded " + quote(other.stage) + ", now " + quote(stage));
    }
    for (Map.Entry<String, String> e : other.inputs.entrySet()) {
      String now = inputs.get(e.getKey());
      if (now == null) {
        out.add("input \"" + e.getKey() + "\": recorded, but not an input now");
      } else if (!now.equals(e.getValue())) {
        out.add("input \"" + e.getKey() + "\": content changed (recorded " + shortHash(e.getValue()) + ", now " + shortHash(now) + ")");
      }
    }
    for (String name : inputs.keySet()) {
      if (!other.inputs.containsKey(name)) out.add("input \"" + name + "\": an input now, but not recorded");
    }
    for (Map.Entry<String, JsonNode> e : other.options.entrySet()) {
      JsonNode now = options.get(e.getKey());
      if (now == null) {
        out.add("option \"" + e.getKey() + "\": recorded " + show(e.getValue()) + ", not set now");
      } else if (!jsonEquals(now, e.getValue())) {
        out.add("option \"" + e.getKey() + "\": recorded " + show(e.getValue()) + ", now " + show(now) + where(e.getValue(), now));
      }
    }
    for (Map.Entry<String, JsonNode> e : options.entrySet()) {
      if (!other.options.containsKey(e.getKey())) {
        out.add("option \"" + e.getKey() + "\": now " + show(e.getValue()) + ", not recorded");
      }
    }
    if (!codeVersion.equals(other.codeVersion)) {
      out.add("code version: recorded " + other.codeVersion + ", now " + codeVersion + " (the program changed)");
    }
    return out;
  }

  /** Whether {@code dir} has a valid {@value #FILE} with no {@linkplain #differences differences} from this one. */
  public boolean matches(Path dir) {
    if (!Files.isRegularFile(dir.resolve(FILE))) return false;
    try {
      return differences(read(dir)).isEmpty();
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Checks that the result in {@code dir} may be reused by a run whose provenance is
   * {@code expected}.
   *
   * @throws IllegalStateException if {@code dir} is not a directory, records no (valid)
   *     provenance, or records one that differs from {@code expected} (listing every difference);
   *     the message says to delete it or to choose another output directory
   */
  public static void requireReusable(Path dir, Provenance expected) {
    String advice = "delete it or choose another output directory";
    if (!Files.isDirectory(dir)) {
      throw new IllegalStateException(dir + (Files.exists(dir) ? " is not a directory" : " does not exist") + "; nothing to reuse");
    }
    if (!Files.exists(dir.resolve(FILE), LinkOption.NOFOLLOW_LINKS)) {
      throw new IllegalStateException(dir + " exists but records no provenance (made by an older uniforget?); " + advice);
    }
    Provenance recorded;
    try {
      recorded = read(dir);
    } catch (IOException e) {
      throw new IllegalStateException(e.getMessage() + "; cannot tell what made " + dir + "; " + advice, e);
    }
    List<String> diff = expected.differences(recorded);
    if (!diff.isEmpty()) {
      throw new IllegalStateException(dir + " was made differently from what is asked now ("
          + diff.size() + (diff.size() == 1 ? " difference" : " differences") + "):\n  - "
          + String.join("\n  - ", diff) + "\n" + advice);
    }
  }

  /** Equality of JSON values: numbers by numeric value, arrays element-wise, objects key-wise. */
  static boolean jsonEquals(JsonNode a, JsonNode b) {
    if (a.isNumber() && b.isNumber()) {
      return a.decimalValue().compareTo(b.decimalValue()) == 0;
    }
    if (a.isArray() && b.isArray()) {
      if (a.size() != b.size()) return false;
      for (int i = 0; i < a.size(); i++) {
        if (!jsonEquals(a.get(i), b.get(i))) return false;
      }
      return true;
    }
    if (a.isObject() && b.isObject()) {
      if (a.size() != b.size()) return false;
      for (Map.Entry<String, JsonNode> e : a.properties()) {
        JsonNode o = b.get(e.getKey());
        if (o == null || !jsonEquals(e.getValue(), o)) return false;
      }
      return true;
    }
    return a.equals(b);
  }

  // ---------------------------------------------------------------- hashing

  /**
   * The content hash "sha256:&lt;64 hex&gt;" of a file (its bytes, as {@code sha256sum} prints) or
   * of a directory: the line "uniforget-tree/1", then every regular file below it in the order of
   * their relative paths ('/'-separated, sorted as strings), each contributing its path's UTF-8
   * bytes and its own bytes, both prefixed with their length as 8 big-endian bytes (so that no two
   * different trees give the same stream). Empty directories do not count. Skipped: the
   * directory's own {@value #FILE} and the temporaries that {@link AtomicFiles} leaves beside
   * what it writes (".NAME.&lt;8 hex&gt;.tmp" or ".old", files or directories). Files are streamed.
   *
   * <p>{@code p} itself may be a symbolic link (it is followed), but a link inside the directory
   * is refused: an artefact directory never contains one.
   *
   * @throws IOException if {@code p} does not exist, is neither a file nor a directory, holds a
   *     symbolic link or another special file, or a file changes while it is read
   */
  public static String hashPath(Path p) throws IOException {
    if (!Files.exists(p)) throw new IOException(p + ": no such file or directory (cannot hash it)");
    BasicFileAttributes attrs = Files.readAttributes(p, BasicFileAttributes.class);
    MessageDigest md = sha256();
    byte[] buf = new byte[1 << 16];
    if (attrs.isRegularFile()) {
      updateWithFile(md, p, -1, buf);
    } else if (attrs.isDirectory()) {
      hashDirectory(md, p.toRealPath(), buf);
    } else {
      throw new IOException(p + ": neither a regular file nor a directory (cannot hash it)");
    }
    return SHA256 + HexFormat.of().formatHex(md.digest());
  }

  private static void hashDirectory(MessageDigest md, Path root, byte[] buf) throws IOException {
    List<Entry> files = new ArrayList<>();
    FileVisitor<Path> visitor = new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) {
        return !d.equals(root) && isAtomicTemp(d) ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
        if (a.isSymbolicLink()) {
          throw new IOException(f + ": a symbolic link inside " + root
              + " (an artefact directory never contains one; replace the link by a copy of what it names)");
        }
        if (isAtomicTemp(f)) return FileVisitResult.CONTINUE;
        String rel = relative(root, f);
        if (rel.equals(FILE)) return FileVisitResult.CONTINUE;
        if (!a.isRegularFile()) throw new IOException(f + ": not a regular file (inside " + root + "; cannot hash it)");
        files.add(new Entry(rel, f, a.size()));
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
        throw e;
      }
    };
    Files.walkFileTree(root, visitor);
    files.sort((x, y) -> x.rel.compareTo(y.rel));
    md.update(TREE_HEADER);
    for (Entry e : files) {
      updateWithBytes(md, e.rel.getBytes(StandardCharsets.UTF_8));
      updateWithFile(md, e.file, e.size, buf);
    }
  }

  private record Entry(String rel, Path file, long size) {}

  /** Length-prefixed bytes of the file (or just the bytes when {@code expectedSize} is -1). */
  private static void updateWithFile(MessageDigest md, Path file, long expectedSize, byte[] buf) throws IOException {
    if (expectedSize >= 0) updateWithLong(md, expectedSize);
    long total = 0;
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
        total += n;
      }
    }
    if (expectedSize >= 0 && total != expectedSize) {
      throw new IOException(file + ": changed while it was hashed (" + expectedSize + " bytes, then " + total + ")");
    }
  }

  private static void updateWithBytes(MessageDigest md, byte[] bytes) {
    updateWithLong(md, bytes.length);
    md.update(bytes);
  }

  private static void updateWithLong(MessageDigest md, long v) {
    md.update(ByteBuffer.allocate(Long.BYTES).putLong(v).array());
  }

  static boolean isAtomicTemp(Path p) {
    Path name = p.getFileName();
    return name != null && ATOMIC_TEMP.matcher(name.toString()).matches();
  }

  private static String relative(Path root, Path f) {
    StringBuilder sb = new StringBuilder();
    for (Path part : root.relativize(f)) {
      if (sb.length() > 0) sb.append('/');
      sb.append(part);
    }
    return sb.toString();
  }

  // ---------------------------------------------------------------- code version

  /**
   * The version of the running code: "sha256:&lt;64 hex&gt;" over the project's compiled classes
   * (every {@code dev/uniforget/**}{@code /*.class} in the jar or classes directory that
   * Provenance was loaded from, by sorted name, length-prefixed names and bytes, as in
   * {@link #hashPath(Path)}), followed, when the class path says so, by the DJL and libtorch
   * versions, e.g. "sha256:ab12... (djl 0.35.1, libtorch 2.7.1)". Two builds of the same sources
   * by the same compiler give the same version; any changed class changes it. It covers the
   * project's own classes only: not its resources, nor the versions of its dependencies (Jackson,
   * picocli, ...) beyond the DJL/libtorch suffix. Computed once per JVM.
   *
   * @throws IllegalStateException if the classes cannot be found or read
   */
  public static String codeVersion() {
    String v = cachedCodeVersion;
    if (v == null) {
      synchronized (Provenance.class) {
        v = cachedCodeVersion;
        if (v == null) {
          v = computeCodeVersion();
          cachedCodeVersion = v;
        }
      }
    }
    return v;
  }

  private static String computeCodeVersion() {
    CodeSource source = Provenance.class.getProtectionDomain().getCodeSource();
    URL location = source == null ? null : source.getLocation();
    if (location == null) {
      throw new IllegalStateException("cannot compute the code version: the class path location of " + Provenance.class.getName() + " is unknown");
    }
    try {
      return hashClasses(Path.of(location.toURI())) + libraryVersions();
    } catch (URISyntaxException | IllegalArgumentException | FileSystemNotFoundException e) {
      throw new IllegalStateException("cannot compute the code version: " + location + " is not a jar or directory on disk", e);
    } catch (IOException e) {
      throw new IllegalStateException("cannot compute the code version from " + location + ": " + e.getMessage(), new UncheckedIOException(e));
    }
  }

  /** "sha256:&lt;hex&gt;" over the {@code dev/uniforget/**}{@code /*.class} of a classes directory or jar. */
  static String hashClasses(Path location) throws IOException {
    MessageDigest md = sha256();
    int count = 0;
    if (Files.isDirectory(location)) {
      Path top = location.resolve(PROJECT_CLASSES);
      List<Entry> classes = new ArrayList<>();
      if (Files.isDirectory(top)) {
        Files.walkFileTree(top, new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path f, BasicFileAttributes a) {
            if (a.isRegularFile() && f.getFileName().toString().endsWith(".class")) {
              classes.add(new Entry(relative(location, f), f, a.size()));
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
            throw e;
          }
        });
      }
      classes.sort((x, y) -> x.rel.compareTo(y.rel));
      byte[] buf = new byte[1 << 16];
      for (Entry e : classes) {
        updateWithBytes(md, e.rel.getBytes(StandardCharsets.UTF_8));
        updateWithFile(md, e.file, e.size, buf);
      }
      count = classes.size();
    } else if (Files.isRegularFile(location)) {
      try (ZipFile zip = new ZipFile(location.toFile())) {
        List<ZipEntry> classes = new ArrayList<>();
        for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
          ZipEntry e = en.nextElement();
          if (!e.isDirectory() && e.getName().startsWith(PROJECT_CLASSES) && e.getName().endsWith(".class")) classes.add(e);
        }
        classes.sort((x, y) -> x.getName().compareTo(y.getName()));
        for (ZipEntry e : classes) {
          byte[] bytes;
          try (InputStream in = zip.getInputStream(e)) {
            bytes = in.readAllBytes();
          }
          updateWithBytes(md, e.getName().getBytes(StandardCharsets.UTF_8));
          updateWithBytes(md, bytes);
        }
        count = classes.size();
      }
    } else {
      throw new IOException(location + ": neither a classes directory nor a jar");
    }
    if (count == 0) throw new IOException(location + ": holds no " + PROJECT_CLASSES + "**/*.class");
    return SHA256 + HexFormat.of().formatHex(md.digest());
  }

  /** " (djl X, libtorch Y)" from the properties files DJL ships, or "" when none is on the class path. */
  private static String libraryVersions() {
    Properties engine = properties("pytorch-engine.properties");
    String djl = engine.getProperty("djl_version");
    if (djl == null) djl = properties("ai/djl/engine/api.properties").getProperty("djl_version");
    String torch = engine.getProperty("pytorch_version");
    List<String> parts = new ArrayList<>();
    if (djl != null && !djl.isBlank()) parts.add("djl " + djl.trim());
    if (torch != null && !torch.isBlank()) parts.add("libtorch " + torch.trim());
    return parts.isEmpty() ? "" : " (" + String.join(", ", parts) + ")";
  }

  private static Properties properties(String resource) {
    Properties p = new Properties();
    ClassLoader cl = Provenance.class.getClassLoader();
    try (InputStream in = cl == null ? null : cl.getResourceAsStream(resource)) {
      if (in != null) p.load(in);
    } catch (IOException | IllegalArgumentException e) {
      // informational suffix only
    }
    return p;
  }

  // ---------------------------------------------------------------- small helpers

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }

  private static void requireName(String what, String name) {
    if (name == null || name.isBlank()) throw new IllegalArgumentException(what + " must not be empty");
  }

  private static void requireField(Path file, String field, Object value) throws IOException {
    if (value == null) throw new IOException(file + ": not a valid Provenance: missing field \"" + field + "\"");
  }

  private static String quote(String s) {
    return s == null ? "null" : "\"" + s + "\"";
  }

  private static String shortHash(String hash) {
    return hash.length() > SHA256.length() + 16 ? hash.substring(0, SHA256.length() + 16) + "..." : hash;
  }

  private static String show(JsonNode v) {
    String s;
    try {
      s = COMPACT.writeValueAsString(v);
    } catch (JsonProcessingException e) {
      s = v.toString();
    }
    return s.length() > MAX_SHOWN ? s.substring(0, MAX_SHOWN) + "...(" + s.length() + " chars)" : s;
  }

  /** For two arrays: where they first differ. */
  private static String where(JsonNode recorded, JsonNode now) {
    if (!recorded.isArray() || !now.isArray()) return "";
    int n = Math.min(recorded.size(), now.size());
    for (int i = 0; i < n; i++) {
      if (!jsonEquals(recorded.get(i), now.get(i))) return " (first difference at index " + i + ")";
    }
    return " (length " + recorded.size() + " recorded, " + now.size() + " now)";
  }

  /** The file's JSON. */
  @Override
  public String toString() {
    try {
      return Jsons.MAPPER.writeValueAsString(this);
    } catch (JsonProcessingException e) {
      return "Provenance[" + stage + "]";
    }
  }
}
