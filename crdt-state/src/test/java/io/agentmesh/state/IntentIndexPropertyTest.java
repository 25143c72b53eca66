package io.agentmesh.state;

import io.agentmesh.protocol.change.ActorId;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.automerge.AmValue;
import org.automerge.ObjectId;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Random;

import static io.agentmesh.state.Fixtures.AGENT;
import static io.agentmesh.state.Fixtures.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link AgentState#pendingIntents} comes from an index kept up to date change by change ({@link IntentIndex}); it
 * must always equal the full scan (every readable intent without any value under its id in {@code outcomes}, oldest
 * request first). Two or three documents request intents (ids from a small pool, so two nodes sometimes create the
 * same one at once), record outcomes, append memory, and receive each other's changes in random order (some wait
 * for their dependencies); a misbehaving peer rewrites an intent's fields in place, makes one unreadable, deletes an
 * intent or an outcome, or writes an unreadable outcome; documents restart (saved and loaded, their received changes
 * delivered again). After random steps, and at the end, each document's index equals the scan.
 */
class IntentIndexPropertyTest {
    private static final Comparator<Intent> OLDEST_FIRST =
            Comparator.comparingLong(Intent::requestedMillis).thenComparing(Intent::id);

    @Property(tries = 300)
    void indexEqualsFullScanAfterRandomChanges(@ForAll long seed) {
        Random r = new Random(seed);
        int nodes = 2 + r.nextInt(2);
        List<AgentState> docs = new ArrayList<>();
        List<List<byte[]>> inboxes = new ArrayList<>();
        List<List<byte[]>> received = new ArrayList<>();
        int[] peerActors = {0};
        try {
            for (int i = 0; i < nodes; i++) {
                docs.add(AgentState.create(AGENT, ActorId.fromHex(String.format("%02x", 0x30 + i).repeat(16))));
                inboxes.add(new ArrayList<>());
                received.add(new ArrayList<>());
            }
            int steps = 20 + r.nextInt(80);
            for (int step = 0; step < steps; step++) {
                int n = r.nextInt(nodes);
                AgentState doc = docs.get(n);
                int what = r.nextInt(20);
                if (what < 6 && !inboxes.get(n).isEmpty()) {
                    byte[] c = inboxes.get(n).remove(r.nextInt(inboxes.get(n).size()));
                    received.get(n).add(c);
                    doc.applyChange(c);
                } else if (what < 10) {
                    String id = "i" + r.nextInt(12);
                    String fence = r.nextInt(4) == 0 ? (1 + r.nextInt(3)) + "." + (1 + r.nextInt(9)) : null;
                    try {
                        broadcast(docs, inboxes, n, doc.requestIntent(new Intent(id, "test", "{}", "n" + n,
                                T0 + r.nextInt(5) * 1000L, fence)).changeBytes());
                    } catch (IllegalArgumentException alreadyThere) {
                        // requested here or received before (readable or not): ids name one request
                    }
                } else if (what < 13) {
                    String id = "i" + r.nextInt(12);
                    broadcast(docs, inboxes, n, doc.recordOutcome(new Outcome(id, Outcome.SUCCEEDED, "ok", "n" + n,
                            1, step + 1L, T0 + step)).changeBytes());
                } else if (what < 15) {
                    broadcast(docs, inboxes, n, doc.appendMemory(Fixtures.memory(step)).changeBytes());
                } else if (what < 18) {
                    ActorId peer = ActorId.fromHex(String.format("%04x", 0x7000 + peerActors[0]++).repeat(8));
                    Optional<byte[]> bad = misbehave(r, doc, peer);
                    if (bad.isPresent() && bad.get().length > 0) { // empty: the ops changed nothing
                        received.get(n).add(bad.get());
                        doc.applyChange(bad.get());
                        broadcast(docs, inboxes, n, bad.get());
                    }
                } else if (what == 18) {
                    // A restart: the saved document, then every change received so far again (held ones included).
                    AgentState reloaded = AgentState.load(AGENT, doc.save(), actorOf(n));
                    doc.close();
                    docs.set(n, reloaded);
                    inboxes.get(n).addAll(received.get(n));
                    received.get(n).clear();
                }
                if (r.nextInt(3) == 0) {
                    AgentState d = docs.get(r.nextInt(nodes));
                    assertEquals(scan(d), d.pendingIntents(), "seed " + seed + " step " + step);
                }
            }
            for (int n = 0; n < nodes; n++) {
                assertEquals(scan(docs.get(n)), docs.get(n).pendingIntents(), "seed " + seed + " before delivery");
            }
            for (int n = 0; n < nodes; n++) {
                while (!inboxes.get(n).isEmpty()) {
                    docs.get(n).applyChange(inboxes.get(n).remove(r.nextInt(inboxes.get(n).size())));
                }
            }
            for (int n = 0; n < nodes; n++) {
                AgentState d = docs.get(n);
                assertEquals(scan(d), d.pendingIntents(), "seed " + seed + " at the end");
                assertEquals(docs.get(0).pendingIntents(), d.pendingIntents(), "seed " + seed + " converged");
                // Incremental: one full scan per document instance, the first read.
                assertEquals(1, d.intentIndexBuilds(), "seed " + seed + " node " + n);
            }
        } finally {
            docs.forEach(AgentState::close);
        }
    }

