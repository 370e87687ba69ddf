package dev.uniforget.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WordTokenizerTest {
  @TempDir Path tmp;

  final WordTokenizer tok = WordTokenizer.build(List.of("A red Square", "the red t-shirt's collar, 2 buttons"), 5);

  @Test
  void buildSortsLowerCaseWordsAfterPadAndUnk() {
    assertEquals(
        List.of("<pad>", "<unk>", "2", "a", "buttons", "collar", "red", "square", "t-shirt's", "the"), tok.vocab());
    assertEquals(10, tok.vocabSize());
    assertEquals(5, tok.maxLength());
  }

  @Test
  void encodePadsTruncatesAndMarksUnknownWords() {
    assertArrayEquals(new int[] {3, 6, 7, 0, 0}, tok.encode("a RED square"));
    assertArrayEquals(new int[] {0, 0, 0, 0, 0}, tok.encode(""));
    assertArrayEquals(new int[] {0, 0, 0, 0, 0}, tok.encode("  ,;!  "));
    assertArrayEquals(new int[] {6, 1, 7, 0, 0}, tok.encode("red zebra square"));
    assertEquals(List.of("zebra"), tok.unknownWords("red zebra square"));
    assertArrayEquals(new int[] {9, 6, 8, 5, 4}, tok.encode("the red t-shirt's collar buttons square a"));
    assertTrue(tok.truncates("the red t-shirt's collar buttons square"));
    assertFalse(tok.truncates("the red t-shirt's collar buttons"));
  }

  @Test
  void saveLoadRoundTrip() throws IOException {
    Path f = tmp.resolve("tokenizer.json");
    tok.save(f);
    WordTokenizer back = WordTokenizer.load(f);
    assertEquals(tok.vocab(), back.vocab());
    assertEquals(tok.maxLength(), back.maxLength());
    assertArrayEquals(tok.encode("red zebra square"), back.encode("red zebra square"));
    assertTrue(Files.readString(f).contains("\"word-level\""));
  }

  private void rejects(String json, String... parts) throws IOException {
    Path f = tmp.resolve("tokenizer.json");
    Files.writeString(f, json);
    IOException e = assertThrows(IOException.class, () -> WordTokenizer.load(f));
    assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    for (String p : parts) assertTrue(e.getMessage().contains(p), () -> "'" + e.getMessage() + "' lacks '" + p + "'");
  }

  @Test
  void hostileFilesAreRejectedNamingTheFile() throws IOException {
    rejects("{\"type\": \"bpe\", \"vocab\": [\"<pad>\", \"<unk>\", \"a\"], \"max_length\": 4}", "type", "bpe");
    rejects("{\"vocab\": [\"<pad>\", \"<unk>\", \"a\"], \"max_length\": 4}", "type");
    rejects("{\"type\": \"word-level\", \"vocab\": [\"<unk>\", \"<pad>\", \"a\"], \"max_length\": 4}", "<pad>");
    rejects("{\"type\": \"word-level\", \"vocab\": [\"<pad>\"], \"max_length\": 4}", "<unk>");
    rejects("{\"type\": \"word-level\", \"max_length\": 4}", "vocab");
    rejects("{\"type\": \"word-level\", \"vocab\": [\"<pad>\", \"<unk>\", \"a\", \"b\", \"a\"], \"max_length\": 4}",
        "duplicate", "\"a\"");
    rejects("{\"type\": \"word-level\", \"vocab\": [\"<pad>\", \"<unk>\", \"a\"]}", "max_length");
    rejects("{\"type\": \"word-level\", \"vocab\": [\"<pad>\", \"<unk>\", \"a\"], \"max_length\": -3}", "max_length");
    rejects("{\"type\": \"word-level\", \"vocab\": [\"<pad>\", \"<unk>\"], \"max_length\": 4, \"lower\": true}",
        "lower");
    rejects("{\"type\": \"word-level\", \"vocab\": [\"<pad>\", \"<unk>\"], \"max_length\": 4", "");
    rejects("", "");
  }

  @Test
  void missingFileIsAnIOExceptionNamingIt() {
    Path f = tmp.resolve("absent.json");
    IOException e = assertThrows(IOException.class, () -> WordTokenizer.load(f));
    assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
  }
}
