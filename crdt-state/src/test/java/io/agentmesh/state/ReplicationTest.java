package io.agentmesh.state;

import io.agentmesh.protocol.change.ActorId;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static io.agentmesh.state.Fixtures.A;
import static io.agentmesh.state.Fixtures.AGENT;
import static io.agentmesh.state.Fixtures.B;
import static io.agentmesh.state.Fixtures.C;
import static io.agentmesh.state.Fixtures.T0;
import static io.agentmesh.state.Fixtures.memory;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Applying other nodes' changes: order, duplicates, missing dependencies, equivocation. */
class ReplicationTest {

    @Test
    void aChangeWhoseDependenciesAreMissingWaitsAndIsAppliedWhenTheyArrive() {
        try (AgentState a = AgentState.create(AGENT, A); AgentState b = AgentState.create(AGENT, B)) {
            byte[] c1 = a.appendMemory(memory(1)).changeBytes();
            byte[] c2 = a.appendMemory(memory(2)).changeBytes();
            byte[] c3 = a.replaceNotes("n").orElseThrow().changeBytes();
            ApplyResult r3 = b.applyChange(c3);
            assertEquals(ApplyResult.Status.WAITING_FOR_DEPENDENCIES, r3.status());
            assertEquals(ApplyResult.Status.WAITING_FOR_DEPENDENCIES, b.applyChange(c2).status());
            assertEquals(2, b.pendingChanges());
            assertEquals(0, b.memoryCount(), "nothing visible yet");
            ApplyResult r1 = b.applyChange(c1);
            assertEquals(ApplyResult.Status.APPLIED, r1.status());
            assertEquals(List.of(2L, 3L), r1.released().stream().map(h -> h.seq()).toList());
            assertEquals(0, b.pendingChanges());
            assertEquals(a.view(), b.view());
            assertEquals(a.heads(), b.heads());
        }
    }

    @Test
    void aDuplicateChangesNothing() {
        try (AgentState a = AgentState.create(AGENT, A); AgentState b = AgentState.create(AGENT, B)) {
            byte[] c1 = a.appendMemory(memory(1)).changeBytes();
            assertEquals(ApplyResult.Status.APPLIED, b.applyChange(c1).status());
            byte[] saved = b.save();
            assertEquals(ApplyResult.Status.DUPLICATE, b.applyChange(c1).status());
            assertEquals(ApplyResult.Status.DUPLICATE, a.applyChange(c1).status(), "its own change, replayed");
            assertTrue(java.util.Arrays.equals(saved, b.save()));
        }
    }

    @Test
    void anAuthorsSecondChangeForTheSameSeqIsRefusedAsEquivocation() {
        try (AgentState a = AgentState.create(AGENT, A); AgentState b = AgentState.create(AGENT, B)) {
            byte[] original = a.appendMemory(memory(1)).changeBytes();
            byte[] forked;
            try (AgentState a2 = AgentState.create(AGENT, A)) {
                forked = a2.appendMemory(memory(99)).changeBytes(); // same actor, seq 1, other bytes
            }
            b.applyChange(original);
            StateException e = assertThrows(StateException.class, () -> b.applyChange(forked));
            assertEquals(StateException.Reason.FORBIDDEN, e.reason());
            assertTrue(e.getMessage().contains("equivocation"), e.getMessage());
        }
    }

    @Test
    void replayingOwnChangesAfterLoadingAnOlderSnapshotRestoresEverything() {
        try (AgentState a = AgentState.create(AGENT, A)) {
            a.appendMemory(memory(1));
            byte[] snapshot = a.save();
            List<byte[]> later = new ArrayList<>();
            later.add(a.appendMemory(memory(2)).changeBytes());
            later.add(a.upsertTask(new Task("t", "x", Task.Status.TODO, T0, null)).changeBytes());
            try (AgentState restarted = AgentState.load(AGENT, snapshot, A)) {
                for (byte[] c : later) {
                    assertEquals(ApplyResult.Status.APPLIED, restarted.applyChange(c).status());
                }
                assertEquals(a.view(), restarted.view());
                assertEquals(4, restarted.appendMemory(memory(3)).seq(), "seq continues after the replayed ones");
            }
        }
    }

    @Test
    void bigAndEdgeCaseChangesPassAPeersChecksAndSurviveSaveAndLoad() {
        try (AgentState a = AgentState.create(AGENT, A); AgentState b = AgentState.create(AGENT, B)) {
            List<byte[]> changes = new ArrayList<>();
            StringBuilder big = new StringBuilder();
            for (int i = 0; big.length() < 100_000; i++) {
                big.append("line ").append(i).append(i % 7 == 0 ? " 😀\n" : "\n");
            }
            changes.add(a.replaceNotes(big.toString()).orElseThrow().changeBytes());
            changes.add(a.replaceNotes(big.toString().replace("line", "LINE")).orElseThrow().changeBytes());
            changes.add(a.replaceNotes("").orElseThrow().changeBytes());
            changes.add(a.appendMemory(new MemoryEntry("e", 0, "a", "k", "", List.of())).changeBytes());
            changes.add(a.appendMemory(new MemoryEntry("x".repeat(Limits.MAX_ID_LENGTH), Limits.MAX_NUMBER, "a",
                    "k", "é".repeat(Limits.MAX_MEMORY_TEXT_BYTES / 2), java.util.Collections.nCopies(
                    Limits.MAX_TAGS, "same"))).changeBytes());
            changes.add(a.incrementCost("c", Long.MAX_VALUE / 4).changeBytes());
            changes.add(a.incrementCost("c", -(Long.MAX_VALUE / 4) - 3).changeBytes());
            changes.add(a.recordOutcome(new Outcome("i", "failed", "", "n", 0, 0, 0)).changeBytes());
            changes.add(a.upsertTask(new Task("t", "t", Task.Status.CANCELLED, 0, "")).changeBytes());
            changes.add(a.upsertTask(new Task("t", "t", Task.Status.CANCELLED, 0, null)).changeBytes());
            for (byte[] c : changes) {
                assertEquals(ApplyResult.Status.APPLIED, b.applyChange(c).status());
            }
            assertEquals(a.view(), b.view());
            assertEquals(java.util.Map.of("c", -3L), b.costs());
            try (AgentState reloaded = AgentState.load(AGENT, b.save(), C)) {
                assertEquals(a.view(), reloaded.view());
            }
        }
    }