    @Test
    void aPeerRewritingAnIntentsFieldInPlaceMovesOrHidesIt() {
        try (AgentState a = AgentState.create(AGENT, actorOf(0)); AgentState b = AgentState.create(AGENT, actorOf(1))) {
            b.applyChange(a.requestIntent(new Intent("x", "test", "{}", "a", T0 + 5_000)).changeBytes());
            b.applyChange(a.requestIntent(new Intent("y", "test", "{}", "a", T0 + 6_000)).changeBytes());
            assertEquals(List.of("x", "y"), ids(b.pendingIntents()));
            ActorId peer = ActorId.fromHex("71".repeat(16));
            byte[] earlier = Fixtures.rawPeerChange(b, peer, (d, tx) ->
                    tx.set(fieldsOf(d, "y"), "requested", (double) T0));
            b.applyChange(earlier);
            assertEquals(List.of("y", "x"), ids(b.pendingIntents()), "y is older now");
            byte[] unreadable = Fixtures.rawPeerChange(b, ActorId.fromHex("72".repeat(16)), (d, tx) ->
                    tx.set(fieldsOf(d, "x"), "kind", 7.0));
            b.applyChange(unreadable);
            assertEquals(List.of("y"), ids(b.pendingIntents()), "x no longer reads as an intent");
            assertEquals(scan(b), b.pendingIntents());
            assertEquals(1, b.intentIndexBuilds());
        }
    }

    @Test
    void aDeletedOutcomeMakesItsIntentPendingAgain() {
        try (AgentState a = AgentState.create(AGENT, actorOf(0))) {
            a.requestIntent(new Intent("x", "test", "{}", "a", T0));
            assertEquals(List.of("x"), ids(a.pendingIntents()));
            a.recordOutcome(new Outcome("x", Outcome.FAILED, "no", "a", 1, 1, T0 + 1));
            assertTrue(a.pendingIntents().isEmpty());
            byte[] delete = Fixtures.rawPeerChange(a, ActorId.fromHex("73".repeat(16)), (d, tx) ->
                    tx.delete(rootMap(d, "outcomes"), "x"));
            a.applyChange(delete);
            assertFalse(a.hasOutcome("x"));
            assertEquals(List.of("x"), ids(a.pendingIntents()));
        }
    }

    /** The full scan the index replaces: every readable intent without an outcome key, oldest request first. */
    private static List<Intent> scan(AgentState d) {
        return d.intents().stream().filter(i -> !d.hasOutcome(i.id())).sorted(OLDEST_FIRST).toList();
    }

    /** A change by {@code peer} that does to one intent or outcome what no honest node does; empty when none fits. */
    private static Optional<byte[]> misbehave(Random r, AgentState doc, ActorId peer) {
        List<String> ids = new ArrayList<>(doc.intents().stream().map(Intent::id).toList());
        if (ids.isEmpty()) {
            return Optional.empty();
        }
        String id = ids.get(r.nextInt(ids.size()));
        int how = r.nextInt(6);
        if (how == 4 && !doc.hasOutcome(id)) {
            how = 0;
        }
        int chosen = how;
        return Optional.of(Fixtures.rawPeerChange(doc, peer, (d, tx) -> {
            switch (chosen) {
                case 0 -> tx.set(fieldsOf(d, id), "requested", (double) (T0 + r.nextInt(5) * 1000L + 500));
                case 1 -> tx.set(fieldsOf(d, id), "kind", 1.0);
                case 2 -> tx.set(fieldsOf(d, id), "fence", "not a fence");
                case 3 -> tx.delete(rootMap(d, "intents"), id);
                case 4 -> tx.delete(rootMap(d, "outcomes"), id);
                default -> tx.set(rootMap(d, "outcomes"), id, "unreadable");
            }
        }));
    }

    private static ObjectId rootMap(org.automerge.Document d, String key) {
        return ((AmValue.Map) d.get(ObjectId.ROOT, key).orElseThrow()).getId();
    }

    private static ObjectId fieldsOf(org.automerge.Document d, String intentId) {
        return ((AmValue.Map) d.get(rootMap(d, "intents"), intentId).orElseThrow()).getId();
    }

    private static ActorId actorOf(int n) {
        return ActorId.fromHex(String.format("%02x", 0x30 + n).repeat(16));
    }

    private static List<String> ids(List<Intent> intents) {
        return intents.stream().map(Intent::id).toList();
    }

    private static void broadcast(List<AgentState> docs, List<List<byte[]>> inboxes, int from, byte[] change) {
        for (int i = 0; i < docs.size(); i++) {
            if (i != from) {
                inboxes.get(i).add(change);
            }
        }
    }
}
