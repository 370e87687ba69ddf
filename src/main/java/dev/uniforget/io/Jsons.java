package dev.uniforget.io;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The one JSON mapper of the project: snake_case keys, pretty output, unknown keys rejected. */
public final class Jsons {
  public static final ObjectMapper MAPPER =
      new ObjectMapper()
          .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .enable(SerializationFeature.INDENT_OUTPUT)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

  private Jsons() {}

  /** Reads {@code file} as {@code type}; errors name the file and the JSON location. */
  public static <T> T read(Path file, Class<T> type) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IOException(file + ": file not found (expected a JSON " + type.getSimpleName() + ")");
    }
    try {
      return MAPPER.readValue(file.toFile(), type);
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
    return e instanceof com.fasterxml.jackson.core.JsonProcessingException j
        ? j.getOriginalMessage() + " at " + (j.getLocation() == null ? "?" : "line " + j.getLocation().getLineNr())
        : e.getMessage();
  }
}
