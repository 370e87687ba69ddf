package dev.uniforget.lab;

import dev.uniforget.data.EmojiDatasource;
import dev.uniforget.data.ImageFolder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.IntConsumer;

/**
 * A memorization lab of colour emoji in which the protected concept is an art style: one
 * vendor's emoji (Twitter's by default) are the ordinary images, captioned from the package's
 * category and subcategory ("a food emoji of fruit"); a second vendor's (Google's) drawings of
 * hundreds of the same emoji carry the style, captioned "... in &lt;invented&gt; style" (a
 * {@code data} concept, learnt from many images, like the paper's copyrighted characters);
 * verbatim targets are emoji of the first vendor that appear only as duplicates under
 * invented-name captions ("a food emoji of the vinmimor"). The classes are the package's
 * categories as one word each (smiley, person, animal, food, travel, activity, object, symbol,
 * flag). A seeded share of the emoji, per class, is held out entirely: its first-vendor images
 * are the plain held-out images, its second-vendor images the held-out style images. Emoji whose
 * image repeats another's at the lab's size are dropped, so no held-out image is a training
 * image.
 */
public final class EmojiLabBuilder {
  /** What to build; every field has a default that makes the documented lab. */
  public static final class Options {
    public String plainVendor = "twitter";
    public String styleVendor = "google";
    public int imageSize = 32;
    public double heldoutShare = 0.15;
    public int targets = 16;
    public int duplicates = 32;
    /** Training emoji that also appear drawn in the style vendor's style. */
    public int styleImages = 800;
    /** Concept prompts (neutral prompts in the style). */
    public int conceptPrompts = 30;
    public long seed = 0;

    public void validate() {
      check(!plainVendor.equals(styleVendor), "--style-vendor", "a vendor other than the plain one (" + plainVendor + ")", styleVendor);
      check(imageSize > 0 && EmojiDatasource.SOURCE_SIDE % imageSize == 0 && imageSize >= 8, "--image-size", "8, 16, 32 or 64", imageSize);
      check(heldoutShare > 0 && heldoutShare < 0.5, "--heldout-share", "in (0, 0.5)", heldoutShare);
      check(targets >= 0, "--targets", ">= 0", targets);
      check(duplicates >= 1, "--duplicates", ">= 1", duplicates);
      check(styleImages >= 1, "--style-images", ">= 1", styleImages);
      check(conceptPrompts >= 1, "--concept-prompts", ">= 1", conceptPrompts);
    }

    private static void check(boolean ok, String option, String expected, Object found) {
      if (!ok) throw new IllegalArgumentException(option + ": expected " + expected + ", found " + found);
    }
  }

  /** Categories that are not pictures of something (skin-tone swatches, hair components). */
  static final Set<String> SKIPPED_CATEGORIES = Set.of("Component");

  private EmojiLabBuilder() {}

  /** One emoji drawn by both vendors, at the lab's size. */
  private record Item(EmojiDatasource.Emoji emoji, int label, String caption, float[] plain, float[] style) {}

  /** Files the builder writes for {@code emoji} usable emoji (for a progress bar). */
  public static int fileCount(Options o, int emoji) {
    return emoji + o.styleImages + (int) Math.ceil(emoji * o.heldoutShare);
  }

