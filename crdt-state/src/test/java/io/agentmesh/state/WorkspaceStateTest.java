package io.agentmesh.state;

import org.automerge.AmValue;
import org.automerge.Document;
import org.automerge.ObjectId;
import org.automerge.ObjectType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static io.agentmesh.state.Fixtures.A;
import static io.agentmesh.state.Fixtures.AGENT;
import static io.agentmesh.state.Fixtures.B;
import static io.agentmesh.state.Fixtures.rawPeerChange;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The workspace part of the document: typed writes and reads, deletion marks, limits, and the checks on peers. */
class WorkspaceStateTest {

    @Test
    void aWrittenFileReadsBackOnAnotherNode() {
        try (AgentState a = AgentState.create(AGENT, A); AgentState b = AgentState.create(AGENT, B)) {
            String text = "# Memory\n\u00e9t\u00e9 \ud83d\ude00\nlast line without newline";
            b.applyChange(a.writeWorkspaceFile("memory/2026-12-03.md", text).orElseThrow().changeBytes());
            b.applyChange(a.writeWorkspaceFile("EMPTY.md", "").orElseThrow().changeBytes());
            assertEquals(text, b.workspaceFile("memory/2026-12-03.md").orElseThrow());
            assertEquals("", b.workspaceFile("EMPTY.md").orElseThrow(), "an empty file exists");
            assertEquals(List.of(new WorkspaceFile("EMPTY.md", 0),
                    new WorkspaceFile("memory/2026-12-03.md", text.getBytes(java.nio.charset.StandardCharsets.UTF_8)
                            .length)), b.workspaceFiles());
            assertTrue(a.writeWorkspaceFile("EMPTY.md", "").isEmpty(), "writing the same content changes nothing");
        }
    }

    @Test
    void aDeletedFileIsAbsentAndWritingItAgainReusesItsEntry() {
        try (AgentState a = AgentState.create(AGENT, A); AgentState b = AgentState.create(AGENT, B)) {
            b.applyChange(a.writeWorkspaceFile("HEARTBEAT.md", "check mail\n").orElseThrow().changeBytes());
            b.applyChange(a.deleteWorkspaceFile("HEARTBEAT.md").orElseThrow().changeBytes());
            assertTrue(b.workspaceFile("HEARTBEAT.md").isEmpty());
            assertTrue(b.workspaceFiles().isEmpty());
            assertTrue(a.deleteWorkspaceFile("HEARTBEAT.md").isEmpty(), "deleting an absent file changes nothing");
            b.applyChange(a.writeWorkspaceFile("HEARTBEAT.md", "").orElseThrow().changeBytes());
            assertEquals("", b.workspaceFile("HEARTBEAT.md").orElseThrow(), "re-created, empty");
            assertEquals(1, b.workspaceEntries());
        }
    }

    @Test
    void twoNodesEditingDifferentLinesConcurrentlyBothKeepTheirLines() {
        try (AgentState a = AgentState.create(AGENT, A); AgentState b = AgentState.create(AGENT, B)) {
            b.applyChange(a.writeWorkspaceFile("MEMORY.md", "one\ntwo\nthree\n").orElseThrow().changeBytes());
            byte[] fromA = a.writeWorkspaceFile("MEMORY.md", "one\ntwo (a)\nthree\nfour (a)\n").orElseThrow()
                    .changeBytes();
            byte[] fromB = b.writeWorkspaceFile("MEMORY.md", "zero (b)\none\ntwo\nthree (b)\n").orElseThrow()
                    .changeBytes();
            a.applyChange(fromB);
            b.applyChange(fromA);
            assertEquals(a.workspaceFile("MEMORY.md"), b.workspaceFile("MEMORY.md"));
            assertEquals("zero (b)\none\ntwo (a)\nthree (b)\nfour (a)\n", a.workspaceFile("MEMORY.md").orElseThrow());
        }
    }

    @Test
    void linesAddedConcurrentlyWithADeletionKeepTheFile() {
        try (AgentState a = AgentState.create(AGENT, A); AgentState b = AgentState.create(AGENT, B)) {
            b.applyChange(a.writeWorkspaceFile("notes.md", "old\n").orElseThrow().changeBytes());
            byte[] delete = a.deleteWorkspaceFile("notes.md").orElseThrow().changeBytes();
            byte[] edit = b.writeWorkspaceFile("notes.md", "old\nnew line\n").orElseThrow().changeBytes();
            a.applyChange(edit);
            b.applyChange(delete);
            assertEquals("new line\n", a.workspaceFile("notes.md").orElseThrow());
            assertEquals(a.workspaceFile("notes.md"), b.workspaceFile("notes.md"));
        }
    }

