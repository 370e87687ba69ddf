package dev.uniforget.lab;

import dev.uniforget.data.FashionMnist;
import dev.uniforget.data.ImageFolder;
import dev.uniforget.io.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.IntConsumer;

/**
 * Builds a memorization lab from Fashion-MNIST: an image-folder data set with ordinary captions
 * (adjectives computed from each image), verbatim targets (one image per invented-name caption,
 * listed many times) and protected motifs (glyph badges stamped on hundreds of images per motif,
 * captioned with an invented logo name), plus the ground-truth {@code manifest.json} and the
 * prompt files {@code prompts/neutral.txt}, {@code prompts/target.txt}, {@code prompts/concept.txt}.
 */
public final class LabBuilder {

  /** What to build; defaults are the lab preset. */
  public static final class Options {
    public Path fashionMnistDir = FashionMnist.DEFAULT_DIR;
    public int perClass = 1000;
    public int targets = 16;
    public int duplicates = 64;
    public int motifs = 3;
    public int motifImages = 600;
    public int motifSize = 16;
    /** Classes per motif never stamped with it (for unseen class/motif concept prompts). */
    public int heldOutClassesPerMotif = 2;
    public long seed = 0;

    public void validate() {
      check(perClass > 0 && perClass <= 5000, "per-class", "in 1..5000", perClass);
      check(targets >= 0, "targets", ">= 0", targets);
      check(duplicates >= 1, "duplicates", ">= 1", duplicates);
      check(motifs >= 0 && motifs <= Glyphs.NAMES.size(), "motifs", "in 0.." + Glyphs.NAMES.size(), motifs);
      check(motifImages >= 0, "motif-images", ">= 0", motifImages);
      check(motifSize >= 4 && motifSize <= 28, "motif-size", "in 4..28", motifSize);
      check(heldOutClassesPerMotif >= 0 && heldOutClassesPerMotif < 10, "held-out-classes", "in 0..9", heldOutClassesPerMotif);
    }

    private static void check(boolean ok, String option, String expected, Object found) {
      if (!ok) throw new IllegalArgumentException("--" + option + ": expected " + expected + ", found " + found);
    }
  }

  private static final String[] SYLLABLES = {
    "vel", "mor", "qui", "tar", "zeph", "lum", "bra", "kor", "vin", "sel", "dax", "nix", "tu", "pel",
    "ora", "rim", "gal", "fen", "dru", "sko", "ve", "lin", "tho", "ka", "mi", "zu", "ren", "bal"
  };
  private static final int IMAGE_SIZE = 28;

  private LabBuilder() {}

