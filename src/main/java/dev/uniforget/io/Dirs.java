package dev.uniforget.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Checks that a directory of one of the project's kinds (model, judge, ...) has its files. */
public final class Dirs {
  private Dirs() {}

  /** Throws "DIR: not a KIND directory (no such directory | missing FILE)". */
  public static void requireFiles(Path dir, String kind, String... files) throws IOException {
    if (!Files.isDirectory(dir)) throw new IOException(dir + ": not a " + kind + " directory (no such directory)");
    for (String f : files) {
      if (!Files.isRegularFile(dir.resolve(f))) throw new IOException(dir + ": not a " + kind + " directory (missing " + f + ")");
    }
  }
}
