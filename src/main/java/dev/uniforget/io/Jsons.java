package dev.uniforget.io;

import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The project's JSON mappers: snake_case keys, pretty output, unknown keys and duplicate keys
 * rejected. {@link #MAPPER} reads and writes the project's own outputs (reports, metrics,
 * provenance), which may hold NaN and null where a value is undefined. {@link #INPUT} is the
 * strict reader of every file a user may hand in (model config, tokenizer, lab manifest, judge
 * configs, trainer state; as trees: metadata.jsonl lines, safetensors headers, emoji.json): on
 * top of that, no trailing tokens, no {@code null} value or list element, and every
 * floating-point number finite (1e39 for a float is an error, not infinity); an integer field
 * takes integers only (2.5 is an error, not 2), and one past the range of its field is an error.
 */
public final class Jsons {
  public static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .enable(SerializationFeature.INDENT_OUTPUT)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .build();

  public static final ObjectMapper INPUT = strictInput();

  private Jsons() {}

  private static ObjectMapper strictInput() {
    SimpleModule finite = new SimpleModule("finite-numbers");
    finite.addDeserializer(Double.class, new Finite<>(Double.class, false));
    finite.addDeserializer(double.class, new Finite<>(Double.class, false));
    finite.addDeserializer(Float.class, new Finite<>(Float.class, true));
    finite.addDeserializer(float.class, new Finite<>(Float.class, true));
    ObjectMapper m = JsonMapper.builder() // compact output: metadata.jsonl lines and safetensors headers are written with it too
        .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .defaultSetterInfo(JsonSetter.Value.construct(Nulls.FAIL, Nulls.FAIL))
        .addModule(finite)
        .build();
    return m;
  }

  /** A float or double that must be a finite JSON number (no string, no overflow to infinity). */
  private static final class Finite<T extends Number> extends StdDeserializer<T> {
    private final boolean single;

    Finite(Class<T> type, boolean single) {
      super(type);
      this.single = single;
    }

    @Override
    @SuppressWarnings("unchecked")
    public T deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      JsonToken t = p.currentToken();
      if (t != JsonToken.VALUE_NUMBER_FLOAT && t != JsonToken.VALUE_NUMBER_INT) {
        throw JsonMappingException.from(p, "expected a number, found " + (t == JsonToken.VALUE_STRING ? "the string \"" + p.getText() + "\"" : t));
      }
      double v = p.getDoubleValue();
      if (!Double.isFinite(v) || (single && !Float.isFinite((float) v))) {
        throw JsonMappingException.from(p, "the number " + p.getText() + " is out of range (expected a finite " + (single ? "float" : "double") + ")");
      }
      return (T) (single ? (Number) (float) v : (Number) v);
    }
  }

  /** Reads {@code file}, one of the project's own outputs, as {@code type}; errors name the file and the JSON location. */
  public static <T> T read(Path file, Class<T> type) throws IOException {
    return read(MAPPER, file, type);
  }

  /** Reads {@code file}, a file a user may hand in, with the strict {@link #INPUT} reader; errors name the file, field and line. */
  public static <T> T readInput(Path file, Class<T> type) throws IOException {
    return read(INPUT, file, type);
  }

  private static <T> T read(ObjectMapper mapper, Path file, Class<T> type) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IOException(file + ": file not found (expected a JSON " + type.getSimpleName() + ")");
    }
    try {
      return mapper.readValue(file.toFile(), type);
    } catch (IOException e) {
      throw new IOException(file + ": not a valid " + type.getSimpleName() + ": " + getOriginalMessage(e), e);
    }
  }

  /** Writes {@code value} as JSON to {@code file} atomically (temp file + rename). */
  public static void write(Path file, Object value) throws IOException {
    byte[] bytes = MAPPER.writeValueAsString(value).getBytes(StandardCharsets.UTF_8);
    AtomicFiles.writeAtomically(file, tmp -> Files.write(tmp, bytes));
  }

  private static String getOriginalMessage(IOException e) {
    if (!(e instanceof com.fasterxml.jackson.core.JsonProcessingException j)) return e.getMessage();
    String where = j.getLocation() == null ? "?" : "line " + j.getLocation().getLineNr();
    String field = "";
    if (j instanceof JsonMappingException jm && !jm.getPath().isEmpty()) field = " (field " + jm.getPathReference().replaceFirst("^[^\\[]*\\[", "[") + ")";
    return j.getOriginalMessage() + field + " at " + where;
  }
}