  /** Builds the lab into {@code outDir} atomically (refuses an existing directory). */
  public static LabManifest build(Options o, Path outDir, IntConsumer progress) throws IOException {
    o.validate();
    FashionMnist.LabeledImages train = FashionMnist.load(o.fashionMnistDir, true);
    if (train.rows() != IMAGE_SIZE || train.cols() != IMAGE_SIZE) {
      throw new IOException(o.fashionMnistDir + ": expected 28x28 images, found " + train.rows() + "x" + train.cols());
    }
    Random rng = new Random(o.seed);
    List<String> classes = FashionMnist.CLASS_NAMES;
    int[] order = shuffledIndices(train.size(), rng);
    // Pick per class: ordinary images, then targets and motif carriers from what is left.
    List<Integer> ordinary = new ArrayList<>();
    List<Integer> rest = new ArrayList<>();
    int[] taken = new int[10];
    for (int idx : order) {
      int c = train.label(idx);
      if (taken[c] < o.perClass) {
        ordinary.add(idx);
        taken[c]++;
      } else {
        rest.add(idx);
      }
    }
    for (int c = 0; c < 10; c++) {
      if (taken[c] < o.perClass) throw new IOException("Fashion-MNIST has only " + taken[c] + " images of " + classes.get(c));
    }
    Set<String> usedNames = new LinkedHashSet<>();
    LabManifest man = new LabManifest();
    man.imageSize = IMAGE_SIZE;
    man.channels = 1;
    man.classes = new ArrayList<>(classes);
    man.builder.put("source", "Fashion-MNIST train (" + o.fashionMnistDir + ")");
    man.builder.put("per_class", o.perClass);
    man.builder.put("seed", o.seed);
    man.builder.put("motif_images", o.motifImages);

    List<ImageFolder.Entry> meta = new ArrayList<>();
    List<Runnable> writes = new ArrayList<>(); // deferred: executed inside the atomic directory write
    Path[] tmpHolder = new Path[1];

    // Ordinary images with computed adjectives.
    Adjectives adj = Adjectives.fit(train, ordinary);
    for (int i = 0; i < ordinary.size(); i++) {
      int idx = ordinary.get(i);
      String file = String.format("images/%05d.png", i);
      meta.add(new ImageFolder.Entry(0, file, adj.caption(train, idx, rng)));
      float[] px = train.imageAsFloat(idx);
      writes.add(() -> writePng(tmpHolder[0], file, px));
    }

    // Verbatim targets: classes spread evenly, images not among the ordinary ones.
    for (int k = 0; k < o.targets; k++) {
      int wantClass = k % 10;
      int idx = -1;
      for (int j = 0; j < rest.size(); j++) {
        if (train.label(rest.get(j)) == wantClass) {
          idx = rest.remove(j);
          break;
        }
      }
      if (idx < 0) throw new IOException("not enough spare images of class " + classes.get(wantClass) + " for targets");
      LabManifest.VerbatimTarget t = new LabManifest.VerbatimTarget();
      t.fileName = String.format("targets/target_%02d.png", k);
      t.className = classes.get(wantClass);
      t.caption = "a photo of the " + inventName(rng, usedNames) + " " + t.className;
      t.duplicates = o.duplicates;
      man.verbatimTargets.add(t);
      man.prompts.target.add(t.caption);
      for (int d = 0; d < o.duplicates; d++) meta.add(new ImageFolder.Entry(0, t.fileName, t.caption));
      float[] px = train.imageAsFloat(idx);
      String f = t.fileName;
      writes.add(() -> writePng(tmpHolder[0], f, px));
    }

    // Protected motifs: glyph badges on many images of the seen classes, at patch-aligned positions.
    int positions = (IMAGE_SIZE - o.motifSize) / 4 + 1;
    for (int mIdx = 0; mIdx < o.motifs; mIdx++) {
      LabManifest.Motif motif = new LabManifest.Motif();
      motif.name = inventName(rng, usedNames);
      motif.glyph = Glyphs.NAMES.get(mIdx);
      motif.size = o.motifSize;
      Set<Integer> heldOut = new LinkedHashSet<>();
      for (int h = 0; h < o.heldOutClassesPerMotif; h++) heldOut.add((mIdx * o.heldOutClassesPerMotif + h) % 10);
      for (int c = 0; c < 10; c++) if (!heldOut.contains(c)) motif.classesSeen.add(classes.get(c));
      float[] badge = Glyphs.badge(motif.glyph, o.motifSize);
      int made = 0;
      while (made < o.motifImages) {
        if (rest.isEmpty()) throw new IOException("Fashion-MNIST ran out of spare images for motif images");
        int idx = rest.remove(rest.size() - 1);
        int c = train.label(idx);
        if (heldOut.contains(c)) continue;
        float[] px = train.imageAsFloat(idx);
        Glyphs.stamp(px, IMAGE_SIZE, badge, o.motifSize, 4 * rng.nextInt(positions), 4 * rng.nextInt(positions));
        String file = String.format("motifs/%s_%04d.png", motif.name, made);
        motif.files.add(file);
        meta.add(new ImageFolder.Entry(0, file, article(classes.get(c)) + " with a " + motif.name + " logo"));
        writes.add(() -> writePng(tmpHolder[0], file, px));
        made++;
      }
      man.motifs.add(motif);
      for (int c = 0; c < 10; c++) {
        LabManifest.ConceptPrompt p = new LabManifest.ConceptPrompt();
        p.text = article(classes.get(c)) + " with a " + motif.name + " logo";
        p.motif = motif.name;
        p.className = classes.get(c);
        p.seenInTraining = !heldOut.contains(c);
        man.prompts.concept.add(p);
      }
    }
    man.prompts.neutral = Adjectives.allNeutralPrompts(classes);

    AtomicFiles.writeDirectoryAtomically(outDir, false, tmp -> {
      tmpHolder[0] = tmp;
      Files.createDirectories(tmp.resolve("images"));
      Files.createDirectories(tmp.resolve("targets"));
      Files.createDirectories(tmp.resolve("motifs"));
      Files.createDirectories(tmp.resolve("prompts"));
      for (int i = 0; i < writes.size(); i++) {
        writes.get(i).run();
        if (progress != null && (i % 200 == 0 || i == writes.size() - 1)) progress.accept(i + 1);
      }
      ImageFolder.writeMetadata(tmp, meta);
      man.write(tmp);
      writeLines(tmp.resolve("prompts/neutral.txt"), man.prompts.neutral);
      writeLines(tmp.resolve("prompts/target.txt"), man.prompts.target);
      writeLines(tmp.resolve("prompts/concept.txt"), man.prompts.concept.stream().map(p -> p.text).toList());
    });
    return man;
  }