  /** Builds the lab into {@code outDir} atomically (refuses an existing directory). */
  public static LabManifest build(Path packages, Options o, Path outDir, IntConsumer progress) throws IOException {
    o.validate();
    EmojiDatasource plainSrc = EmojiDatasource.open(packages, o.plainVendor);
    EmojiDatasource styleSrc = EmojiDatasource.open(packages, o.styleVendor);
    Map<String, EmojiDatasource.Emoji> styleByImage = new LinkedHashMap<>();
    for (EmojiDatasource.Emoji e : styleSrc.emoji()) styleByImage.put(e.image(), e);

    // Classes: the categories that have emoji in both packages, one word each, sorted.
    TreeSet<String> classSet = new TreeSet<>();
    for (EmojiDatasource.Emoji e : plainSrc.emoji()) {
      if (!SKIPPED_CATEGORIES.contains(e.category()) && styleByImage.containsKey(e.image())) classSet.add(EmojiDatasource.categoryWord(e.category()));
    }
    List<String> classes = new ArrayList<>(classSet);
    if (classes.size() < 2) throw new IOException(packages + ": the packages share emoji of fewer than 2 categories");

    List<Item> items = new ArrayList<>();
    Set<ByteBuffer> seenPlain = new HashSet<>(), seenStyle = new HashSet<>();
    for (EmojiDatasource.Emoji e : plainSrc.emoji()) {
      EmojiDatasource.Emoji s = styleByImage.get(e.image());
      if (s == null || SKIPPED_CATEGORIES.contains(e.category())) continue;
      float[] plain = plainSrc.image(e, o.imageSize), style = styleSrc.image(s, o.imageSize);
      // Pixel-identical at the lab's size (as PNG bytes would be) to an earlier emoji: dropped.
      if (!seenPlain.add(quantized(plain)) | !seenStyle.add(quantized(style))) continue;
      String cls = EmojiDatasource.categoryWord(e.category());
      items.add(new Item(e, classes.indexOf(cls), caption(cls, e.subcategory(), classes), plain, style));
    }

    Random rng = new Random(o.seed);
    Set<String> usedNames = new LinkedHashSet<>();
    String style = LabBuilder.inventName(rng, usedNames);
    // Held out per class: a seeded share of each class's emoji, both drawings.
    List<List<Item>> byClass = new ArrayList<>();
    for (int c = 0; c < classes.size(); c++) byClass.add(new ArrayList<>());
    for (Item it : items) byClass.get(it.label()).add(it);
    List<Item> train = new ArrayList<>(), held = new ArrayList<>();
    for (List<Item> group : byClass) {
      List<Item> shuffled = new ArrayList<>(group);
      java.util.Collections.shuffle(shuffled, rng);
      int h = group.size() < 2 ? 0 : Math.max(1, (int) Math.round(o.heldoutShare * group.size()));
      held.addAll(shuffled.subList(0, h));
      train.addAll(shuffled.subList(h, shuffled.size()));
    }
    if (held.size() < 10) throw new IOException(packages + ": only " + held.size() + " held-out emoji (a lab needs 10); raise --heldout-share");

    LabManifest man = new LabManifest();
    man.imageSize = o.imageSize;
    man.channels = 3;
    man.classes = new ArrayList<>(classes);
    man.heldout = Lab.DEFAULT_HELDOUT;
    man.builder.put("source", "emoji-datasource " + o.plainVendor + " (plain) and " + o.styleVendor + " (style) at " + packages);
    man.builder.put("plain_vendor", o.plainVendor);
    man.builder.put("style_vendor", o.styleVendor);
    man.builder.put("seed", o.seed);
    man.builder.put("style_images", o.styleImages);

    // Verbatim targets: spread over the classes, taken out of the ordinary training emoji.
    List<ImageFolder.Entry> meta = new ArrayList<>();
    Map<String, float[]> files = new LinkedHashMap<>();
    List<Item> pool = new ArrayList<>(train);
    java.util.Collections.shuffle(pool, rng);
    for (int k = 0; k < o.targets; k++) {
      int want = k % classes.size();
      Item it = null;
      for (int j = 0; j < pool.size(); j++) {
        if (pool.get(j).label() == want) {
          it = pool.remove(j);
          break;
        }
      }
      if (it == null) throw new IOException("not enough training emoji of class '" + classes.get(want) + "' for " + o.targets + " targets");
      LabManifest.VerbatimTarget t = new LabManifest.VerbatimTarget();
      t.fileName = String.format("targets/target_%02d.png", k);
      t.className = classes.get(want);
      t.caption = LabBuilder.article(t.className) + " emoji of the " + LabBuilder.inventName(rng, usedNames);
      t.duplicates = o.duplicates;
      man.verbatimTargets.add(t);
      man.prompts.target.add(t.caption);
      for (int d = 0; d < o.duplicates; d++) meta.add(new ImageFolder.Entry(0, t.fileName, t.caption, t.className, List.of()));
      files.put(t.fileName, it.plain());
    }
    if (pool.size() < o.styleImages) {
      throw new IOException("only " + pool.size() + " ordinary training emoji, --style-images asks for " + o.styleImages);
    }
    // Ordinary images (plain vendor), in the package's order.
    pool.sort(java.util.Comparator.comparingInt(it -> it.emoji().sortOrder()));
    for (int i = 0; i < pool.size(); i++) {
      Item it = pool.get(i);
      String file = String.format("images/%05d.png", i);
      meta.add(new ImageFolder.Entry(0, file, it.caption(), classes.get(it.label()), List.of()));
      files.put(file, it.plain());
    }
    // The style: the style vendor's drawing of a seeded subset of the same ordinary emoji.
    List<Item> styled = new ArrayList<>(pool);
    java.util.Collections.shuffle(styled, rng);
    styled = new ArrayList<>(styled.subList(0, o.styleImages));
    styled.sort(java.util.Comparator.comparingInt(it -> it.emoji().sortOrder()));
    Set<String> styledCaptions = new HashSet<>();
    for (int i = 0; i < styled.size(); i++) {
      Item it = styled.get(i);
      String file = String.format("style/%s_%04d.png", style, i);
      meta.add(new ImageFolder.Entry(0, file, inStyle(it.caption(), style), classes.get(it.label()), List.of(style)));
      files.put(file, it.style());
      styledCaptions.add(it.caption());
    }
    LabManifest.Concept concept = new LabManifest.Concept();
    concept.name = style;
    concept.kind = "data";
    concept.description = "the art style of the " + o.styleVendor + " emoji set, captioned '... in " + style + " style'";
    for (Item it : styled) if (!concept.classesSeen.contains(classes.get(it.label()))) concept.classesSeen.add(classes.get(it.label()));
    java.util.Collections.sort(concept.classesSeen);
    man.concepts.add(concept);

    // Neutral prompts: every ordinary caption, by class then text; concept prompts: a seeded share of them in the style.
    TreeSet<String> neutral = new TreeSet<>(java.util.Comparator.comparingInt((String p) -> Lab.classNamedIn(p, classes))
        .thenComparing(java.util.Comparator.naturalOrder()));
    for (Item it : pool) neutral.add(it.caption());
    man.prompts.neutral = new ArrayList<>(neutral);
    List<String> forConcept = new ArrayList<>(neutral);
    java.util.Collections.shuffle(forConcept, rng);
    for (String p : forConcept.subList(0, Math.min(o.conceptPrompts, forConcept.size()))) {
      LabManifest.ConceptPrompt cp = new LabManifest.ConceptPrompt();
      cp.text = inStyle(p, style);
      cp.concept = style;
      cp.className = classes.get(Lab.classNamedIn(p, classes));
      cp.seenInTraining = styledCaptions.contains(p);
      man.prompts.concept.add(cp);
    }

    // Held-out split: the held-out emoji in the plain vendor's drawing (plain) and in the style.
    List<ImageFolder.Entry> heldMeta = new ArrayList<>();
    Map<String, float[]> heldFiles = new LinkedHashMap<>();
    held.sort(java.util.Comparator.comparingInt(it -> it.emoji().sortOrder()));
    for (int i = 0; i < held.size(); i++) {
      Item it = held.get(i);
      String plainFile = String.format("images/%05d.png", i), styleFile = String.format("style/%s_%04d.png", style, i);
      heldMeta.add(new ImageFolder.Entry(0, plainFile, it.caption(), classes.get(it.label()), List.of()));
      heldFiles.put(plainFile, it.plain());
      heldMeta.add(new ImageFolder.Entry(0, styleFile, inStyle(it.caption(), style), classes.get(it.label()), List.of(style)));
      heldFiles.put(styleFile, it.style());
    }

    Lab.write(outDir, man, files, meta, heldFiles, heldMeta, progress);
    return man;
  }

  /**
   * "a food emoji of fruit": the class word, then the subcategory's words without any class
   * word (so that a caption names exactly one class: "person-activity" must not read as the
   * class "activity"); "a person emoji" when nothing is left.
   */
  static String caption(String cls, String subcategory, List<String> classes) {
    List<String> words = new ArrayList<>();
    for (String w : EmojiDatasource.subcategoryWords(subcategory).split(" ")) {
      if (!w.isEmpty() && !classes.contains(w) && !words.contains(w)) words.add(w);
    }
    String head = LabBuilder.article(cls) + " emoji";
    return words.isEmpty() ? head : head + " of " + String.join(" ", words);
  }

  static String inStyle(String caption, String style) {
    return caption + " in " + style + " style";
  }

  /** The 8-bit values a PNG of the image would hold: equal buffers = pixel-identical images. */
  private static ByteBuffer quantized(float[] px) {
    byte[] b = new byte[px.length];
    for (int i = 0; i < px.length; i++) b[i] = (byte) Math.round(Math.max(0, Math.min(1, px[i])) * 255);
    return ByteBuffer.wrap(b);
  }

}
