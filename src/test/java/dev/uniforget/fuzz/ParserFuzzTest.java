package dev.uniforget.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.uniforget.data.FashionMnist;
import dev.uniforget.data.ImageFolder;
import dev.uniforget.forget.ForgetRun;
import dev.uniforget.io.Jsons;
import dev.uniforget.io.PromptFile;
import dev.uniforget.io.Safetensors;
import dev.uniforget.io.SafetensorsFile;
import dev.uniforget.lab.LabManifest;
import dev.uniforget.model.ModelConfig;
import dev.uniforget.model.WordTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Coverage-guided fuzz targets (Jazzer) for every parser of a file a user hands in. A parser may
 * refuse an input only with the clear error of its contract (an {@link IOException}, or an
 * {@link IllegalArgumentException} from a validation); anything else (a NullPointerException, an
 * ArrayIndexOutOfBounds, an OutOfMemoryError from a lying header, a hang) is a crash.
 *
 * <p>In {@code mvn verify} each target runs as a regression test over its committed corpus
 * ({@code src/test/resources/dev/uniforget/fuzz/ParserFuzzTestInputs/TARGET/}, the crashes found
 * so far among them). A fuzzing run: {@code JAZZER_FUZZ=1 mvn -o -q surefire:test -Dtest='ParserFuzzTest#TARGET'}
 * (see README, "Hostile files").
 */
class ParserFuzzTest {
  private static final Path WORK;

  static {
    try {
      WORK = Files.createTempDirectory("uniforget-fuzz");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A fresh directory for one input. */
  private static Path fresh() throws IOException {
    return Files.createTempDirectory(WORK, "in");
  }

  /** Runs {@code body} on a fresh directory, deleted afterwards. */
  private static void inFresh(dev.uniforget.io.IOConsumer<Path> body) throws IOException {
    Path dir = fresh();
    try {
      body.accept(dir);
    } finally {
      clean(dir);
    }
  }

  /** Runs {@code parse}; the contract's refusals (IOException, IllegalArgumentException) are fine, anything else is a crash. */
  private static void refusedOrParsed(dev.uniforget.io.IOConsumer<Void> parse) throws IOException {
    try {
      parse.accept(null);
    } catch (IOException | IllegalArgumentException expected) {
      // refused with a clear error
    }
  }

  private static void clean(Path dir) {
    try {
      dev.uniforget.io.AtomicFiles.deleteRecursively(dir);
    } catch (IOException ignored) {
      // a temp dir
    }
  }

  @FuzzTest(maxDuration = "60s")
  void safetensors(byte[] data) throws IOException {
    Path dir = fresh();
    try {
      Path f = Files.write(dir.resolve("w.safetensors"), data);
      try (SafetensorsFile sf = Safetensors.open(f)) {
        for (String name : sf.names()) {
          try {
            if (sf.info(name).numel() <= 1 << 20) sf.readFloats(name);
          } catch (IOException expected) {
            // e.g. an integer dtype read as floats: the contract's error
          }
        }
      } catch (IOException expected) {
        // refused with a clear error
      }
      try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
        dev.uniforget.nn.ParameterStore.load(f, m).close();
      } catch (IOException expected) {
        // refused
      }
    } finally {
      clean(dir);
    }
  }

  @FuzzTest(maxDuration = "60s")
  void idx(byte[] data) throws IOException {
    inFresh(dir -> {
      Files.write(dir.resolve("train-images-idx3-ubyte"), data);
      Files.write(dir.resolve("train-labels-idx1-ubyte"), new byte[] {0, 0, 8, 1, 0, 0, 0, 1, 3});
      refusedOrParsed(x -> FashionMnist.load(dir, true));
    });
  }

  @FuzzTest(maxDuration = "60s")
  void metadataJsonl(byte[] data) throws IOException {
    inFresh(dir -> {
      ImageFolder.writePng(dir.resolve("a.png"), new float[16], 4);
      Files.write(dir.resolve(ImageFolder.METADATA_FILE), data);
      refusedOrParsed(x -> ImageFolder.load(dir, 4, 1));
    });
  }

  @FuzzTest(maxDuration = "60s")
  void png(byte[] data) throws IOException {
    inFresh(dir -> {
      Files.write(dir.resolve("a.png"), data);
      Files.writeString(dir.resolve(ImageFolder.METADATA_FILE), "{\"file_name\": \"a.png\", \"text\": \"a\"}\n");
      refusedOrParsed(x -> ImageFolder.load(dir, 4, 1));
      refusedOrParsed(x -> ImageFolder.load(dir, 4, 3));
    });
  }

  @FuzzTest(maxDuration = "60s")
  void modelConfig(byte[] data) throws IOException {
    inFresh(dir -> {
      Path f = Files.write(dir.resolve("config.json"), data);
      refusedOrParsed(x -> Jsons.readInput(f, ModelConfig.class).validate());
    });
  }

  @FuzzTest(maxDuration = "60s")
  void tokenizer(byte[] data) throws IOException {
    inFresh(dir -> {
      Path f = Files.write(dir.resolve("tokenizer.json"), data);
      refusedOrParsed(x -> WordTokenizer.load(f).encode("a photo of a bag"));
    });
  }

  @FuzzTest(maxDuration = "60s")
  void labManifest(byte[] data) throws IOException {
    inFresh(dir -> {
      Files.write(dir.resolve("manifest.json"), data);
      refusedOrParsed(x -> LabManifest.read(dir));
      dev.uniforget.lab.LabCheck.check(dir); // lists problems, never throws
    });
  }

  @FuzzTest(maxDuration = "60s")
  void promptFile(byte[] data) throws IOException {
    inFresh(dir -> {
      Path f = Files.write(dir.resolve("prompts.txt"), data);
      refusedOrParsed(x -> PromptFile.read(f));
      refusedOrParsed(x -> dev.uniforget.unlearn.ConceptAblation.readPairs(f));
    });
  }

  @FuzzTest(maxDuration = "60s")
  void maskFile(byte[] data) throws IOException {
    inFresh(dir -> {
      Files.createDirectories(dir.resolve(ForgetRun.MASK));
      Files.write(dir.resolve(ForgetRun.MASK).resolve(ForgetRun.MASK_FILE), data);
      refusedOrParsed(x -> ForgetRun.readKeep(dir));
    });
  }
}
