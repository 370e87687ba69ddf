package dev.uniforget.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * The safetensors format: an 8-byte little-endian header length N, N bytes of UTF-8 JSON
 * ({@code {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}}),
 * then the raw little-endian tensor bytes, offsets counted from the start of that data.
 * Reading is memory-mapped ({@link SafetensorsFile}); writing is atomic.
 */
public final class Safetensors {
    /** Headers larger than this are rejected, as in the reference implementation. */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    public static final String METADATA_KEY = "__metadata__";

    static final ObjectMapper JSON = dev.uniforget.io.Jsons.INPUT; // the one strict reader

    private static final int WRITE_BUFFER_BYTES = 1 << 20;

    private Safetensors() {}

    /** One header entry. {@code begin}/{@code end} are byte offsets relative to the data section. */
    public record TensorInfo(String dtype, long[] shape, long begin, long end) {
        public TensorInfo {
            Objects.requireNonNull(dtype, "dtype");
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        /** Number of elements, the product of the shape (1 for a scalar). */
        public long numel() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }

        public long byteLength() {
            return end - begin;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof TensorInfo t && dtype.equals(t.dtype) && Arrays.equals(shape, t.shape)
                    && begin == t.begin && end == t.end;
        }

        @Override
        public int hashCode() {
            return Objects.hash(dtype, Arrays.hashCode(shape), begin, end);
        }

        @Override
        public String toString() {
            return "TensorInfo[" + dtype + " " + Arrays.toString(shape) + " @" + begin + ".." + end + "]";
        }
    }

    /**
     * A tensor to write: float data for F32, F16 or BF16 (converted on write), or long data for
     * I64 (use {@link #i64}). Arrays are not copied.
     */
    public record Tensor(String dtype, long[] shape, float[] data, long[] longData) {
        public Tensor {
            Objects.requireNonNull(dtype, "dtype");
            Objects.requireNonNull(shape, "shape");
            long n = 1;
            for (long d : shape) {
                if (d < 0) {
                    throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
                }
                n = Math.multiplyExact(n, d);
            }
            long length;
            switch (dtype) {
                case "F32", "F16", "BF16" -> {
                    if (data == null || longData != null) {
                        throw new IllegalArgumentException(dtype + " tensor needs float data and no long data");
                    }
                    length = data.length;
                }
                case "I64" -> {
                    if (longData == null || data != null) {
                        throw new IllegalArgumentException("I64 tensor needs long data and no float data");
                    }
                    length = longData.length;
                }
                default -> throw new IllegalArgumentException(
                        "cannot write dtype '" + dtype + "'; expected F32, F16, BF16 or I64");
            }
            if (length != n) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has " + n
                        + " elements but the data has " + length);
            }
        }

        /** A float tensor of dtype F32, F16 or BF16. */
        public Tensor(String dtype, long[] shape, float[] data) {
            this(dtype, shape, data, null);
        }

        public static Tensor f32(long[] shape, float[] data) {
            return new Tensor("F32", shape, data, null);
        }

        public static Tensor f16(long[] shape, float[] data) {
            return new Tensor("F16", shape, data, null);
        }

        public static Tensor i64(long[] shape, long[] data) {
            return new Tensor("I64", shape, null, data);
        }

        long byteLength() {
            return (data != null ? data.length : longData.length) * (long) dtypeBytes(dtype);
        }
    }

    /** Opens and validates {@code file}; close the result to release the file. */
    public static SafetensorsFile open(Path file) throws IOException {
        return SafetensorsFile.open(file, SafetensorsFile.DEFAULT_CHUNK_BYTES);
    }

    /**
     * Writes {@code tensors} (in map iteration order) and {@code metadata} (may be null) to
     * {@code file} atomically, replacing any existing file. The header is space-padded to a
     * multiple of 8 bytes.
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata)
            throws IOException {
        byte[] header = header(tensors, metadata);
        AtomicFiles.writeAtomically(file, tmp -> {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.allocate(WRITE_BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
                buf.putLong(header.length);
                flush(ch, buf);
                writeFully(ch, ByteBuffer.wrap(header));
                for (Tensor t : tensors.values()) {
                    writeData(ch, buf, t);
                }
            }
        });
    }

    /** Bytes per element of a safetensors dtype, or -1 if the dtype is unknown. */
    public static int dtypeBytes(String dtype) {
        return switch (dtype) {
            case "BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3" -> 1;
            case "I16", "U16", "F16", "BF16" -> 2;
            case "I32", "U32", "F32" -> 4;
            case "I64", "U64", "F64" -> 8;
            default -> -1;
        };
    }

    static final String KNOWN_DTYPES = "BOOL, U8, I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, I64, U64, F64";

    private static byte[] header(Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = root.putObject(METADATA_KEY);
            metadata.forEach((k, v) -> meta.put(Objects.requireNonNull(k, "metadata key"),
                    Objects.requireNonNull(v, () -> "metadata value for key '" + k + "'")));
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String name = Objects.requireNonNull(e.getKey(), "tensor name");
            Tensor t = Objects.requireNonNull(e.getValue(), () -> "tensor '" + name + "'");
            if (name.equals(METADATA_KEY)) {
                throw new IllegalArgumentException("'" + METADATA_KEY + "' is reserved and cannot name a tensor");
            }
            ObjectNode node = root.putObject(name);
            node.put("dtype", t.dtype());
            ArrayNode shape = node.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            long end = offset + t.byteLength();
            node.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json = JSON.writeValueAsBytes(root);
        int padded = (json.length + 7) & ~7;
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    private static void writeData(FileChannel ch, ByteBuffer buf, Tensor t) throws IOException {
        int elemBytes = dtypeBytes(t.dtype());
        int n = t.data() != null ? t.data().length : t.longData().length;
        for (int i = 0; i < n; ) {
            int k = Math.min(n - i, buf.capacity() / elemBytes);
            buf.clear();
            switch (t.dtype()) {
                case "F32" -> buf.asFloatBuffer().put(t.data(), i, k);
                case "I64" -> buf.asLongBuffer().put(t.longData(), i, k);
                case "F16" -> {
                    for (int j = 0; j < k; j++) {
                        buf.putShort(2 * j, Float16.floatToHalf(t.data()[i + j]));
                    }
                }
                default -> { // BF16
                    for (int j = 0; j < k; j++) {
                        buf.putShort(2 * j, Float16.floatToBf16(t.data()[i + j]));
                    }
                }
            }
            buf.position(k * elemBytes);
            flush(ch, buf);
            i += k;
        }
    }

    private static void flush(FileChannel ch, ByteBuffer buf) throws IOException {
        buf.flip();
        writeFully(ch, buf);
        buf.clear();
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }
}
