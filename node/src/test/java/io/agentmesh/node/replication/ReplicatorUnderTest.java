package io.agentmesh.node.replication;

import io.agentmesh.node.membership.Membership;
import io.agentmesh.node.port.LocalIdentity;
import io.agentmesh.node.port.Network;
import io.agentmesh.node.port.Scheduler;
import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.time.Clock;
import io.agentmesh.protocol.wire.WireMessage;
import io.agentmesh.state.AgentState;
import io.agentmesh.state.store.ChangeStore;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * A {@link Replicator} the replication tests drive by hand: its tasks run at once on the caller's thread (its store's
 * reads and cursor saves too, through {@link InlineStore}), its timers
 * never fire, and its network accepts every message and delivers none, so a test decides what arrives and when.
 * At most 2 bad changes per peer are tolerated, and a replicator that gives up on its store fails the test.
 */
final class ReplicatorUnderTest {
    private ReplicatorUnderTest() {
    }

    /**
     * A network that accepts every send and delivers nothing; it records what the replicator sent and why it
     * disconnected a peer.
     */
    static final class SilentNetwork implements Network {
        final List<String> disconnects = new ArrayList<>();
        final List<WireMessage> sent = new ArrayList<>();

        @Override
        public void dial(NodeId peer, InetSocketAddress address) {
        }

        @Override
        public boolean send(NodeId peer, WireMessage message) {
            sent.add(message);
            return true;
        }

        @Override
        public void disconnect(NodeId peer, String reason) {
            disconnects.add(reason);
        }
    }

    static Replicator create(LocalIdentity identity, Membership membership, AgentState state, ChangeStore store,
                             Network network, Clock clock, long cursorSaveIntervalMs) {
        return create(identity, membership, state, store, network, clock, cursorSaveIntervalMs,
                change -> Optional.empty());
    }

    /** As above, refusing the changes of removed nodes that {@code revoked} names. */
    static Replicator create(LocalIdentity identity, Membership membership, AgentState state, ChangeStore store,
                             Network network, Clock clock, long cursorSaveIntervalMs,
                             Function<SignedChange, Optional<String>> revoked) {
        Scheduler inline = new Scheduler() {
            public void execute(Runnable task) {
                task.run();
            }

            public Cancellable schedule(Runnable task, long delayMs) {
                return () -> { };
            }
        };
        // Reads and cursor saves complete before they return, so what a test drives has happened when it checks.
        return new Replicator(identity, membership, state, new InlineStore(store), network, clock, inline,
                new ReplicationConfig(500, 4096, 8 << 20, 2, cursorSaveIntervalMs), reason -> {
                    throw new AssertionError(reason);
                }, revoked);
    }
}
