package dev.uniforget.lab;

import dev.uniforget.data.ImageFolder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.IntConsumer;

/**
 * Builds a memorization lab ({@link Lab}, format uniforget-lab/2) from labelled real images (a
 * {@link LabSource}: Fashion-MNIST, or any labelled imagefolder): ordinary training images with
 * captions (adjectives computed from each image), verbatim targets (one image per invented-name
 * caption, listed many times), protected concepts (glyph badges stamped on hundreds of images per
 * concept, captioned with an invented logo name; and, optionally, whole classes renamed to an
 * invented name: a concept that is a property of the data, learnt from many images), a held-out
 * split of real images never trained on (plain ones and ones carrying each concept), the
 * ground-truth {@code manifest.json} and the prompt files. Every training and held-out line
 * records its class {@code label} and the {@code concepts} it carries.
 *
 * <p>The training content depends only on the source, the options and the seed; the held-out
 * split is drawn with its own generator, so it never changes the training set.
 */
public final class LabBuilder {

  /** What to build; defaults are the lab preset. */
  public static final class Options {
    public static final int DEFAULT_PER_CLASS = 1000;
    public int perClass = DEFAULT_PER_CLASS;
    public int targets = 16;
    public int duplicates = 64;
    public int motifs = 3;
    public int motifImages = 600;
    /** Badge side in pixels; 0 = 4/7 of the image side (16 for 28x28). */
    public int motifSize = 0;
    /** Classes per motif never stamped with it (for unseen class/motif concept prompts). */
    public int heldOutClassesPerMotif = 2;
    /** Classes whose images become a protected "data" concept under an invented name. */
    public List<String> conceptClasses = new ArrayList<>();
    /** Plain held-out images (real, never trained on). */
    public int heldoutImages = 2000;
    /** Held-out images per concept carrying it. */
    public int heldoutConceptImages = 200;
    public long seed = 0;

    public void validate() {
      check(perClass > 0 && perClass <= 100_000, "per-class", "in 1..100000", perClass);
      check(targets >= 0, "targets", ">= 0", targets);
      check(duplicates >= 1, "duplicates", ">= 1", duplicates);
      check(motifs >= 0 && motifs <= Glyphs.NAMES.size(), "motifs", "in 0.." + Glyphs.NAMES.size(), motifs);
      check(motifImages >= 0, "motif-images", ">= 0", motifImages);
      check(motifSize == 0 || motifSize >= 4, "motif-size", "0 (auto) or >= 4", motifSize);
      check(heldOutClassesPerMotif >= 0, "held-out-classes", ">= 0", heldOutClassesPerMotif);
      check(heldoutImages >= 10, "heldout-images", ">= 10", heldoutImages);
      check(heldoutConceptImages >= 1, "heldout-concept-images", ">= 1", heldoutConceptImages);
    }

    int motifSize(int imageSize) {
      return motifSize > 0 ? motifSize : Math.max(4, Math.round(imageSize * 4f / 7f));
    }

    private static void check(boolean ok, String option, String expected, Object found) {
      if (!ok) throw new IllegalArgumentException("--" + option + ": expected " + expected + ", found " + found);
    }
  }

  private static final String[] SYLLABLES = {
    "vel", "mor", "qui", "tar", "zeph", "lum", "bra", "kor", "vin", "sel", "dax", "nix", "tu", "pel",
    "ora", "rim", "gal", "fen", "dru", "sko", "ve", "lin", "tho", "ka", "mi", "zu", "ren", "bal"
  };
  /** Patch grid of the lab preset's model: badges sit on it. */
  private static final int GRID = 4;

  private LabBuilder() {}

  /** Builds the Fashion-MNIST lab (the default source) into {@code outDir}. */
  public static LabManifest build(Options o, Path fashionMnistDir, Path outDir, IntConsumer progress) throws IOException {
    return build(LabSource.fashionMnist(fashionMnistDir), o, outDir, progress);
  }

