package dev.uniforget.io;

import static dev.uniforget.io.SafetensorsTestFiles.craft;
import static dev.uniforget.io.SafetensorsTestFiles.f32;
import static dev.uniforget.io.SafetensorsTestFiles.u16;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.uniforget.io.Safetensors.Tensor;
import dev.uniforget.io.Safetensors.TensorInfo;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SafetensorsTest {
    @TempDir
    Path dir;

    // ---- round trips -------------------------------------------------------------------

    @Test
    void f32RoundTripPreservesValuesShapesOrderAndMetadata() throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("z.weight", Tensor.f32(new long[] {2, 3}, new float[] {1, -2, 3.5f, Float.MIN_VALUE, -0f, 1e30f}));
        tensors.put("a.bias", Tensor.f32(new long[] {3}, new float[] {Float.NaN, Float.POSITIVE_INFINITY, 7}));
        tensors.put("m.scalar", Tensor.f32(new long[] {}, new float[] {42}));
        tensors.put("empty", Tensor.f32(new long[] {0, 5}, new float[0]));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("note", "ünïcödé \"quoted\"\n");
        Path file = dir.resolve("m.safetensors");
        Safetensors.write(file, tensors, meta);

        try (SafetensorsFile f = Safetensors.open(file)) {
            assertEquals(List.of("z.weight", "a.bias", "m.scalar", "empty"), new ArrayList<>(f.names()));
            assertEquals(meta, f.metadata());
            assertEquals(List.of("format", "note"), new ArrayList<>(f.metadata().keySet()));
            for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                TensorInfo info = f.info(e.getKey());
                assertEquals("F32", info.dtype());
                assertArrayEquals(e.getValue().shape(), info.shape());
                assertArrayEquals(e.getValue().data(), f.readFloats(e.getKey()));
            }
            assertEquals(new TensorInfo("F32", new long[] {2, 3}, 0, 24), f.info("z.weight"));
            assertEquals(1, f.info("m.scalar").numel());
            assertEquals(0, f.readFloats("empty").length);
        }
    }

    @Test
    void headerIsSpacePaddedToAMultipleOfEight() throws IOException {
        for (int nameLen = 1; nameLen <= 9; nameLen++) {
            Path file = dir.resolve("p" + nameLen + ".safetensors");
            Safetensors.write(file, Map.of("x".repeat(nameLen), Tensor.f32(new long[] {1}, new float[] {1})), null);
            byte[] bytes = Files.readAllBytes(file);
            long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
            assertEquals(0, n % 8);
            assertEquals(8 + n + 4, bytes.length);
            String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
            assertTrue(header.startsWith("{") && header.stripTrailing().endsWith("}"), header);
            assertEquals(header.stripTrailing(), header.substring(0, header.lastIndexOf('}') + 1));
        }
    }

    @Test
    void f16RoundTripIsExactForRepresentableValuesAndRoundsOthers() throws IOException {
        float[] exact = {1, -2.5f, 65504, 0x1p-24f, -0x1p-14f, 0, Float.NEGATIVE_INFINITY, 0.099975586f};
        float[] inexact = {0.1f, 3.14159f, 1e-3f};
        Path file = dir.resolve("h.safetensors");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("exact", Tensor.f16(new long[] {2, 4}, exact));
        tensors.put("inexact", new Tensor("F16", new long[] {3}, inexact));
        Safetensors.write(file, tensors, Map.of());
        try (SafetensorsFile f = Safetensors.open(file)) {
            assertEquals("F16", f.info("exact").dtype());
            assertArrayEquals(new long[] {2, 4}, f.info("exact").shape());
            assertEquals(16, f.info("exact").byteLength());
            assertArrayEquals(exact, f.readFloats("exact"));
            float[] back = f.readFloats("inexact");
            for (int i = 0; i < inexact.length; i++) {
                assertEquals(inexact[i], back[i], Math.abs(inexact[i]) * 0x1p-11f);
            }
            assertTrue(f.metadata().isEmpty());
        }
    }

    @Test
    void bf16AndI64RoundTrip() throws IOException {
        Path file = dir.resolve("b.safetensors");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("b", new Tensor("BF16", new long[] {3}, new float[] {1, -2.5f, 3.0e38f}));
        long[] ids = {0, -1, Long.MAX_VALUE, 1L << 40};
        tensors.put("ids", Tensor.i64(new long[] {2, 2}, ids));
        Safetensors.write(file, tensors, null);
        try (SafetensorsFile f = Safetensors.open(file)) {
            assertArrayEquals(new float[] {1, -2.5f, Float16.bf16ToFloat(Float16.floatToBf16(3.0e38f))},
                    f.readFloats("b"));
            assertEquals("I64", f.info("ids").dtype());
            assertArrayEquals(ids, f.readLongs("ids"));
            assertArrayEquals(new float[] {0, -1, (float) Long.MAX_VALUE, (float) (1L << 40)}, f.readFloats("ids"));
        }
    }

    @Test
    void writeReplacesAnExistingFile() throws IOException {
        Path file = dir.resolve("r.safetensors");
        Safetensors.write(file, Map.of("a", Tensor.f32(new long[] {1}, new float[] {1})), null);
        Safetensors.write(file, Map.of("b", Tensor.f32(new long[] {2}, new float[] {2, 3})), null);
        try (SafetensorsFile f = Safetensors.open(file)) {
            assertEquals(List.of("b"), new ArrayList<>(f.names()));
            assertArrayEquals(new float[] {2, 3}, f.readFloats("b"));
        }
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(file), s.toList());
        }
    }

    @Test
    void writerRejectsBadTensors() {
        assertThrows(IllegalArgumentException.class, () -> Tensor.f32(new long[] {2, 2}, new float[3]));
        assertThrows(IllegalArgumentException.class, () -> Tensor.f32(new long[] {-1}, new float[0]));
        assertThrows(IllegalArgumentException.class, () -> new Tensor("I32", new long[] {1}, new float[1]));
        assertThrows(IllegalArgumentException.class, () -> new Tensor("I64", new long[] {1}, new float[1]));
        assertThrows(IllegalArgumentException.class, () -> Safetensors.write(dir.resolve("x"),
                Map.of("__metadata__", Tensor.f32(new long[] {1}, new float[1])), null));
        assertTrue(Files.notExists(dir.resolve("x")));
    }

    @Test
    void readsHandWrittenHeaderWithExtraWhitespace() throws IOException {
        String header = "  {\n\t\"__metadata__\" : { \"k\" : \"v\" } ,\n"
                + "  \"w\" :  {  \"dtype\" : \"F32\" ,\r\n \"shape\" : [ 1 , 2 ] , \"data_offsets\" : [ 0 , 8 ] } ,\n"
                + "  \"h\" : { \"data_offsets\" : [8,12], \"shape\" : [2], \"dtype\" : \"F16\", \"extra\": 1 }\n}\n     ";
        byte[] data = ByteBuffer.allocate(12).put(f32(0.5f, -3)).put(u16(0x3C00, 0xC100)).array();
        Path file = craft(dir.resolve("ws.safetensors"), header, data);
        try (SafetensorsFile f = Safetensors.open(file)) {
            assertEquals(List.of("w", "h"), new ArrayList<>(f.names()));
            assertEquals(Map.of("k", "v"), f.metadata());
            assertArrayEquals(new float[] {0.5f, -3}, f.readFloats("w"));
            assertArrayEquals(new float[] {1, -2.5f}, f.readFloats("h"));
        }
    }

    @Test
    void decodesF16AndBf16DataFromFile() throws IOException {
        int[] halves = {0x3C00, 0xC100, 0x7BFF, 0x0001, 0x03FF, 0x7C00, 0xFC00, 0x7E00};
        int[] bf16s = {0x3F80, 0xC020, 0x0001, 0x7F80, 0x7FC0};
        String header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[8],\"data_offsets\":[0,16]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[5],\"data_offsets\":[16,26]}}";
        byte[] data = ByteBuffer.allocate(26).put(u16(halves)).put(u16(bf16s)).array();
        try (SafetensorsFile f = Safetensors.open(craft(dir.resolve("d.safetensors"), header, data))) {
            float[] h = f.readFloats("h");
            assertArrayEquals(new float[] {1, -2.5f, 65504, 0x1p-24f, 1023 * 0x1p-24f,
                    Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}, java.util.Arrays.copyOf(h, 7));
            assertTrue(Float.isNaN(h[7]));
            float[] b = f.readFloats("b");
            assertArrayEquals(new float[] {1, -2.5f, 0x1p-133f, Float.POSITIVE_INFINITY}, java.util.Arrays.copyOf(b, 4));
            assertTrue(Float.isNaN(b[4]));
        }
    }

    @Test
    void chunkedMappingReadsAcrossChunkBoundaries() throws IOException {
        float[] values = new float[101];
        for (int i = 0; i < values.length; i++) {
            values[i] = i * 0.25f - 3;
        }
        Path file = dir.resolve("c.safetensors");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("f", Tensor.f32(new long[] {101}, values));
        tensors.put("h", Tensor.f16(new long[] {101}, values));
        tensors.put("l", Tensor.i64(new long[] {5}, new long[] {1, 2, 3, 4, 5}));
        Safetensors.write(file, tensors, null);
        for (int chunk : new int[] {1, 7, 12, 16, 400, 1 << 30}) {
            try (SafetensorsFile f = SafetensorsFile.open(file, chunk)) {
                assertArrayEquals(values, f.readFloats("f"), "chunk " + chunk);
                assertArrayEquals(values, f.readFloats("h"), "chunk " + chunk);
                assertArrayEquals(new long[] {1, 2, 3, 4, 5}, f.readLongs("l"));
                float[] dst = new float[10];
                f.readFloats("f", 37, dst, 2, 8);
                for (int i = 0; i < 8; i++) {
                    assertEquals(values[37 + i], dst[2 + i]);
                }
                long[] ld = new long[3];
                f.readLongs("l", 2, ld, 0, 3);
                assertArrayEquals(new long[] {3, 4, 5}, ld);
            }
        }
    }

    @Test
    void readingErrorsNameTheTensor() throws IOException {
        String header = "{\"u\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},"
                + "\"f\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        try (SafetensorsFile f = Safetensors.open(craft(dir.resolve("e.safetensors"), header, new byte[8]))) {
            SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> f.readFloats("u"));
            assertTrue(e.getMessage().contains("'u'") && e.getMessage().contains("U8"), e.getMessage());
            assertEquals("u", e.tensor());
            e = assertThrows(SafetensorsFormatException.class, () -> f.readLongs("f"));
            assertTrue(e.getMessage().contains("I64"), e.getMessage());
            IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> f.info("nope"));
            assertTrue(missing.getMessage().contains("nope"));
            assertThrows(IndexOutOfBoundsException.class, () -> f.readFloats("f", 1, new float[1], 0, 1));
            assertThrows(IndexOutOfBoundsException.class, () -> f.readFloats("f", 0, new float[1], 1, 1));
        }
    }

    @Test
    void closedFileCannotBeRead() throws IOException {
        Path file = dir.resolve("cl.safetensors");
        Safetensors.write(file, Map.of("a", Tensor.f32(new long[] {1}, new float[] {1})), null);
        SafetensorsFile f = Safetensors.open(file);
        f.close();
        assertThrows(IOException.class, () -> f.readFloats("a"));
    }

    /** Sparse file of ~8 GB: one F32 tensor of 2^31 elements followed by a small tensor. */
    @Test
    void readsBeyondTwoGigabytesAndRefusesTooLargeArrays() throws IOException {
        long huge = 1L << 31;
        long hugeBytes = huge * 4;
        String header = "{\"huge\":{\"dtype\":\"F32\",\"shape\":[" + huge + "],\"data_offsets\":[0," + hugeBytes + "]},"
                + "\"tail\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[" + hugeBytes + "," + (hugeBytes + 12) + "]}}";
        Path file = craft(dir.resolve("big.safetensors"), header, new byte[0]);
        long dataStart = Files.size(file);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(dataStart + hugeBytes + 12);
            raf.seek(dataStart + hugeBytes - 8);
            raf.write(f32(7.5f, -8.25f));
            raf.write(f32(1, 2, 3));
            raf.seek(dataStart + (1L << 30) - 4); // straddles the 1 GiB chunk boundary
            raf.write(f32(11, 12));
        }
        try (SafetensorsFile f = Safetensors.open(file)) {
            assertArrayEquals(new float[] {1, 2, 3}, f.readFloats("tail"));
            SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> f.readFloats("huge"));
            assertTrue(e.getMessage().contains("huge") && e.getMessage().contains("slices"), e.getMessage());
            float[] dst = new float[4];
            f.readFloats("huge", huge - 2, dst, 1, 2);
            assertArrayEquals(new float[] {0, 7.5f, -8.25f, 0}, dst);
            f.readFloats("huge", (1L << 28) - 2, dst, 0, 4);
            assertArrayEquals(new float[] {0, 11, 12, 0}, dst);
        }
    }

    // ---- hostile input -----------------------------------------------------------------

    private SafetensorsFormatException rejects(Path file) {
        return assertThrows(SafetensorsFormatException.class, () -> {
            try (SafetensorsFile f = Safetensors.open(file)) {
                f.names();
            }
        });
    }

    private static void assertMentions(Exception e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), () -> "message '" + e.getMessage() + "' lacks '" + p + "'");
        }
    }

    @Test
    void rejectsFilesShorterThanEightBytes() throws IOException {
        for (int len : new int[] {0, 1, 7}) {
            Path file = Files.write(dir.resolve("short" + len), new byte[len]);
            SafetensorsFormatException e = rejects(file);
            assertMentions(e, file.toString(), len + " bytes", "at least 8");
            assertEquals(file, e.file());
            assertNull(e.tensor());
        }
    }

    @Test
    void rejectsHeaderLengthBeyondTheFile() throws IOException {
        Path file = dir.resolve("long");
        Files.write(file, ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN).putLong(13).array());
        assertMentions(rejects(file), file.toString(), "header length 13", "past the end", "at most 12");
    }

    @Test
    void rejectsAbsurdHeaderLengths() throws IOException {
        for (long n : new long[] {Safetensors.MAX_HEADER_BYTES + 1, -1L}) {
            Path file = dir.resolve("absurd" + n);
            Files.write(file, ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN).putLong(n).array());
            assertMentions(rejects(file), file.toString(), Long.toUnsignedString(n), "over the limit");
        }
    }

    @Test
    void rejectsInvalidUtf8Header() throws IOException {
        Path file = craft(dir.resolve("utf"), new byte[] {'{', '"', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'},
                new byte[0]);
        assertMentions(rejects(file), file.toString(), "UTF-8");
    }

    static Stream<Arguments> badHeaders() {
        String ok = "\"ok\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";
        return Stream.of(
                Arguments.of("empty header", "", null, "empty"),
                Arguments.of("not JSON", "{\"a\": ", null, "not valid JSON"),
                Arguments.of("garbage", "hello", null, "not valid JSON"),
                Arguments.of("trailing tokens", "{" + ok + "} {}", null, "not valid JSON"),
                Arguments.of("duplicate names", "{" + ok + "," + ok + "}", null, "Duplicate"),
                Arguments.of("array header", "[1, 2]", null, "must be a JSON object, found array"),
                Arguments.of("string header", "\"x\"", null, "must be a JSON object, found string"),
                Arguments.of("entry not object", "{\"t\": 5}", "t", "entry must be a JSON object"),
                Arguments.of("missing dtype", "{\"t\":{\"shape\":[1],\"data_offsets\":[0,4]}}", "t", "missing 'dtype'"),
                Arguments.of("missing shape", "{\"t\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", "t", "missing 'shape'"),
                Arguments.of("missing offsets", "{\"t\":{\"dtype\":\"F32\",\"shape\":[1]}}", "t", "missing 'data_offsets'"),
                Arguments.of("dtype not string", "{\"t\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", "t",
                        "'dtype' must be a string, found number"),
                Arguments.of("shape not array", "{\"t\":{\"dtype\":\"F32\",\"shape\":\"1\",\"data_offsets\":[0,4]}}", "t",
                        "'shape' must be an array of non-negative integers, found string"),
                Arguments.of("shape float", "{\"t\":{\"dtype\":\"F32\",\"shape\":[1.0],\"data_offsets\":[0,4]}}", "t",
                        "'shape'[0] must be a non-negative integer, found number 1.0"),
                Arguments.of("shape string dim", "{\"t\":{\"dtype\":\"F32\",\"shape\":[\"1\"],\"data_offsets\":[0,4]}}",
                        "t", "'shape'[0] must be a non-negative integer, found string"),
                Arguments.of("shape huge dim", "{\"t\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],"
                        + "\"data_offsets\":[0,4]}}", "t", "'shape'[0] must be a non-negative integer"),
                Arguments.of("negative dim", "{\"t\":{\"dtype\":\"F32\",\"shape\":[2,-1],\"data_offsets\":[0,4]}}", "t",
                        "'shape'[1] = -1 is negative"),
                Arguments.of("unknown dtype", "{\"t\":{\"dtype\":\"F17\",\"shape\":[1],\"data_offsets\":[0,4]}}", "t",
                        "unknown dtype 'F17'; expected one of"),
                Arguments.of("offsets not array", "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":{}}}", "t",
                        "'data_offsets' must be an array of 2 non-negative integers, found object"),
                Arguments.of("offsets wrong length", "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", "t",
                        "'data_offsets' must be an array of 2"),
                Arguments.of("offsets null", "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,null]}}", "t",
                        "'data_offsets'[1] must be a non-negative integer, found null"),
                Arguments.of("negative offset", "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", "t",
                        "'data_offsets'[0] = -4 is negative"),
                Arguments.of("end before begin", "{\"t\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,4]}}", "t",
                        "end is before begin"),
                Arguments.of("end beyond data", "{\"t\":{\"dtype\":\"F32\",\"shape\":[5],\"data_offsets\":[0,20]}}", "t",
                        "run past the end of the data section (16 bytes)"),
                Arguments.of("byte length mismatch", "{\"t\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}",
                        "t", "span 8 bytes; expected 12 for shape [3] of F32 (4 bytes per element)"),
                Arguments.of("byte length mismatch F16", "{\"t\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[0,16]}}",
                        "t", "expected 8 for shape [2, 2] of F16"),
                Arguments.of("element count overflow", "{\"t\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],"
                        + "\"data_offsets\":[0,16]}}", "t", "too many elements"),
                Arguments.of("overlap", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", "b", "overlap tensor 'a'"),
                Arguments.of("overlap contained", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]},"
                        + "\"c\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", "c", "overlap tensor 'a'"),
                Arguments.of("metadata not object", "{\"__metadata__\":[\"a\"]}", null,
                        "__metadata__ must be a JSON object of strings, found array"),
                Arguments.of("metadata number value", "{\"__metadata__\":{\"epoch\":3}}", null,
                        "__metadata__ value for key 'epoch' must be a string, found number"),
                Arguments.of("metadata null value", "{\"__metadata__\":{\"x\":null}}", null,
                        "key 'x' must be a string, found null"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badHeaders")
    void rejectsBadHeaders(String label, String header, String tensor, String expected) throws IOException {
        Path file = craft(dir.resolve(label.replace(' ', '_') + ".safetensors"), header, new byte[16]);
        SafetensorsFormatException e = rejects(file);
        assertMentions(e, file.toString(), expected);
        assertEquals(tensor, e.tensor());
        if (tensor != null) {
            assertMentions(e, "tensor '" + tensor + "'");
        }
    }

    @Test
    void acceptsZeroLengthTensorsAnywhere() throws IOException {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"e\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[4,4]}}";
        try (SafetensorsFile f = Safetensors.open(craft(dir.resolve("z.safetensors"), header, f32(1, 2)))) {
            assertEquals(0, f.readFloats("e").length);
            assertArrayEquals(new float[] {1, 2}, f.readFloats("a"));
        }
    }
}
