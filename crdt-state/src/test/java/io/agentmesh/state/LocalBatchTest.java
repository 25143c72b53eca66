package io.agentmesh.state;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import static io.agentmesh.state.Fixtures.A;
import static io.agentmesh.state.Fixtures.AGENT;
import static io.agentmesh.state.Fixtures.B;
import static io.agentmesh.state.Fixtures.memory;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link AgentState#commitBatch}: several local writes as one change, a failing write that changes nothing and
 * leaves its batch-mates alone, and changes that stay within what peers accept. Every change a batch makes is applied
 * on a second replica, which runs the checks a peer runs.
 */
class LocalBatchTest {
    private static final LocalBatch.ChangeLimits DEFAULT = LocalBatch.ChangeLimits.DEFAULT;

    private static List<Function<AgentState, ?>> writes(List<Function<AgentState, ?>> list) {
        return list;
    }

    private static List<String> memoryIds(AgentState s) {
        return s.memory().stream().map(MemoryEntry::id).toList();
    }

    /** Applies the batch's changes on {@code peer}, as a peer would receive them. */
    private static void replicate(LocalBatch batch, AgentState peer) {
        for (LocalChange c : batch.changes()) {
            assertEquals(ApplyResult.Status.APPLIED, peer.applyChange(c.changeBytes()).status());
        }
    }

    @Test
    void concurrentWritesBecomeOneChangeInTheirOrder() {
        try (AgentState a = AgentState.create(AGENT, A); AgentState peer = AgentState.create(AGENT, B)) {
            LocalChange first = a.appendMemory(memory(0));
            peer.applyChange(first.changeBytes());
            List<Function<AgentState, ?>> batch = new ArrayList<>();
            for (int i = 1; i <= 16; i++) {
                MemoryEntry e = memory(i);
                batch.add(s -> s.appendMemory(e));
            }
            LocalBatch made = a.commitBatch(batch, DEFAULT);
            assertEquals(1, made.changes().size(), "one change for the whole batch");
            assertEquals(2, made.changes().get(0).seq(), "the seq after the single write's");
            made.writes().forEach(w -> assertEquals(0, w.change()));
            List<String> expected = new ArrayList<>();
            for (int i = 0; i <= 16; i++) {
                expected.add("m-" + i);
            }
            assertEquals(expected, memoryIds(a), "entries in the order the writes came");
            replicate(made, peer);
            assertEquals(expected, memoryIds(peer));
            assertEquals(3, a.appendMemory(memory(17)).seq(), "a write after the batch numbers on");
        }
    }

    @Test
    void aBadWriteIsAnsweredWithItsErrorAndTheDocumentHoldsExactlyTheGoodOnes() {
        try (AgentState a = AgentState.create(AGENT, A); AgentState peer = AgentState.create(AGENT, B)) {
            MemoryEntry bad = new MemoryEntry("m-bad", Fixtures.T0, "node-1", "observation", "x".repeat(
                    Limits.MAX_MEMORY_TEXT_BYTES + 1), List.of());
            LocalBatch made = a.commitBatch(writes(List.of(
                    s -> s.appendMemory(memory(1)),
                    s -> s.appendMemory(bad),
                    s -> s.appendMemory(memory(3)))), DEFAULT);
            assertEquals(1, made.changes().size());
            assertTrue(made.writes().get(0).ok());
            assertInstanceOf(IllegalArgumentException.class, made.writes().get(1).error());
            assertTrue(made.writes().get(1).error().getMessage().contains("memory entry text"),
                    made.writes().get(1).error().getMessage());
            assertTrue(made.writes().get(2).ok());
            assertEquals(List.of("m-1", "m-3"), memoryIds(a));
            replicate(made, peer);
            assertEquals(List.of("m-1", "m-3"), memoryIds(peer));
        }
    }

    @Test
    void aMutationThatThrowsAfterItsWriteChangesNothingAndItsBatchMatesStay() {
        try (AgentState a = AgentState.create(AGENT, A); AgentState peer = AgentState.create(AGENT, B)) {
            IllegalArgumentException late = new IllegalArgumentException("refused after writing");
            LocalBatch made = a.commitBatch(writes(List.of(
                    s -> s.appendMemory(memory(1)),
                    s -> s.upsertTask(new Task("t-1", "first", Task.Status.TODO, Fixtures.T0, null)),
                    s -> {
                        s.appendMemory(memory(2));
                        s.upsertTask(new Task("t-1", "renamed", Task.Status.DONE, Fixtures.T0, null));
                        throw late;
                    },
                    s -> s.appendMemory(memory(3)))), DEFAULT);
            assertSame(late, made.writes().get(2).error());
            assertTrue(made.writes().get(0).ok() && made.writes().get(1).ok() && made.writes().get(3).ok());
            assertEquals(1, made.changes().size());
            assertEquals(List.of("m-1", "m-3"), memoryIds(a), "m-2 was taken out again");
            assertEquals("first", a.task("t-1").orElseThrow().title(), "the rename was taken out again");
            replicate(made, peer);
            assertEquals(List.of("m-1", "m-3"), memoryIds(peer));
            assertEquals("first", peer.task("t-1").orElseThrow().title());
        }
    }

    @Test
    void eachWriteChecksAgainstTheWritesBeforeItInTheBatch() {
        try (AgentState a = AgentState.create(AGENT, A)) {
            Intent intent = new Intent("i-1", "job", "{}", "node-1", Fixtures.T0, null);
            LocalBatch made = a.commitBatch(writes(List.of(
                    s -> s.requestIntent(intent),
                    s -> s.requestIntent(intent))), DEFAULT);
            assertTrue(made.writes().get(0).ok());
            assertTrue(made.writes().get(1).error().getMessage().contains("already exists"),
                    made.writes().get(1).error().getMessage());
            assertEquals(1, a.intents().size());
        }
    }

