package io.agentmesh.state;

import io.agentmesh.protocol.change.ActorId;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.agentmesh.state.Fixtures.AGENT;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * AgentState keeps each workspace file's text as a string and brings it up to date from Automerge's patches when a
 * peer's change arrives. Two or three documents edit shared files at random (lines with two-, three- and four-byte
 * characters, surrogate pairs included, inserted, deleted and rewritten; files deleted and written again; sometimes
 * a path created on two documents at once), and every change reaches every other document in a random order, so
 * some wait for their dependencies and several are applied by one call. With the cache's check turned on, every use
 * and every patch of a cached text compares it with Automerge's own text; after every step each document also reads
 * the files (all but one, which stays uncached on most documents, so some changes are applied without patches). At
 * the end all documents agree, and a file that was only ever spliced (no deletion, no concurrent creation) was never
 * built twice on a document.
 */
class WorkspaceTextCachePropertyTest {
    private static final String SHARED = "memory/2026-12-03.md";
    private static final String OTHER = "notes/\u00e9t\u00e9.md";
    private static final String RACED = "RACED.md";
    /** Edited everywhere but read only at the end: most documents do not cache it, so its changes log no patches. */
    private static final String UNREAD = "log/unread.md";
    private static final String[] WORDS = {"plain", "caf\u00e9", "\u4e2d\u6587", "\ud83d\ude00", "\ud834\udd1e",
        "a\ud83c\udf89b", "\u00df\u00e7", "x", ""};

    @Property(tries = 200)
    void cachedTextsEqualAutomergesAfterEveryApply(@ForAll long seed) {
        Random r = new Random(seed);
        int nodes = 2 + r.nextInt(2);
        List<AgentState> docs = new ArrayList<>();
        List<List<byte[]>> inboxes = new ArrayList<>();
        try {
            for (int i = 0; i < nodes; i++) {
                AgentState doc = AgentState.create(AGENT, ActorId.fromHex(String.format("%02x", 0x20 + i).repeat(16)));
                doc.verifyTextCache(true);
                docs.add(doc);
                inboxes.add(new ArrayList<>());
            }
            // The files start on node 0 and reach every node, so every later change to them is a splice.
            broadcast(docs, inboxes, 0, docs.get(0).writeWorkspaceFile(SHARED, lines(r, 1 + r.nextInt(20)))
                    .orElseThrow().changeBytes());
            broadcast(docs, inboxes, 0, docs.get(0).writeWorkspaceFile(OTHER, lines(r, r.nextInt(5)))
                    .orElseThrow().changeBytes());
            broadcast(docs, inboxes, 0, docs.get(0).writeWorkspaceFile(UNREAD, lines(r, 1 + r.nextInt(5)))
                    .orElseThrow().changeBytes());
            deliverAll(docs, inboxes);
            boolean raced = r.nextInt(4) == 0;
            // A deletion (and the write that brings the file back) also puts a mark beside the text: such a change
            // is applied without patches, and the text is built again at its next read.
            boolean deletes = r.nextInt(3) == 0;
            if (raced) {
                // Two documents create one path at once: the cache must drop what it cannot patch with certainty.
                broadcast(docs, inboxes, 0, docs.get(0).writeWorkspaceFile(RACED, "from 0\n").orElseThrow()
                        .changeBytes());
                broadcast(docs, inboxes, 1, docs.get(1).writeWorkspaceFile(RACED, "from 1\n").orElseThrow()
                        .changeBytes());
            }
            long[] buildsAfterStart = new long[nodes];
            for (int n = 0; n < nodes; n++) {
                readAll(docs.get(n));
                buildsAfterStart[n] = docs.get(n).workspaceTextBuilds();
            }
            int steps = 10 + r.nextInt(40);
            for (int step = 0; step < steps; step++) {
                int n = r.nextInt(nodes);
                AgentState doc = docs.get(n);
                List<byte[]> inbox = inboxes.get(n);
                if (!inbox.isEmpty() && r.nextBoolean()) {
                    doc.applyChange(inbox.remove(r.nextInt(inbox.size())));
                } else {
                    int which = r.nextInt(6);
                    String path = which == 0 ? OTHER : which == 1 ? UNREAD : SHARED;
                    long builds = doc.workspaceTextBuilds();
                    edit(r, doc, path, deletes).ifPresent(c -> broadcast(docs, inboxes, n, c.changeBytes()));
                    if (path.equals(UNREAD)) {
                        buildsAfterStart[n] += doc.workspaceTextBuilds() - builds; // its first read here
                    }
                }
                for (AgentState d : docs) {
                    readAll(d);
                }
            }
            deliverAll(docs, inboxes);
            for (AgentState d : docs) {
                readAll(d);
            }
            if (!raced && !deletes) {
                for (int n = 0; n < nodes; n++) {
                    assertEquals(buildsAfterStart[n], docs.get(n).workspaceTextBuilds(), "seed " + seed + ": node " + n
                            + " built a text's string again although every remote change was a splice");
                }
            }
            for (String path : List.of(SHARED, OTHER, RACED, UNREAD)) {
                for (AgentState doc : docs) {
                    assertEquals(docs.get(0).workspaceFile(path), doc.workspaceFile(path), "seed " + seed + " " + path);
                }
            }
            for (AgentState doc : docs) {
                doc.workspaceFiles();
            }
        } finally {
            docs.forEach(AgentState::close);
        }
    }

