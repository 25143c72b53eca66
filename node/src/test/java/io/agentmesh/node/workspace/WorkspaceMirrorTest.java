package io.agentmesh.node.workspace;

import io.agentmesh.state.Limits;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The mirror on a real directory, against a real document owned by its own thread. */
class WorkspaceMirrorTest extends MirrorTestBase {

    private long refused() {
        return (long) mirror.status().get("refused");
    }

    @Test
    void filesAlreadyOnDiskAndFilesAlreadyInTheDocumentEndUpInBoth() throws Exception {
        Files.writeString(dir.resolve("MEMORY.md"), "on disk\n");
        Files.createDirectories(dir.resolve("memory"));
        Files.writeString(dir.resolve("memory/2026-12-03.md"), "day\n");
        node.remote(s -> s.writeWorkspaceFile("HEARTBEAT.md", "in the document\n"));
        node.remote(s -> s.writeWorkspaceFile("MEMORY.md", "on disk\nand in the document\n"));
        startMirror();
        await().atMost(WAIT).until(() -> "in the document\n".equals(onDisk("HEARTBEAT.md")));
        await().atMost(WAIT).until(() -> inDocument("memory/2026-12-03.md").equals(Optional.of("day\n")));
        // Both held MEMORY.md with no common base: every line of either is kept, the common one once.
        await().atMost(WAIT).until(() -> "on disk\nand in the document\n".equals(onDisk("MEMORY.md")));
        assertEquals(Optional.of("on disk\nand in the document\n"), inDocument("MEMORY.md"));
    }

    @Test
    void aLocalEditBecomesSplicesAndARemoteEditIsWrittenByRenaming() throws Exception {
        Files.writeString(dir.resolve("notes.md"), "one\ntwo\n");
        startMirror();
        await().atMost(WAIT).until(() -> inDocument("notes.md").equals(Optional.of("one\ntwo\n")));
        Files.writeString(dir.resolve("notes.md"), "one\ntwo\nthree\n");
        await().atMost(WAIT).until(() -> inDocument("notes.md").equals(Optional.of("one\ntwo\nthree\n")));

        Object inodeBefore = Files.readAttributes(dir.resolve("notes.md"),
                java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        node.remote(s -> s.writeWorkspaceFile("notes.md", "zero\none\ntwo\nthree\n"));
        await().atMost(WAIT).until(() -> "zero\none\ntwo\nthree\n".equals(onDisk("notes.md")));
        Object inodeAfter = Files.readAttributes(dir.resolve("notes.md"),
                java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        assertNotEquals(inodeBefore, inodeAfter, "a new file renamed over the old one, never written in place");
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of("notes.md"), files.map(p -> p.getFileName().toString()).toList(),
                    "no temporary file is left behind");
        }
    }