    @Test
    void writesPastTheLimitsGoIntoFurtherChangesWithContiguousSeqs() {
        try (AgentState a = AgentState.create(AGENT, A); AgentState peer = AgentState.create(AGENT, B)) {
            // A memory entry with one tag is 8 ops: two fit in 20 ops, a third does not.
            LocalBatch.ChangeLimits small = new LocalBatch.ChangeLimits(20, 1L << 20);
            List<Function<AgentState, ?>> batch = new ArrayList<>();
            for (int i = 1; i <= 5; i++) {
                MemoryEntry e = memory(i);
                batch.add(s -> s.appendMemory(e));
            }
            LocalBatch made = a.commitBatch(batch, small);
            assertEquals(3, made.changes().size());
            assertEquals(List.of(1L, 2L, 3L), made.changes().stream().map(LocalChange::seq).toList());
            assertEquals(List.of(0, 0, 1, 1, 2), made.writes().stream().map(LocalBatch.Write::change).toList());
            replicate(made, peer);
            assertEquals(List.of("m-1", "m-2", "m-3", "m-4", "m-5"), memoryIds(peer));
        }
    }

    @Test
    void aWriteBiggerThanTheLimitsIsAChangeOfItsOwn() {
        try (AgentState a = AgentState.create(AGENT, A); AgentState peer = AgentState.create(AGENT, B)) {
            LocalBatch.ChangeLimits small = new LocalBatch.ChangeLimits(100, 1L << 20);
            String notes = "n".repeat(5_000); // 5,000 ops of text
            LocalBatch made = a.commitBatch(writes(List.of(
                    s -> s.appendMemory(memory(1)),
                    s -> s.replaceNotes(notes).orElseThrow(),
                    s -> s.appendMemory(memory(2)))), small);
            assertEquals(List.of(0, 1, 2), made.writes().stream().map(LocalBatch.Write::change).toList());
            replicate(made, peer);
            assertEquals(notes, peer.notes());
            assertEquals(List.of("m-1", "m-2"), memoryIds(peer));
        }
    }

    @Test
    void twoBigWritesToOneWorkspaceFileStayWithinWhatAPeerAcceptsInOneChange() {
        try (AgentState a = AgentState.create(AGENT, A); AgentState peer = AgentState.create(AGENT, B)) {
            // Together they insert 1,050 KiB into one file: one change holding both would be refused by every peer.
            String aLine = "a".repeat(1023) + "\n";
            String bLine = "b".repeat(1023) + "\n";
            String first = aLine.repeat(600);
            String second = bLine.repeat(450) + aLine.repeat(300); // 300 lines out, 450 in
            LocalBatch made = a.commitBatch(writes(List.of(
                    s -> s.writeWorkspaceFile("big.md", first).orElseThrow(),
                    s -> s.writeWorkspaceFile("big.md", second).orElseThrow())), DEFAULT);
            assertTrue(made.writes().stream().allMatch(LocalBatch.Write::ok), made.writes().toString());
            assertEquals(2, made.changes().size());
            replicate(made, peer);
            assertEquals(second, peer.workspaceFile("big.md").orElseThrow());
        }
    }

    @Test
    void aWorkspaceWriteTakenOutAgainIsNotReadBackFromTheCache() {
        try (AgentState a = AgentState.create(AGENT, A); AgentState peer = AgentState.create(AGENT, B)) {
            peer.applyChange(a.writeWorkspaceFile("notes.md", "before\n").orElseThrow().changeBytes());
            LocalBatch made = a.commitBatch(writes(List.of(
                    s -> s.writeWorkspaceFile("new.md", "kept\n").orElseThrow(),
                    s -> {
                        s.writeWorkspaceFile("notes.md", "after\n");
                        s.writeWorkspaceFile("other.md", "made\n");
                        throw new IllegalStateException("the caller changed its mind");
                    })), DEFAULT);
            assertTrue(made.writes().get(0).ok());
            assertFalse(made.writes().get(1).ok());
            assertEquals("before\n", a.workspaceFile("notes.md").orElseThrow());
            assertTrue(a.workspaceFile("other.md").isEmpty());
            assertEquals("kept\n", a.workspaceFile("new.md").orElseThrow());
            replicate(made, peer);
            assertEquals("kept\n", peer.workspaceFile("new.md").orElseThrow());
            assertEquals("before\n", peer.workspaceFile("notes.md").orElseThrow());
            // The path the undone write made is free again, and a later write there replicates.
            LocalChange again = a.writeWorkspaceFile("other.md", "second try\n").orElseThrow();
            peer.applyChange(again.changeBytes());
            assertEquals("second try\n", peer.workspaceFile("other.md").orElseThrow());
        }
    }

    @Test
    void aBatchOfOnlyFailedWritesMakesNoChange() {
        try (AgentState a = AgentState.create(AGENT, A)) {
            LocalBatch made = a.commitBatch(writes(List.of(s -> s.removeSchedule("none"))), DEFAULT);
            assertTrue(made.changes().isEmpty());
            assertFalse(made.writes().get(0).ok(), "an unknown schedule cannot be removed");
            assertEquals(1, a.appendMemory(memory(1)).seq(), "no seq was used");
        }
    }
}
