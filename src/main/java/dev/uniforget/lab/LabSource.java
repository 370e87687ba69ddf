package dev.uniforget.lab;

import dev.uniforget.data.FashionMnist;
import dev.uniforget.data.ImageFolder;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * Labelled real images a lab is built from: a training pool (the lab's training images are drawn
 * from it) and a disjoint held-out pool (the lab's held-out split), with class names, image side
 * and channels. Fashion-MNIST (train / test split) is one source; any labelled imagefolder
 * ({@code metadata.jsonl} lines with a {@code label}) is another, split by a seeded share per class.
 */
public record LabSource(String description, int imageSize, int channels, List<String> classes, Pool train, Pool heldout) {

  /** Images with class indices into {@link #classes()}. */
  public interface Pool {
    int size();

    int label(int i);

    /** Image {@code i}: {@code channels * size * size} floats in [0, 1], planar; a fresh array. */
    float[] image(int i);
  }

  public LabSource {
    if (classes.isEmpty()) throw new IllegalArgumentException(description + ": no classes");
  }

  /** Fashion-MNIST: the training pool is its train split, the held-out pool its test split. */
  public static LabSource fashionMnist(Path dir) throws IOException {
    FashionMnist.LabeledImages train = FashionMnist.load(dir, true);
    FashionMnist.LabeledImages test = FashionMnist.load(dir, false);
    if (train.rows() != 28 || train.cols() != 28) throw new IOException(dir + ": expected 28x28 images, found " + train.rows() + "x" + train.cols());
    return new LabSource("Fashion-MNIST (" + dir + ")", 28, 1, FashionMnist.CLASS_NAMES, of(train), of(test));
  }

  private static Pool of(FashionMnist.LabeledImages d) {
    return new Pool() {
      public int size() {
        return d.size();
      }

      public int label(int i) {
        return d.label(i);
      }

      public float[] image(int i) {
        return d.imageAsFloat(i);
      }
    };
  }

  /**
   * A labelled imagefolder: every line needs a {@code label}; each distinct file counts once. Per
   * class, a seeded share {@code heldoutShare} of the files becomes the held-out pool. The image
   * side is read from the first image; {@code channels} 0 = detect (3 when the first image has
   * colour, else 1).
   */
  public static LabSource fromFolder(Path folder, int channels, double heldoutShare, long seed) throws IOException {
    if (!(heldoutShare > 0 && heldoutShare < 1)) throw new IllegalArgumentException("--heldout-share: expected in (0, 1), found " + heldoutShare);
    int[] probe = probe(folder);
    int size = probe[0];
    int ch = channels == 0 ? probe[1] : channels;
    ImageFolder f = ImageFolder.load(folder, size, ch);
    Map<String, Integer> firstLine = new LinkedHashMap<>();
    List<String> classes = new ArrayList<>();
    for (int i = 0; i < f.size(); i++) {
      ImageFolder.Entry e = f.entry(i);
      if (e.label() == null) {
        throw new IOException(folder.resolve(ImageFolder.METADATA_FILE) + " line " + e.line()
            + ", field 'label': missing; `lab build --from` needs a class label on every line");
      }
      if (!classes.contains(e.label())) classes.add(e.label());
      firstLine.putIfAbsent(e.fileName(), i);
    }
    java.util.Collections.sort(classes);
    Map<Integer, List<Integer>> byClass = new HashMap<>();
    for (int line : firstLine.values()) byClass.computeIfAbsent(classes.indexOf(f.entry(line).label()), k -> new ArrayList<>()).add(line);
    List<Integer> train = new ArrayList<>(), held = new ArrayList<>();
    Random rng = new Random(seed ^ 0x5EEDL);
    for (int c = 0; c < classes.size(); c++) {
      List<Integer> lines = byClass.getOrDefault(c, List.of());
      List<Integer> shuffled = new ArrayList<>(lines);
      java.util.Collections.shuffle(shuffled, rng);
      int h = (int) Math.round(heldoutShare * shuffled.size());
      if (shuffled.size() >= 2) h = Math.max(1, Math.min(shuffled.size() - 1, h));
      held.addAll(shuffled.subList(0, h));
      train.addAll(shuffled.subList(h, shuffled.size()));
    }
    java.util.Collections.sort(train);
    java.util.Collections.sort(held);
    return new LabSource("imagefolder " + folder, size, ch, classes, pool(f, classes, train), pool(f, classes, held));
  }

  private static Pool pool(ImageFolder f, List<String> classes, List<Integer> lines) {
    int[] labels = lines.stream().mapToInt(l -> classes.indexOf(f.entry(l).label())).toArray();
    return new Pool() {
      public int size() {
        return lines.size();
      }

      public int label(int i) {
        return labels[i];
      }

      public float[] image(int i) {
        return f.image(lines.get(i)).clone();
      }
    };
  }

  /** Side and channels (1 or 3) of the first image listed in {@code folder/metadata.jsonl}. */
  private static int[] probe(Path folder) throws IOException {
    Path meta = folder.resolve(ImageFolder.METADATA_FILE);
    if (!Files.isRegularFile(meta)) throw new IOException(meta + ": metadata file not found; expected an imagefolder with a label per line");
    String first = null;
    for (String line : Files.readAllLines(meta)) {
      if (!line.isBlank()) {
        first = line;
        break;
      }
    }
    if (first == null) throw new IOException(meta + ": no entries");
    String name;
    try {
      name = dev.uniforget.io.Jsons.MAPPER.readTree(first).path("file_name").asText(null);
    } catch (IOException e) {
      throw new IOException(meta + " line 1: invalid JSON: " + e.getMessage(), e);
    }
    if (name == null) throw new IOException(meta + " line 1, field 'file_name': missing");
    Path file = folder.resolve(name).normalize();
    if (!file.startsWith(folder.normalize()) || !Files.isRegularFile(file)) throw new IOException(meta + " line 1, field 'file_name': no file " + file);
    BufferedImage img;
    try (InputStream in = Files.newInputStream(file)) {
      img = ImageIO.read(in);
    }
    if (img == null) throw new IOException(file + ": not an image ImageIO can read");
    if (img.getWidth() != img.getHeight()) throw new IOException(file + ": expected square images, found " + img.getWidth() + "x" + img.getHeight());
    boolean colour = img.getColorModel().getNumColorComponents() >= 3;
    return new int[] {img.getWidth(), colour ? 3 : 1};
  }
}
