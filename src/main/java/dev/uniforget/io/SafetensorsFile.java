package dev.uniforget.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.uniforget.io.Safetensors.TensorInfo;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * An open, validated safetensors file. Tensor data is read through memory maps of at most
 * {@value #DEFAULT_CHUNK_BYTES} bytes each, so files and tensors larger than 2 GB work; only
 * the destination array limits what one call can read (use the slice overloads beyond that).
 * Safe for concurrent reads; close it when done.
 */
public final class SafetensorsFile implements AutoCloseable {
    static final int DEFAULT_CHUNK_BYTES = 1 << 30;
    /** Largest Java array length that HotSpot reliably allocates. */
    static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

    private final Path file;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;
    private final int chunkBytes;

    private SafetensorsFile(Path file, FileChannel channel, long dataStart, Map<String, TensorInfo> tensors,
            Map<String, String> metadata, int chunkBytes) {
        this.file = file;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = Collections.unmodifiableMap(tensors);
        this.metadata = Collections.unmodifiableMap(metadata);
        this.chunkBytes = chunkBytes;
    }

    /** {@code chunkBytes} is the largest single mapping; small values exercise chunking in tests. */
    static SafetensorsFile open(Path file, int chunkBytes) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        try {
            long size = ch.size();
            if (size < 8) {
                throw error(file, null, "file is " + size + " bytes long; expected at least 8 bytes (the header length)");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.getLong(0);
            if (headerLen < 0 || headerLen > Safetensors.MAX_HEADER_BYTES) {
                throw error(file, null, "header length " + Long.toUnsignedString(headerLen)
                        + " bytes is over the limit of " + Safetensors.MAX_HEADER_BYTES + " bytes");
            }
            if (headerLen > size - 8) {
                throw error(file, null, "header length " + headerLen + " bytes runs past the end of the file ("
                        + size + " bytes, so at most " + (size - 8) + " header bytes)");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            readFully(ch, hb, 8);
            hb.flip();
            JsonNode root = parseHeader(file, hb);
            long dataStart = 8 + headerLen;
            Map<String, TensorInfo> tensors = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            HeaderParser parser = new HeaderParser(file, size - dataStart);
            for (Map.Entry<String, JsonNode> e : root.properties()) {
                if (e.getKey().equals(Safetensors.METADATA_KEY)) {
                    parser.metadata(e.getValue(), metadata);
                } else {
                    tensors.put(e.getKey(), parser.tensor(e.getKey(), e.getValue()));
                }
            }
            checkOverlaps(file, tensors);
            return new SafetensorsFile(file, ch, dataStart, tensors, metadata, chunkBytes);
        } catch (IOException | RuntimeException | Error e) {
            ch.close();
            throw e;
        }
    }

    public Path path() {
        return file;
    }

    /** Tensor names in header order. */
    public Set<String> names() {
        return tensors.keySet();
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /** @throws IllegalArgumentException if there is no such tensor */
    public TensorInfo info(String name) {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw new IllegalArgumentException("safetensors file " + file + " has no tensor '" + name + "'");
        }
        return info;
    }

    /** The {@code __metadata__} map (empty if absent), in header order. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Reads a whole F32, F16, BF16, F64, I32 or I64 tensor as floats. */
    public float[] readFloats(String name) throws IOException {
        float[] out = new float[checkedLength(name)];
        readFloats(name, 0, out, 0, out.length);
        return out;
    }

    /**
     * Reads elements {@code [fromElement, fromElement + count)} (flat, row-major) of a tensor
     * into {@code dst[dstOffset..]}: use this for tensors of more than 2^31 elements.
     */
    public void readFloats(String name, long fromElement, float[] dst, int dstOffset, int count) throws IOException {
        TensorInfo info = info(name);
        String dtype = info.dtype();
        if (!List.of("F32", "F16", "BF16", "F64", "I32", "I64").contains(dtype)) {
            throw error(file, name, "dtype " + dtype + " cannot be read as floats; expected F32, F16, BF16, F64, I32 or I64");
        }
        readRange(info, name, fromElement, dstOffset, count, dst.length, (buf, off, k) -> {
            switch (dtype) {
                case "F32" -> buf.asFloatBuffer().get(dst, off, k);
                case "F16" -> {
                    for (int i = 0; i < k; i++) {
                        dst[off + i] = Float16.halfToFloat(buf.getShort(2 * i));
                    }
                }
                case "BF16" -> {
                    for (int i = 0; i < k; i++) {
                        dst[off + i] = Float16.bf16ToFloat(buf.getShort(2 * i));
                    }
                }
                case "F64" -> {
                    for (int i = 0; i < k; i++) {
                        dst[off + i] = (float) buf.getDouble(8 * i);
                    }
                }
                case "I32" -> {
                    for (int i = 0; i < k; i++) {
                        dst[off + i] = buf.getInt(4 * i);
                    }
                }
                default -> {
                    for (int i = 0; i < k; i++) {
                        dst[off + i] = buf.getLong(8 * i);
                    }
                }
            }
        });
    }

    /** Reads a whole I64 or I32 tensor as longs. */
    public long[] readLongs(String name) throws IOException {
        long[] out = new long[checkedLength(name)];
        readLongs(name, 0, out, 0, out.length);
        return out;
    }

    /** Slice variant of {@link #readLongs(String)}. */
    public void readLongs(String name, long fromElement, long[] dst, int dstOffset, int count) throws IOException {
        TensorInfo info = info(name);
        String dtype = info.dtype();
        if (!dtype.equals("I64") && !dtype.equals("I32")) {
            throw error(file, name, "dtype " + dtype + " cannot be read as longs; expected I64 or I32");
        }
        readRange(info, name, fromElement, dstOffset, count, dst.length, (buf, off, k) -> {
            if (dtype.equals("I64")) {
                buf.asLongBuffer().get(dst, off, k);
            } else {
                for (int i = 0; i < k; i++) {
                    dst[off + i] = buf.getInt(4 * i);
                }
            }
        });
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + file + ", " + tensors.size() + " tensors]";
    }

    private interface ChunkDecoder {
        /** Decodes {@code k} elements from {@code buf} (little-endian, position 0) to {@code dst[off..]}. */
        void decode(ByteBuffer buf, int off, int k);
    }

    private int checkedLength(String name) throws IOException {
        long n = info(name).numel();
        if (n > MAX_ARRAY_LENGTH) {
            throw error(file, name, "has " + n + " elements, more than a Java array can hold (" + MAX_ARRAY_LENGTH
                    + "); read it in slices with readFloats(name, fromElement, dst, dstOffset, count)");
        }
        return (int) n;
    }

    private void readRange(TensorInfo info, String name, long fromElement, int dstOffset, int count, int dstLength,
            ChunkDecoder decoder) throws IOException {
        long numel = info.numel();
        if (fromElement < 0 || count < 0 || fromElement > numel - count) {
            throw new IndexOutOfBoundsException("elements [" + fromElement + ", " + (fromElement + count)
                    + ") out of range for tensor '" + name + "' of " + numel + " elements in " + file);
        }
        Objects.checkFromIndexSize(dstOffset, count, dstLength);
        int elemBytes = Safetensors.dtypeBytes(info.dtype());
        int chunkElems = Math.max(1, chunkBytes / elemBytes);
        long pos = dataStart + info.begin() + fromElement * elemBytes;
        int done = 0;
        while (done < count) {
            int k = Math.min(count - done, chunkElems);
            ByteBuffer buf = channel.map(FileChannel.MapMode.READ_ONLY, pos, (long) k * elemBytes)
                    .order(ByteOrder.LITTLE_ENDIAN);
            decoder.decode(buf, dstOffset + done, k);
            done += k;
            pos += (long) k * elemBytes;
        }
    }

    private static JsonNode parseHeader(Path file, ByteBuffer bytes) throws IOException {
        CharBuffer chars;
        try {
            chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes);
        } catch (CharacterCodingException e) {
            throw error(file, null, "header is not valid UTF-8", e);
        }
        JsonNode root;
        try {
            root = Safetensors.JSON.readTree(chars.toString());
        } catch (JsonProcessingException e) {
            throw error(file, null, "header is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || root.isMissingNode()) {
            throw error(file, null, "header is empty; expected a JSON object");
        }
        if (!root.isObject()) {
            throw error(file, null, "header must be a JSON object, found " + describe(root));
        }
        return root;
    }

    /** Validates header entries against the data section length. */
    private record HeaderParser(Path file, long dataLength) {
        void metadata(JsonNode node, Map<String, String> out) throws IOException {
            if (!node.isObject()) {
                throw error(file, null, Safetensors.METADATA_KEY + " must be a JSON object of strings, found "
                        + describe(node));
            }
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                if (!e.getValue().isTextual()) {
                    throw error(file, null, Safetensors.METADATA_KEY + " value for key '" + e.getKey()
                            + "' must be a string, found " + describe(e.getValue()));
                }
                out.put(e.getKey(), e.getValue().textValue());
            }
        }

        TensorInfo tensor(String name, JsonNode node) throws IOException {
            if (!node.isObject()) {
                throw error(file, name, "entry must be a JSON object with dtype, shape and data_offsets, found "
                        + describe(node));
            }
            JsonNode dtypeNode = required(name, node, "dtype");
            if (!dtypeNode.isTextual()) {
                throw error(file, name, "'dtype' must be a string, found " + describe(dtypeNode));
            }
            String dtype = dtypeNode.textValue();
            int elemBytes = Safetensors.dtypeBytes(dtype);
            if (elemBytes < 0) {
                throw error(file, name, "unknown dtype '" + dtype + "'; expected one of " + Safetensors.KNOWN_DTYPES);
            }
            long[] shape = longArray(name, required(name, node, "shape"), "shape", -1);
            long[] offsets = longArray(name, required(name, node, "data_offsets"), "data_offsets", 2);
            long begin = offsets[0];
            long end = offsets[1];
            if (end < begin) {
                throw error(file, name, "data_offsets [" + begin + ", " + end + "]: end is before begin");
            }
            if (end > dataLength) {
                throw error(file, name, "data_offsets [" + begin + ", " + end + "] run past the end of the data section ("
                        + dataLength + " bytes)");
            }
            long expected;
            try {
                long n = 1;
                for (long d : shape) {
                    n = Math.multiplyExact(n, d);
                }
                expected = Math.multiplyExact(n, elemBytes);
            } catch (ArithmeticException e) {
                throw error(file, name, "shape " + Arrays.toString(shape) + " has too many elements");
            }
            if (end - begin != expected) {
                throw error(file, name, "data_offsets [" + begin + ", " + end + "] span " + (end - begin)
                        + " bytes; expected " + expected + " for shape " + Arrays.toString(shape) + " of " + dtype
                        + " (" + elemBytes + " bytes per element)");
            }
            return new TensorInfo(dtype, shape, begin, end);
        }

        private JsonNode required(String name, JsonNode node, String field) throws IOException {
            JsonNode value = node.get(field);
            if (value == null) {
                throw error(file, name, "entry is missing '" + field + "'");
            }
            return value;
        }

        /** A JSON array of non-negative integers; {@code length} -1 for any length. */
        private long[] longArray(String name, JsonNode node, String field, int length) throws IOException {
            String what = length < 0 ? "an array of non-negative integers" : "an array of " + length + " non-negative integers";
            if (!node.isArray() || (length >= 0 && node.size() != length)) {
                throw error(file, name, "'" + field + "' must be " + what + ", found " + describe(node));
            }
            long[] out = new long[node.size()];
            for (int i = 0; i < out.length; i++) {
                JsonNode v = node.get(i);
                if (!v.isIntegralNumber() || !v.canConvertToLong()) {
                    throw error(file, name, "'" + field + "'[" + i + "] must be a non-negative integer, found "
                            + describe(v));
                }
                out[i] = v.longValue();
                if (out[i] < 0) {
                    throw error(file, name, "'" + field + "'[" + i + "] = " + out[i] + " is negative; expected "
                            + what);
                }
            }
            return out;
        }
    }

    private static void checkOverlaps(Path file, Map<String, TensorInfo> tensors) throws IOException {
        List<Map.Entry<String, TensorInfo>> byBegin = new ArrayList<>();
        for (Map.Entry<String, TensorInfo> e : tensors.entrySet()) {
            if (e.getValue().byteLength() > 0) {
                byBegin.add(e);
            }
        }
        byBegin.sort(Comparator.comparingLong((Map.Entry<String, TensorInfo> e) -> e.getValue().begin())
                .thenComparingLong(e -> e.getValue().end()));
        Map.Entry<String, TensorInfo> furthest = null;
        for (Map.Entry<String, TensorInfo> e : byBegin) {
            if (furthest != null && e.getValue().begin() < furthest.getValue().end()) {
                TensorInfo a = furthest.getValue();
                TensorInfo b = e.getValue();
                throw error(file, e.getKey(), "bytes [" + b.begin() + ", " + b.end() + ") overlap tensor '"
                        + furthest.getKey() + "' at [" + a.begin() + ", " + a.end() + "); expected disjoint data_offsets");
            }
            if (furthest == null || e.getValue().end() > furthest.getValue().end()) {
                furthest = e;
            }
        }
    }

    private static String describe(JsonNode node) {
        String text = node.toString();
        if (text.length() > 80) {
            text = text.substring(0, 77) + "...";
        }
        return node.getNodeType().name().toLowerCase(java.util.Locale.ROOT) + " " + text;
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) {
                throw new EOFException("unexpected end of file at byte " + pos);
            }
            pos += n;
        }
    }

    private static SafetensorsFormatException error(Path file, String tensor, String problem) {
        return new SafetensorsFormatException(file, tensor, problem);
    }

    private static SafetensorsFormatException error(Path file, String tensor, String problem, Throwable cause) {
        return new SafetensorsFormatException(file, tensor, problem, cause);
    }
}
