package io.agentmesh.node.core;

import io.agentmesh.node.port.LocalIdentity;
import io.agentmesh.node.port.Network;
import io.agentmesh.node.port.Scheduler;
import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.protocol.change.SignedChanges;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.protocol.time.Clock;
import io.agentmesh.protocol.wire.WireMessage;
import io.agentmesh.state.AgentState;
import io.agentmesh.state.LocalChange;
import io.agentmesh.state.MemoryEntry;
import io.agentmesh.state.store.ChangeStore;
import io.agentmesh.state.store.SqliteChangeStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The snapshot cadence counts every change a restart would replay, received ones included: a node that only receives
 * (a follower of a busy writer) snapshots too, and a node that replayed a long history at start snapshots soon after.
 * Driven by hand: tasks inline, timers run when the test says, a network that drops what it is given.
 */
class NodeCoreSnapshotTest {
    private static final long NOW = 1_800_000_000_000L;
    private static final int EVERY = 5;
    private final Random random = new Random(11);
    private final SigningKey root = key();
    private final SigningKey me = key();
    private final SigningKey writerKey = key();
    private final NodeId writer = NodeId.of(writerKey.verifyingKey());
    private final ActorId writerActor = ActorId.derive(writerKey.verifyingKey().bytes(), 1);
    private final List<String> fatal = new ArrayList<>();
    private final List<Runnable> timers = new ArrayList<>();
    private final Clock clock = new Clock() {
        public long nowMillis() {
            return NOW;
        }

        public long monotonicNanos() {
            return 0;
        }
    };
    private final Scheduler manual = new Scheduler() {
        public void execute(Runnable task) {
            task.run();
        }

        public Cancellable schedule(Runnable task, long delayMs) {
            timers.add(task);
            return () -> timers.remove(task);
        }
    };
    private final Network quiet = new Network() {
        public void dial(NodeId peer, InetSocketAddress address) {
        }

        public boolean send(NodeId peer, WireMessage message) {
            return true;
        }

        public void disconnect(NodeId peer, String reason) {
        }
    };
    private ChangeStore store;
    private AgentState writerState;
    private LocalIdentity identity;
    private NodeCore core;

    private SigningKey key() {
        byte[] seed = new byte[32];
        random.nextBytes(seed);
        return SigningKey.fromSeed(seed);
    }

    private NodeCertificate cert(SigningKey node) {
        return NodeCertificate.issue(root, node.verifyingKey(), Role.VOTER, NOW - 100_000, NOW + 1_000_000,
                NOW - 50_000);
    }

    /** A core recovered from the store as a node starts, told (or not) how many changes its recovery replayed. */
    private Recovery.Result startCore(long everyChanges, boolean tellReplayed) {
        identity = new LocalIdentity(root.verifyingKey(), me, cert(me), 1);
        Recovery.Result recovered = Recovery.recover(identity.agentId().bytes(), identity.actor(), store);
        core = new NodeCore(identity, recovered.state(), store, clock, manual, new Random(1),
                CoreConfig.defaults(Optional.empty()).withSnapshots(SnapshotPolicy.every(everyChanges)), fatal::add);
        if (tellReplayed) {
            core.replayedAtStart(recovered.replayedChanges());
        }
        core.start(quiet);
        core.peerUp(writer, cert(writerKey).toBytes(), 1, true);
        return recovered;
    }

    private void stopCore() {
        core.stop();
        core.state().close();
        core = null;
    }

    /** One round of every timer the core set (heartbeat, anti-entropy...); each sets itself again. */
    private void tick() {
        List<Runnable> due = List.copyOf(timers);
        timers.clear();
        due.forEach(Runnable::run);
    }

    /** The other node writes {@code count} changes and sends them; returns once this node's store holds them. */
    private void receive(int count) {
        long before = store.changeCount();
        List<SignedChange> changes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            LocalChange c = writerState.appendMemory(new MemoryEntry("m" + random.nextInt(), NOW, "writer", "note",
                    "x", List.of()));
            changes.add(SignedChanges.sign(identity.agentId().bytes(), writerKey, 1, c.seq(), c.changeBytes()));
        }
        core.message(writer, new WireMessage.Changes(changes, false));
        await().atMost(Duration.ofSeconds(10)).until(() -> store.changeCount() == before + count);
    }

    private long snapshotPosition() {
        return store.latestSnapshot().map(s -> s.lastPosition()).orElse(0L);
    }

    @BeforeEach
    void setUp(@TempDir Path dir) {
        store = SqliteChangeStore.open(dir.resolve("s.db"));
        startCore(EVERY, true);
        writerState = AgentState.create(identity.agentId().bytes(), writerActor);
    }

    @AfterEach
    void tearDown() {
        if (core != null) {
            stopCore();
        }
        writerState.close();
        store.close();
        assertTrue(fatal.isEmpty(), fatal.toString());
    }

    @Test
    void aNodeThatOnlyReceivesChangesSnapshotsOnceTheCadenceIsReachedAndItsRestartReplaysNone() {
        receive(EVERY - 1);
        tick();
        assertTrue(store.latestSnapshot().isEmpty(), "below the cadence: no snapshot yet");
        receive(2);
        tick();
        await().atMost(Duration.ofSeconds(10)).until(() -> snapshotPosition() == EVERY + 1);
        assertEquals(0, core.changesSinceSnapshot());

        stopCore();
        Recovery.Result restarted = startCore(EVERY, true);
        assertTrue(restarted.fromSnapshot());
        assertEquals(0, restarted.replayedChanges(), "every received change was in the snapshot");
        assertEquals(EVERY + 1, core.state().memoryCount());
    }

    @Test
    void aNodeThatReplayedMoreThanTheCadenceAtStartSnapshotsAtItsFirstTick() {
        stopCore();
        startCore(1_000, true); // a cadence the received changes do not reach
        receive(3 * EVERY);
        tick();
        assertTrue(store.latestSnapshot().isEmpty());

        stopCore();
        Recovery.Result restarted = startCore(EVERY, true);
        assertEquals(3 * EVERY, restarted.replayedChanges());
        assertEquals(3 * EVERY, core.changesSinceSnapshot(), "the replayed changes count toward the next snapshot");
        tick();
        await().atMost(Duration.ofSeconds(10)).until(() -> snapshotPosition() == 3 * EVERY);
    }

    @Test
    void aNodeRestartedFromASnapshotThatHoldsEverythingDoesNotWriteAnotherOne() {
        receive(2 * EVERY);
        tick();
        await().atMost(Duration.ofSeconds(10)).until(() -> snapshotPosition() == 2 * EVERY);
        stopCore();
        startCore(EVERY, true);
        assertEquals(0, core.changesSinceSnapshot());
        tick();
        assertEquals(0, core.snapshotsStarted(), "a whole-document save at every start would cost seconds at 1M");
        // Not told what it replayed, a core counts the whole store as not yet covered.
        stopCore();
        startCore(EVERY, false);
        assertEquals(2 * EVERY, core.changesSinceSnapshot());
    }
}