    @Test
    void aPathCreatedOnTwoNodesAtOnceShowsOneTextAndItsHiddenAuthorMergesItsLinesBack() {
        try (AgentState a = AgentState.create(AGENT, A); AgentState b = AgentState.create(AGENT, B)) {
            byte[] fromA = a.writeWorkspaceFile("MEMORY.md", "shared\nonly a\n").orElseThrow().changeBytes();
            byte[] fromB = b.writeWorkspaceFile("MEMORY.md", "shared\nonly b\n").orElseThrow().changeBytes();
            a.applyChange(fromB);
            b.applyChange(fromA);
            assertEquals(a.workspaceFile("MEMORY.md"), b.workspaceFile("MEMORY.md"), "one text shown everywhere");
            assertEquals(Set.of("MEMORY.md"), a.takeWorkspaceConflicts());
            assertEquals(Set.of("MEMORY.md"), b.takeWorkspaceConflicts());
            AgentState hiddenAuthor = a.workspaceFile("MEMORY.md").orElseThrow().contains("only a") ? b : a;
            AgentState shownAuthor = hiddenAuthor == a ? b : a;
            assertTrue(shownAuthor.resolveWorkspaceConflict("MEMORY.md").isEmpty(), "its text is the one shown");
            byte[] merge = hiddenAuthor.resolveWorkspaceConflict("MEMORY.md").orElseThrow().changeBytes();
            shownAuthor.applyChange(merge);
            String merged = a.workspaceFile("MEMORY.md").orElseThrow();
            assertEquals(merged, b.workspaceFile("MEMORY.md").orElseThrow());
            assertTrue(merged.contains("only a\n") && merged.contains("only b\n")
                    && merged.indexOf("shared") == merged.lastIndexOf("shared"), merged);
            assertTrue(hiddenAuthor.resolveWorkspaceConflict("MEMORY.md").isEmpty(), "merged once");
        }
    }

    @Test
    void touchedPathsNameLocalAndRemoteWrites() {
        try (AgentState a = AgentState.create(AGENT, A); AgentState b = AgentState.create(AGENT, B)) {
            byte[] c1 = a.writeWorkspaceFile("x.md", "x\n").orElseThrow().changeBytes();
            assertEquals(Set.of("x.md"), a.takeTouchedWorkspacePaths());
            assertEquals(Set.of(), a.takeTouchedWorkspacePaths(), "taken once");
            b.applyChange(c1);
            b.applyChange(a.writeWorkspaceFile("x.md", "x\ny\n").orElseThrow().changeBytes());
            b.applyChange(a.appendMemory(Fixtures.memory(1)).changeBytes());
            assertEquals(Set.of("x.md"), b.takeTouchedWorkspacePaths());
        }
    }

    @Test
    void localWritesWithBadPathsOrOversizedContentAreRefusedAndChangeNothing() {
        try (AgentState a = AgentState.create(AGENT, A)) {
            List<String> heads = a.heads();
            for (String bad : List.of("", "/etc/passwd", "../x", "a/../../x", "a//b", "a/", "./a", "a\u0000b",
                    "a\\b", "C:x", "x".repeat(Limits.MAX_WORKSPACE_PATH_LENGTH + 1))) {
                assertThrows(IllegalArgumentException.class, () -> a.writeWorkspaceFile(bad, "x"), bad);
            }
            assertThrows(IllegalArgumentException.class,
                    () -> a.writeWorkspaceFile("big.md", "x".repeat(Limits.MAX_WORKSPACE_FILE_BYTES + 1)));
            IllegalArgumentException tooMany = assertThrows(IllegalArgumentException.class,
                    () -> a.writeWorkspaceFile("max.md", "x".repeat(Limits.MAX_WORKSPACE_FILE_BYTES)));
            assertTrue(tooMany.getMessage().contains("smaller steps"), tooMany.getMessage());
            // 1 MiB of two-byte characters is half as many ops: it fits
            a.writeWorkspaceFile("max.md", "\u00e9".repeat(Limits.MAX_WORKSPACE_FILE_BYTES / 2)).orElseThrow();
            assertThrows(IllegalArgumentException.class, () -> a.writeWorkspaceFile("half.md", "\ud83d"));
            assertEquals(1, a.workspaceEntries());
            assertFalse(heads.equals(a.heads()));
        }
    }

    @Test
    void newFilesPastTheFileLimitAreRefused() {
        try (AgentState a = AgentState.create(AGENT, A)) {
            for (int i = 0; i < Limits.MAX_WORKSPACE_FILES; i++) {
                a.writeWorkspaceFile("f/" + i, "");
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> a.writeWorkspaceFile("one-more", ""));
            assertTrue(e.getMessage().contains("at most " + Limits.MAX_WORKSPACE_FILES), e.getMessage());
            a.writeWorkspaceFile("f/0", "existing files can still change\n").orElseThrow();
        }
    }

    private static ObjectId map(Document doc, String key) {
        return ((AmValue.Map) doc.get(ObjectId.ROOT, key).orElseThrow()).getId();
    }

