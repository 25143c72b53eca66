package io.agentmesh.node.replication;

import io.agentmesh.node.port.Scheduler;
import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.protocol.time.Clock;
import io.agentmesh.protocol.wire.WireMessage;
import io.agentmesh.state.AgentState;
import io.agentmesh.state.store.ChangeStore;
import io.agentmesh.state.store.StoreException;
import io.agentmesh.state.store.StoreOverloadedException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static io.agentmesh.node.replication.ReplicatorFixture.key;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The replicator never waits for its store on the node thread: a pull is answered from reads the store completes
 * later (one at a time per peer, batches in order, a pull that comes meanwhile answered next), and a cursor save is
 * queued, not waited for; a failed save stops the node unless the store only refused it as overloaded.
 */
class PullAnswerTest {
    private static final int CHANGES = 1_000;
    private final SigningKey writerKey = key(3);
    private final SigningKey pullerKey = key(4);
    private final ReplicatorUnderTest.SilentNetwork network = new ReplicatorUnderTest.SilentNetwork();
    private final ArrayDeque<Runnable> nodeTasks = new ArrayDeque<>();
    private final List<String> fatal = new ArrayList<>();
    private final long[] monoNanos = {0};
    private ReplicatorFixture node;
    private HeldStore store;
    private Replicator replicator;
    private NodeId puller;

    /** Holds every asynchronous read and metadata write until the test lets it finish. */
    private static final class HeldStore extends ForwardingStore {
        record Read(ActorId actor, long from, int max, CompletableFuture<List<SignedChange>> done) {
        }

        final ArrayDeque<Read> reads = new ArrayDeque<>();
        final ArrayDeque<CompletableFuture<Void>> metaWrites = new ArrayDeque<>();
        int mostReadsWaiting;

        HeldStore(ChangeStore inner) {
            super(inner);
        }

        @Override
        public CompletableFuture<List<SignedChange>> readAsync(ActorId actor, long fromSeq, int maxCount) {
            Read r = new Read(actor, fromSeq, maxCount, new CompletableFuture<>());
            reads.add(r);
            mostReadsWaiting = Math.max(mostReadsWaiting, reads.size());
            return r.done();
        }

        /** The disk answers the oldest read (on the test's thread, standing in for a store reader). */
        void finishRead() {
            Read r = reads.poll();
            r.done().complete(read(r.actor(), r.from(), r.max()));
        }

        @Override
        public CompletableFuture<Void> putMetaAsync(String key, byte[] value) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            metaWrites.add(done);
            return done;
        }
    }

    @BeforeEach
    void setUp(@TempDir Path dir) {
        node = new ReplicatorFixture(dir, key(1), key(2));
        node.admit(writerKey, Role.VOTER);
        puller = node.admit(pullerKey, Role.VOTER);
        AgentState writer = node.peerState(writerKey);
        for (int i = 0; i < CHANGES; i++) {
            node.store.append(node.signed(writerKey, ReplicatorFixture.note(writer, "m" + i))).join();
        }
        store = new HeldStore(node.store);
        Scheduler queued = new Scheduler() {
            public void execute(Runnable task) {
                nodeTasks.add(task);
            }

            public Cancellable schedule(Runnable task, long delayMs) {
                return () -> { };
            }
        };
        Clock clock = new Clock() {
            public long nowMillis() {
                return ReplicatorFixture.NOW;
            }

            public long monotonicNanos() {
                return monoNanos[0];
            }
        };
        replicator = new Replicator(node.identity, node.membership, node.state, store, network, clock, queued,
                new ReplicationConfig(500, 4096, 8 << 20, 2, 2_000), fatal::add);
        replicator.peerUp(puller);
        network.sent.clear();
    }

    @AfterEach
    void tearDown() {
        node.close();
    }

    private void runNodeTasks() {
        while (!nodeTasks.isEmpty()) {
            nodeTasks.poll().run();
        }
    }

    private List<WireMessage.Changes> answers() {
        return network.sent.stream().filter(m -> m instanceof WireMessage.Changes)
                .map(m -> (WireMessage.Changes) m).toList();
    }

    private void pull() {
        replicator.onDigest(puller, new WireMessage.Digest(List.of(), true));
    }

    @Test
    void aPullIsAnsweredFromReadsTheStoreFinishesLaterOneAtATimeAndAPullMeanwhileIsAnsweredNext() {
        pull();
        pull(); // a second pull while the first answer is being read: answered after it, not alongside
        assertEquals(1, store.reads.size(), "one read waits for the disk");
        assertTrue(answers().isEmpty(), "nothing is sent before the store has read it");

        store.finishRead(); // seq 1..512
        assertTrue(answers().isEmpty(), "the read's result waits for the node thread");
        runNodeTasks();
        assertEquals(1, store.reads.size(), "the next chunk is asked for from the node thread");
        store.finishRead(); // seq 513..1000
        runNodeTasks();

        assertEquals(1, answers().size());
        WireMessage.Changes first = answers().getFirst();
        assertEquals(CHANGES, first.changes().size());
        assertFalse(first.more());
        for (int i = 0; i < CHANGES; i++) {
            assertEquals(i + 1, first.changes().get(i).seq(), "in seq order");
        }
        assertEquals(1, store.reads.size(), "the pull that came meanwhile is being answered now");
        store.finishRead();
        runNodeTasks();
        store.finishRead();
        runNodeTasks();
        assertEquals(2, answers().size());
        assertTrue(store.reads.isEmpty());
        assertEquals(1, store.mostReadsWaiting, "never more than one read per peer at a time");
        assertTrue(fatal.isEmpty());
    }

    @Test
    void anAnswerReadForAPeerThatLeftIsNotSent() {
        pull();
        replicator.peerDown(puller);
        store.finishRead();
        runNodeTasks();
        while (!store.reads.isEmpty()) {
            store.finishRead();
            runNodeTasks();
        }
        assertTrue(answers().isEmpty(), network.sent::toString);
    }

    @Test
    void aCursorSaveIsQueuedNotWaitedForAndAnOverloadRefusalIsNotFatal() {
        replicator.onDigest(puller, new WireMessage.Digest(List.of(), false));
        replicator.tick();
        assertEquals(1, store.metaWrites.size(), "the cursor save is with the store, the tick has returned");
        store.metaWrites.poll().completeExceptionally(new StoreOverloadedException("too much waiting"));
        runNodeTasks();
        assertTrue(fatal.isEmpty(), "nothing was written and nothing is lost: saved again next interval");
        assertEquals(1, replicator.stats().cursorSavesRefused());

        monoNanos[0] += 2_000_000_000L;
        replicator.tick();
        assertEquals(1, store.metaWrites.size(), "saved again an interval later");
        store.metaWrites.poll().completeExceptionally(new StoreException("commit failed"));
        runNodeTasks();
        assertEquals(1, fatal.size(), "a failed write stops the node");
        assertTrue(fatal.getFirst().contains("commit failed"), fatal::toString);
    }
}
