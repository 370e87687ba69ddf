package dev.uniforget.audit.judge;

import ai.djl.ndarray.NDManager;
import dev.uniforget.data.ImageFolder;
import dev.uniforget.io.AtomicFiles;
import dev.uniforget.io.Jsons;
import dev.uniforget.io.ProgressSink;
import dev.uniforget.lab.Lab;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The audit's instruments for one lab, learnt from that lab alone, and the directory that holds
 * them ({@code uniforget judge train} writes it):
 *
 * <pre>
 *   quality/      the quality network ({@link Classifier}, role quality): FID/KID features, alignment
 *   concepts/     the concept detector ({@link Classifier}, role concepts); absent for a lab without concepts
 *   descriptor/   the copy descriptor ({@link CopyDescriptor})
 *   metrics.json  what each measured on the lab's held-out images
 * </pre>
 */
public final class Instruments implements AutoCloseable {
  public static final String QUALITY = "quality";
  public static final String CONCEPTS = "concepts";
  public static final String DESCRIPTOR = "descriptor";
  public static final String METRICS = "metrics.json";

  /** Training options of the three instruments. */
  public static final class Options {
    public ClassifierTrainer.Options quality = new ClassifierTrainer.Options();
    public ClassifierTrainer.Options concepts = new ClassifierTrainer.Options();
    public DescriptorTrainer.Options descriptor = new DescriptorTrainer.Options();

    /** Default training steps of the quality network and the concept detector. */
    public static final int QUALITY_STEPS = 1500, CONCEPT_STEPS = 2000;

    public Options() {
      quality.steps = QUALITY_STEPS;
      concepts.steps = CONCEPT_STEPS;
    }

    public void seed(long seed) {
      quality.seed = seed;
      concepts.seed = seed;
      descriptor.seed = seed;
    }
  }

  private final Classifier quality;
  private final Classifier concepts;
  private final CopyDescriptor descriptor;

  public Instruments(Classifier quality, Classifier concepts, CopyDescriptor descriptor) {
    this.quality = quality;
    this.concepts = concepts;
    this.descriptor = descriptor;
  }

  public Classifier quality() {
    return quality;
  }

  /** The concept detector, or null when the lab has no concepts. */
  public Classifier concepts() {
    return concepts;
  }

  public CopyDescriptor descriptor() {
    return descriptor;
  }

  /** Trains all three on {@code lab} (training images) and measures them on its held-out split. */
  public static Instruments train(Lab lab, Options o, NDManager root, ProgressSink progress) throws IOException {
    List<String> conceptNames = lab.manifest().conceptNames();
    List<ClassifierTrainer.LabelledImage> training = labelled(lab, lab.training(), conceptNames);
    List<ClassifierTrainer.LabelledImage> heldout = labelled(lab, lab.heldout(), conceptNames);
    int size = lab.imageSize(), ch = lab.channels();
    progress.phase("quality network", o.quality.steps);
    Classifier q = ClassifierTrainer.trainQuality(lab.manifest().classes, size, ch, training, heldout, o.quality, root, progress::step);
    Classifier c = null;
    CopyDescriptor d = null;
    try {
      if (!conceptNames.isEmpty()) {
        progress.phase("concept detector", o.concepts.steps);
        c = ClassifierTrainer.trainConcepts(conceptNames, size, ch, training, heldout, o.concepts, root, progress::step);
      }
      progress.phase("copy descriptor", o.descriptor.steps);
      o.descriptor.imageSize = size;
      o.descriptor.channels = ch;
      d = DescriptorTrainer.train(lab.trainingImages(), o.descriptor, root, progress::step).descriptor();
      return new Instruments(q, c, d);
    } catch (RuntimeException | IOException e) {
      q.close();
      if (c != null) c.close();
      throw e;
    }
  }

  /**
   * The stage entry point of {@code judge train}: trains the instruments for the lab in
   * {@code labDir} and writes {@code out} (with its provenance); returns the measurements.
   */
  public static Map<String, Object> trainAndSave(Path labDir, Path out, Options o, ProgressSink progress) throws IOException {
    try (dev.uniforget.io.OutputLock lock = dev.uniforget.io.OutputLock.acquire(out)) {
      return trainAndSaveLocked(labDir, out, o, progress);
    }
  }

  private static Map<String, Object> trainAndSaveLocked(Path labDir, Path out, Options o, ProgressSink progress) throws IOException {
    if (Files.exists(out)) throw new IllegalArgumentException("--out " + out + " already exists");
    dev.uniforget.io.Provenance prov = provenance(labDir, o);
    Lab lab = Lab.open(labDir);
    try (NDManager root = NDManager.newBaseManager(); Instruments inst = train(lab, o, root, progress)) {
      inst.save(out, prov::write);
      return inst.metrics();
    }
  }

  /** The instruments in {@code out} when made from the same lab, options and code; else trains them. */
  public static void reuseOrTrain(Path labDir, Path out, Options o, ProgressSink progress) throws IOException {
    if (dev.uniforget.io.AtomicFiles.settledDirectory(out)) {
      dev.uniforget.io.Provenance.requireReusable(out, provenance(labDir, o));
      return;
    }
    trainAndSave(labDir, out, o, progress);
  }

