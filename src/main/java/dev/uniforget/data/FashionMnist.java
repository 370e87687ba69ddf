package dev.uniforget.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Reader of the Fashion-MNIST IDX files (gzipped or plain): images are unsigned bytes
 * {@code [n, rows, cols]} under magic 0x00000803, labels unsigned bytes {@code [n]} under magic
 * 0x00000801, all header integers big-endian.
 */
public final class FashionMnist {
    public static final Path DEFAULT_DIR = Path.of("/usr/share/datasets/fashion-mnist");

    public static final List<String> CLASS_NAMES = List.of(
            "t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot");

    static final int IMAGES_MAGIC = 0x00000803;
    static final int LABELS_MAGIC = 0x00000801;

    private FashionMnist() {}

    /**
     * Images and labels: image {@code i} is {@code pixels[i*rows*cols .. (i+1)*rows*cols)}, row-major,
     * unsigned bytes (0 = background). Arrays are shared, not copied.
     */
    public record LabeledImages(int rows, int cols, byte[] pixels, int[] labels) {
        public LabeledImages {
            if ((long) labels.length * rows * cols != pixels.length) {
                throw new IllegalArgumentException(labels.length + " labels of " + rows + "x" + cols
                        + " images need " + (long) labels.length * rows * cols + " pixels, got " + pixels.length);
            }
        }

        public int size() {
            return labels.length;
        }

        public int label(int i) {
            return labels[i];
        }

        /** Image {@code i} as rows*cols floats in [0, 1] (value / 255). */
        public float[] imageAsFloat(int i) {
            float[] out = new float[rows * cols];
            imageAsFloat(i, out, 0);
            return out;
        }

        /** Writes image {@code i} as floats in [0, 1] into {@code dst[offset .. offset + rows*cols)}. */
        public void imageAsFloat(int i, float[] dst, int offset) {
            int n = rows * cols;
            java.util.Objects.checkIndex(i, labels.length);
            int base = i * n;
            for (int j = 0; j < n; j++) {
                dst[offset + j] = (pixels[base + j] & 0xFF) / 255f;
            }
        }
    }

    /** Loads the train (60k) or test (10k) split from {@link #DEFAULT_DIR}. */
    public static LabeledImages load(boolean train) throws IOException {
        return load(DEFAULT_DIR, train);
    }

    /**
     * Loads {@code train-*-ubyte[.gz]} or {@code t10k-*-ubyte[.gz]} from {@code dir}; the gzipped
     * file is preferred when both exist.
     */
    public static LabeledImages load(Path dir, boolean train) throws IOException {
        String prefix = train ? "train" : "t10k";
        Path imagesFile = find(dir, prefix + "-images-idx3-ubyte");
        Path labelsFile = find(dir, prefix + "-labels-idx1-ubyte");
        Idx images = readIdx(imagesFile, IMAGES_MAGIC, 3);
        Idx labels = readIdx(labelsFile, LABELS_MAGIC, 1);
        if (images.dims[0] != labels.dims[0]) {
            throw new IOException(imagesFile + " holds " + images.dims[0] + " images but " + labelsFile + " holds "
                    + labels.dims[0] + " labels; expected the same count");
        }
        int[] lab = new int[labels.data.length];
        for (int i = 0; i < lab.length; i++) {
            lab[i] = labels.data[i] & 0xFF;
            if (lab[i] >= CLASS_NAMES.size()) {
                throw new IOException(labelsFile + ": label " + i + " is " + lab[i] + "; expected 0.."
                        + (CLASS_NAMES.size() - 1));
            }
        }
        return new LabeledImages(images.dims[1], images.dims[2], images.data, lab);
    }

    private static Path find(Path dir, String name) throws IOException {
        Path gz = dir.resolve(name + ".gz");
        if (Files.isRegularFile(gz)) {
            return gz;
        }
        Path plain = dir.resolve(name);
        if (Files.isRegularFile(plain)) {
            return plain;
        }
        throw new NoSuchFileException(gz.toString(), null, "Fashion-MNIST file not found (nor " + plain
                + "); install the Debian package dataset-fashion-mnist or point to a directory holding the IDX files");
    }

    private record Idx(int[] dims, byte[] data) {}

    private static Idx readIdx(Path file, int expectedMagic, int rank) throws IOException {
        try (DataInputStream in = new DataInputStream(open(file))) {
            int magic;
            int[] dims = new int[rank];
            try {
                magic = in.readInt();
                if (magic != expectedMagic) {
                    throw new IOException(file + ": bad magic number 0x" + String.format("%08x", magic)
                            + "; expected 0x" + String.format("%08x", expectedMagic) + " (unsigned bytes, rank " + rank + ")");
                }
                for (int i = 0; i < rank; i++) {
                    dims[i] = in.readInt();
                }
            } catch (EOFException e) {
                throw new IOException(file + ": truncated header; expected 4 + 4*" + rank + " bytes", e);
            }
            long count = 1;
            for (int i = 0; i < rank; i++) {
                if (dims[i] < 0) {
                    throw new IOException(file + ": dimension " + i + " is negative (" + dims[i] + ")");
                }
                try {
                    count = Math.multiplyExact(count, (long) dims[i]);
                } catch (ArithmeticException e) {
                    throw new IOException(file + ": dimensions " + java.util.Arrays.toString(dims)
                            + " multiply past 2^63 bytes (a corrupt or hostile header)", e);
                }
            }
            if (count > Integer.MAX_VALUE - 8) {
                throw new IOException(file + ": " + java.util.Arrays.toString(dims) + " holds " + count
                        + " bytes, more than one Java array can hold");
            }
            byte[] data = in.readNBytes((int) count); // grows as it reads: a lying header cannot force a huge allocation
            if (data.length < count) {
                throw new IOException(file + ": truncated data; expected " + count + " bytes for dimensions "
                        + java.util.Arrays.toString(dims) + ", found " + data.length);
            }
            if (in.read() != -1) {
                throw new IOException(file + ": unexpected bytes after the " + count + " bytes of data for dimensions "
                        + java.util.Arrays.toString(dims));
            }
            return new Idx(dims, data);
        } catch (java.util.zip.ZipException e) {
            throw new IOException(file + ": corrupt gzip data: " + e.getMessage(), e);
        } catch (EOFException e) {
            throw new IOException(file + ": truncated gzip stream", e);
        }
    }

    /** Opens plain or gzipped content, recognising gzip by its magic bytes rather than the name. */
    private static InputStream open(Path file) throws IOException {
        BufferedInputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        in.mark(2);
        int b0 = in.read();
        int b1 = in.read();
        in.reset();
        if (b0 == 0x1f && b1 == 0x8b) {
            return new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16);
        }
        return in;
    }
}
