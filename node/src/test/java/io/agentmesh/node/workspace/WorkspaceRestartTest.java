package io.agentmesh.node.workspace;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.agentmesh.protocol.time.SystemClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The mirror stopped and started again on the same workspace and state directories, against a document that moved
 * on meanwhile (the node was down): what it does with the copies its disk kept.
 */
class WorkspaceRestartTest extends MirrorTestBase {
    ListAppender<ILoggingEvent> baseLog;

    @BeforeEach
    void captureBaseLog() {
        baseLog = new ListAppender<>();
        baseLog.start();
        Logger logger = (Logger) LoggerFactory.getLogger(BaseStore.class);
        logger.setLevel(ch.qos.logback.classic.Level.INFO); // the first-start line is an INFO one
        logger.addAppender(baseLog);
    }

    @AfterEach
    void releaseBaseLog() {
        Logger logger = (Logger) LoggerFactory.getLogger(BaseStore.class);
        logger.detachAppender(baseLog);
        logger.setLevel(null);
    }

    /** Starts the mirror on files already on disk and waits until the document holds them. */
    private void syncFiles(String... pathsAndContents) throws Exception {
        for (int i = 0; i < pathsAndContents.length; i += 2) {
            Files.writeString(dir.resolve(pathsAndContents[i]), pathsAndContents[i + 1]);
        }
        startMirror();
        for (int i = 0; i < pathsAndContents.length; i += 2) {
            String path = pathsAndContents[i];
            String content = pathsAndContents[i + 1];
            await().atMost(WAIT).until(() -> inDocument(path).equals(Optional.of(content)));
        }
        mirror.flush(10_000);
    }

    private long baseLogLines() {
        return baseLog.list.size();
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }

    @Test
    void aStaleCopyEqualToItsBaseTakesTheDocumentsContentAndNoOldLineComesBack() throws Exception {
        syncFiles("counter.txt", "41\n", "MEMORY.md", "a\nb\nc\n");
        stopMirror();
        // While this node is down the agent counts on elsewhere and another node deletes line b.
        node.remote(s -> s.writeWorkspaceFile("counter.txt", "57\n"));
        node.remote(s -> s.writeWorkspaceFile("MEMORY.md", "a\nc\n"));
        startMirror();
        await().atMost(WAIT).until(() -> "57\n".equals(onDisk("counter.txt")) && "a\nc\n".equals(onDisk("MEMORY.md")));
        mirror.flush(10_000);
        assertEquals(Optional.of("57\n"), inDocument("counter.txt"), "not 41 and 57: the old copy was no edit");
        assertEquals(Optional.of("a\nc\n"), inDocument("MEMORY.md"), "the deleted line stays deleted");
        assertEquals("57\n", onDisk("counter.txt"));
    }

    @Test
    void aFileEditedWhileTheNodeWasDownIsMergedWithItsBase() throws Exception {
        syncFiles("MEMORY.md", "a\nb\nc\n");
        stopMirror();
        Files.writeString(dir.resolve("MEMORY.md"), "a\nb\nc\nlocal\n");   // edited here while the node was down
        node.remote(s -> s.writeWorkspaceFile("MEMORY.md", "remote\na\nc\n")); // and elsewhere: b deleted
        startMirror();
        String merged = "remote\na\nc\nlocal\n";
        await().atMost(WAIT).until(() -> inDocument("MEMORY.md").equals(Optional.of(merged)));
        await().atMost(WAIT).until(() -> merged.equals(onDisk("MEMORY.md")));
    }

    @Test
    void aFileDeletedElsewhereWhileTheNodeWasDownIsGoneAfterRestartUnlessEditedHere() throws Exception {
        syncFiles("gone.md", "old\n", "kept.md", "x\n", "deleted-here.md", "d\n", "stays.md", "s\n");
        stopMirror();
        node.remote(s -> s.deleteWorkspaceFile("gone.md"));
        node.remote(s -> s.deleteWorkspaceFile("kept.md"));
        Files.writeString(dir.resolve("kept.md"), "x\ny\n"); // edited here meanwhile: the edit is kept
        Files.delete(dir.resolve("deleted-here.md"));         // deleted here meanwhile: deleted everywhere
        startMirror();
        await().atMost(WAIT).until(() -> onDisk("gone.md") == null);
        await().atMost(WAIT).until(() -> inDocument("kept.md").equals(Optional.of("x\ny\n")));
        await().atMost(WAIT).until(() -> inDocument("deleted-here.md").isEmpty());
        mirror.flush(10_000);
        assertEquals(Optional.empty(), inDocument("gone.md"), "not brought back from this disk");
        assertEquals("x\ny\n", onDisk("kept.md"));
        assertEquals(null, onDisk("deleted-here.md"));
        assertEquals("s\n", onDisk("stays.md"));
        assertEquals(Optional.of("s\n"), inDocument("stays.md"));
    }

