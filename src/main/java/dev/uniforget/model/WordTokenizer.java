package dev.uniforget.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.uniforget.io.Jsons;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * Word-level tokenizer built from training captions: lower-case words, {@code <pad>} = 0,
 * {@code <unk>} = 1, fixed length (truncate, then pad). The empty prompt is all padding.
 */
public final class WordTokenizer {
  public static final String PAD = "<pad>";
  public static final String UNK = "<unk>";
  public static final int PAD_ID = 0;
  public static final int UNK_ID = 1;

  private final List<String> vocab;
  private final int maxLength;
  private final Map<String, Integer> index = new HashMap<>();

  @JsonCreator
  public WordTokenizer(@JsonProperty("vocab") List<String> vocab, @JsonProperty("max_length") int maxLength) {
    if (vocab == null || vocab.size() < 2 || !PAD.equals(vocab.get(0)) || !UNK.equals(vocab.get(1))) {
      throw new IllegalArgumentException("tokenizer vocab must start with \"" + PAD + "\", \"" + UNK + "\"");
    }
    if (maxLength <= 0) throw new IllegalArgumentException("tokenizer max_length must be > 0, found " + maxLength);
    this.vocab = List.copyOf(vocab);
    this.maxLength = maxLength;
    for (int i = 0; i < vocab.size(); i++) {
      if (index.put(vocab.get(i), i) != null) {
        throw new IllegalArgumentException("tokenizer vocab has a duplicate entry: \"" + vocab.get(i) + "\"");
      }
    }
  }

  /** Vocabulary of every word in {@code captions}, sorted for a stable order. */
  public static WordTokenizer build(Collection<String> captions, int maxLength) {
    TreeSet<String> words = new TreeSet<>();
    for (String c : captions) words.addAll(words(c));
    List<String> vocab = new ArrayList<>(List.of(PAD, UNK));
    vocab.addAll(words);
    return new WordTokenizer(vocab, maxLength);
  }

  /** Lower-cases and splits on anything that is not a letter, digit, hyphen or apostrophe. */
  public static List<String> words(String text) {
    List<String> out = new ArrayList<>();
    for (String w : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}'-]+")) {
      if (!w.isEmpty()) out.add(w);
    }
    return out;
  }

  public int[] encode(String text) {
    int[] ids = new int[maxLength];
    List<String> ws = words(text);
    for (int i = 0; i < Math.min(maxLength, ws.size()); i++) ids[i] = index.getOrDefault(ws.get(i), UNK_ID);
    return ids;
  }

  /** The id of {@code word} (lower-cased), or -1 when it is not in the vocabulary. */
  public int idOf(String word) {
    Integer id = index.get(word.toLowerCase(Locale.ROOT));
    return id == null ? -1 : id;
  }

  /** Words of {@code text} that are not in the vocabulary (they encode as {@code <unk>}). */
  public List<String> unknownWords(String text) {
    List<String> out = new ArrayList<>();
    for (String w : words(text)) if (!index.containsKey(w)) out.add(w);
    return out;
  }

  /** True when {@code text} has more words than fit; the rest is cut. */
  public boolean truncates(String text) {
    return words(text).size() > maxLength;
  }

  @JsonProperty("type")
  public String type() {
    return "word-level";
  }

  @JsonProperty("vocab")
  public List<String> vocab() {
    return vocab;
  }

  @JsonProperty("max_length")
  public int maxLength() {
    return maxLength;
  }

  public int vocabSize() {
    return vocab.size();
  }

  public void save(Path file) throws IOException {
    Jsons.write(file, this);
  }

  public static WordTokenizer load(Path file) throws IOException {
    return Jsons.readInput(file, TokenizerFile.class).toTokenizer(file);
  }

  /** On-disk form, so unknown fields and a wrong type are rejected with the file named. */
  static final class TokenizerFile {
    public String type;
    public List<String> vocab;
    public int maxLength;

    WordTokenizer toTokenizer(Path file) throws IOException {
      if (!"word-level".equals(type)) {
        throw new IOException(file + ": field 'type': expected \"word-level\", found " + type);
      }
      try {
        return new WordTokenizer(vocab, maxLength);
      } catch (IllegalArgumentException e) {
        throw new IOException(file + ": " + e.getMessage(), e);
      }
    }
  }
}
