package dev.uniforget.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * One vendor package of the emoji-datasource npm family ({@code emoji-datasource-twitter},
 * {@code emoji-datasource-google}, ...), unpacked: {@code DIR/emoji.json} (one object per emoji
 * with {@code name}, {@code short_name}, {@code category}, {@code subcategory}, {@code image},
 * {@code sort_order} and {@code has_img_<vendor>}) and {@code DIR/img/<vendor>/64/<image>}
 * (64 x 64 RGBA PNGs). Skin-tone variations are not read. Images come out as RGB, alpha
 * composited over white, box-filtered down to the asked side.
 */
public final class EmojiDatasource {
  /** Where {@code scripts/install-deps.sh} unpacks the packages: one folder per vendor. */
  public static final Path DEFAULT_DIR = Path.of("/usr/local/share/uniforget/emoji-datasource");
  public static final int SOURCE_SIDE = 64;

  private static final ObjectMapper JSON = dev.uniforget.io.Jsons.INPUT; // the one strict reader

  /** One emoji of the package; {@code category} and {@code subcategory} as the package spells them. */
  public record Emoji(String name, String shortName, String category, String subcategory, String image, int sortOrder) {}

  private final Path dir;
  private final String vendor;
  private final List<Emoji> emoji;

  private EmojiDatasource(Path dir, String vendor, List<Emoji> emoji) {
    this.dir = dir;
    this.vendor = vendor;
    this.emoji = emoji;
  }

  /** The package of {@code vendor} under {@code root} ({@code root/<vendor>}), or the package folder itself. */
  public static EmojiDatasource open(Path root, String vendor) throws IOException {
    if (!vendor.matches("[a-z]+")) throw new IllegalArgumentException("emoji vendor: expected lower-case letters, found '" + vendor + "'");
    Path dir = Files.isRegularFile(root.resolve(vendor).resolve("emoji.json")) ? root.resolve(vendor) : root;
    Path json = dir.resolve("emoji.json");
    if (!Files.isRegularFile(json)) {
      throw new IOException(json + ": not found; expected an unpacked emoji-datasource-" + vendor
          + " package (scripts/install-deps.sh puts them under " + DEFAULT_DIR + ")");
    }
    JsonNode root0;
    try {
      root0 = JSON.readTree(json.toFile());
    } catch (IOException e) {
      throw new IOException(json + ": invalid JSON: " + e.getMessage(), e);
    }
    if (root0 == null || !root0.isArray()) throw new IOException(json + ": expected a JSON array of emoji objects");
    List<Emoji> out = new ArrayList<>();
    String has = "has_img_" + vendor;
    for (int i = 0; i < root0.size(); i++) {
      JsonNode e = root0.get(i);
      String where = json + " element " + i;
      if (!e.isObject()) throw new IOException(where + ": expected an object");
      if (!e.path(has).asBoolean(false)) continue;
      String image = text(e, "image", where);
      if (!image.matches("[0-9a-f-]+\\.png")) throw new IOException(where + ", field 'image': expected a file name like 1f600.png, found '" + image + "'");
      JsonNode order = e.get("sort_order");
      if (order == null || !order.canConvertToInt()) throw new IOException(where + ", field 'sort_order': expected an integer");
      out.add(new Emoji(text(e, "name", where), text(e, "short_name", where), text(e, "category", where),
          text(e, "subcategory", where), image, order.asInt()));
    }
    if (out.isEmpty()) throw new IOException(json + ": no emoji with an image for vendor '" + vendor + "' (" + has + ")");
    out.sort(java.util.Comparator.comparingInt(Emoji::sortOrder).thenComparing(Emoji::image));
    return new EmojiDatasource(dir, vendor, Collections.unmodifiableList(out));
  }

  private static String text(JsonNode e, String field, String where) throws IOException {
    JsonNode v = e.get(field);
    if (v == null || !v.isTextual() || v.asText().isBlank()) throw new IOException(where + ", field '" + field + "': expected a non-empty string");
    return v.asText();
  }

  public String vendor() {
    return vendor;
  }

  public List<Emoji> emoji() {
    return emoji;
  }

  public Path imageFile(Emoji e) {
    return dir.resolve("img").resolve(vendor).resolve(Integer.toString(SOURCE_SIDE)).resolve(e.image());
  }

  /**
   * The emoji's image as {@code 3 * side * side} floats in [0, 1], planar RGB: alpha composited
   * over white at 64 px, then the mean of each (64 / side)^2 block.
   */
  public float[] image(Emoji e, int side) throws IOException {
    if (side <= 0 || SOURCE_SIDE % side != 0) throw new IllegalArgumentException("emoji image side: expected a divisor of 64, found " + side);
    Path file = imageFile(e);
    if (!Files.isRegularFile(file)) throw new IOException(file + ": missing (emoji '" + e.name() + "' of " + vendor + ")");
    BufferedImage img;
    try (InputStream in = Files.newInputStream(file)) {
      img = ImageIO.read(in);
    } catch (IOException | RuntimeException ex) {
      throw new IOException(file + ": not a readable PNG: " + ex.getMessage(), ex);
    }
    if (img == null) throw new IOException(file + ": not a readable PNG");
    if (img.getWidth() != SOURCE_SIDE || img.getHeight() != SOURCE_SIDE) {
      throw new IOException(file + ": expected " + SOURCE_SIDE + "x" + SOURCE_SIDE + ", found " + img.getWidth() + "x" + img.getHeight());
    }
    return downscaleOverWhite(img, side);
  }

  static float[] downscaleOverWhite(BufferedImage img, int side) {
    int n = img.getWidth(), f = n / side;
    float[] out = new float[3 * side * side];
    float norm = 1f / (255f * f * f);
    for (int y = 0; y < n; y++) {
      for (int x = 0; x < n; x++) {
        int argb = img.getRGB(x, y);
        float a = ((argb >>> 24) & 0xff) / 255f;
        int o = (y / f) * side + x / f;
        for (int c = 0; c < 3; c++) {
          int v = (argb >> (16 - 8 * c)) & 0xff;
          out[c * side * side + o] += (a * v + (1 - a) * 255f) * norm;
        }
      }
    }
    return out;
  }

  /** A category as one lower-case word: "Food & Drink" -> "food", "Smileys & Emotion" -> "smiley". */
  public static String categoryWord(String category) {
    String first = category.toLowerCase(Locale.ROOT).split("[^a-z]+")[0];
    return switch (first) {
      case "smileys" -> "smiley";
      case "animals" -> "animal";
      case "activities" -> "activity";
      case "objects" -> "object";
      case "symbols" -> "symbol";
      case "flags" -> "flag";
      case "travel" -> "travel";
      case "people" -> "person";
      default -> first;
    };
  }

  /** A subcategory as words: "face-smiling" -> "face smiling", "food-fruit" -> "food fruit". */
  public static String subcategoryWords(String subcategory) {
    return String.join(" ", subcategory.toLowerCase(Locale.ROOT).split("[^a-z0-9]+")).trim();
  }
}