    private static java.util.Optional<LocalChange> edit(Random r, AgentState doc, String path, boolean deletes) {
        String current = doc.workspaceFile(path).orElse("");
        if (deletes && r.nextInt(10) == 0) {
            return doc.deleteWorkspaceFile(path);
        }
        List<String> lines = new ArrayList<>(current.isEmpty() ? List.of() : List.of(current.split("\n", -1)));
        if (!lines.isEmpty() && lines.getLast().isEmpty()) {
            lines.removeLast(); // the final newline
        }
        int edits = 1 + r.nextInt(3);
        for (int e = 0; e < edits; e++) {
            int op = r.nextInt(3);
            if (op == 0 || lines.isEmpty()) {
                lines.add(r.nextInt(lines.size() + 1), line(r));
            } else if (op == 1) {
                lines.remove(r.nextInt(lines.size()));
            } else {
                lines.set(r.nextInt(lines.size()), line(r));
            }
        }
        StringBuilder b = new StringBuilder();
        for (String l : lines) {
            b.append(l).append('\n');
        }
        if (r.nextInt(5) == 0 && b.length() > 0) {
            b.setLength(b.length() - 1); // no final newline
        }
        return doc.writeWorkspaceFile(path, b.toString());
    }

    private static void readAll(AgentState doc) {
        for (String path : List.of(SHARED, OTHER, RACED)) {
            doc.workspaceFile(path); // with the check on, compares a cached text with Automerge's
        }
    }

    private static void broadcast(List<AgentState> docs, List<List<byte[]>> inboxes, int from, byte[] change) {
        for (int i = 0; i < docs.size(); i++) {
            if (i != from) {
                inboxes.get(i).add(change);
            }
        }
    }

    private static void deliverAll(List<AgentState> docs, List<List<byte[]>> inboxes) {
        for (int i = 0; i < docs.size(); i++) {
            for (byte[] c : inboxes.get(i)) {
                docs.get(i).applyChange(c);
            }
            inboxes.get(i).clear();
            assertEquals(0, docs.get(i).pendingChanges());
        }
    }

    private static String lines(Random r, int count) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < count; i++) {
            b.append(line(r)).append('\n');
        }
        return b.toString();
    }

    private static String line(Random r) {
        StringBuilder b = new StringBuilder();
        int words = 1 + r.nextInt(5);
        for (int i = 0; i < words; i++) {
            b.append(WORDS[r.nextInt(WORDS.length)]).append(r.nextInt(100)).append(' ');
        }
        return b.toString();
    }
}
