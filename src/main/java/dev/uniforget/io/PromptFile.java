package dev.uniforget.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A prompt file: one prompt per line, UTF-8 (a byte-order mark is allowed), blank lines skipped,
 * each prompt stripped. Errors name the file and the line: not UTF-8, a NUL or other control
 * character, a line longer than {@value #MAX_LINE} characters, more than {@value #MAX_PROMPTS}
 * prompts, a file over {@value #MAX_BYTES} bytes, no prompt at all.
 */
public final class PromptFile {
  public static final int MAX_LINE = 10_000;
  public static final int MAX_PROMPTS = 1_000_000;
  public static final long MAX_BYTES = 256L << 20;

  private PromptFile() {}

  public static List<String> read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) throw new IOException(file + ": prompt file not found");
    long size = Files.size(file);
    if (size > MAX_BYTES) throw new IOException(file + ": " + size + " bytes, more than a prompt file may hold (" + MAX_BYTES + ")");
    byte[] bytes = Files.readAllBytes(file);
    int start = bytes.length >= 3 && (bytes[0] & 0xff) == 0xef && (bytes[1] & 0xff) == 0xbb && (bytes[2] & 0xff) == 0xbf ? 3 : 0;
    List<String> out = new ArrayList<>();
    int line = 0;
    var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    while (start <= bytes.length) {
      int end = start;
      while (end < bytes.length && bytes[end] != '\n') end++;
      if (start == bytes.length) break;
      line++;
      int stop = end > start && bytes[end - 1] == '\r' ? end - 1 : end;
      String text;
      try {
        text = decoder.decode(ByteBuffer.wrap(bytes, start, stop - start)).toString();
      } catch (CharacterCodingException e) {
        throw new IOException(file + " line " + line + ": not valid UTF-8 text", e);
      }
      if (text.length() > MAX_LINE) throw new IOException(file + " line " + line + ": " + text.length() + " characters, more than a prompt may have (" + MAX_LINE + ")");
      for (int i = 0; i < text.length(); i++) {
        char ch = text.charAt(i);
        if (ch < 0x20 && ch != '\t') throw new IOException(file + " line " + line + ": control character U+" + String.format("%04X", (int) ch) + " at column " + (i + 1));
      }
      if (!text.isBlank()) {
        if (out.size() == MAX_PROMPTS) throw new IOException(file + ": more than " + MAX_PROMPTS + " prompts");
        out.add(text.strip());
      }
      start = end + 1;
    }
    if (out.isEmpty()) throw new IOException(file + ": prompt file has no prompts");
    return out;
  }
}
