package dev.uniforget.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.uniforget.data.ImageFolder.Entry;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderTest {
    private static final int S = 4;

    @TempDir
    Path root;

    Path dir;

    @BeforeEach
    void setUp() throws IOException {
        dir = Files.createDirectory(root.resolve("ds"));
    }

    /** A 4x4 gray image whose pixel i is (i * 16 + k) / 255. */
    private static float[] pattern(int k) {
        float[] p = new float[S * S];
        for (int i = 0; i < p.length; i++) {
            p[i] = (i * 16 + k) / 255f;
        }
        return p;
    }

    private void metadata(String... lines) throws IOException {
        Files.writeString(dir.resolve(ImageFolder.METADATA_FILE), String.join("\n", lines) + "\n");
    }

    private IOException fails(int line, String field, String... parts) {
        return failsWith(1, line, field, parts);
    }

    private IOException failsWith(int channels, int line, String field, String... parts) {
        IOException e = assertThrows(IOException.class, () -> ImageFolder.load(dir, S, channels));
        String m = e.getMessage();
        assertTrue(m.contains(dir.resolve(ImageFolder.METADATA_FILE).toString()), m);
        if (line > 0) {
            assertTrue(m.contains("line " + line + (field == null ? ":" : ", field '" + field + "'")), m);
        }
        for (String p : parts) {
            assertTrue(m.contains(p), () -> "message '" + m + "' lacks '" + p + "'");
        }
        return e;
    }

    @Test
    void loadsEntriesAndDecodesEachFileOnce() throws IOException {
        ImageFolder.writePng(dir.resolve("a.png"), pattern(0), S);
        Files.createDirectory(dir.resolve("sub"));
        ImageFolder.writePng(dir.resolve("sub/b.png"), pattern(5), S);
        metadata(
                "{\"file_name\": \"a.png\", \"text\": \"a cat\"}",
                "",
                "   ",
                "{\"text\": \"a dog\", \"file_name\": \"sub/b.png\", \"score\": 0.5, \"tags\": [1]}",
                "{\"file_name\": \"a.png\", \"text\": \"a cat again\"}",
                "{\"file_name\": \"./a.png\", \"text\": \"a cat, third time\"}");
        ImageFolder f = ImageFolder.load(dir, S, 1);
        assertEquals(4, f.size());
        assertEquals(2, f.distinctImages());
        assertEquals(S, f.imageSize());
        assertEquals(1, f.channels());
        assertEquals(List.of(new Entry(1, "a.png", "a cat"), new Entry(4, "sub/b.png", "a dog"),
                new Entry(5, "a.png", "a cat again"), new Entry(6, "./a.png", "a cat, third time")), f.entries());
        assertArrayEquals(pattern(0), f.image(0));
        assertArrayEquals(pattern(5), f.image(1));
        assertSame(f.image(0), f.image(2));
        assertSame(f.image(0), f.image(3));
        assertNotSame(f.image(0), f.image(1));
    }

    @Test
    void writePngClampsAndRounds() throws IOException {
        float[] px = new float[S * S];
        px[0] = -1f;
        px[1] = 2f;
        px[2] = 0.5f; // 127.5 rounds to 128
        px[3] = Float.NaN;
        px[4] = 1f / 255f * 3.4f;
        Path png = dir.resolve("c.png");
        ImageFolder.writePng(png, px, S);
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(BufferedImage.TYPE_BYTE_GRAY, img.getType());
        int[] samples = img.getRaster().getSamples(0, 0, S, S, 0, (int[]) null);
        assertArrayEquals(new int[] {0, 255, 128, 0, 3}, java.util.Arrays.copyOf(samples, 5));
        assertThrows(IllegalArgumentException.class, () -> ImageFolder.writePng(png, new float[3], S));
    }

    @Test
    void colourImagesBecomeGrayByLuminanceOrPlanarRgb() throws IOException {
        BufferedImage rgb = new BufferedImage(S, S, BufferedImage.TYPE_INT_ARGB);
        rgb.setRGB(0, 0, 0xFFFF0000);
        rgb.setRGB(1, 0, 0xFF00FF00);
        rgb.setRGB(2, 0, 0x800000FF); // alpha ignored
        rgb.setRGB(3, 0, 0xFFFFFFFF);
        ImageIO.write(rgb, "png", dir.resolve("rgb.png").toFile());
        ImageFolder.writePng(dir.resolve("g.png"), pattern(1), S);
        metadata("{\"file_name\":\"rgb.png\",\"text\":\"colour\"}", "{\"file_name\":\"g.png\",\"text\":\"gray\"}");
        float[] gray = ImageFolder.load(dir, S, 1).image(0);
        assertEquals(0.299f, gray[0], 1e-6f);
        assertEquals(0.587f, gray[1], 1e-6f);
        assertEquals(0.114f, gray[2], 1e-6f);
        assertEquals(1f, gray[3], 1e-6f);
        assertEquals(0f, gray[4]);

        ImageFolder planar = ImageFolder.load(dir, S, 3);
        float[] p = planar.image(0);
        int n = S * S;
        assertEquals(3 * n, p.length);
        assertArrayEquals(new float[] {1, 0, 0, 1}, new float[] {p[0], p[1], p[2], p[3]});
        assertArrayEquals(new float[] {0, 1, 0, 1}, new float[] {p[n], p[n + 1], p[n + 2], p[n + 3]});
        assertArrayEquals(new float[] {0, 0, 1, 1}, new float[] {p[2 * n], p[2 * n + 1], p[2 * n + 2], p[2 * n + 3]});
        float[] g = planar.image(1);
        for (int c = 0; c < 3; c++) {
            assertArrayEquals(pattern(1), java.util.Arrays.copyOfRange(g, c * n, (c + 1) * n));
        }
    }

    @Test
    void writeMetadataRoundTrips() throws IOException {
        ImageFolder.writePng(dir.resolve("a.png"), pattern(2), S);
        ImageFolder.writeMetadata(dir, List.of(new Entry(0, "a.png", "quote \" and\nnewline"), new Entry(0, "a.png", "é")));
        ImageFolder f = ImageFolder.load(dir, S, 1);
        assertEquals(List.of(new Entry(1, "a.png", "quote \" and\nnewline"), new Entry(2, "a.png", "é")), f.entries());
    }

    @Test
    void acceptsByteOrderMarkAndCrLf() throws IOException {
        ImageFolder.writePng(dir.resolve("a.png"), pattern(4), S);
        Files.writeString(dir.resolve(ImageFolder.METADATA_FILE),
                "\uFEFF{\"file_name\": \"a.png\", \"text\": \"one\"}\r\n\r\n{\"file_name\": \"a.png\", \"text\": \"two\"}");
        ImageFolder f = ImageFolder.load(dir, S, 1);
        assertEquals(List.of(new Entry(1, "a.png", "one"), new Entry(3, "a.png", "two")), f.entries());
    }

    @Test
    void rejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> ImageFolder.load(dir, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> ImageFolder.load(dir, S, 2));
    }

    @Test
    void missingMetadataFile() {
        fails(0, null, "metadata file not found");
    }

    @Test
    void emptyMetadata() throws IOException {
        metadata("", "  ");
        fails(0, null, "no entries");
        Files.writeString(dir.resolve(ImageFolder.METADATA_FILE), "");
        fails(0, null, "no entries");
    }

    @Test
    void invalidJsonLine() throws IOException {
        ImageFolder.writePng(dir.resolve("a.png"), pattern(0), S);
        metadata("{\"file_name\": \"a.png\", \"text\": \"ok\"}", "{\"file_name\": \"a.png\", \"text\": ");
        fails(2, null, "invalid JSON");
        metadata("{\"file_name\": \"a.png\", \"text\": \"ok\"} trailing");
        fails(1, null, "invalid JSON");
        metadata("{\"file_name\": \"a.png\", \"file_name\": \"b.png\", \"text\": \"dup\"}");
        fails(1, null, "invalid JSON", "Duplicate");
        metadata("[\"a.png\", \"text\"]");
        fails(1, null, "expected a JSON object, found ARRAY");
    }

    @Test
    void invalidUtf8() throws IOException {
        Files.write(dir.resolve(ImageFolder.METADATA_FILE),
                new byte[] {'{', '}', '\n', '{', '"', (byte) 0xC3, (byte) 0x28, '"', '}', '\n'});
        fails(0, null, "line 2", "UTF-8");
    }

    @Test
    void missingOrNonStringFields() throws IOException {
        metadata("{\"text\": \"no file\"}");
        fails(1, "file_name", "missing; expected a string");
        metadata("{\"file_name\": 5, \"text\": \"x\"}");
        fails(1, "file_name", "expected a string, found NUMBER 5");
        ImageFolder.writePng(dir.resolve("a.png"), pattern(0), S);
        metadata("{\"file_name\": \"a.png\"}");
        fails(1, "text", "missing; expected a string");
        metadata("{\"file_name\": \"a.png\", \"text\": \"ok\"}", "{\"file_name\": \"a.png\", \"text\": null}");
        fails(2, "text", "expected a string, found NULL");
        metadata("{\"file_name\": \"a.png\", \"text\": [\"x\"]}");
        fails(1, "text", "found ARRAY");
    }

    @Test
    void fileNamesMustStayInsideTheFolder() throws IOException {
        Path outside = root.resolve("outside.png");
        ImageFolder.writePng(outside, pattern(0), S);
        metadata("{\"file_name\": \"" + outside + "\", \"text\": \"abs\"}");
        fails(1, "file_name", "must be a non-empty path relative to the folder");
        metadata("{\"file_name\": \"../outside.png\", \"text\": \"up\"}");
        fails(1, "file_name", "points outside the folder");
        Files.createDirectory(dir.resolve("sub"));
        metadata("{\"file_name\": \"sub/../../outside.png\", \"text\": \"up\"}");
        fails(1, "file_name", "points outside the folder");
        metadata("{\"file_name\": \"\", \"text\": \"empty\"}");
        fails(1, "file_name", "non-empty");
        metadata("{\"file_name\": \".\", \"text\": \"self\"}");
        fails(1, "file_name", "points outside the folder");
        Files.createSymbolicLink(dir.resolve("link.png"), outside);
        metadata("{\"file_name\": \"link.png\", \"text\": \"link\"}");
        fails(1, "file_name", "symbolic link", outside.toRealPath().toString());
        Files.createSymbolicLink(dir.resolve("linkdir"), root);
        metadata("{\"file_name\": \"linkdir/outside.png\", \"text\": \"link\"}");
        fails(1, "file_name", "symbolic link");
        metadata("{\"file_name\": \"nul\\u0000.png\", \"text\": \"nul\"}");
        fails(1, "file_name", "not a valid path");
    }

    @Test
    void symbolicLinkInsideTheFolderIsFine() throws IOException {
        ImageFolder.writePng(dir.resolve("a.png"), pattern(3), S);
        Files.createSymbolicLink(dir.resolve("alias.png"), dir.resolve("a.png"));
        metadata("{\"file_name\": \"alias.png\", \"text\": \"x\"}", "{\"file_name\": \"a.png\", \"text\": \"y\"}");
        ImageFolder f = ImageFolder.load(dir, S, 1);
        assertArrayEquals(pattern(3), f.image(0));
        assertSame(f.image(0), f.image(1));
        assertEquals(1, f.distinctImages());
    }

    @Test
    void missingFile() throws IOException {
        ImageFolder.writePng(dir.resolve("a.png"), pattern(0), S);
        metadata("{\"file_name\": \"a.png\", \"text\": \"ok\"}", "{\"file_name\": \"b.png\", \"text\": \"missing\"}");
        fails(2, "file_name", "b.png", "does not exist");
        Files.createDirectory(dir.resolve("d.png"));
        metadata("{\"file_name\": \"d.png\", \"text\": \"dir\"}");
        fails(1, "file_name", "not a regular file");
    }

    @Test
    void undecodableImage() throws IOException {
        Files.writeString(dir.resolve("junk.png"), "this is not a png", StandardCharsets.UTF_8);
        metadata("{\"file_name\": \"junk.png\", \"text\": \"junk\"}");
        fails(1, "file_name", "cannot decode image", "junk.png");
        ImageFolder.writePng(dir.resolve("a.png"), pattern(0), S);
        byte[] png = Files.readAllBytes(dir.resolve("a.png"));
        Files.write(dir.resolve("cut.png"), java.util.Arrays.copyOf(png, 40));
        metadata("{\"file_name\": \"cut.png\", \"text\": \"cut\"}");
        fails(1, "file_name", "cannot decode image", "cut.png");
    }

    @Test
    void wrongSizeIsNotResized() throws IOException {
        ImageIO.write(new BufferedImage(6, 5, BufferedImage.TYPE_BYTE_GRAY), "png", dir.resolve("big.png").toFile());
        metadata("{\"file_name\": \"big.png\", \"text\": \"big\"}");
        fails(1, "file_name", "found 6x5, expected 4x4", "big.png");
    }

    /** A PNG whose header claims {@code w} x {@code h} pixels: signature, IHDR (with its CRC), IEND; no pixel data. */
    static byte[] pngHeaderOnly(int w, int h) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 + 25 + 12);
        b.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        byte[] ihdr = java.nio.ByteBuffer.allocate(17).put(new byte[] {'I', 'H', 'D', 'R'}).putInt(w).putInt(h)
                .put(new byte[] {8, 0, 0, 0, 0}).array(); // 8-bit gray
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(ihdr);
        b.putInt(13).put(ihdr).putInt((int) crc.getValue());
        crc.reset();
        crc.update(new byte[] {'I', 'E', 'N', 'D'});
        b.putInt(0).put(new byte[] {'I', 'E', 'N', 'D'}).putInt((int) crc.getValue());
        return b.array();
    }

    @Test
    void aDecompressionBombIsRefusedFromItsHeaderBeforeAnyPixelIsDecoded() throws IOException {
        Files.write(dir.resolve("bomb.png"), pngHeaderOnly(100_000, 100_000)); // 10^10 pixels if it were decoded
        metadata("{\"file_name\": \"bomb.png\", \"text\": \"bomb\"}");
        long t0 = System.nanoTime();
        fails(1, "file_name", "found 100000x100000, expected 4x4", "bomb.png");
        assertTrue((System.nanoTime() - t0) / 1e9 < 5, "refused from the header, not after decoding");
    }

    @Test
    void labelAndConceptsAreRead() throws IOException {
        ImageFolder.writePng(dir.resolve("a.png"), pattern(0), S);
        metadata(
                "{\"file_name\": \"a.png\", \"text\": \"one\", \"label\": \"bag\", \"concepts\": [\"velmor\", \"zeph\"]}",
                "{\"file_name\": \"a.png\", \"text\": \"two\", \"label\": \"ankle boot\"}",
                "{\"file_name\": \"a.png\", \"text\": \"three\", \"concepts\": []}",
                "{\"file_name\": \"a.png\", \"text\": \"four\", \"label\": null, \"concepts\": null}");
        ImageFolder f = ImageFolder.load(dir, S, 1);
        assertEquals(List.of(new Entry(1, "a.png", "one", "bag", List.of("velmor", "zeph")),
                new Entry(2, "a.png", "two", "ankle boot", List.of()), new Entry(3, "a.png", "three"),
                new Entry(4, "a.png", "four")), f.entries());
        assertEquals(null, f.entry(2).label());
        assertThrows(UnsupportedOperationException.class, () -> f.entry(0).concepts().add("x"));
    }

    @Test
    void entryConceptsAreNeverNullAndCopied() {
        assertEquals(List.of(), new Entry(1, "a.png", "t", "c", null).concepts());
        List<String> mutable = new java.util.ArrayList<>(List.of("a"));
        Entry e = new Entry(1, "a.png", "t", null, mutable);
        mutable.add("b");
        assertEquals(List.of("a"), e.concepts());
    }

    @Test
    void badLabelOrConceptsNameLineAndField() throws IOException {
        ImageFolder.writePng(dir.resolve("a.png"), pattern(0), S);
        String ok = "{\"file_name\": \"a.png\", \"text\": \"ok\", \"label\": \"bag\"}";
        metadata(ok, "{\"file_name\": \"a.png\", \"text\": \"x\", \"label\": 3}");
        fails(2, "label", "expected a non-empty string, found NUMBER 3");
        metadata("{\"file_name\": \"a.png\", \"text\": \"x\", \"label\": \"  \"}");
        fails(1, "label", "expected a non-empty string");
        metadata("{\"file_name\": \"a.png\", \"text\": \"x\", \"label\": [\"bag\"]}");
        fails(1, "label", "found ARRAY");
        metadata(ok, ok, "{\"file_name\": \"a.png\", \"text\": \"x\", \"concepts\": \"velmor\"}");
        fails(3, "concepts", "expected a list of strings, found STRING \"velmor\"");
        metadata("{\"file_name\": \"a.png\", \"text\": \"x\", \"concepts\": {\"a\": 1}}");
        fails(1, "concepts", "found OBJECT");
        metadata("{\"file_name\": \"a.png\", \"text\": \"x\", \"concepts\": [1]}");
        fails(1, "concepts", "element 0: expected a non-empty string, found NUMBER 1");
        metadata("{\"file_name\": \"a.png\", \"text\": \"x\", \"concepts\": [\"a\", null]}");
        fails(1, "concepts", "element 1: expected a non-empty string, found NULL");
        metadata("{\"file_name\": \"a.png\", \"text\": \"x\", \"concepts\": [\"a\", \"\"]}");
        fails(1, "concepts", "element 1: expected a non-empty string");
        metadata("{\"file_name\": \"a.png\", \"text\": \"x\", \"concepts\": [\"a\", \"b\", \"a\"]}");
        fails(1, "concepts", "element 2: 'a' is listed twice");
    }

    @Test
    void writeMetadataRoundTripsLabelAndConcepts() throws IOException {
        ImageFolder.writePng(dir.resolve("a.png"), pattern(2), S);
        List<Entry> entries = List.of(new Entry(0, "a.png", "one", "bag", List.of("velmor")), new Entry(0, "a.png", "two"),
                new Entry(0, "a.png", "three", null, List.of("a", "b")), new Entry(0, "a.png", "four", "coat", List.of()));
        ImageFolder.writeMetadata(dir, entries);
        List<String> lines = Files.readAllLines(dir.resolve(ImageFolder.METADATA_FILE));
        assertEquals("{\"file_name\":\"a.png\",\"text\":\"one\",\"label\":\"bag\",\"concepts\":[\"velmor\"]}", lines.get(0));
        assertEquals("{\"file_name\":\"a.png\",\"text\":\"two\"}", lines.get(1), "no label or concepts keys when absent");
        assertEquals("{\"file_name\":\"a.png\",\"text\":\"four\",\"label\":\"coat\"}", lines.get(3));
        ImageFolder f = ImageFolder.load(dir, S, 1);
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            assertEquals(new Entry(i + 1, e.fileName(), e.text(), e.label(), e.concepts()), f.entry(i));
        }
    }

    @Test
    void collectingModeRecordsEveryBadLineAndKeepsTheGoodOnes() throws IOException {
        ImageFolder.writePng(dir.resolve("a.png"), pattern(1), S);
        metadata("{\"file_name\": \"a.png\", \"text\": \"ok\", \"label\": \"bag\"}",
                "{\"file_name\": \"a.png\", \"text\": \"x\", \"label\": 3}",
                "{\"file_name\": \"b.png\", \"text\": \"missing\"}",
                "not json",
                "{\"file_name\": \"a.png\", \"text\": \"y\", \"concepts\": [\"c\", \"c\"]}",
                "{\"file_name\": \"a.png\", \"text\": \"ok too\", \"concepts\": [\"c\"]}");
        List<IOException> problems = new java.util.ArrayList<>();
        ImageFolder f = ImageFolder.load(dir, S, 1, problems);
        assertEquals(List.of(new Entry(1, "a.png", "ok", "bag", List.of()), new Entry(6, "a.png", "ok too", null, List.of("c"))),
                f.entries());
        assertEquals(4, problems.size(), problems.toString());
        String meta = dir.resolve(ImageFolder.METADATA_FILE).toString();
        List<String> expected = List.of("line 2, field 'label'", "line 3, field 'file_name'", "line 4:", "line 5, field 'concepts'");
        for (int i = 0; i < 4; i++) {
            String m = problems.get(i).getMessage();
            assertTrue(m.contains(meta) && m.contains(expected.get(i)), m);
        }
        // A folder whose lines are all bad still fails.
        metadata("{\"file_name\": \"b.png\", \"text\": \"missing\"}");
        List<IOException> more = new java.util.ArrayList<>();
        IOException e = assertThrows(IOException.class, () -> ImageFolder.load(dir, S, 1, more));
        assertTrue(e.getMessage().contains("no entries"), e.getMessage());
        assertEquals(1, more.size());
    }
}
