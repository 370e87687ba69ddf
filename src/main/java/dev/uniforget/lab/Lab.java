package dev.uniforget.lab;

import dev.uniforget.data.ImageFolder;
import dev.uniforget.io.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A memorization lab directory, the one owner of its file names:
 *
 * <pre>
 *   metadata.jsonl, images...   the training set (imagefolder; per line file_name, text, label?, concepts?)
 *   heldout/metadata.jsonl, ... real images of the same distribution, never trained on (v2)
 *   manifest.json               ground truth ({@link LabManifest}; for scoring only)
 *   prompts/neutral.txt, prompts/target.txt, prompts/concept.txt
 * </pre>
 *
 * The audit and the instrument trainers read labs through this class; the forget step never does.
 * Images are decoded lazily, once.
 */
public final class Lab {
  public static final String MANIFEST = "manifest.json";
  public static final String DEFAULT_HELDOUT = "heldout";
  public static final String NEUTRAL_PROMPTS = "prompts/neutral.txt";
  public static final String TARGET_PROMPTS = "prompts/target.txt";
  public static final String CONCEPT_PROMPTS = "prompts/concept.txt";

  private final Path dir;
  private final LabManifest manifest;
  private ImageFolder training;
  private ImageFolder heldout;

  private Lab(Path dir, LabManifest manifest) {
    this.dir = dir;
    this.manifest = manifest;
  }

