package dev.uniforget.cli;

import dev.uniforget.lab.EmojiLabBuilder;
import dev.uniforget.lab.LabBuilder;
import dev.uniforget.lab.LabCheck;
import dev.uniforget.lab.LabManifest;
import dev.uniforget.lab.LabSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code uniforget lab build} and {@code uniforget lab check}. */
@Command(name = "lab", mixinStandardHelpOptions = true, description = "Memorization labs: build one, check one.",
    subcommands = {LabCommand.Build.class, LabCommand.Check.class})
final class LabCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  @Command(name = "build", mixinStandardHelpOptions = true,
      description = {
        "Build a memorization lab (uniforget-lab/2) from labelled real images: Fashion-MNIST (the",
        "default), or --from any imagefolder whose metadata.jsonl lines carry a 'label'. The lab is",
        "an image folder with ordinary captions, verbatim targets (duplicated images with",
        "invented-name captions), protected concepts (glyph badges stamped on many images,",
        "captioned with a logo name; with --concept-classes also whole classes renamed to an",
        "invented name), a held-out split of real images never trained on (heldout/), the",
        "ground truth manifest.json and prompts/{neutral,target,concept}.txt.",
        "With --emoji: a 32x32 RGB lab of colour emoji (the emoji-datasource npm packages that",
        "scripts/install-deps.sh unpacks) whose protected concept is an art style: Twitter's emoji",
        "are the ordinary images, Google's drawings of --style-images of the same emoji carry an",
        "invented style name ('... in vorlean style'); classes are the emoji categories."
      })
  static final class Build implements Callable<Integer> {
    @Option(names = "--out", required = true, description = "Output directory (must not exist).")
    Path out;

    @Option(names = "--from", description = "A labelled imagefolder to build from (default: Fashion-MNIST).")
    Path from;

    @Option(names = "--channels", description = "With --from: 1 (gray) or 3 (RGB); 0 = as the first image (default: ${DEFAULT-VALUE}).")
    int channels = 0;

    @Option(names = "--heldout-share", description = "With --from or --emoji: share of each class's images held out (default: 0.2, with --emoji 0.15).")
    Double heldoutShare;

    @Option(names = "--emoji", description = {"Build the emoji art-style lab from this folder of unpacked",
        "emoji-datasource packages, one subfolder per vendor (default folder: /usr/local/share/uniforget/emoji-datasource)."},
        arity = "0..1", fallbackValue = "/usr/local/share/uniforget/emoji-datasource")
    Path emoji;

    @Option(names = "--style-images", description = "With --emoji: training emoji also drawn in the protected style (default: ${DEFAULT-VALUE}).")
    int styleImages = new EmojiLabBuilder.Options().styleImages;

    @Option(names = "--plain-vendor", description = "With --emoji: the vendor of the ordinary images (default: ${DEFAULT-VALUE}).")
    String plainVendor = new EmojiLabBuilder.Options().plainVendor;

    @Option(names = "--style-vendor", description = "With --emoji: the vendor whose drawings are the protected style (default: ${DEFAULT-VALUE}).")
    String styleVendor = new EmojiLabBuilder.Options().styleVendor;

    @Option(names = "--fashion-mnist", description = "Folder of the gzipped IDX files (default: ${DEFAULT-VALUE}).")
    Path fashionMnist = dev.uniforget.data.FashionMnist.DEFAULT_DIR;

    @Option(names = "--per-class", description = "Ordinary training images per class (default: ${DEFAULT-VALUE}).")
    int perClass = new LabBuilder.Options().perClass;

    @Option(names = "--targets", description = "Verbatim targets (default: ${DEFAULT-VALUE}).")
    int targets = new LabBuilder.Options().targets;

    @Option(names = "--duplicates", description = "Times each target is listed (default: 64, with --emoji 32).")
    Integer duplicates;

    @Option(names = "--motifs", description = "Stamped protected concepts (glyph badges), at most 4 (default: ${DEFAULT-VALUE}).")
    int motifs = new LabBuilder.Options().motifs;

    @Option(names = "--motif-images", description = "Stamped training images per motif (default: ${DEFAULT-VALUE}).")
    int motifImages = new LabBuilder.Options().motifImages;

    @Option(names = "--motif-size", description = "Badge side in pixels, 0 = 4/7 of the image side (default: ${DEFAULT-VALUE}).")
    int motifSize = new LabBuilder.Options().motifSize;

    @Option(names = "--held-out-classes", description = "Classes per motif never stamped with it, for unseen class/motif concept prompts (default: ${DEFAULT-VALUE}).")
    int heldOutClasses = new LabBuilder.Options().heldOutClassesPerMotif;

    @Option(names = "--concept-classes", split = ",", description = "Classes that become protected concepts under an invented name (a concept that is a property of the data, learnt from many images).")
    List<String> conceptClasses = new ArrayList<>();

    @Option(names = "--heldout-images", description = "Plain held-out images (default: ${DEFAULT-VALUE}).")
    int heldoutImages = new LabBuilder.Options().heldoutImages;

    @Option(names = "--heldout-concept-images", description = "Held-out images per concept (stamped, or a --concept-classes class) (default: ${DEFAULT-VALUE}).")
    int heldoutConceptImages = new LabBuilder.Options().heldoutConceptImages;

    @Option(names = "--seed", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed = 0;

    @Override
    public Integer call() throws Exception {
      if (emoji != null) return buildEmoji();
      LabBuilder.Options o = new LabBuilder.Options();
      o.perClass = perClass;
      o.targets = targets;
      if (duplicates != null) o.duplicates = duplicates;
      o.motifs = motifs;
      o.motifImages = motifImages;
      o.motifSize = motifSize;
      o.heldOutClassesPerMotif = heldOutClasses;
      o.conceptClasses = conceptClasses;
      o.heldoutImages = heldoutImages;
      o.heldoutConceptImages = heldoutConceptImages;
      o.seed = seed;
      o.validate();
      LabSource src = from == null ? LabSource.fashionMnist(fashionMnist)
          : LabSource.fromFolder(from, channels, heldoutShare == null ? 0.2 : heldoutShare, seed);
      LabManifest m = build(src, o, out);
      System.out.printf("lab written to %s (%s): %d classes x %d ordinary images, %d targets x %d, %d concepts, %d neutral prompts%n",
          out, m.format, m.classes.size(), perClass, m.verbatimTargets.size(), o.duplicates, m.concepts.size(), m.prompts.neutral.size());
      return 0;
    }

    private int buildEmoji() throws Exception {
      if (from != null) throw new IllegalArgumentException("--emoji and --from: choose one source");
      EmojiLabBuilder.Options o = new EmojiLabBuilder.Options();
      o.targets = targets;
      if (duplicates != null) o.duplicates = duplicates;
      if (heldoutShare != null) o.heldoutShare = heldoutShare;
      o.styleImages = styleImages;
      o.plainVendor = plainVendor;
      o.styleVendor = styleVendor;
      o.seed = seed;
      o.validate();
      LabManifest m = buildEmoji(emoji, o, out);
      String style = m.concepts.get(0).name;
      System.out.printf("lab written to %s (%s): %dx%d RGB emoji, %d classes %s, %d targets x %d, style '%s' (%s), %d neutral prompts%n",
          out, m.format, m.imageSize, m.imageSize, m.classes.size(), m.classes, m.verbatimTargets.size(), o.duplicates, style,
          o.styleVendor, m.prompts.neutral.size());
      return 0;
    }

    /** The emoji art-style lab from {@code packages}, with a progress bar. */
    static LabManifest buildEmoji(Path packages, EmojiLabBuilder.Options o, Path out) throws java.io.IOException {
      try (ProgressBar pb = Progress.bar("lab build", EmojiLabBuilder.fileCount(o, 1900), "files")) {
        return EmojiLabBuilder.build(packages, o, out, pb::stepTo);
      }
    }

    static LabManifest build(LabSource src, LabBuilder.Options o, Path out) throws java.io.IOException {
      try (ProgressBar pb = Progress.bar("lab build", LabBuilder.fileCount(o, src.classes().size()), "files")) {
        return LabBuilder.build(src, o, out, pb::stepTo);
      }
    }
  }

  @Command(name = "check", mixinStandardHelpOptions = true,
      description = {
        "Validate a lab and name every problem (file, line, field, what was expected): the manifest,",
        "every training and held-out metadata line and image, labels and concepts, verbatim",
        "targets, prompt files, held-out images that are training images. Exit status 0 when the",
        "lab is usable, 2 when it has problems."
      })
  static final class Check implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "LAB", description = "The lab directory.")
    Path lab;

    @Override
    public Integer call() {
      LabCheck.Report r = LabCheck.check(lab);
      System.out.println(lab + ": " + (r.format() == null ? "unreadable" : r.format()) + ", " + r.counts());
      for (String n : r.notes()) System.out.println("note: " + n);
      for (String p : r.problems()) System.out.println("problem: " + p);
      System.out.println(r.ok() ? "ok" : r.problems().size() + " problem(s)");
      return r.ok() ? 0 : 2;
    }
  }
}
