package io.agentmesh.node.replication;

import io.agentmesh.node.membership.Membership;
import io.agentmesh.node.port.LocalIdentity;
import io.agentmesh.node.port.Network;
import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.protocol.change.SignedChanges;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.protocol.time.Clock;
import io.agentmesh.state.AgentState;
import io.agentmesh.state.LocalChange;
import io.agentmesh.state.MemoryEntry;
import io.agentmesh.state.store.ChangeStore;
import io.agentmesh.state.store.SqliteChangeStore;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * One node's replicator ({@link ReplicatorUnderTest}) over a SQLite store, with the agent root that enrolls it and
 * the peers a test admits, and a clock stopped at {@link #NOW} (every certificate is valid then). Peers write in
 * documents of their own ({@link #peerState}) and sign what they wrote ({@link #signed}), as they would before
 * sending it. Close it.
 */
final class ReplicatorFixture implements AutoCloseable {
    static final long NOW = 1_800_000_000_000L;
    private static final Clock STOPPED = new Clock() {
        public long nowMillis() {
            return NOW;
        }

        public long monotonicNanos() {
            return 0;
        }
    };

    final SigningKey root;
    final LocalIdentity identity;
    final Membership membership;
    final ChangeStore store;
    final AgentState state;
    private final List<AgentState> peerStates = new ArrayList<>();

    /** The node of {@code me}, a voter of the agent of {@code root}, with its store in {@code dir}. */
    ReplicatorFixture(Path dir, SigningKey root, SigningKey me) {
        this.root = root;
        identity = new LocalIdentity(root.verifyingKey(), me, certificate(me, Role.VOTER), 1);
        membership = new Membership(root.verifyingKey(), identity.certificate(), STOPPED);
        store = SqliteChangeStore.open(dir.resolve("s.db"));
        state = AgentState.create(identity.agentId().bytes(), identity.actor());
    }

    /** A key from a seed that is {@code n} and zeros: the same key in every run. */
    static SigningKey key(int n) {
        byte[] seed = new byte[32];
        seed[0] = (byte) n;
        return SigningKey.fromSeed(seed);
    }

    NodeCertificate certificate(SigningKey node, Role role) {
        return NodeCertificate.issue(root, node.verifyingKey(), role, NOW - 1000, NOW + 1_000_000);
    }

    /** Enrolls {@code node} in {@code role}; returns its id. */
    NodeId admit(SigningKey node, Role role) {
        membership.admit(certificate(node, role));
        return NodeId.of(node.verifyingKey());
    }

    /** The replicator, refusing no node's changes as revoked. */
    Replicator replicator(Network network) {
        return replicator(network, change -> Optional.empty());
    }

    /** The replicator, refusing the changes of removed nodes that {@code revoked} names. */
    Replicator replicator(Network network, Function<SignedChange, Optional<String>> revoked) {
        return ReplicatorUnderTest.create(identity, membership, state, store, network, STOPPED, 2_000, revoked);
    }

    /** A document of this agent that {@code actor} writes in, closed with the fixture. */
    AgentState peerState(ActorId actor) {
        AgentState s = AgentState.create(identity.agentId().bytes(), actor);
        peerStates.add(s);
        return s;
    }

    /** A document written by the first incarnation of {@code node}, closed with the fixture. */
    AgentState peerState(SigningKey node) {
        return peerState(ActorId.derive(node.verifyingKey().bytes(), 1));
    }

    /** {@code author} writes a note whose id and text are {@code text}. */
    static LocalChange note(AgentState author, String text) {
        return author.appendMemory(new MemoryEntry(text, NOW, "peer", "note", text, List.of()));
    }

    /** {@code c} signed by {@code signer} (incarnation 1) for this agent, as the signer would send it. */
    SignedChange signed(SigningKey signer, LocalChange c) {
        return SignedChanges.sign(identity.agentId().bytes(), signer, 1, c.seq(), c.changeBytes());
    }

    @Override
    public void close() {
        store.close();
        state.close();
        peerStates.forEach(AgentState::close);
    }
}