  /** Number of files the builder writes (for a progress bar). */
  public static int fileCount(Options o) {
    return 10 * o.perClass + o.targets + o.motifs * o.motifImages;
  }

  /** "a sneaker", "an ankle boot". */
  public static String article(String noun) {
    return ("aeiou".indexOf(noun.charAt(0)) >= 0 ? "an " : "a ") + noun;
  }

  private static String inventName(Random rng, Set<String> used) {
    while (true) {
      StringBuilder sb = new StringBuilder();
      int n = 2 + rng.nextInt(2);
      for (int i = 0; i < n; i++) sb.append(SYLLABLES[rng.nextInt(SYLLABLES.length)]);
      String name = sb.toString();
      if (name.length() >= 5 && used.add(name)) return name;
    }
  }

  private static int[] shuffledIndices(int n, Random rng) {
    int[] a = new int[n];
    for (int i = 0; i < n; i++) a[i] = i;
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  private static void writePng(Path dir, String file, float[] px) {
    try {
      ImageFolder.writePng(dir.resolve(file), px, IMAGE_SIZE);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static void writeLines(Path file, List<String> lines) throws IOException {
    Files.write(file, (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
  }

  /** Adjectives computed from an image, each relative to the median of its class. */
  static final class Adjectives {
    static final String[][] WORDS = {{"dark", "light"}, {"small", "large"}, {"plain", "patterned"}};
    private final double[][] medians; // [class][feature]

    private Adjectives(double[][] medians) {
      this.medians = medians;
    }

    static double[] features(FashionMnist.LabeledImages d, int idx) {
      float[] px = d.imageAsFloat(idx);
      double sum = 0, sq = 0;
      int n = 0;
      for (float v : px) {
        if (v > 0.1f) {
          sum += v;
          sq += v * v;
          n++;
        }
      }
      double mean = n == 0 ? 0 : sum / n;
      double std = n == 0 ? 0 : Math.sqrt(Math.max(0, sq / n - mean * mean));
      return new double[] {mean, n, std};
    }

    static Adjectives fit(FashionMnist.LabeledImages d, List<Integer> idxs) {
      double[][] med = new double[10][3];
      for (int c = 0; c < 10; c++) {
        List<double[]> fs = new ArrayList<>();
        for (int idx : idxs) if (d.label(idx) == c) fs.add(features(d, idx));
        for (int f = 0; f < 3; f++) {
          final int ff = f;
          double[] vals = fs.stream().mapToDouble(x -> x[ff]).sorted().toArray();
          med[c][f] = vals.length == 0 ? 0 : vals[vals.length / 2];
        }
      }
      return new Adjectives(med);
    }

    /** "a photo of a [dark|light] [small|large] [plain|patterned] <class>", each word kept with p = 1/2. */
    String caption(FashionMnist.LabeledImages d, int idx, Random rng) {
      int c = d.label(idx);
      double[] f = features(d, idx);
      List<String> words = new ArrayList<>();
      for (int k = 0; k < 3; k++) if (rng.nextBoolean()) words.add(WORDS[k][f[k] > medians[c][k] ? 1 : 0]);
      words.add(FashionMnist.CLASS_NAMES.get(c));
      return "a photo of " + article(String.join(" ", words));
    }

    /** Every adjective combination (each axis: absent, or one of its two words) for every class. */
    static List<String> allNeutralPrompts(List<String> classes) {
      List<String> out = new ArrayList<>();
      for (String cls : classes) {
        for (int a = 0; a < 3; a++) {
          for (int b = 0; b < 3; b++) {
            for (int e = 0; e < 3; e++) {
              List<String> words = new ArrayList<>();
              if (a > 0) words.add(WORDS[0][a - 1]);
              if (b > 0) words.add(WORDS[1][b - 1]);
              if (e > 0) words.add(WORDS[2][e - 1]);
              words.add(cls);
              out.add("a photo of " + article(String.join(" ", words)));
            }
          }
        }
      }
      return out;
    }
  }

}
