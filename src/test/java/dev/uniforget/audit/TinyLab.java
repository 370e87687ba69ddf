package dev.uniforget.audit;

import dev.uniforget.audit.judge.SyntheticImages;
import dev.uniforget.data.ImageFolder;
import dev.uniforget.lab.LabBuilder;
import dev.uniforget.lab.LabSource;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A tiny uniforget-lab/2 built by the project's {@link LabBuilder} from a labelled imagefolder of
 * synthetic 16x16 gray shapes (three classes, 20 images each): 6 ordinary images per class, 2
 * verbatim targets (3 duplicates each), one stamped concept on 6 images, a held-out split of 12
 * plain images and 4 carrying the concept.
 */
public final class TinyLab {
  public static final int SIZE = 16;
  public static final List<String> CLASSES = List.of("bar", "pillar", "blob");

  private TinyLab() {}

  /** Writes the source folder under {@code work/source} and builds the lab into {@code work/lab}; returns the lab. */
  public static Path build(Path work) throws IOException {
    Path source = work.resolve("source");
    SplittableRandom rng = new SplittableRandom(42);
    List<ImageFolder.Entry> entries = new ArrayList<>();
    int[] shapeOf = {0, 1, 3}; // bar, pillar, blob in SyntheticImages
    for (int i = 0; i < 60; i++) {
      int c = i % 3;
      String file = String.format("images/%03d.png", i);
      java.nio.file.Files.createDirectories(source.resolve(file).getParent());
      ImageFolder.writePng(source.resolve(file), SyntheticImages.shape(shapeOf[c], SIZE, 1, rng), SIZE);
      entries.add(new ImageFolder.Entry(0, file, "a " + CLASSES.get(c), CLASSES.get(c), List.of()));
    }
    ImageFolder.writeMetadata(source, entries);
    LabSource src = LabSource.fromFolder(source, 1, 0.4, 0);
    LabBuilder.Options o = new LabBuilder.Options();
    o.perClass = 6;
    o.targets = 2;
    o.duplicates = 3;
    o.motifs = 1;
    o.motifImages = 6;
    o.heldOutClassesPerMotif = 1;
    o.heldoutImages = 12;
    o.heldoutConceptImages = 4;
    Path lab = work.resolve("lab");
    LabBuilder.build(src, o, lab, null);
    return lab;
  }
}