    @Test
    void aCrashBetweenTheDiskWriteAndTheBaseWriteLosesNoLineAndBringsNoneBack() throws Exception {
        syncFiles("remote.md", "a\n", "local.md", "l\n", "gone.md", "g\n");
        stopMirror();
        Path before = Files.createDirectories(state.resolve("bases-before"));
        copyTree(baseDir(), before);
        startMirror();
        node.remote(s -> s.writeWorkspaceFile("remote.md", "a\nb\n"));
        node.remote(s -> s.deleteWorkspaceFile("gone.md"));
        Files.writeString(dir.resolve("local.md"), "l\nm\n");
        await().atMost(WAIT).until(() -> "a\nb\n".equals(onDisk("remote.md")) && onDisk("gone.md") == null
                && inDocument("local.md").equals(Optional.of("l\nm\n")));
        stopMirror();
        // The node died after every disk write and document write but before any base was saved: the bases are
        // one sync behind what disk and document hold.
        deleteTree(baseDir());
        copyTree(before, baseDir());
        startMirror();
        // Nothing a second look could still do changes the outcome: hold it for a while, then say what was wrong.
        holdsAfterFlush(Duration.ofMillis(500), () -> "a\nb\n".equals(onDisk("remote.md"))
                && inDocument("remote.md").equals(Optional.of("a\nb\n")) && "l\nm\n".equals(onDisk("local.md"))
                && onDisk("gone.md") == null && inDocument("gone.md").isEmpty());
        assertEquals("a\nb\n", onDisk("remote.md"));
        assertEquals(Optional.of("a\nb\n"), inDocument("remote.md"), "merge(old, new, new) is new: no line twice");
        assertEquals("l\nm\n", onDisk("local.md"));
        assertEquals(Optional.of("l\nm\n"), inDocument("local.md"));
        assertEquals(null, onDisk("gone.md"), "a deletion is not undone");
        assertEquals(Optional.empty(), inDocument("gone.md"));
    }

    @Test
    void aLocalEditsBaseIsSavedOnlyOnceTheDocumentHoldsItDurably() throws Exception {
        syncFiles("local.md", "l\n");
        Path base = baseDir().resolve(BaseStore.fileName("local.md"));
        assertTrue(Files.readString(base).endsWith("\nl\n"), Files.readString(base));
        CompletableFuture<Void> synced = new CompletableFuture<>();
        node.durableWhen = synced;
        Files.writeString(dir.resolve("local.md"), "l\nm\n");
        await().atMost(WAIT).until(() -> inDocument("local.md").equals(Optional.of("l\nm\n")));
        mirror.flush(10_000);
        // Were the node to die now, its store would not hold the edit; a base of "l m" would then make the restart
        // take the disk for a stale copy and write the document's older "l" over the edit.
        assertTrue(Files.readString(base).endsWith("\nl\n"), "the old base stays until the edit is durable");
        node.durableWhen = null;
        synced.complete(null);
        await().atMost(WAIT).until(() -> Files.readString(base).endsWith("\nl\nm\n"));
    }

    @Test
    void aMissingBaseDirectoryFallsBackToKeepingEveryLineWithOneLogLine() throws Exception {
        syncFiles("counter.txt", "41\n");
        stopMirror();
        node.remote(s -> s.writeWorkspaceFile("counter.txt", "57\n"));
        deleteTree(baseDir());
        baseLog.list.clear();
        startMirror();
        await().atMost(WAIT).until(() -> inDocument("counter.txt").equals(Optional.of("57\n41\n")));
        assertEquals(1, baseLogLines(), baseLog.list.toString());
        assertTrue(baseLog.list.get(0).getFormattedMessage().contains("no saved bases"),
                baseLog.list.get(0).getFormattedMessage());
    }

