package dev.uniforget.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive lock on an output directory for as long as a command writes it: a second command
 * given the same output (in this or another process) stops at once with a clear error instead of
 * racing the first. The lock is an OS file lock on the sibling file {@code .NAME.lock} (holding the
 * writer's pid, for the message); the OS drops it when the process dies, so a killed run never
 * leaves a stale lock. The lock file itself stays (deleting it could let two writers lock two
 * different files).
 */
public final class OutputLock implements AutoCloseable {
  private final FileChannel channel;
  private final FileLock lock;
  private final Path file;

  private OutputLock(FileChannel channel, FileLock lock, Path file) {
    this.channel = channel;
    this.lock = lock;
    this.file = file;
  }

  /** The lock file of output {@code out}. */
  public static Path lockFile(Path out) {
    Path abs = out.toAbsolutePath().normalize();
    return abs.resolveSibling("." + abs.getFileName() + ".lock");
  }

  /** Locks {@code out} (its parent is created); an error naming the holder when another run has it. */
  public static OutputLock acquire(Path out) throws IOException {
    Path file = lockFile(out);
    try {
      Files.createDirectories(file.getParent());
    } catch (java.nio.file.FileSystemException e) {
      throw AtomicFiles.cannotWrite(out, e);
    }
    FileChannel ch;
    try {
      ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    } catch (java.nio.file.FileSystemException e) {
      throw AtomicFiles.cannotWrite(out, e);
    }
    FileLock l;
    try {
      l = ch.tryLock();
    } catch (OverlappingFileLockException e) {
      l = null;
    } catch (IOException e) {
      ch.close();
      throw e;
    }
    if (l == null) {
      String holder;
      try {
        holder = Files.readString(file, StandardCharsets.UTF_8).strip();
      } catch (IOException e) {
        holder = "?";
      }
      ch.close();
      throw new IllegalStateException("another uniforget run is writing " + out + " (pid " + (holder.isEmpty() ? "?" : holder)
          + ", lock " + file + "); wait for it or choose another --out");
    }
    ch.truncate(0);
    ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)), 0);
    return new OutputLock(ch, l, file);
  }

  public Path file() {
    return file;
  }

  @Override
  public void close() throws IOException {
    try {
      lock.release();
    } finally {
      channel.close();
    }
  }
}