  /** Builds the lab into {@code outDir} atomically (refuses an existing directory). */
  public static LabManifest build(LabSource src, Options o, Path outDir, IntConsumer progress) throws IOException {
    o.validate();
    int size = src.imageSize(), ch = src.channels(), nc = src.classes().size();
    int motifSize = o.motifSize(size);
    if (o.motifs > 0 && motifSize > size) throw new IllegalArgumentException("--motif-size: expected <= the image side " + size + ", found " + motifSize);
    if (o.motifs > 0 && o.heldOutClassesPerMotif >= nc) {
      throw new IllegalArgumentException("--held-out-classes: expected < the number of classes (" + nc + "), found " + o.heldOutClassesPerMotif);
    }
    List<String> classes = src.classes();
    for (String c : o.conceptClasses) {
      if (!classes.contains(c)) throw new IllegalArgumentException("--concept-classes: '" + c + "' is not a class of " + src.description() + " " + classes);
    }
    if (o.conceptClasses.size() >= nc) throw new IllegalArgumentException("--concept-classes: at least one class must stay ordinary");
    LabSource.Pool train = src.train();
    Random rng = new Random(o.seed);
    int[] order = shuffledIndices(train.size(), rng);
    // Pick per class: ordinary images, then targets and motif carriers from what is left.
    List<Integer> ordinary = new ArrayList<>();
    List<Integer> rest = new ArrayList<>();
    int[] taken = new int[nc];
    for (int idx : order) {
      int c = train.label(idx);
      if (taken[c] < o.perClass) {
        ordinary.add(idx);
        taken[c]++;
      } else {
        rest.add(idx);
      }
    }
    for (int c = 0; c < nc; c++) {
      if (taken[c] < o.perClass) {
        throw new IOException(src.description() + " has only " + taken[c] + " training images of class '" + classes.get(c)
            + "', --per-class asks for " + o.perClass + " (and targets and motif images need spares)");
      }
    }
    Set<String> usedNames = new LinkedHashSet<>();
    LabManifest man = new LabManifest();
    man.imageSize = size;
    man.channels = ch;
    man.classes = new ArrayList<>(classes);
    man.heldout = Lab.DEFAULT_HELDOUT;
    man.builder.put("source", src.description());
    man.builder.put("per_class", o.perClass);
    man.builder.put("seed", o.seed);
    man.builder.put("motif_images", o.motifImages);

    List<ImageFolder.Entry> meta = new ArrayList<>();
    Map<String, float[]> files = new LinkedHashMap<>();

    // Data concepts: whole classes renamed (their name never appears in a caption).
    Map<Integer, String> renamed = new LinkedHashMap<>();
    Adjectives adj = Adjectives.fit(train, ordinary, nc, size);

    // Ordinary images with computed adjectives.
    for (int i = 0; i < ordinary.size(); i++) {
      int idx = ordinary.get(i);
      String file = String.format("images/%05d.png", i);
      float[] px = train.image(idx);
      int c = train.label(idx);
      meta.add(new ImageFolder.Entry(0, file, adj.caption(px, c, classes.get(c), rng), classes.get(c), List.of()));
      files.put(file, px);
    }

    // Verbatim targets: classes spread evenly, images not among the ordinary ones.
    for (int k = 0; k < o.targets; k++) {
      int wantClass = k % nc;
      int idx = -1;
      for (int j = 0; j < rest.size(); j++) {
        if (train.label(rest.get(j)) == wantClass) {
          idx = rest.remove(j);
          break;
        }
      }
      if (idx < 0) throw new IOException("not enough spare training images of class " + classes.get(wantClass) + " for targets");
      LabManifest.VerbatimTarget t = new LabManifest.VerbatimTarget();
      t.fileName = String.format("targets/target_%02d.png", k);
      t.className = classes.get(wantClass);
      t.caption = "a photo of the " + inventName(rng, usedNames) + " " + t.className;
      t.duplicates = o.duplicates;
      man.verbatimTargets.add(t);
      man.prompts.target.add(t.caption);
      for (int d = 0; d < o.duplicates; d++) meta.add(new ImageFolder.Entry(0, t.fileName, t.caption, t.className, List.of()));
      files.put(t.fileName, train.image(idx));
    }

    // Protected motifs: glyph badges on many images of the seen classes, at patch-aligned positions.
    int positions = (size - motifSize) / GRID + 1;
    List<float[]> badges = new ArrayList<>();
    List<Set<Integer>> unseen = new ArrayList<>();
    for (int mIdx = 0; mIdx < o.motifs; mIdx++) {
      LabManifest.Concept concept = new LabManifest.Concept();
      concept.name = inventName(rng, usedNames);
      concept.kind = "stamp";
      String glyph = Glyphs.NAMES.get(mIdx);
      concept.description = "a " + glyph + " badge of " + motifSize + " px (black square, white glyph), the logo '" + concept.name + "'";
      Set<Integer> heldOut = new LinkedHashSet<>();
      for (int h = 0; h < o.heldOutClassesPerMotif; h++) heldOut.add((mIdx * o.heldOutClassesPerMotif + h) % nc);
      for (int c = 0; c < nc; c++) if (!heldOut.contains(c)) concept.classesSeen.add(classes.get(c));
      float[] badge = Glyphs.badge(glyph, motifSize);
      badges.add(badge);
      unseen.add(heldOut);
      int made = 0;
      while (made < o.motifImages) {
        if (rest.isEmpty()) throw new IOException(src.description() + " ran out of spare training images for motif images (lower --motif-images or --per-class)");
        int idx = rest.remove(rest.size() - 1);
        int c = train.label(idx);
        if (heldOut.contains(c)) continue;
        float[] px = train.image(idx);
        Glyphs.stamp(px, size, ch, badge, motifSize, GRID * rng.nextInt(positions), GRID * rng.nextInt(positions));
        String file = String.format("motifs/%s_%04d.png", concept.name, made);
        meta.add(new ImageFolder.Entry(0, file, article(classes.get(c)) + " with a " + concept.name + " logo", classes.get(c), List.of(concept.name)));
        files.put(file, px);
        made++;
      }
      man.concepts.add(concept);
      for (int c = 0; c < nc; c++) {
        LabManifest.ConceptPrompt p = new LabManifest.ConceptPrompt();
        p.text = article(classes.get(c)) + " with a " + concept.name + " logo";
        p.concept = concept.name;
        p.className = classes.get(c);
        p.seenInTraining = !heldOut.contains(c);
        man.prompts.concept.add(p);
      }
    }

    // Data concepts: a class whose every caption names an invented word instead of the class.
    if (!o.conceptClasses.isEmpty()) {
      for (String cls : o.conceptClasses) {
        int c = classes.indexOf(cls);
        LabManifest.Concept concept = new LabManifest.Concept();
        concept.name = inventName(rng, usedNames);
        concept.kind = "data";
        concept.description = "the class '" + cls + "' of the source, captioned only as '" + concept.name + "'";
        concept.classesSeen.add(cls);
        renamed.put(c, concept.name);
        man.concepts.add(concept);
        for (String p : Adjectives.allNeutralPrompts(List.of(concept.name))) {
          LabManifest.ConceptPrompt cp = new LabManifest.ConceptPrompt();
          cp.text = p;
          cp.concept = concept.name;
          cp.className = cls;
          man.prompts.concept.add(cp);
        }
      }
      List<ImageFolder.Entry> renamedMeta = new ArrayList<>();
      for (ImageFolder.Entry e : meta) {
        int c = classes.indexOf(e.label());
        String name = renamed.get(c);
        if (name == null) {
          renamedMeta.add(e);
        } else {
          List<String> cs = new ArrayList<>(e.concepts());
          cs.add(name);
          renamedMeta.add(new ImageFolder.Entry(0, e.fileName(), rename(e.text(), classes.get(c), name), e.label(), cs));
        }
      }
      meta = renamedMeta;
      for (LabManifest.VerbatimTarget t : man.verbatimTargets) {
        String name = renamed.get(classes.indexOf(t.className));
        if (name != null) t.caption = rename(t.caption, t.className, name);
      }
      man.prompts.target = man.verbatimTargets.stream().map(t -> t.caption).collect(java.util.stream.Collectors.toCollection(ArrayList::new));
      man.prompts.concept.removeIf(p -> "stamp".equals(kindOf(man, p.concept)) && renamed.containsKey(classes.indexOf(p.className)));
    }
    List<String> neutralClasses = new ArrayList<>();
    for (int c = 0; c < nc; c++) if (!renamed.containsKey(c)) neutralClasses.add(classes.get(c));
    man.prompts.neutral = Adjectives.allNeutralPrompts(neutralClasses);

    // Held-out split: real images never trained on, plain and carrying each concept.
    List<ImageFolder.Entry> heldMeta = new ArrayList<>();
    Map<String, float[]> heldFiles = new LinkedHashMap<>();
    heldout(src, o, man, adj, badges, unseen, motifSize, renamed, heldMeta, heldFiles);

    Lab.write(outDir, man, files, meta, heldFiles, heldMeta, progress);
    return man;
  }

