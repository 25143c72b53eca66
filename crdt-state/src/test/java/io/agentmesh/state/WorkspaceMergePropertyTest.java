package io.agentmesh.state;

import io.agentmesh.protocol.change.ActorId;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static io.agentmesh.state.Fixtures.AGENT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The diff-and-splice under concurrency: two or three documents start from one file, each edits it on its own
 * (inserting, deleting and rewriting lines, one to three times, every line unique), then every change reaches every
 * document in a random order. They must end with the same content, holding every line any side inserted unless a
 * side deleted it, and every original line that no side deleted; and nothing else.
 */
class WorkspaceMergePropertyTest {
    private static final String PATH = "memory/2026-12-03.md";

    @Property(tries = 300)
    void concurrentEditsConvergeAndKeepEveryLineNoSideDeleted(@ForAll long seed) {
        Random r = new Random(seed);
        int nodes = 2 + r.nextInt(2);
        List<AgentState> docs = new ArrayList<>();
        try {
            for (int i = 0; i < nodes; i++) {
                docs.add(AgentState.create(AGENT, ActorId.fromHex(String.format("%02x", 0x10 + i).repeat(16))));
            }
            List<String> base = new ArrayList<>();
            int baseLines = r.nextInt(12);
            for (int i = 0; i < baseLines; i++) {
                base.add("base " + i);
            }
            byte[] first = docs.get(0).writeWorkspaceFile(PATH, text(base)).orElseThrow().changeBytes();
            for (int i = 1; i < nodes; i++) {
                docs.get(i).applyChange(first);
            }
            Set<String> inserted = new HashSet<>();
            Set<String> deleted = new HashSet<>();
            List<byte[]> changes = new ArrayList<>();
            for (int n = 0; n < nodes; n++) {
                List<String> lines = new ArrayList<>(base);
                int rounds = 1 + r.nextInt(3);
                for (int round = 0; round < rounds; round++) {
                    int edits = 1 + r.nextInt(4);
                    for (int e = 0; e < edits; e++) {
                        RandomLineEdit.apply(lines, "node " + n + " round " + round + " edit " + e, r, inserted,
                                deleted);
                    }
                    docs.get(n).writeWorkspaceFile(PATH, text(lines)).ifPresent(c -> changes.add(c.changeBytes()));
                }
            }
            for (AgentState doc : docs) {
                List<byte[]> order = new ArrayList<>(changes);
                Collections.shuffle(order, r);
                for (byte[] c : order) {
                    doc.applyChange(c); // own changes come back as duplicates; others may wait for dependencies
                }
                assertEquals(0, doc.pendingChanges());
            }
            String merged = docs.get(0).workspaceFile(PATH).orElseThrow();
            for (AgentState doc : docs) {
                assertEquals(merged, doc.workspaceFile(PATH).orElseThrow(), "every document has the same file");
            }
            assertTrue(merged.isEmpty() || merged.endsWith("\n"), merged);
            List<String> result = merged.isEmpty() ? List.of() : List.of(merged.split("\n", -1))
                    .subList(0, merged.split("\n", -1).length - 1);
            Set<String> expected = new HashSet<>(base);
            expected.addAll(inserted);
            expected.removeAll(deleted);
            assertEquals(expected, new HashSet<>(result), "seed " + seed + ":\n" + merged);
            assertEquals(result.size(), new HashSet<>(result).size(), "no line twice:\n" + merged);

            // A second round on top of the merge (each document reads what it received, which its cache of texts
            // must not get wrong): each appends a line, all changes everywhere, same content with every line.
            List<byte[]> second = new ArrayList<>();
            Set<String> appended = new HashSet<>();
            for (int n = 0; n < nodes; n++) {
                String line = "after merge " + n;
                appended.add(line);
                second.add(docs.get(n).writeWorkspaceFile(PATH, docs.get(n).workspaceFile(PATH).orElseThrow()
                        + line + "\n").orElseThrow().changeBytes());
            }
            for (AgentState doc : docs) {
                for (byte[] c : second) {
                    doc.applyChange(c);
                }
            }
            String last = docs.get(0).workspaceFile(PATH).orElseThrow();
            for (AgentState doc : docs) {
                assertEquals(last, doc.workspaceFile(PATH).orElseThrow());
            }
            Set<String> lastLines = new HashSet<>(List.of(last.split("\n")));
            assertTrue(lastLines.containsAll(appended) && lastLines.containsAll(expected), last);
        } finally {
            docs.forEach(AgentState::close);
        }
    }

    private static String text(List<String> lines) {
        StringBuilder b = new StringBuilder();
        for (String l : lines) {
            b.append(l).append('\n');
        }
        return b.toString();
    }
}
