package dev.uniforget.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.uniforget.data.FashionMnist.LabeledImages;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FashionMnistTest {
    private static final String TRAIN_IMAGES = "train-images-idx3-ubyte";
    private static final String TRAIN_LABELS = "train-labels-idx1-ubyte";
    private static final String TEST_IMAGES = "t10k-images-idx3-ubyte";
    private static final String TEST_LABELS = "t10k-labels-idx1-ubyte";

    @TempDir
    Path dir;

    static byte[] idx(int magic, int[] dims, byte[] data) {
        ByteBuffer buf = ByteBuffer.allocate(4 + 4 * dims.length + data.length); // big-endian
        buf.putInt(magic);
        for (int d : dims) {
            buf.putInt(d);
        }
        return buf.put(data).array();
    }

    static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(bos)) {
            out.write(raw);
        }
        return bos.toByteArray();
    }

    private Path put(String name, byte[] raw, boolean gz) throws IOException {
        return Files.write(dir.resolve(gz ? name + ".gz" : name), gz ? gzip(raw) : raw);
    }

    /** Three 2x3 images with pixel values i*10 + j and labels {@code labels}. */
    private void writeSplit(String images, String labels, boolean gz, byte... labelValues) throws IOException {
        int n = labelValues.length;
        byte[] pixels = new byte[n * 6];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < 6; j++) {
                pixels[i * 6 + j] = (byte) (i * 10 + j);
            }
        }
        pixels[pixels.length - 1] = (byte) 255;
        put(images, idx(FashionMnist.IMAGES_MAGIC, new int[] {n, 2, 3}, pixels), gz);
        put(labels, idx(FashionMnist.LABELS_MAGIC, new int[] {n}, labelValues), gz);
    }

    private IOException fails(boolean train, String... parts) {
        IOException e = assertThrows(IOException.class, () -> FashionMnist.load(dir, train));
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), () -> "message '" + e.getMessage() + "' lacks '" + p + "'");
        }
        return e;
    }

    @Test
    void loadsGzippedTrainSplit() throws IOException {
        writeSplit(TRAIN_IMAGES, TRAIN_LABELS, true, (byte) 9, (byte) 0, (byte) 4);
        LabeledImages d = FashionMnist.load(dir, true);
        assertEquals(3, d.size());
        assertEquals(2, d.rows());
        assertEquals(3, d.cols());
        assertEquals(18, d.pixels().length);
        assertArrayEquals(new int[] {9, 0, 4}, d.labels());
        assertEquals(4, d.label(2));
        assertArrayEquals(new float[] {10 / 255f, 11 / 255f, 12 / 255f, 13 / 255f, 14 / 255f, 15 / 255f},
                d.imageAsFloat(1));
        float[] last = d.imageAsFloat(2);
        assertEquals(1f, last[5]);
        assertEquals(20 / 255f, last[0]);
        float[] dst = new float[8];
        d.imageAsFloat(0, dst, 2);
        assertEquals(0f, dst[2]);
        assertEquals(5 / 255f, dst[7]);
        assertThrows(IndexOutOfBoundsException.class, () -> d.imageAsFloat(3));
    }

    @Test
    void loadsPlainTestSplitAndPrefersGzip() throws IOException {
        writeSplit(TEST_IMAGES, TEST_LABELS, false, (byte) 1, (byte) 2);
        assertArrayEquals(new int[] {1, 2}, FashionMnist.load(dir, false).labels());
        writeSplit(TEST_IMAGES, TEST_LABELS, true, (byte) 3);
        assertArrayEquals(new int[] {3}, FashionMnist.load(dir, false).labels());
    }

    @Test
    void recognisesGzipByContentNotName() throws IOException {
        // plain IDX bytes under a .gz name, and gzip bytes under a plain name
        byte[] images = idx(FashionMnist.IMAGES_MAGIC, new int[] {1, 1, 1}, new byte[] {7});
        Files.write(dir.resolve(TRAIN_IMAGES + ".gz"), images);
        put(TRAIN_LABELS, idx(FashionMnist.LABELS_MAGIC, new int[] {1}, new byte[] {5}), true);
        Files.move(dir.resolve(TRAIN_LABELS + ".gz"), dir.resolve(TRAIN_LABELS));
        LabeledImages d = FashionMnist.load(dir, true);
        assertEquals(7, d.pixels()[0]);
        assertEquals(5, d.label(0));
    }

    @Test
    void missingFileNamesThePath() throws IOException {
        writeSplit(TRAIN_IMAGES, TRAIN_LABELS, true, (byte) 1);
        Files.delete(dir.resolve(TRAIN_LABELS + ".gz"));
        IOException e = fails(true, dir.resolve(TRAIN_LABELS + ".gz").toString(), "not found");
        assertTrue(e instanceof NoSuchFileException);
        fails(false, TEST_IMAGES);
    }

    @Test
    void badMagic() throws IOException {
        writeSplit(TRAIN_IMAGES, TRAIN_LABELS, true, (byte) 1);
        put(TRAIN_IMAGES, idx(FashionMnist.LABELS_MAGIC, new int[] {1, 2, 3}, new byte[6]), true);
        fails(true, TRAIN_IMAGES + ".gz", "bad magic number 0x00000801", "expected 0x00000803");
        writeSplit(TRAIN_IMAGES, TRAIN_LABELS, false, (byte) 1);
        Files.delete(dir.resolve(TRAIN_IMAGES + ".gz"));
        Files.delete(dir.resolve(TRAIN_LABELS + ".gz"));
        put(TRAIN_LABELS, idx(0x00000D01, new int[] {1}, new byte[1]), false);
        fails(true, dir.resolve(TRAIN_LABELS).toString(), "bad magic number 0x00000d01", "expected 0x00000801");
    }

    @Test
    void truncatedData() throws IOException {
        writeSplit(TRAIN_IMAGES, TRAIN_LABELS, false, (byte) 1, (byte) 2);
        byte[] full = Files.readAllBytes(dir.resolve(TRAIN_IMAGES));
        Files.write(dir.resolve(TRAIN_IMAGES), Arrays.copyOf(full, full.length - 1));
        fails(true, dir.resolve(TRAIN_IMAGES).toString(), "truncated data", "expected 12 bytes", "found 11");
    }

    @Test
    void dimensionsWhoseProductWrapsPastTwoToThe63AreRefused() throws IOException {
        writeSplit(TRAIN_IMAGES, TRAIN_LABELS, true, (byte) 1);
        // 2^31-1 cubed wraps a long; before the check, some such products came out 0 and an empty file was accepted.
        put(TRAIN_IMAGES, idx(FashionMnist.IMAGES_MAGIC, new int[] {Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE}, new byte[0]), true);
        fails(true, TRAIN_IMAGES + ".gz", "multiply past 2^63");
        put(TRAIN_IMAGES, idx(FashionMnist.IMAGES_MAGIC, new int[] {1 << 30, 1 << 30, 1 << 30}, new byte[0]), true); // 2^90: exactly 0 mod 2^64
        fails(true, TRAIN_IMAGES + ".gz", "multiply past 2^63");
    }

    @Test
    void truncatedHeader() throws IOException {
        writeSplit(TRAIN_IMAGES, TRAIN_LABELS, true, (byte) 1);
        put(TRAIN_IMAGES, new byte[] {0, 0, 8, 3, 0, 0}, true);
        fails(true, TRAIN_IMAGES + ".gz", "truncated header");
    }

    @Test
    void truncatedGzipStream() throws IOException {
        writeSplit(TRAIN_IMAGES, TRAIN_LABELS, true, new byte[200]);
        Path images = dir.resolve(TRAIN_IMAGES + ".gz");
        byte[] gz = Files.readAllBytes(images);
        Files.write(images, Arrays.copyOf(gz, gz.length / 2));
        fails(true, images.toString(), "truncated");
    }

    @Test
    void corruptGzip() throws IOException {
        writeSplit(TRAIN_IMAGES, TRAIN_LABELS, true, (byte) 1);
        Path labels = dir.resolve(TRAIN_LABELS + ".gz");
        byte[] gz = Files.readAllBytes(labels);
        for (int i = 10; i < gz.length - 8; i++) {
            gz[i] = (byte) 0xFF;
        }
        Files.write(labels, gz);
        fails(true, labels.toString());
    }

    @Test
    void trailingBytes() throws IOException {
        writeSplit(TRAIN_IMAGES, TRAIN_LABELS, true, (byte) 1);
        put(TRAIN_LABELS, idx(FashionMnist.LABELS_MAGIC, new int[] {1}, new byte[] {1, 2}), true);
        fails(true, TRAIN_LABELS + ".gz", "unexpected bytes after");
    }

    @Test
    void negativeDimension() throws IOException {
        writeSplit(TRAIN_IMAGES, TRAIN_LABELS, true, (byte) 1);
        put(TRAIN_IMAGES, idx(FashionMnist.IMAGES_MAGIC, new int[] {1, -2, 3}, new byte[0]), true);
        fails(true, TRAIN_IMAGES + ".gz", "dimension 1 is negative");
    }

    @Test
    void lyingHeaderDoesNotAllocateItsClaim() throws IOException {
        writeSplit(TRAIN_IMAGES, TRAIN_LABELS, true, (byte) 1);
        put(TRAIN_IMAGES, idx(FashionMnist.IMAGES_MAGIC, new int[] {2_000_000, 28, 28}, new byte[10]), true);
        fails(true, "truncated data", "expected 1568000000 bytes", "found 10");
    }

    @Test
    void imageAndLabelCountsMustMatch() throws IOException {
        writeSplit(TRAIN_IMAGES, TRAIN_LABELS, true, (byte) 1, (byte) 2);
        put(TRAIN_LABELS, idx(FashionMnist.LABELS_MAGIC, new int[] {3}, new byte[] {1, 2, 3}), true);
        fails(true, TRAIN_IMAGES + ".gz", TRAIN_LABELS + ".gz", "2 images", "3 labels");
    }

    @Test
    void labelOutOfRange() throws IOException {
        writeSplit(TRAIN_IMAGES, TRAIN_LABELS, true, (byte) 1, (byte) 10);
        fails(true, TRAIN_LABELS + ".gz", "label 1 is 10", "expected 0..9");
        writeSplit(TRAIN_IMAGES, TRAIN_LABELS, true, (byte) 0xFF);
        fails(true, "label 0 is 255");
    }

    @Test
    void classNames() {
        assertEquals(10, FashionMnist.CLASS_NAMES.size());
        assertEquals("t-shirt", FashionMnist.CLASS_NAMES.get(0));
        assertEquals("ankle boot", FashionMnist.CLASS_NAMES.get(9));
    }

    @Test
    void loadsTheRealTestSet() throws IOException {
        assumeTrue(Files.isDirectory(FashionMnist.DEFAULT_DIR), "Fashion-MNIST not installed");
        LabeledImages d = FashionMnist.load(false);
        assertEquals(10_000, d.size());
        assertEquals(28, d.rows());
        assertEquals(28, d.cols());
        int[] perClass = new int[10];
        for (int label : d.labels()) {
            perClass[label]++;
        }
        assertArrayEquals(new int[] {1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000}, perClass);
        float[] img = d.imageAsFloat(0);
        float max = 0;
        for (float v : img) {
            assertTrue(v >= 0 && v <= 1);
            max = Math.max(max, v);
        }
        assertTrue(max > 0.5f, "first image is not blank");
    }
}
