package dev.uniforget.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PromptFileTest {
  @TempDir Path tmp;

  private IOException fails(byte[] content, String... parts) throws IOException {
    Path f = tmp.resolve("prompts.txt");
    Files.write(f, content);
    IOException e = assertThrows(IOException.class, () -> PromptFile.read(f));
    assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    for (String p : parts) assertTrue(e.getMessage().contains(p), () -> e.getMessage() + " lacks " + p);
    return e;
  }

  @Test
  void readsPromptsSkippingBlankLinesWithBomAndCrLf() throws IOException {
    Path f = tmp.resolve("p.txt");
    Files.write(f, "\ufeffa photo of a bag\r\n\r\n  a dark coat  \nlast without newline".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertEquals(List.of("a photo of a bag", "a dark coat", "last without newline"), PromptFile.read(f));
  }

  @Test
  void hostileFilesAreClearErrorsNamingFileAndLine() throws IOException {
    fails(new byte[] {'o', 'k', '\n', 'b', (byte) 0xff, 'd', '\n'}, "line 2", "not valid UTF-8");
    fails("ok\nnul\u0000here\n".getBytes(java.nio.charset.StandardCharsets.UTF_8), "line 2", "control character U+0000");
    fails("\n \n\t\n".getBytes(java.nio.charset.StandardCharsets.UTF_8), "no prompts");
    fails(("x".repeat(PromptFile.MAX_LINE + 1) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8), "line 1", "characters");
    assertTrue(assertThrows(IOException.class, () -> PromptFile.read(tmp.resolve("missing.txt"))).getMessage().contains("not found"));
  }
}
