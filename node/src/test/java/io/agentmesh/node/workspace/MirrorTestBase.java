package io.agentmesh.node.workspace;

import io.agentmesh.protocol.time.SystemClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

import static org.awaitility.Awaitility.await;

/**
 * What the mirror tests share: a workspace directory, a state directory for the bases, a {@link StateNode} whose
 * document the mirror keeps in step with the directory, and the two views a test compares (disk and document).
 */
abstract class MirrorTestBase {
    static final Duration WAIT = Duration.ofSeconds(30);
    @TempDir
    Path dir;
    /** The node's state directory, where the mirror keeps its bases (outside the workspace). */
    @TempDir
    Path state;
    StateNode node;
    WorkspaceMirror mirror;

    @BeforeEach
    void startNode() {
        node = new StateNode();
    }

    @AfterEach
    void stopMirrorAndNode() {
        if (mirror != null) {
            mirror.close();
        }
        node.close();
    }

    Path baseDir() {
        return state.resolve("workspace-base");
    }

    void startMirror() throws IOException {
        startMirror(WorkspaceMirror.Config.defaults());
    }

    void startMirror(WorkspaceMirror.Config config) throws IOException {
        mirror = WorkspaceMirror.start(dir, baseDir(), node, new SystemClock(), config);
    }

    /** Stops the mirror as a stopped node does; the document (the rest of the mesh) may move on meanwhile. */
    void stopMirror() throws Exception {
        mirror.flush(10_000);
        mirror.close();
        mirror = null;
    }

    Optional<String> inDocument(String path) {
        try {
            return node.onThread(s -> s.workspaceFile(path));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The file's content, or null when there is no such file. */
    String onDisk(String path) {
        try {
            Path f = dir.resolve(path);
            return Files.exists(f) ? Files.readString(f) : null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The paths of the document's workspace files, in its order. */
    List<String> documentPaths() throws Exception {
        return node.onThread(s -> s.workspaceFiles().stream().map(f -> f.path()).toList());
    }

    /**
     * Waits for the mirror to have handled everything queued, then requires {@code settled} to hold throughout
     * {@code window}: what a late watch event or a second look could still change shows within it. It should hold
     * at once, so a few seconds more are all it gets.
     */
    void holdsAfterFlush(Duration window, Callable<Boolean> settled) throws Exception {
        mirror.flush(10_000);
        await().during(window).atMost(window.plusSeconds(5)).until(settled);
    }
}
