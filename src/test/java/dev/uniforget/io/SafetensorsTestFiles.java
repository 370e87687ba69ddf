package dev.uniforget.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Builds safetensors files byte by byte, valid or not. */
final class SafetensorsTestFiles {
    private SafetensorsTestFiles() {}

    /** 8-byte little-endian header length, the header as UTF-8, then {@code data}. */
    static Path craft(Path file, String header, byte[] data) throws IOException {
        return craft(file, header.getBytes(StandardCharsets.UTF_8), data);
    }

    static Path craft(Path file, byte[] header, byte[] data) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(header.length).put(header).put(data);
        Files.write(file, buf.array());
        return file;
    }

    /** Little-endian F32 bytes. */
    static byte[] f32(float... values) {
        ByteBuffer buf = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            buf.putFloat(v);
        }
        return buf.array();
    }

    /** Little-endian 16-bit words. */
    static byte[] u16(int... values) {
        ByteBuffer buf = ByteBuffer.allocate(2 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) {
            buf.putShort((short) v);
        }
        return buf.array();
    }
}
