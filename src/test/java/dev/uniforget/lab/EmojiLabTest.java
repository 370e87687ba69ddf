package dev.uniforget.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.uniforget.data.EmojiDatasource;
import dev.uniforget.data.ImageFolder;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The emoji-datasource reader and the emoji art-style lab, on a synthetic package pair and on the real packages. */
class EmojiLabTest {
  @TempDir Path tmp;

  static final String[][] CATEGORIES = {
    {"Smileys & Emotion", "face-smiling"}, {"Food & Drink", "food-fruit"}, {"Animals & Nature", "animal-mammal"},
    {"People & Body", "person-activity"}, {"Activities", "sport"}, {"Component", "skin-tone"},
  };

  /**
   * Two vendor packages ("plain", "fancy") of {@code perCategory} emoji in each category above:
   * 64 px RGBA, a coloured disc (colour by emoji, alpha 0 outside) with a vendor-specific mark.
   */
  static Path fakePackages(Path root, int perCategory) throws IOException {
    StringBuilder json = new StringBuilder("[");
    int n = 0;
    for (String[] cat : CATEGORIES) {
      for (int k = 0; k < perCategory; k++, n++) {
        if (n > 0) json.append(',');
        json.append(String.format("{\"name\":\"emoji %d\",\"short_name\":\"e%d\",\"category\":\"%s\",\"subcategory\":\"%s\","
            + "\"image\":\"%04x.png\",\"sort_order\":%d,\"has_img_plain\":true,\"has_img_fancy\":true,\"has_img_other\":false}",
            n, n, cat[0], cat[1], 0x1f000 + n, n));
      }
    }
    json.append(']');
    for (String vendor : List.of("plain", "fancy")) {
      Path dir = root.resolve(vendor);
      Path img = dir.resolve("img").resolve(vendor).resolve("64");
      Files.createDirectories(img);
      Files.writeString(dir.resolve("emoji.json"), json, StandardCharsets.UTF_8);
      for (int i = 0; i < n; i++) {
        BufferedImage b = new BufferedImage(64, 64, BufferedImage.TYPE_INT_ARGB);
        int rgb = ((37 * i) % 256) << 16 | ((91 * i + 40) % 256) << 8 | ((13 * i + 200) % 256);
        for (int y = 0; y < 64; y++) {
          for (int x = 0; x < 64; x++) {
            double r = Math.hypot(x - 32, y - 32);
            boolean mark = vendor.equals("fancy") ? (x + y) % 8 < 2 : x < 4;
            if (r < 12 + i % 17) b.setRGB(x, y, 0xff000000 | (mark ? 0x202020 : rgb));
          }
        }
        ImageIO.write(b, "png", img.resolve(String.format("%04x.png", 0x1f000 + i)).toFile());
      }
    }
    return root;
  }

  private static EmojiLabBuilder.Options options() {
    EmojiLabBuilder.Options o = new EmojiLabBuilder.Options();
    o.plainVendor = "plain";
    o.styleVendor = "fancy";
    o.imageSize = 16;
    o.targets = 5;
    o.duplicates = 4;
    o.styleImages = 30;
    o.conceptPrompts = 4;
    o.heldoutShare = 0.2;
    return o;
  }

  @Test
  void readerCompositesOverWhiteAndBoxFilters() throws IOException {
    Path pkgs = fakePackages(tmp.resolve("pkgs"), 2);
    EmojiDatasource d = EmojiDatasource.open(pkgs, "plain");
    assertEquals(12, d.emoji().size());
    EmojiDatasource.Emoji e = d.emoji().get(0);
    float[] px = d.image(e, 16);
    assertEquals(3 * 16 * 16, px.length);
    // The corner is transparent: white after compositing.
    for (int c = 0; c < 3; c++) assertEquals(1f, px[c * 256], 1e-6);
    // The centre block of the disc has the emoji's colour (emoji 0: r 0, g 40, b 200).
    int centre = 8 * 16 + 8;
    assertEquals(0f, px[centre], 1e-6);
    assertEquals(40 / 255f, px[256 + centre], 1e-6);
    assertEquals(200 / 255f, px[512 + centre], 1e-6);
    assertThrows(IllegalArgumentException.class, () -> d.image(e, 24));
    assertEquals("smiley", EmojiDatasource.categoryWord("Smileys & Emotion"));
    assertEquals("travel", EmojiDatasource.categoryWord("Travel & Places"));
    assertEquals("person", EmojiDatasource.categoryWord("People & Body"));
    assertEquals("food fruit", EmojiDatasource.subcategoryWords("food-fruit"));
  }