    private static void assertRefused(AgentState target, byte[] change, String expected) {
        List<String> heads = target.heads();
        StateException e = assertThrows(StateException.class, () -> target.applyChange(change));
        assertEquals(StateException.Reason.FORBIDDEN, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertEquals(heads, target.heads(), "nothing changed");
        assertTrue(target.takeTouchedWorkspacePaths().isEmpty());
    }

    @Test
    void aPeersChangeWithABadPathIsRefused() {
        try (AgentState a = AgentState.create(AGENT, A)) {
            a.takeTouchedWorkspacePaths();
            // (a NUL cannot be crafted here: automerge-java passes keys through JNI, which panics on it)
            for (String bad : List.of("../escape", "/abs", "a//b", "control\u0001")) {
                byte[] change = rawPeerChange(a, B, (doc, tx) -> tx.set(map(doc, "workspace"), bad, ObjectType.TEXT));
                assertRefused(a, change, "workspace path");
            }
            byte[] gone = rawPeerChange(a, B, (doc, tx) -> tx.set(map(doc, "workspaceGone"), "../x", true));
            assertRefused(a, gone, "workspace path");
        }
    }

    @Test
    void aPeersChangeThatBreaksTheWorkspaceShapeIsRefused() {
        try (AgentState a = AgentState.create(AGENT, A)) {
            a.writeWorkspaceFile("f.md", "x\n");
            a.takeTouchedWorkspacePaths();
            assertRefused(a, rawPeerChange(a, B, (doc, tx) -> tx.set(map(doc, "workspace"), "s.md", "a string")),
                    "other than a new text");
            assertRefused(a, rawPeerChange(a, B, (doc, tx) -> tx.delete(map(doc, "workspace"), "f.md")),
                    "other than a new text");
            assertRefused(a, rawPeerChange(a, B, (doc, tx) -> tx.set(map(doc, "workspaceGone"), "f.md", "yes")),
                    "boolean");
        }
    }

    @Test
    void aPeersChangeInsertingMoreThanTheFileLimitIsRefused() {
        try (AgentState a = AgentState.create(AGENT, A)) {
            a.writeWorkspaceFile("f.md", "x\n");
            a.takeTouchedWorkspacePaths();
            byte[] big = rawPeerChange(a, B, (doc, tx) -> {
                ObjectId text = ((AmValue.Text) doc.get(map(doc, "workspace"), "f.md").orElseThrow()).getId();
                tx.spliceText(text, 0, 0, "\u00e9".repeat(Limits.MAX_WORKSPACE_FILE_BYTES / 2 + 1));
            });
            assertRefused(a, big, "one change may insert at most");
            byte[] bigNew = rawPeerChange(a, B, (doc, tx) -> {
                ObjectId text = tx.set(map(doc, "workspace"), "new.md", ObjectType.TEXT);
                tx.spliceText(text, 0, 0, "\u00e9".repeat(Limits.MAX_WORKSPACE_FILE_BYTES / 2 + 1));
            });
            assertRefused(a, bigNew, "one change may insert at most");
            assertEquals("x\n", a.workspaceFile("f.md").orElseThrow());
        }
    }

    @Test
    void aDocumentSavedBeforeTheWorkspaceExtensionGainsItOnLoadAndTalksToNewOnes() {
        Genesis genesis = Genesis.of(AGENT);
        Document old = new Document(A.bytes());
        byte[] saved;
        try {
            old.applyEncodedChanges(genesis.change());
            saved = old.save();
        } finally {
            old.free();
        }
        try (AgentState loaded = AgentState.load(AGENT, saved, A); AgentState fresh = AgentState.create(AGENT, B)) {
            fresh.applyChange(loaded.writeWorkspaceFile("a.md", "from the old one\n").orElseThrow().changeBytes());
            assertEquals("from the old one\n", fresh.workspaceFile("a.md").orElseThrow());
            assertEquals(fresh.heads(), loaded.heads());
        }
    }

    @Test
    void theWorkspaceExtensionIsTheSameOnEveryNode() {
        Genesis g1 = Genesis.of(AGENT);
        Genesis g2 = Genesis.of(AGENT);
        assertTrue(java.util.Arrays.equals(g1.workspaceChange(), g2.workspaceChange()));
        assertEquals(WORKSPACE_EXTENSION_HASH, java.util.HexFormat.of().formatHex(g1.workspaceHash()));
        try (AgentState a = AgentState.create(AGENT, A)) {
            assertEquals(List.of(WORKSPACE_EXTENSION_HASH), a.heads(), "a new document ends at the extension");
        }
    }

    /** Pinned: an Automerge upgrade that encodes the extension differently must be caught, as for genesis. */
    private static final String WORKSPACE_EXTENSION_HASH =
            "72cef6e74e834a8edbf89b41c53deb92731fc4c3459cee2bbadc0190a0170c2a";
}