    @Test
    void aLocalEditMadeWhileARemoteOneIsBeingWrittenIsMergedNotLost() throws Exception {
        Files.writeString(dir.resolve("MEMORY.md"), "a\nb\n");
        startMirror();
        await().atMost(WAIT).until(() -> inDocument("MEMORY.md").equals(Optional.of("a\nb\n")));
        mirror.flush(10_000);
        // The mirror reads the disk, asks the node what to write... and just then the agent appends a line.
        node.beforeNextWrite = () -> {
            try {
                Files.writeString(dir.resolve("MEMORY.md"), "a\nb\nlocal line\n", StandardOpenOption.TRUNCATE_EXISTING);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
        node.remote(s -> s.writeWorkspaceFile("MEMORY.md", "remote line\na\nb\n"));
        String both = "remote line\na\nb\nlocal line\n";
        await().atMost(WAIT).until(() -> both.equals(onDisk("MEMORY.md")));
        await().atMost(WAIT).until(() -> inDocument("MEMORY.md").equals(Optional.of(both)));
        assertTrue(node.beforeNextWrite == null, "the race was run");
    }

    @Test
    void deletionsAndRenamesReplicateBothWays() throws Exception {
        Files.writeString(dir.resolve("a.md"), "a\n");
        Files.writeString(dir.resolve("gone.md"), "soon gone\n");
        startMirror();
        await().atMost(WAIT).until(() -> inDocument("gone.md").isPresent() && inDocument("a.md").isPresent());
        Files.delete(dir.resolve("gone.md"));
        await().atMost(WAIT).until(() -> inDocument("gone.md").isEmpty());
        Files.createDirectories(dir.resolve("archive"));
        Files.move(dir.resolve("a.md"), dir.resolve("archive/a.md"));
        await().atMost(WAIT).until(() -> inDocument("a.md").isEmpty()
                && inDocument("archive/a.md").equals(Optional.of("a\n")));

        node.remote(s -> s.deleteWorkspaceFile("archive/a.md"));
        await().atMost(WAIT).until(() -> onDisk("archive/a.md") == null);
        node.remote(s -> s.writeWorkspaceFile("gone.md", "back\n"));
        await().atMost(WAIT).until(() -> "back\n".equals(onDisk("gone.md")));
    }

    @Test
    void ignoredFilesStayLocalAndTheIgnoreFileItselfIsMirrored() throws Exception {
        Files.writeString(dir.resolve(IgnoreRules.FILE_NAME), "# local only\nsecret*.md\nbuild/\n!keep.tmp\n");
        Files.writeString(dir.resolve("secret-key.md"), "do not share\n");
        Files.createDirectories(dir.resolve("build"));
        Files.writeString(dir.resolve("build/out.txt"), "x\n");
        Files.createDirectories(dir.resolve(".git"));
        Files.writeString(dir.resolve(".git/HEAD"), "ref: refs/heads/main\n");
        Files.writeString(dir.resolve(".MEMORY.md.swp"), "vim swap\n");
        Files.writeString(dir.resolve("scratch.tmp"), "editor temp\n");
        Files.writeString(dir.resolve("keep.tmp"), "re-included\n");
        Files.writeString(dir.resolve("MEMORY.md"), "shared\n");
        startMirror();
        await().atMost(WAIT).until(() -> inDocument("MEMORY.md").isPresent() && inDocument("keep.tmp").isPresent());
        mirror.flush(10_000);
        List<String> paths = documentPaths();
        assertEquals(List.of(IgnoreRules.FILE_NAME, "MEMORY.md", "keep.tmp"), paths);
        assertEquals(0, refused(), "ignoring is a choice, not a refusal");
        assertTrue(mirror.ignoreRules().ignores("secret-2.md", false));
        node.remote(s -> s.writeWorkspaceFile("secret-x.md", "from a peer whose rules differ\n"));
        // An ignored path is not written either: not by now, nor on a later look.
        holdsAfterFlush(Duration.ofMillis(300), () -> onDisk("secret-x.md") == null);
    }

    @Test
    void binaryOversizedAndLinkedFilesAreRefusedCountedAndNeverOverwritten() throws Exception {
        Path outside = Files.createTempDirectory("outside");
        try {
            Files.writeString(outside.resolve("passwd"), "root:x:0:0\n");
            Files.createSymbolicLink(dir.resolve("escape.md"), outside.resolve("passwd"));
            Files.createSymbolicLink(dir.resolve("linked-dir"), outside);
            Files.write(dir.resolve("image.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 0, (byte) 0xff});
            Files.write(dir.resolve("nul.md"), new byte[] {'a', 0, 'b'});
            try (RandomAccessFile big = new RandomAccessFile(dir.resolve("huge.log").toFile(), "rw")) {
                big.setLength(1L << 30); // 1 GiB, sparse: never read
            }
            Files.writeString(dir.resolve("ok.md"), "fine\n");
            long t0 = System.nanoTime();
            startMirror();
            await().atMost(WAIT).until(() -> inDocument("ok.md").isPresent() && refused() == 5);
            assertTrue(System.nanoTime() - t0 < 20_000_000_000L, "the 1 GiB file is refused without reading it");
            Map<String, Object> status = mirror.status();
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> last = (List<Map<String, Object>>) status.get("lastRefusals");
            String reasons = last.toString();
            assertTrue(reasons.contains("escape.md") && reasons.contains("pointing out of the workspace"), reasons);
            assertTrue(reasons.contains("linked-dir") && reasons.contains("symbolic link"), reasons);
            assertTrue(reasons.contains("image.png") && reasons.contains("binary"), reasons);
            assertTrue(reasons.contains("nul.md") && reasons.contains("NUL"), reasons);
            assertTrue(reasons.contains("huge.log") && reasons.contains("oversized"), reasons);
            assertEquals(List.of("ok.md"), documentPaths());
            assertEquals(5, mirror.refusals().size());

            // A peer writes the paths we refused: the local files are left as they are.
            node.remote(s -> s.writeWorkspaceFile("image.png", "text from a peer\n"));
            node.remote(s -> s.writeWorkspaceFile("escape.md", "overwrite through the link?\n"));
            node.remote(s -> s.writeWorkspaceFile("linked-dir/passwd", "through the linked directory?\n"));
            node.remote(s -> s.writeWorkspaceFile("ok.md", "fine\nstill\n"));
            await().atMost(WAIT).until(() -> "fine\nstill\n".equals(onDisk("ok.md")));
            mirror.flush(10_000);
            assertEquals("root:x:0:0\n", Files.readString(outside.resolve("passwd")), "never followed");
            assertEquals(7, Files.size(dir.resolve("image.png")));
            assertTrue(Files.isSymbolicLink(dir.resolve("escape.md")));
            assertEquals(6, refused(), "each path refused once (linked-dir/passwd is the new one), not on every"
                    + " look");
        } finally {
            try (Stream<Path> s = Files.walk(outside)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void filesPastTheLimitAreRefusedQuicklyAndTheMirrorKeepsWorking() throws Exception {
        int total = 100_000;
        Path many = Files.createDirectories(dir.resolve("many"));
        for (int i = 0; i < total; i++) {
            Files.writeString(many.resolve("f" + i + ".md"), "");
        }
        long t0 = System.nanoTime();
        startMirror();
        await().atMost(Duration.ofSeconds(120)).until(() -> refused() == total - Limits.MAX_WORKSPACE_FILES
                && mirror.status().get("files").equals(Limits.MAX_WORKSPACE_FILES));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        long entries = node.onThread(s -> s.workspaceEntries());
        assertEquals(Limits.MAX_WORKSPACE_FILES, entries);
        System.out.println("100k files: " + Limits.MAX_WORKSPACE_FILES + " mirrored, the rest refused, in " + ms
                + " ms");
        // still mirroring: an edit of a mirrored file goes through, a new file is refused with the reason
        String mirrored = node.onThread(s -> s.workspaceFiles().get(0).path());
        Files.writeString(dir.resolve(mirrored), "edited\n");
        await().atMost(WAIT).until(() -> inDocument(mirrored).equals(Optional.of("edited\n")));
        assertFalse(mirror.refusals().isEmpty());
    }
}