  @Test
  void buildsALabThatPassesTheCheckWithTheStyleAsADataConcept() throws IOException {
    Path pkgs = fakePackages(tmp.resolve("pkgs"), 20);
    Path lab = tmp.resolve("lab");
    LabManifest m = EmojiLabBuilder.build(pkgs, options(), lab, null);
    LabCheck.Report r = LabCheck.check(lab);
    assertTrue(r.ok(), () -> String.join("\n", r.problems()));
    assertEquals(16, m.imageSize);
    assertEquals(3, m.channels);
    assertEquals(List.of("activity", "animal", "food", "person", "smiley"), m.classes, "Component is skipped");
    assertEquals(1, m.concepts.size());
    LabManifest.Concept style = m.concepts.get(0);
    assertEquals("data", style.kind);
    assertEquals(5, m.verbatimTargets.size());
    assertEquals(5, m.prompts.target.size());
    assertEquals(4, m.prompts.concept.size());

    // Every caption names exactly its own class (the audit reads the class from the prompt).
    Lab opened = Lab.open(lab);
    ImageFolder train = opened.training(), held = opened.heldout();
    for (ImageFolder f : List.of(train, held)) {
      for (int i = 0; i < f.size(); i++) {
        ImageFolder.Entry e = f.entry(i);
        assertEquals(e.label(), m.classes.get(Lab.classNamedIn(e.text(), m.classes)), e.text());
        assertEquals(e.concepts().contains(style.name), e.text().endsWith(" in " + style.name + " style"), e.text());
      }
    }
    assertFalse(m.prompts.neutral.stream().anyMatch(p -> p.contains("person activity")), "the class word 'activity' is dropped");
    assertTrue(m.prompts.neutral.contains("a person emoji"), m.prompts.neutral.toString());
    int styled = 0;
    for (int i = 0; i < train.size(); i++) if (train.entry(i).concepts().contains(style.name)) styled++;
    assertEquals(30, styled);
    // Held out: plain and styled drawings of emoji never trained on, none pixel-identical to a training image.
    Set<String> trainImages = new HashSet<>();
    for (int i = 0; i < train.size(); i++) trainImages.add(key(train.image(i)));
    int heldStyled = 0;
    for (int i = 0; i < held.size(); i++) {
      assertFalse(trainImages.contains(key(held.image(i))), "held-out image " + held.entry(i).fileName() + " is a training image");
      if (held.entry(i).concepts().contains(style.name)) heldStyled++;
    }
    assertEquals(held.size() / 2, heldStyled);
    assertTrue(held.size() / 2 >= 10);

    assertThrows(IOException.class, () -> EmojiLabBuilder.build(pkgs, options(), lab, null), "an existing lab is never overwritten");
  }