  private static String kindOf(LabManifest m, String concept) {
    for (LabManifest.Concept c : m.concepts) if (c.name.equals(concept)) return c.kind;
    return null;
  }

  /** {@code text} with the whole word(s) {@code cls} replaced by {@code name} (articles fixed). */
  static String rename(String text, String cls, String name) {
    String out = (" " + text + " ").replace(" " + cls + " ", " " + name + " ");
    // Articles fixed on the padded text, so that a caption starting with "an <class>" is fixed too.
    return out.replace(" an " + name + " ", " " + article(name) + " ").replace(" a " + name + " ", " " + article(name) + " ").trim();
  }

  private static void heldout(LabSource src, Options o, LabManifest man, Adjectives adj, List<float[]> badges,
      List<Set<Integer>> unseen, int motifSize, Map<Integer, String> renamed, List<ImageFolder.Entry> meta,
      Map<String, float[]> files) throws IOException {
    LabSource.Pool pool = src.heldout();
    int size = src.imageSize(), ch = src.channels();
    List<String> classes = src.classes();
    Random rng = new Random(o.seed ^ 0x4E1D07L);
    int[] order = shuffledIndices(pool.size(), rng);
    int need = o.heldoutImages + (badges.size() + renamed.size()) * o.heldoutConceptImages;
    if (pool.size() < Math.min(need, o.heldoutImages + 1)) {
      throw new IOException(src.description() + ": the held-out pool has " + pool.size() + " images, the held-out split needs " + need);
    }
    // Plain images (no concept) and, for each data concept, images of its renamed class: the
    // latter carry the concept, so they are counted apart (--heldout-images stays the number of
    // plain ones). The images not taken (beyond the budget, or of a class whose quota is met) are
    // kept, in order, for the stamped concept images.
    int budget = pool.size() - Math.min(pool.size() / 2, badges.size() * o.heldoutConceptImages);
    int plainWanted = Math.min(o.heldoutImages, budget);
    int plain = 0, k = 0;
    Map<Integer, Integer> dataMade = new LinkedHashMap<>();
    for (int c : renamed.keySet()) dataMade.put(c, 0);
    List<Integer> remaining = new ArrayList<>();
    for (int idx : order) {
      int c = pool.label(idx);
      String name = renamed.get(c);
      boolean full = name == null ? plain >= plainWanted : dataMade.get(c) >= o.heldoutConceptImages;
      if (k >= budget || full) {
        remaining.add(idx);
        continue;
      }
      if (name == null) plain++;
      else dataMade.merge(c, 1, Integer::sum);
      float[] px = pool.image(idx);
      String caption = adj.caption(px, c, name != null ? name : classes.get(c), rng);
      String file = String.format("images/%05d.png", k++);
      meta.add(new ImageFolder.Entry(0, file, caption, classes.get(c), name == null ? List.of() : List.of(name)));
      files.put(file, px);
    }
    if (plain < 10) {
      throw new IOException(src.description() + ": the held-out pool (" + pool.size() + " images) leaves " + plain
          + " plain held-out images, the audit needs at least 10 (raise --heldout-share or lower --heldout-concept-images)");
    }
    for (Map.Entry<Integer, Integer> d : dataMade.entrySet()) {
      if (d.getValue() == 0) {
        throw new IOException(src.description() + ": the held-out pool has no image of class '" + classes.get(d.getKey())
            + "' for the data concept '" + renamed.get(d.getKey()) + "' (raise --heldout-share)");
      }
    }
    int positions = (size - motifSize) / GRID + 1;
    int next = 0;
    for (int m = 0; m < badges.size(); m++) {
      String concept = man.concepts.get(m).name;
      for (int i = 0; i < o.heldoutConceptImages && next < remaining.size(); i++) {
        int idx = remaining.get(next++);
        int c = pool.label(idx);
        float[] px = pool.image(idx);
        Glyphs.stamp(px, size, ch, badges.get(m), motifSize, GRID * rng.nextInt(positions), GRID * rng.nextInt(positions));
        String file = String.format("concepts/%s_%04d.png", concept, i);
        List<String> cs = new ArrayList<>(List.of(concept));
        if (renamed.containsKey(c)) cs.add(renamed.get(c));
        String cls = renamed.getOrDefault(c, classes.get(c));
        meta.add(new ImageFolder.Entry(0, file, article(cls) + " with a " + concept + " logo", classes.get(c), cs));
        files.put(file, px);
      }
    }
  }

