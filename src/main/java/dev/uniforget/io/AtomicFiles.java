package dev.uniforget.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Write files and directories so that readers see either the old complete content or the new
 * complete content: fill a temporary sibling, fsync it, then rename it into place. On failure
 * the temporary is deleted and the target is left untouched.
 */
public final class AtomicFiles {
    private static final Logger LOG = LoggerFactory.getLogger(AtomicFiles.class);

    private AtomicFiles() {}

    /**
     * Writes {@code target} atomically. {@code writerToTemp} receives a not-yet-existing path in
     * the same directory and must create it; it is then fsynced and renamed over {@code target}
     * (replacing any existing file). Missing parent directories are created.
     */
    public static void writeAtomically(Path target, IOConsumer<Path> writerToTemp) throws IOException {
        Path abs = target.toAbsolutePath().normalize();
        Path dir = abs.getParent();
        if (dir == null || abs.getFileName() == null) {
            throw new IOException("cannot write atomically to " + target + ": it has no parent directory");
        }
        if (Files.isDirectory(abs, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("cannot write file " + abs + ": a directory exists at that path");
        }
        Files.createDirectories(dir);
        Path tmp = siblingTemp(abs, "tmp");
        try {
            writerToTemp.accept(tmp);
            if (!Files.isRegularFile(tmp, LinkOption.NOFOLLOW_LINKS)) {
                throw new IOException("writer for " + abs + " did not create the temporary file " + tmp);
            }
            fsync(tmp);
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (java.nio.file.FileSystemException e) {
            deleteQuietly(tmp, e);
            throw cannotWrite(abs, e);
        } catch (IOException | RuntimeException | Error e) {
            deleteQuietly(tmp, e);
            throw e;
        }
        fsyncDirectory(dir);
    }

    /**
     * A file-system refusal (read-only, full, no permission) as an error that names the output and
     * the reason in words; nothing of the output was written.
     */
    static IOException cannotWrite(Path target, java.nio.file.FileSystemException e) {
        String reason = e.getReason() != null ? e.getReason() : e.getClass().getSimpleName().replace("Exception", "");
        return new IOException("cannot write " + target + ": " + reason + " (a read-only or full disk, or no permission?); nothing was written", e);
    }

    /** Same as {@link #writeDirectoryAtomically(Path, boolean, IOConsumer)} with replacement allowed. */
    public static void writeDirectoryAtomically(Path finalDir, IOConsumer<Path> fillTempDir) throws IOException {
        writeDirectoryAtomically(finalDir, true, fillTempDir);
    }

    /**
     * Creates {@code finalDir} atomically: {@code fillTempDir} fills an empty temporary sibling
     * directory, whose files are fsynced before it is renamed into place. An existing
     * {@code finalDir} is replaced only if {@code replaceExisting}: it is renamed to a backup,
     * the new directory renamed in, and the backup deleted (restored if the second rename fails).
     *
     * @throws IOException if {@code finalDir} exists and {@code replaceExisting} is false, if it
     *     exists and is not a directory, or if filling or renaming fails
     */
    public static void writeDirectoryAtomically(Path finalDir, boolean replaceExisting, IOConsumer<Path> fillTempDir)
            throws IOException {
        Path abs = finalDir.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        if (parent == null || abs.getFileName() == null) {
            throw new IOException("cannot write directory atomically to " + finalDir + ": it has no parent");
        }
        Path tmp = siblingTemp(abs, "tmp");
        try {
            Files.createDirectories(parent);
            settle(abs);
            checkTarget(abs, replaceExisting);
            Files.createDirectory(tmp);
        } catch (java.nio.file.FileSystemException e) {
            throw cannotWrite(abs, e);
        }
        try {
            fillTempDir.accept(tmp);
            fsyncTree(tmp);
            checkTarget(abs, replaceExisting);
            if (Files.exists(abs, LinkOption.NOFOLLOW_LINKS)) {
                replace(abs, tmp);
            } else {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (java.nio.file.FileSystemException e) {
            deleteQuietly(tmp, e);
            throw cannotWrite(abs, e);
        } catch (IOException | RuntimeException | Error e) {
            deleteQuietly(tmp, e);
            throw e;
        }
        fsyncDirectory(parent);
    }

    /** Deletes a file or a directory tree (symbolic links are deleted, not followed); no-op if absent. */
    public static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(path, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                if (exc != null) {
                    throw exc;
                }
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void checkTarget(Path abs, boolean replaceExisting) throws IOException {
        if (!Files.exists(abs, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!Files.isDirectory(abs, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("cannot write directory " + abs + ": a non-directory exists at that path");
        }
        if (!replaceExisting) {
            throw new IOException("directory " + abs + " already exists; refusing to overwrite it");
        }
    }

    private static void replace(Path abs, Path tmp) throws IOException {
        Path backup = siblingTemp(abs, "old");
        Files.move(abs, backup, StandardCopyOption.ATOMIC_MOVE);
        try {
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            try {
                Files.move(backup, abs, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException restore) {
                e.addSuppressed(restore);
                LOG.error("could not restore {} from backup {}", abs, backup, restore);
            }
            throw e;
        }
        try {
            deleteRecursively(backup);
        } catch (IOException e) {
            LOG.warn("replaced {} but could not delete the old copy at {}: {}", abs, backup, e.toString());
        }
    }

    /** A temporary sibling named after its writer's process: {@code .NAME.PID-XXXXXXXX.KIND}. */
    private static Path siblingTemp(Path abs, String kind) {
        String name = "." + abs.getFileName() + "." + ProcessHandle.current().pid() + "-" + UUID.randomUUID().toString().substring(0, 8) + "." + kind;
        return abs.resolveSibling(name);
    }

    private static final java.util.regex.Pattern TEMP = java.util.regex.Pattern.compile("(?:(\\d+)-)?[0-9a-f]{8}\\.(tmp|old)");

    /**
     * Settles what killed writers left beside {@code target}: a replace interrupted between its two
     * renames (the old copy moved aside, the new one not yet in) is undone by moving the old copy
     * back; temporary siblings of writers that are no longer running are deleted. Siblings of a
     * live process (another run writing right now) are left alone. Returns what it did, one line
     * each (also logged).
     */
    public static List<String> settle(Path target) throws IOException {
        Path abs = target.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        List<String> done = new ArrayList<>();
        if (parent == null || abs.getFileName() == null || !Files.isDirectory(parent)) return done;
        String prefix = "." + abs.getFileName() + ".";
        List<Path> olds = new ArrayList<>(), tmps = new ArrayList<>();
        try (java.nio.file.DirectoryStream<Path> ds = Files.newDirectoryStream(parent, p -> p.getFileName().toString().startsWith(prefix))) {
            for (Path p : ds) {
                java.util.regex.Matcher m = TEMP.matcher(p.getFileName().toString().substring(prefix.length()));
                if (!m.matches()) continue;
                if (m.group(1) != null && ProcessHandle.of(Long.parseLong(m.group(1))).map(ProcessHandle::isAlive).orElse(false)
                        && Long.parseLong(m.group(1)) != ProcessHandle.current().pid()) {
                    continue; // a live writer's
                }
                (m.group(2).equals("old") ? olds : tmps).add(p);
            }
        }
        if (!olds.isEmpty() && !Files.exists(abs, LinkOption.NOFOLLOW_LINKS)) {
            Path back = olds.remove(0);
            Files.move(back, abs, StandardCopyOption.ATOMIC_MOVE);
            done.add("restored " + abs + " from " + back.getFileName() + " (a replace was interrupted between its renames)");
        }
        for (Path p : olds) {
            deleteRecursively(p);
            done.add("removed " + p + " (the old copy of a finished replace)");
        }
        for (Path p : tmps) {
            deleteRecursively(p);
            done.add("removed " + p + " (left by a killed run)");
        }
        for (String d : done) LOG.warn(d);
        return done;
    }

    /** {@link #settle} then whether {@code dir} is a directory: what every reuse check asks. */
    public static boolean settledDirectory(Path dir) throws IOException {
        settle(dir);
        return Files.isDirectory(dir);
    }

    private static void fsync(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    private static void fsyncTree(Path root) throws IOException {
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (attrs.isRegularFile()) {
                    fsync(file);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                if (exc != null) {
                    throw exc;
                }
                fsyncDirectory(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** Best effort: Linux allows fsync on a directory opened for reading, other systems may not. */
    private static void fsyncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.debug("could not fsync directory {}: {}", dir, e.toString());
        }
    }

    private static void deleteQuietly(Path path, Throwable primary) {
        try {
            deleteRecursively(path);
        } catch (NoSuchFileException ignored) {
            // already gone
        } catch (IOException e) {
            primary.addSuppressed(e);
        }
    }
}