  @Test
  void hostilePackagesNameTheFileAndField() throws IOException {
    Path pkgs = fakePackages(tmp.resolve("pkgs"), 2);
    IOException missing = assertThrows(IOException.class, () -> EmojiDatasource.open(tmp.resolve("nothing"), "plain"));
    assertTrue(missing.getMessage().contains("emoji.json") && missing.getMessage().contains("install-deps"), missing.getMessage());
    IOException none = assertThrows(IOException.class, () -> EmojiDatasource.open(pkgs.resolve("plain"), "other"));
    assertTrue(none.getMessage().contains("has_img_other"), none.getMessage());

    Path json = pkgs.resolve("plain").resolve("emoji.json");
    String good = Files.readString(json);
    Files.writeString(json, good.replaceFirst("\"category\":\"Smileys & Emotion\",", ""));
    IOException field = assertThrows(IOException.class, () -> EmojiDatasource.open(pkgs, "plain"));
    assertTrue(field.getMessage().contains("element 0") && field.getMessage().contains("'category'"), field.getMessage());
    Files.writeString(json, good.replaceFirst("\"image\":\"1f000.png\"", "\"image\":\"../../etc/passwd\""));
    IOException path = assertThrows(IOException.class, () -> EmojiDatasource.open(pkgs, "plain"));
    assertTrue(path.getMessage().contains("'image'"), path.getMessage());
    Files.writeString(json, good.replaceFirst("\"name\":\"emoji 0\",", "\"name\":\"emoji 0\",\"name\":\"twice\","));
    IOException dup = assertThrows(IOException.class, () -> EmojiDatasource.open(pkgs, "plain"));
    assertTrue(dup.getMessage().contains("name"), dup.getMessage());
    Files.writeString(json, "{\"not\": \"an array\"}");
    assertThrows(IOException.class, () -> EmojiDatasource.open(pkgs, "plain"));
    Files.writeString(json, good);

    // An image of the wrong size and a missing image.
    Path img = pkgs.resolve("plain").resolve("img").resolve("plain").resolve("64");
    ImageIO.write(new BufferedImage(32, 32, BufferedImage.TYPE_INT_ARGB), "png", img.resolve("1f000.png").toFile());
    EmojiDatasource d = EmojiDatasource.open(pkgs, "plain");
    IOException size = assertThrows(IOException.class, () -> d.image(d.emoji().get(0), 16));
    assertTrue(size.getMessage().contains("1f000.png") && size.getMessage().contains("32x32"), size.getMessage());
    Files.delete(img.resolve("1f001.png"));
    IOException gone = assertThrows(IOException.class, () -> d.image(d.emoji().get(1), 16));
    assertTrue(gone.getMessage().contains("1f001.png"), gone.getMessage());

    EmojiLabBuilder.Options same = options();
    same.styleVendor = same.plainVendor;
    assertThrows(IllegalArgumentException.class, same::validate);
    EmojiLabBuilder.Options many = options();
    many.styleImages = 10_000;
    Path pkgs2 = fakePackages(tmp.resolve("pkgs2"), 20);
    IOException tooMany = assertThrows(IOException.class, () -> EmojiLabBuilder.build(pkgs2, many, tmp.resolve("lab2"), null));
    assertTrue(tooMany.getMessage().contains("--style-images"), tooMany.getMessage());
    assertFalse(Files.exists(tmp.resolve("lab2")), "nothing half-written");
  }

  /** The real packages that scripts/install-deps.sh unpacks: the documented lab. */
  @Test
  void theRealEmojiPackagesMakeTheDocumentedLab() throws IOException {
    Path pkgs = EmojiDatasource.DEFAULT_DIR;
    boolean present = Files.isRegularFile(pkgs.resolve("twitter/emoji.json")) && Files.isRegularFile(pkgs.resolve("google/emoji.json"));
    if (!present && System.getenv("CI") != null) throw new AssertionError("CI is set but the emoji packages are missing: run scripts/install-deps.sh");
    Assumptions.assumeTrue(present, "emoji-datasource packages not installed (scripts/install-deps.sh)");
    Path lab = tmp.resolve("emoji");
    LabManifest m = EmojiLabBuilder.build(pkgs, new EmojiLabBuilder.Options(), lab, null);
    LabCheck.Report r = LabCheck.check(lab);
    assertTrue(r.ok(), () -> String.join("\n", r.problems()));
    assertEquals(List.of("activity", "animal", "flag", "food", "object", "person", "smiley", "symbol", "travel"), m.classes);
    assertEquals(32, m.imageSize);
    assertEquals(16, m.verbatimTargets.size());
    Lab opened = Lab.open(lab);
    ImageFolder held = opened.heldout();
    assertTrue(held.size() >= 400, "held-out images: " + held.size());
    List<String> tooLong = new ArrayList<>();
    for (String p : m.prompts.neutral) if (dev.uniforget.model.WordTokenizer.words(p + " in " + m.concepts.get(0).name + " style").size() > 12) tooLong.add(p);
    assertTrue(tooLong.isEmpty(), "captions longer than the tokenizer's 12 words: " + tooLong);
  }

  private static String key(float[] px) {
    StringBuilder sb = new StringBuilder();
    for (float v : px) sb.append(Math.round(v * 255)).append(',');
    return sb.toString();
  }
}