  /** Opens a lab (reads and checks its manifest; images are read on first use). */
  public static Lab open(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) throw new IOException(dir + ": lab directory not found");
    return new Lab(dir, LabManifest.read(dir));
  }

  /**
   * The lab of {@code dir} with a manifest already read, whatever its problems: for
   * {@link LabCheck}, which reports them and still checks the images.
   */
  static Lab unchecked(Path dir, LabManifest manifest) {
    return new Lab(dir, manifest);
  }

  public Path dir() {
    return dir;
  }

  public LabManifest manifest() {
    return manifest;
  }

  public int imageSize() {
    return manifest.imageSize;
  }

  public int channels() {
    return manifest.channels;
  }

  /** Values per image: channels x size x size. */
  public int numel() {
    return manifest.channels * manifest.imageSize * manifest.imageSize;
  }

  /** The training set (decoded once). */
  public ImageFolder training() throws IOException {
    if (training == null) training = ImageFolder.load(dir, manifest.imageSize, manifest.channels);
    return training;
  }

  /** Whether the lab has a held-out split (every v2 lab does). */
  public boolean hasHeldout() {
    return manifest.heldout != null;
  }

  /** The held-out split (decoded once); a clear error for a v1 lab, which has none. */
  public ImageFolder heldout() throws IOException {
    if (manifest.heldout == null) {
      throw new IOException(dir.resolve(MANIFEST) + ": this " + manifest.format + " lab has no held-out split (field 'heldout'); "
          + "the audit's instruments are calibrated and evaluated on held-out real images: rebuild the lab with "
          + "`uniforget lab build` (uniforget-lab/2) or add a held-out image folder and name it in 'heldout'");
    }
    if (heldout == null) heldout = ImageFolder.load(heldoutDir(), manifest.imageSize, manifest.channels);
    return heldout;
  }

  public Path heldoutDir() {
    return dir.resolve(manifest.heldout == null ? DEFAULT_HELDOUT : manifest.heldout);
  }

  /**
   * The class index (in {@code manifest.classes}) of an entry: its {@code label}; for a v1 lab,
   * whose lines have no labels, the class its caption names. -1 when unknown.
   */
  public int classIndex(ImageFolder.Entry e) {
    if (manifest.classes == null) return -1;
    if (e.label() != null) return manifest.classes.indexOf(e.label());
    return manifest.isV1() ? classNamedIn(e.text(), manifest.classes) : -1;
  }

  /** The concepts an entry carries: its {@code concepts}; for a v1 lab, the motifs listing its file. */
  public List<String> concepts(ImageFolder.Entry e) {
    if (!manifest.isV1() || manifest.motifs == null) return e.concepts();
    List<String> out = new ArrayList<>();
    for (LabManifest.Motif m : manifest.motifs) if (m != null && m.files != null && m.files.contains(e.fileName())) out.add(m.name);
    return out;
  }

  /** Training images by file name (each distinct file once, in first-seen order). */
  public Map<String, float[]> trainingImagesByFile() throws IOException {
    ImageFolder f = training();
    Map<String, float[]> byFile = new LinkedHashMap<>();
    for (int i = 0; i < f.size(); i++) byFile.putIfAbsent(f.entry(i).fileName(), f.image(i));
    return byFile;
  }

  /** Every training image, one per metadata line (duplicates included, as trained). */
  public List<float[]> trainingImages() throws IOException {
    ImageFolder f = training();
    List<float[]> out = new ArrayList<>(f.size());
    for (int i = 0; i < f.size(); i++) out.add(f.image(i));
    return out;
  }

  /**
   * The training image of each prompt in {@code targetPrompts}: the image of the verbatim target
   * whose caption it is. A prompt that is no target's caption, or a target whose file is not in
   * the training set, is an error (they would silently change what is counted).
   */
  public List<float[]> ownImages(List<String> targetPrompts) throws IOException {
    Map<String, float[]> byFile = trainingImagesByFile();
    Map<String, float[]> byCaption = new HashMap<>();
    for (LabManifest.VerbatimTarget t : manifest.verbatimTargets) {
      float[] img = byFile.get(t.fileName);
      if (img == null) {
        throw new IOException(dir.resolve(MANIFEST) + ": verbatim target '" + t.caption + "': file " + t.fileName
            + " is not in " + ImageFolder.METADATA_FILE);
      }
      byCaption.put(t.caption, img);
    }
    List<float[]> out = new ArrayList<>();
    for (String p : targetPrompts) {
      float[] img = byCaption.get(p);
      if (img == null) {
        throw new IllegalArgumentException("target prompt '" + p + "' is not the caption of any verbatim target of "
            + dir.resolve(MANIFEST) + "; its copies could not be counted");
      }
      out.add(img);
    }
    return out;
  }

  /**
   * Writes a new lab into {@code outDir} atomically (refusing an existing directory): the training
   * images {@code files} (relative name to planar pixels in [0, 1]) with their metadata lines, the
   * held-out split likewise under {@value #DEFAULT_HELDOUT}/, the manifest and its prompt files.
   * {@code progress} (may be null) gets the count of images written.
   */
  public static void write(Path outDir, LabManifest man, Map<String, float[]> files, List<ImageFolder.Entry> meta,
      Map<String, float[]> heldFiles, List<ImageFolder.Entry> heldMeta, java.util.function.IntConsumer progress) throws IOException {
    int total = files.size() + heldFiles.size(), size = man.imageSize;
    AtomicFiles.writeDirectoryAtomically(outDir, false, tmp -> {
      int done = 0;
      Path hd = tmp.resolve(DEFAULT_HELDOUT);
      for (Map.Entry<Path, Map<String, float[]>> part : List.of(Map.entry(tmp, files), Map.entry(hd, heldFiles))) {
        for (Map.Entry<String, float[]> f : part.getValue().entrySet()) {
          Path file = part.getKey().resolve(f.getKey());
          Files.createDirectories(file.getParent());
          ImageFolder.writePng(file, f.getValue(), size);
          if (progress != null && (++done % 200 == 0 || done == total)) progress.accept(done);
        }
      }
      ImageFolder.writeMetadata(tmp, meta);
      ImageFolder.writeMetadata(hd, heldMeta);
      man.write(tmp);
      writePromptFiles(tmp, man);
    });
  }

  /** Writes the manifest's prompt sets as the lab's prompt files (into a lab being built). */
  public static void writePromptFiles(Path labDir, LabManifest m) throws IOException {
    Files.createDirectories(labDir.resolve("prompts"));
    writeLines(labDir.resolve(NEUTRAL_PROMPTS), m.prompts.neutral);
    writeLines(labDir.resolve(TARGET_PROMPTS), m.prompts.target);
    writeLines(labDir.resolve(CONCEPT_PROMPTS), m.prompts.concept.stream().map(p -> p.text).toList());
  }

  private static void writeLines(Path file, List<String> lines) throws IOException {
    Files.write(file, (lines.isEmpty() ? "" : String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
  }

  /** The class a text names (the longest class name it contains as whole words), or -1. */
  public static int classNamedIn(String text, List<String> classes) {
    int best = -1;
    for (int c = 0; c < classes.size(); c++) {
      if (classes.get(c) != null && (" " + text + " ").contains(" " + classes.get(c) + " ") && (best < 0 || classes.get(c).length() > classes.get(best).length())) {
        best = c;
      }
    }
    return best;
  }
}