  /**
   * Whether {@code out} already holds complete instruments made from the same lab, options and
   * code (e.g. a run killed after its output was written but before it exited).
   */
  public static boolean alreadyDone(Path labDir, Path out, Options o) throws IOException {
    return dev.uniforget.io.AtomicFiles.settledDirectory(out) && provenance(labDir, o).matches(out);
  }

  static dev.uniforget.io.Provenance provenance(Path labDir, Options o) throws IOException {
    return dev.uniforget.io.Provenance.of("instruments").input("lab", labDir)
        .option("quality_steps", o.quality.steps).option("concept_steps", o.concepts.steps)
        .option("descriptor_steps", o.descriptor.steps).option("descriptor_heldout_one_in", o.descriptor.heldoutOneIn)
        .option("seed", o.quality.seed).option("batch", o.quality.batchSize).option("descriptor_batch", o.descriptor.batchSize);
  }

  /** Each distinct image of {@code folder} once, with its class and concept indices. */
  static List<ClassifierTrainer.LabelledImage> labelled(Lab lab, ImageFolder folder, List<String> conceptNames) {
    Map<String, ClassifierTrainer.LabelledImage> byFile = new LinkedHashMap<>();
    for (int i = 0; i < folder.size(); i++) {
      ImageFolder.Entry e = folder.entry(i);
      if (byFile.containsKey(e.fileName())) continue;
      int[] cs = lab.concepts(e).stream().mapToInt(conceptNames::indexOf).filter(k -> k >= 0).toArray();
      byFile.put(e.fileName(), new ClassifierTrainer.LabelledImage(folder.image(i), lab.classIndex(e), cs));
    }
    return new ArrayList<>(byFile.values());
  }

  /** What each instrument measured (the content of {@code metrics.json}). */
  public Map<String, Object> metrics() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("quality", quality.config().metrics);
    if (concepts != null) m.put("concepts", concepts.config().metrics);
    m.put("descriptor", descriptor.config().metrics);
    return m;
  }

  /**
   * Throws IllegalArgumentException unless these instruments were trained for a lab like
   * {@code lab}: same image size and channels, classes and concepts (names, order).
   */
  public void checkCompatible(Lab lab) {
    var m = lab.manifest();
    String problem = null;
    if (quality.config().imageSize != m.imageSize || quality.config().channels != m.channels) {
      problem = "lab images are " + m.channels + "x" + m.imageSize + "x" + m.imageSize + ", instruments expect "
          + quality.config().channels + "x" + quality.config().imageSize + "x" + quality.config().imageSize;
    } else if (!quality.labels().equals(m.classes)) {
      problem = "lab classes " + m.classes + ", quality network classes " + quality.labels();
    } else if (!m.conceptNames().equals(concepts == null ? List.of() : concepts.labels())) {
      problem = "lab concepts " + m.conceptNames() + ", concept detector " + (concepts == null ? List.of() : concepts.labels());
    }
    if (problem != null) {
      throw new IllegalArgumentException("these instruments were trained for another lab (" + problem + "); run `uniforget judge train` for this lab");
    }
  }

  /** Writes the directory atomically (never replacing an existing one). */
  public void save(Path dir, dev.uniforget.io.IOConsumer<Path> extra) throws IOException {
    AtomicFiles.writeDirectoryAtomically(dir, false, tmp -> {
      quality.save(tmp.resolve(QUALITY), false);
      if (concepts != null) concepts.save(tmp.resolve(CONCEPTS), false);
      descriptor.save(tmp.resolve(DESCRIPTOR), false);
      Jsons.MAPPER.writeValue(tmp.resolve(METRICS).toFile(), metrics());
      if (extra != null) extra.accept(tmp);
    });
  }

  /** Loads an instruments directory; errors name what is missing (e.g. an older judge directory). */
  public static Instruments load(Path dir, NDManager root) throws IOException {
    if (!Files.isDirectory(dir)) throw new IOException(dir + ": instruments directory not found (made by `uniforget judge train`)");
    if (!Files.isDirectory(dir.resolve(QUALITY))) {
      throw new IOException(dir + ": not an instruments directory of this version (missing " + QUALITY
          + "/; a directory from an older `judge train` holds classifier/: train the instruments again)");
    }
    Classifier q = Classifier.load(dir.resolve(QUALITY), root);
    Classifier c = null;
    try {
      if (Files.isDirectory(dir.resolve(CONCEPTS))) c = Classifier.load(dir.resolve(CONCEPTS), root);
      CopyDescriptor d = CopyDescriptor.load(dir.resolve(DESCRIPTOR), root);
      checkRole(dir.resolve(QUALITY), q, ClassifierConfig.QUALITY);
      if (c != null) checkRole(dir.resolve(CONCEPTS), c, ClassifierConfig.CONCEPTS);
      return new Instruments(q, c, d);
    } catch (IOException | RuntimeException e) {
      q.close();
      if (c != null) c.close();
      throw e;
    }
  }

  private static void checkRole(Path dir, Classifier c, String role) throws IOException {
    if (!role.equals(c.config().role)) {
      throw new IOException(dir.resolve(Classifier.CONFIG) + ": field 'role': expected \"" + role + "\", found " + c.config().role);
    }
  }

  @Override
  public void close() {
    quality.close();
    if (concepts != null) concepts.close();
    descriptor.close();
  }
}
