package dev.uniforget.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.uniforget.io.AtomicFiles;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * A Hugging Face "imagefolder" data set: PNG files plus {@code metadata.jsonl}, one JSON object
 * per line with string fields {@code file_name} (relative to the folder) and {@code text}, an
 * optional string {@code label} (the image's class) and an optional list of strings
 * {@code concepts} (the protected concepts the image carries); other keys are ignored, blank
 * lines skipped. Images must already have the expected size (no
 * resizing). Each distinct file is decoded once, however many lines list it.
 */
public final class ImageFolder {
    public static final String METADATA_FILE = "metadata.jsonl";

    private static final ObjectMapper JSON = dev.uniforget.io.Jsons.INPUT; // the one strict reader

    /**
     * One metadata line: its 1-based line number, the file name as written, the caption, the
     * class label (null when the line has none) and the concepts the image carries (never null).
     */
    public record Entry(int line, String fileName, String text, String label, List<String> concepts) {
        public Entry {
            concepts = concepts == null ? List.of() : List.copyOf(concepts);
        }

        /** An entry without label or concepts. */
        public Entry(int line, String fileName, String text) {
            this(line, fileName, text, null, List.of());
        }
    }

    private final Path dir;
    private final int size;
    private final int channels;
    private final List<Entry> entries;
    private final List<float[]> images; // per entry; entries of the same file share one array
    private final int distinctImages;

    private ImageFolder(Path dir, int size, int channels, List<Entry> entries, List<float[]> images,
            int distinctImages) {
        this.dir = dir;
        this.distinctImages = distinctImages;
        this.size = size;
        this.channels = channels;
        this.entries = Collections.unmodifiableList(entries);
        this.images = images;
    }

    /**
     * Loads every entry of {@code dir/metadata.jsonl}. Images become flat float arrays in [0, 1]:
     * {@code size*size} values for {@code expectedChannels == 1} (any PNG is converted to gray,
     * colour by luminance 0.299 R + 0.587 G + 0.114 B, alpha ignored), or planar {@code 3*size*size}
     * (R plane, G plane, B plane) for 3.
     */
    public static ImageFolder load(Path dir, int expectedSize, int expectedChannels) throws IOException {
        return load(dir, expectedSize, expectedChannels, null);
    }

    /**
     * As {@link #load(Path, int, int)}, but when {@code problems} is not null a bad line is
     * recorded there (its message names the file, line and field) and skipped instead of stopping
     * the load: for checkers that name every problem. A folder whose lines are all bad still fails.
     */
    public static ImageFolder load(Path dir, int expectedSize, int expectedChannels, List<IOException> problems)
            throws IOException {
        if (expectedSize <= 0) {
            throw new IllegalArgumentException("expectedSize must be positive, got " + expectedSize);
        }
        if (expectedChannels != 1 && expectedChannels != 3) {
            throw new IllegalArgumentException("expectedChannels must be 1 (gray) or 3 (RGB), got " + expectedChannels);
        }
        Path metadata = dir.resolve(METADATA_FILE);
        if (!Files.isRegularFile(metadata)) {
            throw new IOException(metadata + ": metadata file not found; expected one JSON object per line with "
                    + "file_name and text");
        }
        Path realDir = dir.toRealPath();
        List<Entry> entries = new ArrayList<>();
        List<float[]> images = new ArrayList<>();
        Map<Path, float[]> cache = new HashMap<>();
        List<String> lines = readLines(metadata);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            Where where = new Where(metadata, i + 1);
            try {
                JsonNode node = parseLine(where, line);
                String fileName = stringField(where, node, "file_name");
                String text = stringField(where, node, "text");
                String label = optionalString(where, node, "label");
                List<String> concepts = optionalStrings(where, node, "concepts");
                Path file = resolve(where, realDir, fileName);
                float[] image = cache.get(file);
                if (image == null) {
                    image = decode(where, file, expectedSize, expectedChannels);
                    cache.put(file, image);
                }
                entries.add(new Entry(i + 1, fileName, text, label, concepts));
                images.add(image);
            } catch (IOException e) {
                if (problems == null) {
                    throw e;
                }
                problems.add(e);
            }
        }
        if (entries.isEmpty()) {
            throw new IOException(metadata + ": no entries; expected at least one line with file_name and text");
        }
        return new ImageFolder(dir, expectedSize, expectedChannels, entries, images, cache.size());
    }

    public Path dir() {
        return dir;
    }

    /** Image height = width. */
    public int imageSize() {
        return size;
    }

    public int channels() {
        return channels;
    }

    /** Number of entries (metadata lines), counting repeated files once per line. */
    public int size() {
        return entries.size();
    }

    public List<Entry> entries() {
        return entries;
    }

    public Entry entry(int i) {
        return entries.get(i);
    }

    /** The image of entry {@code i}; shared between entries of the same file, so do not modify it. */
    public float[] image(int i) {
        return images.get(i);
    }

    /** Number of distinct decoded images. */
    public int distinctImages() {
        return distinctImages;
    }

    /**
     * Writes a {@code size x size} image (row-major, values in [0, 1], clamped then rounded to
     * 0..255) atomically: {@code size*size} values as an 8-bit gray PNG, {@code 3*size*size} planar
     * values (R, G, B planes) as an 8-bit RGB PNG.
     */
    public static void writePng(Path file, float[] pixels, int size) throws IOException {
        int n = size * size;
        if (pixels.length != n && pixels.length != 3 * n) {
            throw new IllegalArgumentException("expected " + size + "x" + size + " = " + n
                    + " gray or " + 3 * n + " planar RGB values, got " + pixels.length);
        }
        boolean rgb = pixels.length == 3 * n;
        BufferedImage img = new BufferedImage(size, size, rgb ? BufferedImage.TYPE_3BYTE_BGR : BufferedImage.TYPE_BYTE_GRAY);
        WritableRaster raster = img.getRaster();
        for (int c = 0; c < (rgb ? 3 : 1); c++) {
            int[] samples = new int[n];
            for (int i = 0; i < n; i++) {
                float v = pixels[c * n + i];
                samples[i] = Float.isNaN(v) ? 0 : Math.round(Math.min(1f, Math.max(0f, v)) * 255f);
            }
            raster.setSamples(0, 0, size, size, c, samples);
        }
        AtomicFiles.writeAtomically(file, tmp -> {
            if (!ImageIO.write(img, "png", tmp.toFile())) {
                throw new IOException("no PNG writer available to write " + file);
            }
        });
    }

    /**
     * Writes {@code dir/metadata.jsonl} atomically, one {@code {"file_name", "text", "label"?,
     * "concepts"?}} object per entry (line numbers ignored; label and concepts only when present).
     */
    public static void writeMetadata(Path dir, List<Entry> entries) throws IOException {
        AtomicFiles.writeAtomically(dir.resolve(METADATA_FILE), tmp -> {
            try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                for (Entry e : entries) {
                    ObjectNode node = JSON.createObjectNode();
                    node.put("file_name", e.fileName());
                    node.put("text", e.text());
                    if (e.label() != null) node.put("label", e.label());
                    if (!e.concepts().isEmpty()) {
                        var arr = node.putArray("concepts");
                        e.concepts().forEach(arr::add);
                    }
                    w.write(JSON.writeValueAsString(node));
                    w.write('\n');
                }
            }
        });
    }

    /** Lines of a UTF-8 file (\n or \r\n separated, BOM dropped), strictly decoded so errors carry a line number. */
    private static List<String> readLines(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        List<String> lines = new ArrayList<>();
        int start = 0;
        while (start < bytes.length) {
            int end = start;
            while (end < bytes.length && bytes[end] != '\n') {
                end++;
            }
            int stop = end > start && bytes[end - 1] == '\r' ? end - 1 : end;
            String line;
            try {
                line = decoder.decode(ByteBuffer.wrap(bytes, start, stop - start)).toString();
            } catch (CharacterCodingException e) {
                throw new IOException(file + " line " + (lines.size() + 1) + ": not valid UTF-8 text", e);
            }
            lines.add(lines.isEmpty() && line.startsWith("\uFEFF") ? line.substring(1) : line);
            start = end + 1;
        }
        return lines;
    }

    /** Location of a metadata line, for error messages. */
    private record Where(Path metadata, int line) {
        IOException error(String field, String problem) {
            return new IOException(metadata + " line " + line + (field == null ? "" : ", field '" + field + "'")
                    + ": " + problem);
        }

        IOException error(String field, String problem, Throwable cause) {
            IOException e = error(field, problem);
            e.initCause(cause);
            return e;
        }
    }

    private static JsonNode parseLine(Where where, String line) throws IOException {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw where.error(null, "invalid JSON (" + e.getOriginalMessage() + "); expected one JSON object", e);
        }
        if (node == null || !node.isObject()) {
            throw where.error(null, "expected a JSON object, found " + (node == null ? "nothing" : node.getNodeType()));
        }
        return node;
    }

    private static String stringField(Where where, JsonNode node, String field) throws IOException {
        JsonNode value = node.get(field);
        if (value == null) {
            throw where.error(field, "missing; expected a string");
        }
        if (!value.isTextual()) {
            throw where.error(field, "expected a string, found " + value.getNodeType() + " " + abbreviate(value.toString()));
        }
        return value.textValue();
    }

    private static String optionalString(Where where, JsonNode node, String field) throws IOException {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual() || value.textValue().isBlank()) {
            throw where.error(field, "expected a non-empty string, found " + value.getNodeType() + " "
                    + abbreviate(value.toString()));
        }
        return value.textValue();
    }

    private static List<String> optionalStrings(Where where, JsonNode node, String field) throws IOException {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return List.of();
        }
        if (!value.isArray()) {
            throw where.error(field, "expected a list of strings, found " + value.getNodeType() + " "
                    + abbreviate(value.toString()));
        }
        List<String> out = new ArrayList<>();
        for (int k = 0; k < value.size(); k++) {
            JsonNode v = value.get(k);
            if (!v.isTextual() || v.textValue().isBlank()) {
                throw where.error(field, "element " + k + ": expected a non-empty string, found " + v.getNodeType()
                        + " " + abbreviate(v.toString()));
            }
            if (out.contains(v.textValue())) {
                throw where.error(field, "element " + k + ": '" + v.textValue() + "' is listed twice");
            }
            out.add(v.textValue());
        }
        return out;
    }

    /** Resolves a relative file name, refusing names (or symbolic links) that lead outside the folder. */
    private static Path resolve(Where where, Path realDir, String fileName) throws IOException {
        Path relative;
        try {
            relative = Path.of(fileName);
        } catch (InvalidPathException e) {
            throw where.error("file_name", "'" + fileName + "' is not a valid path", e);
        }
        if (fileName.isEmpty() || relative.isAbsolute()) {
            throw where.error("file_name", "'" + fileName + "' must be a non-empty path relative to the folder");
        }
        Path file = realDir.resolve(relative).normalize();
        if (!file.startsWith(realDir) || file.equals(realDir)) {
            throw where.error("file_name", "'" + fileName + "' points outside the folder " + realDir);
        }
        if (!Files.exists(file)) {
            throw where.error("file_name", "file " + file + " does not exist");
        }
        Path real = file.toRealPath();
        if (!real.startsWith(realDir)) {
            throw where.error("file_name", "'" + fileName + "' resolves (through a symbolic link) to " + real
                    + ", outside the folder " + realDir);
        }
        if (!Files.isRegularFile(real)) {
            throw where.error("file_name", "'" + fileName + "' is not a regular file");
        }
        return real;
    }

    /**
     * Decodes one image, its size checked from the header before any pixel is decoded (a 100000 x
     * 100000 PNG of a few kilobytes must not be inflated to find out it is the wrong size).
     */
    private static float[] decode(Where where, Path file, int size, int channels) throws IOException {
        BufferedImage img = null;
        int w = -1, h = -1;
        boolean readable;
        try (javax.imageio.stream.ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            java.util.Iterator<javax.imageio.ImageReader> readers = in == null ? java.util.Collections.emptyIterator() : ImageIO.getImageReaders(in);
            readable = readers.hasNext();
            if (readable) {
                javax.imageio.ImageReader reader = readers.next();
                try {
                    reader.setInput(in, true, true);
                    w = reader.getWidth(0);
                    h = reader.getHeight(0);
                    if (w == size && h == size) img = reader.read(0);
                } finally {
                    reader.dispose();
                }
            }
        } catch (IOException | RuntimeException e) {
            throw where.error("file_name", "cannot decode image " + file + ": " + e.getMessage(), e);
        }
        if (readable && (w != size || h != size)) {
            throw where.error("file_name", "wrong image size for " + file + ": found " + w + "x" + h + ", expected " + size + "x" + size
                    + " (images are not resized)");
        }
        if (img == null) {
            throw where.error("file_name", "cannot decode image " + file + ": not a PNG or other format ImageIO reads");
        }
        if (img.getWidth() != size || img.getHeight() != size) {
            throw where.error("file_name", "wrong image size for " + file
                    + ": found " + img.getWidth() + "x" + img.getHeight() + ", expected " + size + "x" + size
                    + " (images are not resized)");
        }
        return channels == 1 ? gray(img) : rgbPlanar(img);
    }

    /**
     * Gray images are read from the raster directly: {@code getRGB} on a gray image applies a
     * linear-to-sRGB conversion that changes the values.
     */
    private static float[] gray(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        float[] out = new float[w * h];
        Raster raster = img.getRaster();
        int bands = raster.getNumBands();
        boolean indexed = img.getColorModel() instanceof java.awt.image.IndexColorModel;
        if (!indexed && bands <= 2) { // gray or gray + alpha
            float max = (1 << img.getColorModel().getComponentSize(0)) - 1;
            int[] samples = raster.getSamples(0, 0, w, h, 0, (int[]) null);
            for (int i = 0; i < out.length; i++) {
                out[i] = samples[i] / max;
            }
            return out;
        }
        int[] rgb = img.getRGB(0, 0, w, h, null, 0, w);
        for (int i = 0; i < out.length; i++) {
            int p = rgb[i];
            float v = (0.299f * ((p >> 16) & 0xFF) + 0.587f * ((p >> 8) & 0xFF) + 0.114f * (p & 0xFF)) / 255f;
            out[i] = Math.min(1f, v);
        }
        return out;
    }

    private static float[] rgbPlanar(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        int n = w * h;
        float[] out = new float[3 * n];
        Raster raster = img.getRaster();
        boolean indexed = img.getColorModel() instanceof java.awt.image.IndexColorModel;
        if (!indexed && raster.getNumBands() <= 2) { // gray: replicate into all three planes
            float[] g = gray(img);
            for (int c = 0; c < 3; c++) {
                System.arraycopy(g, 0, out, c * n, n);
            }
            return out;
        }
        int[] rgb = img.getRGB(0, 0, w, h, null, 0, w);
        for (int i = 0; i < n; i++) {
            int p = rgb[i];
            out[i] = ((p >> 16) & 0xFF) / 255f;
            out[n + i] = ((p >> 8) & 0xFF) / 255f;
            out[2 * n + i] = (p & 0xFF) / 255f;
        }
        return out;
    }

    private static String abbreviate(String s) {
        return s.length() > 60 ? s.substring(0, 57) + "..." : s;
    }
}