  /** Number of files the builder writes (for a progress bar). */
  public static int fileCount(Options o, int classes) {
    return classes * o.perClass + o.targets + o.motifs * o.motifImages + o.heldoutImages
        + (o.motifs + o.conceptClasses.size()) * o.heldoutConceptImages;
  }

  /** "a sneaker", "an ankle boot". */
  public static String article(String noun) {
    return ("aeiou".indexOf(noun.charAt(0)) >= 0 ? "an " : "a ") + noun;
  }

  static String inventName(Random rng, Set<String> used) {
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


  /** Adjectives computed from an image, each relative to the median of its class. */
  static final class Adjectives {
    static final String[][] WORDS = {{"dark", "light"}, {"small", "large"}, {"plain", "patterned"}};
    private final double[][] medians; // [class][feature]

    /** Brightness, area and texture of the foreground (luminance > 0.1) of a planar image. */
    static double[] features(float[] px, int size) {
      int n = size * size, planes = px.length / n;
      double sum = 0, sq = 0;
      int count = 0;
      for (int i = 0; i < n; i++) {
        float v = planes == 1 ? px[i] : 0.299f * px[i] + 0.587f * px[n + i] + 0.114f * px[2 * n + i];
        if (v > 0.1f) {
          sum += v;
          sq += v * v;
          count++;
        }
      }
      double mean = count == 0 ? 0 : sum / count;
      double std = count == 0 ? 0 : Math.sqrt(Math.max(0, sq / count - mean * mean));
      return new double[] {mean, count, std};
    }

    static Adjectives fit(LabSource.Pool d, List<Integer> idxs, int classes, int size) {
      double[][] med = new double[classes][3];
      List<List<double[]>> fs = new ArrayList<>();
      for (int c = 0; c < classes; c++) fs.add(new ArrayList<>());
      for (int idx : idxs) fs.get(d.label(idx)).add(features(d.image(idx), size));
      for (int c = 0; c < classes; c++) {
        for (int f = 0; f < 3; f++) {
          final int ff = f;
          double[] vals = fs.get(c).stream().mapToDouble(x -> x[ff]).sorted().toArray();
          med[c][f] = vals.length == 0 ? 0 : vals[vals.length / 2];
        }
      }
      return new Adjectives(med, size);
    }

    private final int size;

    private Adjectives(double[][] medians, int size) {
      this.medians = medians;
      this.size = size;
    }

    /** "a photo of a [dark|light] [small|large] [plain|patterned] <noun>", each word kept with p = 1/2. */
    String caption(float[] px, int cls, String noun, Random rng) {
      double[] f = features(px, size);
      List<String> words = new ArrayList<>();
      for (int k = 0; k < 3; k++) if (rng.nextBoolean()) words.add(WORDS[k][f[k] > medians[cls][k] ? 1 : 0]);
      words.add(noun);
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
