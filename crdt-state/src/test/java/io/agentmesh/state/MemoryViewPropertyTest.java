package io.agentmesh.state;

import io.agentmesh.protocol.change.ActorId;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.automerge.AmValue;
import org.automerge.ObjectId;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

import static io.agentmesh.state.Fixtures.AGENT;
import static io.agentmesh.state.Fixtures.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The memory read view equals a fresh read of the document after every step: two or three documents append
 * entries (so concurrent appends land in the middle of each other's logs), write tasks, notes and counters, receive
 * each other's changes in a random order (some wait for their dependencies and are released several at once), and
 * now and then take a foreign writer's change that deletes an entry, rewrites a field, adds a tag or inserts a value
 * that is not an entry. Some documents turn the view on only part way through. Searches by words and tag agree with
 * a filter over the fresh read.
 */
class MemoryViewPropertyTest {
    private static final String[] WORDS = {"alpha", "Beta", "gamma", "caf\u00e9", "\u4e2d\u6587", "delta", "x"};
    private static final String[] TAGS = {"red", "green", "blue", "Red"};

    @Property(tries = 60)
    void viewEqualsAFreshReadAfterEveryChange(@ForAll long seed) {
        Random r = new Random(seed);
        int nodes = 2 + r.nextInt(2);
        List<AgentState> docs = new ArrayList<>();
        List<List<byte[]>> inboxes = new ArrayList<>();
        int foreignActors = 0;
        // Small chunks, so concurrent appends land inside sealed chunks, which grow and split.
        int chunk = 2 + r.nextInt(6);
        try {
            for (int i = 0; i < nodes; i++) {
                AgentState doc = AgentState.create(AGENT, ActorId.fromHex(String.format("%02x", 0x30 + i)
                        .repeat(16)));
                if (i == 0 || r.nextBoolean()) {
                    doc.enableMemoryView(chunk);
                }
                docs.add(doc);
                inboxes.add(new ArrayList<>());
            }
            int steps = 20 + r.nextInt(120);
            for (int step = 0; step < steps; step++) {
                int n = r.nextInt(nodes);
                AgentState doc = docs.get(n);
                List<byte[]> inbox = inboxes.get(n);
                int what = r.nextInt(20);
                if (!inbox.isEmpty() && what < 7) {
                    applyQuietly(doc, inbox.remove(r.nextInt(inbox.size())));
                } else if (what < 14) {
                    broadcast(inboxes, n, doc.appendMemory(entry(r, step)).changeBytes());
                } else if (what == 14) {
                    broadcast(inboxes, n, doc.upsertTask(new Task("t" + r.nextInt(3), "title " + step,
                            Task.Status.TODO, T0 + step, null)).changeBytes());
                } else if (what == 15) {
                    broadcast(inboxes, n, doc.incrementCost("calls", 1).changeBytes());
                } else if (what == 16) {
                    doc.replaceNotes("notes " + step).ifPresent(c -> broadcast(inboxes, n, c.changeBytes()));
                } else if (what == 17 && doc.memoryCount() > 0) {
                    ActorId foreign = ActorId.fromHex(String.format("%02x", 0x60 + foreignActors++).repeat(16));
                    byte[] change = foreignChange(r, doc, foreign);
                    if (applyQuietly(doc, change)) {
                        broadcast(inboxes, n, change);
                    }
                } else if (what == 18) {
                    doc.enableMemoryView(chunk);
                } else {
                    deliverAll(docs, inboxes, r);
                }
                check(doc, r);
            }
            for (AgentState d : docs) {
                d.enableMemoryView(chunk);
            }
            deliverAll(docs, inboxes, r);
            for (AgentState d : docs) {
                check(d, r);
                assertEquals(docs.get(0).memory(), d.memoryViews().get().all());
            }
        } finally {
            docs.forEach(AgentState::close);
        }
    }

    @Test
    void aLocalAppendIsInTheViewWhenTheWriteReturns() {
        try (AgentState doc = AgentState.create(AGENT, Fixtures.A)) {
            doc.enableMemoryView();
            Supplier<MemoryView> views = doc.memoryViews();
            for (int i = 0; i < MemoryIndex.CHUNK * 3 + 5; i++) {
                MemoryEntry e = Fixtures.memory(i);
                doc.appendMemory(e);
                List<MemoryEntry> newest = views.get().newest(1);
                assertEquals(List.of(e), newest);
            }
            assertEquals(0, doc.memoryViewResyncs());
            assertEquals(doc.memory(), views.get().all());
        }
    }

    @Test
    void anOldViewStaysAsItWasWhileTheLogGrows() {
        try (AgentState doc = AgentState.create(AGENT, Fixtures.A)) {
            doc.enableMemoryView();
            for (int i = 0; i < 10; i++) {
                doc.appendMemory(Fixtures.memory(i));
            }
            MemoryView before = doc.memoryViews().get();
            List<MemoryEntry> seen = before.all();
            for (int i = 10; i < MemoryIndex.CHUNK * 2; i++) {
                doc.appendMemory(Fixtures.memory(i));
            }
            assertEquals(seen, before.all());
            assertEquals(10, before.size());
            assertSame(doc.memoryViews().get(), doc.memoryViews().get());
        }
    }

    @Test
    void badSearchesAreRefusedWithTheReason() {
        try (AgentState doc = AgentState.create(AGENT, Fixtures.A)) {
            doc.enableMemoryView();
            MemoryView v = doc.memoryViews().get();
            assertTrue(assertThrows(IllegalArgumentException.class, () -> v.newest(0)).getMessage()
                    .contains("limit"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> v.search("a\u0001b", null, 5))
                    .getMessage().contains("control"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> v.search("x ".repeat(17), null, 5))
                    .getMessage().contains("words"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> v.search(null, "", 5))
                    .getMessage().contains("tag"));
        }
    }

    private static void check(AgentState doc, Random r) {
        MemoryView view;
        try {
            view = doc.memoryViews().get();
        } catch (IllegalStateException off) {
            return;
        }
        List<MemoryEntry> fresh = doc.memory();
        assertEquals(fresh, view.all());
        assertEquals(doc.memoryCount(), view.size());
        int limit = 1 + r.nextInt(40);
        assertEquals(fresh.subList(Math.max(0, fresh.size() - limit), fresh.size()), view.newest(limit));
        String q = r.nextInt(3) == 0 ? null : WORDS[r.nextInt(WORDS.length)]
                + (r.nextBoolean() ? " " + WORDS[r.nextInt(WORDS.length)] : "");
        String tag = r.nextBoolean() ? null : TAGS[r.nextInt(TAGS.length)];
        String[] words = MemoryView.words(q);
        List<MemoryEntry> expected = new ArrayList<>();
        for (int i = fresh.size() - 1; i >= 0 && expected.size() < limit; i--) {
            MemoryEntry e = fresh.get(i);
            if ((tag == null || e.tags().contains(tag)) && MemoryView.containsAll(MemoryIndex.haystack(e), words)) {
                expected.add(e);
            }
        }
        assertEquals(expected, view.search(q, tag, limit), "q=" + q + " tag=" + tag);
    }

    private static MemoryEntry entry(Random r, int step) {
        StringBuilder text = new StringBuilder();
        for (int i = 0, n = 1 + r.nextInt(4); i < n; i++) {
            text.append(WORDS[r.nextInt(WORDS.length)]).append(' ');
        }
        List<String> tags = new ArrayList<>();
        for (int i = 0, n = r.nextInt(3); i < n; i++) {
            tags.add(TAGS[r.nextInt(TAGS.length)]);
        }
        return new MemoryEntry("e" + step + "-" + r.nextInt(1000), T0 + step, "node-" + r.nextInt(2),
                r.nextBoolean() ? "note" : "Observation", text.toString().strip(), tags);
    }

    /** A change no agentmesh node makes: delete an entry, rewrite a field, add a tag, or insert a non-entry. */
    private static byte[] foreignChange(Random r, AgentState base, ActorId actor) {
        int kind = r.nextInt(4);
        long size = base.memoryCount();
        int index = r.nextInt((int) size);
        return Fixtures.rawPeerChange(base, actor, (doc, tx) -> {
            ObjectId memory = ((AmValue.List) doc.get(ObjectId.ROOT, "memory").orElseThrow()).getId();
            AmValue slot = doc.get(memory, index).orElseThrow();
            switch (kind) {
                case 0 -> tx.delete(memory, index);
                case 1 -> {
                    if (slot instanceof AmValue.Map m) {
                        tx.set(m.getId(), "text", "rewritten " + WORDS[r.nextInt(WORDS.length)]);
                    } else {
                        tx.delete(memory, index);
                    }
                }
                case 2 -> {
                    if (slot instanceof AmValue.Map m && doc.get(m.getId(), "tags").orElse(null)
                            instanceof AmValue.List tags) {
                        tx.insert(tags.getId(), 0, TAGS[r.nextInt(TAGS.length)]);
                    } else {
                        tx.delete(memory, index);
                    }
                }
                default -> tx.insert(memory, index, "not an entry");
            }
        });
    }

    private static boolean applyQuietly(AgentState doc, byte[] change) {
        try {
            doc.applyChange(change);
            return true;
        } catch (StateException refused) {
            return false; // refused changes change nothing, the view included
        }
    }

    private static void broadcast(List<List<byte[]>> inboxes, int from, byte[] change) {
        for (int i = 0; i < inboxes.size(); i++) {
            if (i != from) {
                inboxes.get(i).add(change);
            }
        }
    }

    private static void deliverAll(List<AgentState> docs, List<List<byte[]>> inboxes, Random r) {
        for (int i = 0; i < docs.size(); i++) {
            List<byte[]> inbox = inboxes.get(i);
            while (!inbox.isEmpty()) {
                applyQuietly(docs.get(i), inbox.remove(r.nextInt(inbox.size())));
            }
        }
    }
}