    @Test
    void damagedBasesFallBackToKeepingEveryLineWithOneLogLineAndAreReplaced() throws Exception {
        syncFiles("counter.txt", "41\n", "other.md", "o\n");
        stopMirror();
        node.remote(s -> s.writeWorkspaceFile("counter.txt", "57\n"));
        node.remote(s -> s.writeWorkspaceFile("other.md", "p\n"));
        Path counterBase = baseDir().resolve(BaseStore.fileName("counter.txt"));
        Path otherBase = baseDir().resolve(BaseStore.fileName("other.md"));
        Files.writeString(counterBase, Files.readString(counterBase) + "42\n"); // checksum mismatch
        Files.write(otherBase, new byte[] {(byte) 0xff, 0, 1});                          // garbage
        baseLog.list.clear();
        startMirror();
        await().atMost(WAIT).until(() -> inDocument("counter.txt").equals(Optional.of("57\n41\n"))
                && inDocument("other.md").equals(Optional.of("p\no\n")));
        assertEquals(1, baseLogLines(), baseLog.list.toString());
        assertTrue(baseLog.list.get(0).getFormattedMessage().contains("2 saved bases"),
                baseLog.list.get(0).getFormattedMessage());
        // The mirror carries on and saves good bases again: the next restart finds the disk equal to its base.
        await().atMost(WAIT).until(() -> "57\n41\n".equals(onDisk("counter.txt")));
        stopMirror();
        node.remote(s -> s.writeWorkspaceFile("counter.txt", "58\n"));
        startMirror();
        await().atMost(WAIT).until(() -> "58\n".equals(onDisk("counter.txt")));
        assertEquals(Optional.of("58\n"), inDocument("counter.txt"));
    }

    @Test
    void aBaseDirectoryThatIsAFileNeverStopsTheMirror() throws Exception {
        Files.writeString(baseDir(), "not a directory\n");
        Files.writeString(dir.resolve("counter.txt"), "41\n");
        node.remote(s -> s.writeWorkspaceFile("counter.txt", "57\n"));
        startMirror();
        await().atMost(WAIT).until(() -> inDocument("counter.txt").equals(Optional.of("57\n41\n")));
        assertEquals(1, baseLogLines(), baseLog.list.toString());
        Files.writeString(dir.resolve("new.md"), "still mirroring\n");
        await().atMost(WAIT).until(() -> inDocument("new.md").equals(Optional.of("still mirroring\n")));
    }

    @Test
    void anEmptiedWorkspaceDirectoryIsTakenAsNewAndDeletesNothingInTheMesh() throws Exception {
        syncFiles("a.md", "a\n", "b.md", "b\n");
        stopMirror();
        Files.delete(dir.resolve("a.md"));
        Files.delete(dir.resolve("b.md"));
        startMirror();
        await().atMost(WAIT).until(() -> "a\n".equals(onDisk("a.md")) && "b\n".equals(onDisk("b.md")));
        assertEquals(List.of("a.md", "b.md"),
                documentPaths());
    }

    @Test
    void aDocumentThatNeverHeldTheFilesTakesThemFromDiskInsteadOfDeletingThem() throws Exception {
        syncFiles("a.md", "a\n");
        stopMirror();
        node.close();
        node = new StateNode(); // the document's store was started afresh; the bases were kept
        startMirror();
        await().atMost(WAIT).until(() -> inDocument("a.md").equals(Optional.of("a\n")));
        assertEquals("a\n", onDisk("a.md"));
    }

    @Test
    void theBaseDirectoryMayNotLieInsideTheWorkspace() {
        try {
            WorkspaceMirror.start(dir, dir.resolve(".agentmesh-base"), node, new SystemClock(),
                    WorkspaceMirror.Config.defaults()).close();
            throw new AssertionError("started with its bases inside the workspace");
        } catch (IllegalArgumentException | IOException e) {
            assertTrue(e.getMessage().contains("inside the workspace"), e.getMessage());
        }
    }
}