    /**
     * Three nodes write at random and receive each other's changes in random order, with duplicates. All converge,
     * every change any of them made passes the full checks of the others (no false alarms from the canonical-
     * encoding checks), and the merged document saves and loads.
     */
    @Property(tries = 25)
    void randomWorkloadsConvergeInAnyDeliveryOrder(@ForAll long seed) {
        Random rnd = new Random(seed);
        ActorId[] actors = {A, B, C};
        List<AgentState> nodes = new ArrayList<>();
        try {
            for (ActorId actor : actors) {
                nodes.add(AgentState.create(AGENT, actor));
            }
            List<byte[]> all = new ArrayList<>();
            List<List<byte[]>> inbox = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
            for (int step = 0; step < 60; step++) {
                int n = rnd.nextInt(3);
                AgentState node = nodes.get(n);
                if (rnd.nextInt(4) == 0 && !inbox.get(n).isEmpty()) {
                    // deliver some pending changes in random order, sometimes twice
                    Collections.shuffle(inbox.get(n), rnd);
                    int k = 1 + rnd.nextInt(inbox.get(n).size());
                    for (int i = 0; i < k; i++) {
                        node.applyChange(inbox.get(n).get(i));
                    }
                    inbox.get(n).subList(rnd.nextBoolean() ? 0 : k, k).clear();
                    continue;
                }
                LocalChange c = randomWrite(node, rnd, step);
                if (c == null) {
                    continue;
                }
                all.add(c.changeBytes());
                for (int other = 0; other < 3; other++) {
                    if (other != n) {
                        inbox.get(other).add(c.changeBytes());
                    }
                }
            }
            for (int n = 0; n < 3; n++) {
                List<byte[]> rest = new ArrayList<>(all);
                Collections.shuffle(rest, rnd);
                for (byte[] c : rest) {
                    nodes.get(n).applyChange(c);
                }
                assertEquals(0, nodes.get(n).pendingChanges());
            }
            StateView view = nodes.get(0).view();
            assertEquals(List.of(), view.malformed());
            for (AgentState node : nodes) {
                assertEquals(nodes.get(0).heads(), node.heads());
                assertEquals(view, node.view());
            }
            try (AgentState reloaded = AgentState.load(AGENT, nodes.get(1).save(), C)) {
                assertEquals(view, reloaded.view());
            }
        } finally {
            nodes.forEach(AgentState::close);
        }
    }

    private static LocalChange randomWrite(AgentState s, Random rnd, int step) {
        String notes = s.notes();
        return switch (rnd.nextInt(9)) {
            case 0, 1 -> s.appendMemory(new MemoryEntry("m" + step, T0 + step, "node", "obs",
                    "text " + step + " ünïcødé 😀", rnd.nextBoolean() ? List.of("a", "b") : List.of()));
            case 2 -> {
                int at = notes.isEmpty() ? 0 : rnd.nextInt(notes.length() + 1);
                if (at > 0 && at < notes.length() && Character.isLowSurrogate(notes.charAt(at))) {
                    at--;
                }
                yield s.editNotes(at, 0, "<" + step + ">").orElse(null);
            }
            case 3 -> s.replaceNotes(notes.length() > 10 ? notes.substring(0, notes.length() / 2) + "|" + step
                    : notes + " line " + step + "\n").orElse(null);
            case 4 -> s.upsertTask(new Task("t" + rnd.nextInt(4), "task " + step,
                    Task.Status.values()[rnd.nextInt(4)], T0 + step, rnd.nextBoolean() ? "detail" : null));
            case 5 -> s.addSchedule(new Schedule("s" + rnd.nextInt(3), "0 " + rnd.nextInt(24) + " * * *", "UTC",
                    "llm.chat", "{}", "skip", T0 + step));
            case 6 -> s.intent("i" + step).isPresent() ? null
                    : s.requestIntent(new Intent("i" + step, "llm.chat", "{}", "node", T0 + step));
            case 7 -> s.recordOutcome(new Outcome("i" + rnd.nextInt(step + 1), "succeeded", "r", "node", 1, step,
                    T0 + step));
            default -> s.incrementCost(rnd.nextBoolean() ? "tokens" : "cents", 1 + rnd.nextInt(1000));
        };
    }
}
