package dev.uniforget.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.uniforget.io.Safetensors.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    Path dir;

    private List<String> listing(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void writesANewFileAndCreatesParents() throws IOException {
        Path target = dir.resolve("a/b/out.txt");
        AtomicFiles.writeAtomically(target, tmp -> {
            assertEquals(target.getParent(), tmp.getParent());
            assertFalse(Files.exists(tmp));
            Files.writeString(tmp, "hello");
        });
        assertEquals("hello", Files.readString(target));
        assertEquals(List.of("out.txt"), listing(target.getParent()));
    }

    @Test
    void replacesAnExistingFile() throws IOException {
        Path target = Files.writeString(dir.resolve("f.txt"), "old");
        AtomicFiles.writeAtomically(target, tmp -> Files.writeString(tmp, "new"));
        assertEquals("new", Files.readString(target));
        assertEquals(List.of("f.txt"), listing(dir));
    }

    @Test
    void failingWriterLeavesThePreviousFileAndNoTemp() throws IOException {
        Path target = Files.writeString(dir.resolve("f.txt"), "precious");
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.writeAtomically(target, tmp -> {
            Files.writeString(tmp, "half-writ");
            throw new IOException("disk on fire");
        }));
        assertEquals("disk on fire", e.getMessage());
        RuntimeException re = new UncheckedIOException(new IOException("x"));
        assertSame(re, assertThrows(RuntimeException.class, () -> AtomicFiles.writeAtomically(target, tmp -> {
            Files.writeString(tmp, "half-writ");
            throw re;
        })));
        assertEquals("precious", Files.readString(target));
        assertEquals(List.of("f.txt"), listing(dir));
    }

    @Test
    void failingSafetensorsWriteLeavesThePreviousFile() throws IOException {
        Path target = dir.resolve("m.safetensors");
        Safetensors.write(target, Map.of("a", Tensor.f32(new long[] {1}, new float[] {1})), null);
        byte[] before = Files.readAllBytes(target);
        // the header is built from entrySet(); values() is used while the temp file is being written
        Map<String, Tensor> failing = new java.util.LinkedHashMap<>() {
            @Override
            public java.util.Collection<Tensor> values() {
                throw new IllegalStateException("failure while writing tensor data");
            }
        };
        failing.put("b", Tensor.f32(new long[] {1}, new float[] {2}));
        assertThrows(IllegalStateException.class, () -> Safetensors.write(target, failing, null));
        org.junit.jupiter.api.Assertions.assertArrayEquals(before, Files.readAllBytes(target));
        assertEquals(List.of("m.safetensors"), listing(dir));
    }

    @Test
    void writerThatCreatesNothingIsAnError() throws IOException {
        Path target = dir.resolve("f.txt");
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.writeAtomically(target, tmp -> {}));
        assertTrue(e.getMessage().contains("did not create"), e.getMessage());
        assertEquals(List.of(), listing(dir));
    }

    @Test
    void refusesToReplaceADirectoryWithAFile() throws IOException {
        Path target = Files.createDirectory(dir.resolve("d"));
        IOException e = assertThrows(IOException.class,
                () -> AtomicFiles.writeAtomically(target, tmp -> Files.writeString(tmp, "x")));
        assertTrue(e.getMessage().contains("directory exists"), e.getMessage());
        assertTrue(Files.isDirectory(target));
    }

    @Test
    void createsANewDirectory() throws IOException {
        Path target = dir.resolve("out");
        AtomicFiles.writeDirectoryAtomically(target, tmp -> {
            assertTrue(Files.isDirectory(tmp));
            assertEquals(dir, tmp.getParent());
            Files.writeString(tmp.resolve("a.txt"), "A");
            Files.createDirectories(tmp.resolve("sub"));
            Files.writeString(tmp.resolve("sub/b.txt"), "B");
        });
        assertEquals("A", Files.readString(target.resolve("a.txt")));
        assertEquals("B", Files.readString(target.resolve("sub/b.txt")));
        assertEquals(List.of("out"), listing(dir));
    }

    @Test
    void replacesAnExistingDirectory() throws IOException {
        Path target = Files.createDirectory(dir.resolve("out"));
        Files.writeString(target.resolve("old.txt"), "old");
        AtomicFiles.writeDirectoryAtomically(target, true, tmp -> Files.writeString(tmp.resolve("new.txt"), "new"));
        assertEquals(List.of("new.txt"), listing(target));
        assertEquals(List.of("out"), listing(dir));
    }

    @Test
    void refusesToOverwriteWhenAskedTo() throws IOException {
        Path target = Files.createDirectory(dir.resolve("out"));
        Files.writeString(target.resolve("old.txt"), "old");
        boolean[] called = {false};
        IOException e = assertThrows(IOException.class,
                () -> AtomicFiles.writeDirectoryAtomically(target, false, tmp -> called[0] = true));
        assertTrue(e.getMessage().contains("already exists") && e.getMessage().contains(target.toString()),
                e.getMessage());
        assertFalse(called[0]);
        assertEquals(List.of("old.txt"), listing(target));
        assertEquals(List.of("out"), listing(dir));
    }

    @Test
    void refusesWhenTheTargetAppearsWhileFilling() throws IOException {
        Path target = dir.resolve("out");
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.writeDirectoryAtomically(target, false,
                tmp -> {
                    Files.writeString(tmp.resolve("new.txt"), "new");
                    Files.createDirectory(target);
                    Files.writeString(target.resolve("theirs.txt"), "theirs");
                }));
        assertTrue(e.getMessage().contains("already exists"), e.getMessage());
        assertEquals(List.of("theirs.txt"), listing(target));
        assertEquals(List.of("out"), listing(dir));
    }

    @Test
    void failingFillLeavesTheTargetUntouchedAndNoTemp() throws IOException {
        Path target = Files.createDirectory(dir.resolve("out"));
        Files.writeString(target.resolve("old.txt"), "old");
        assertThrows(IOException.class, () -> AtomicFiles.writeDirectoryAtomically(target, tmp -> {
            Files.writeString(tmp.resolve("partial.txt"), "p");
            throw new IOException("boom");
        }));
        assertEquals(List.of("old.txt"), listing(target));
        assertEquals(List.of("out"), listing(dir));

        Path fresh = dir.resolve("fresh");
        assertThrows(IllegalStateException.class, () -> AtomicFiles.writeDirectoryAtomically(fresh, tmp -> {
            Files.writeString(tmp.resolve("partial.txt"), "p");
            throw new IllegalStateException("bug");
        }));
        assertFalse(Files.exists(fresh));
        assertEquals(List.of("out"), listing(dir));
    }

    @Test
    void refusesToReplaceAFileWithADirectory() throws IOException {
        Path target = Files.writeString(dir.resolve("plain"), "x", StandardCharsets.UTF_8);
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.writeDirectoryAtomically(target, tmp -> {}));
        assertTrue(e.getMessage().contains("non-directory"), e.getMessage());
        assertEquals("x", Files.readString(target));
    }

    @Test
    void deleteRecursivelyRemovesTreesButNotLinkTargets() throws IOException {
        Path outside = Files.createDirectory(dir.resolve("outside"));
        Files.writeString(outside.resolve("keep.txt"), "k");
        Path tree = Files.createDirectories(dir.resolve("tree/a/b"));
        Files.writeString(tree.resolve("f"), "f");
        Files.createSymbolicLink(dir.resolve("tree/link"), outside);
        AtomicFiles.deleteRecursively(dir.resolve("tree"));
        assertFalse(Files.exists(dir.resolve("tree")));
        assertTrue(Files.exists(outside.resolve("keep.txt")));
        AtomicFiles.deleteRecursively(dir.resolve("absent"));
    }

    @Test
    void settleRestoresAnInterruptedReplaceAndRemovesDeadWritersLeftoversOnly() throws IOException {
        Path out = dir.resolve("out");
        // A replace killed between its renames: the old copy aside, nothing at out.
        Path old = dir.resolve(".out.999999999-0123abcd.old");
        Files.createDirectories(old);
        Files.writeString(old.resolve("metrics.json"), "{}");
        Path deadTmp = dir.resolve(".out.999999998-89abcdef.tmp");
        Files.createDirectories(deadTmp);
        long livePid = ProcessHandle.current().parent().orElseThrow().pid();
        Path liveTmp = dir.resolve(".out." + livePid + "-00000000.tmp");
        Files.createDirectories(liveTmp);
        Path other = dir.resolve(".outer.999999999-0123abcd.tmp"); // another output's
        Files.createDirectories(other);

        assertTrue(AtomicFiles.settledDirectory(out), "the old copy is back");
        assertEquals("{}", Files.readString(out.resolve("metrics.json")));
        assertFalse(Files.exists(old));
        assertFalse(Files.exists(deadTmp), "a dead writer's temp is removed");
        assertTrue(Files.exists(liveTmp), "a live writer's temp is left alone");
        assertTrue(Files.exists(other), "another output's temp is not touched");
        assertTrue(AtomicFiles.settle(out).isEmpty(), "nothing left to do");

        // The next atomic write settles first as well.
        Files.createDirectories(dir.resolve(".out.999999997-fedcba98.tmp"));
        AtomicFiles.writeDirectoryAtomically(out, true, tmp -> Files.writeString(tmp.resolve("metrics.json"), "{\"new\": 1}"));
        assertFalse(Files.exists(dir.resolve(".out.999999997-fedcba98.tmp")));
        assertEquals("{\"new\": 1}", Files.readString(out.resolve("metrics.json")));
    }

    @Test
    void aSecondWriterOfTheSameOutputStopsWithAClearError() throws IOException {
        Path out = dir.resolve("run");
        try (OutputLock lock = OutputLock.acquire(out)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> OutputLock.acquire(out));
            assertTrue(e.getMessage().contains("another uniforget run is writing " + out) && e.getMessage().contains("pid " + ProcessHandle.current().pid()),
                    e.getMessage());
            try (OutputLock otherOutput = OutputLock.acquire(dir.resolve("run2"))) {
                assertTrue(Files.exists(otherOutput.file()));
            }
        }
        try (OutputLock again = OutputLock.acquire(out)) {
            assertTrue(Files.exists(again.file()), "released on close, free to take again");
        }
    }

    /** {@code chattr +i} (immutable, even for root): a read-only disk where the test can make one; false where it cannot. */
    private static boolean immutable(Path dir, boolean on) throws IOException, InterruptedException {
        try {
            Process p = new ProcessBuilder("chattr", on ? "+i" : "-i", dir.toString()).redirectErrorStream(true).start();
            return p.waitFor() == 0;
        } catch (IOException e) {
            return false; // no chattr here
        }
    }

    @Test
    void aReadOnlyOutputDiskIsAClearErrorAndLeavesNothing() throws Exception {
        Path ro = Files.createDirectory(dir.resolve("ro"));
        org.junit.jupiter.api.Assumptions.assumeTrue(immutable(ro, true), "chattr +i is not available here");
        try {
            IOException e = assertThrows(IOException.class,
                    () -> AtomicFiles.writeDirectoryAtomically(ro.resolve("out"), false, tmp -> Files.writeString(tmp.resolve("a"), "x")));
            assertTrue(e.getMessage().contains("cannot write " + ro.resolve("out")) && e.getMessage().contains("read-only or full disk"), e.getMessage());
            e = assertThrows(IOException.class, () -> AtomicFiles.writeAtomically(ro.resolve("f.json"), tmp -> Files.writeString(tmp, "x")));
            assertTrue(e.getMessage().contains("cannot write " + ro.resolve("f.json")), e.getMessage());
            e = assertThrows(IOException.class, () -> OutputLock.acquire(ro.resolve("run")));
            assertTrue(e.getMessage().contains("cannot write " + ro.resolve("run")), e.getMessage());
            try (Stream<Path> left = Files.list(ro)) {
                assertEquals(0, left.count(), "nothing written");
            }
        } finally {
            immutable(ro, false);
        }
    }
}
