package dev.uniforget.cli;

import dev.uniforget.lab.LabBuilder;
import dev.uniforget.lab.LabManifest;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code uniforget lab build}. */
@Command(name = "lab", mixinStandardHelpOptions = true, description = "Memorization labs.",
    subcommands = {LabCommand.Build.class})
final class LabCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  @Command(name = "build", mixinStandardHelpOptions = true,
      description = {
        "Build a memorization lab from Fashion-MNIST: an image folder (PNG + metadata.jsonl) with",
        "ordinary captions, verbatim targets (duplicated images with invented-name captions) and",
        "protected motifs (glyph badges stamped on many images, captioned with a logo name), plus",
        "manifest.json (ground truth, for scoring only) and prompts/{neutral,target,concept}.txt."
      })
  static final class Build implements Callable<Integer> {
    @Option(names = "--out", required = true, description = "Output directory (must not exist).")
    Path out;

    @Option(names = "--fashion-mnist", description = "Folder of the gzipped IDX files (default: ${DEFAULT-VALUE}).")
    Path fashionMnist = dev.uniforget.data.FashionMnist.DEFAULT_DIR;

    @Option(names = "--per-class", description = "Ordinary images per class (default: ${DEFAULT-VALUE}).")
    int perClass = 1000;

    @Option(names = "--targets", description = "Verbatim targets (default: ${DEFAULT-VALUE}).")
    int targets = 16;

    @Option(names = "--duplicates", description = "Times each target is listed (default: ${DEFAULT-VALUE}).")
    int duplicates = new LabBuilder.Options().duplicates;

    @Option(names = "--motifs", description = "Protected motifs, at most 4 (default: ${DEFAULT-VALUE}).")
    int motifs = 3;

    @Option(names = "--motif-images", description = "Stamped images per motif (default: ${DEFAULT-VALUE}).")
    int motifImages = new LabBuilder.Options().motifImages;

    @Option(names = "--motif-size", description = "Badge side in pixels (default: ${DEFAULT-VALUE}).")
    int motifSize = new LabBuilder.Options().motifSize;

    @Option(names = "--seed", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed = 0;

    @Override
    public Integer call() throws Exception {
      LabBuilder.Options o = new LabBuilder.Options();
      o.fashionMnistDir = fashionMnist;
      o.perClass = perClass;
      o.targets = targets;
      o.duplicates = duplicates;
      o.motifs = motifs;
      o.motifImages = motifImages;
      o.motifSize = motifSize;
      o.seed = seed;
      LabManifest m = build(o, out);
      System.out.printf("lab written to %s: %d ordinary images, %d targets x %d, %d motifs x %d images, %d neutral prompts%n",
          out, 10 * perClass, m.verbatimTargets.size(), duplicates, m.motifs.size(), motifImages, m.prompts.neutral.size());
      return 0;
    }

    static LabManifest build(LabBuilder.Options o, Path out) throws java.io.IOException {
      try (ProgressBar pb = Progress.bar("lab build", LabBuilder.fileCount(o), "files")) {
        return LabBuilder.build(o, out, pb::stepTo);
      }
    }
  }
}
