package io.agentmesh.node.core;

import io.agentmesh.node.actions.ActionExecutor;
import io.agentmesh.node.consensus.CodecException;
import io.agentmesh.node.consensus.ConsensusConfig;
import io.agentmesh.node.consensus.ConsensusNode;
import io.agentmesh.node.consensus.RaftLogStore;
import io.agentmesh.node.consensus.Enrolled;
import io.agentmesh.node.consensus.VoterSet;
import io.agentmesh.node.consensus.Voters;
import io.agentmesh.node.membership.Dialer;
import io.agentmesh.node.membership.FailureDetector;
import io.agentmesh.node.membership.Membership;
import io.agentmesh.node.port.Failures;
import io.agentmesh.node.replication.CatchUp;
import io.agentmesh.node.replication.ChangeAuthor;
import io.agentmesh.node.replication.Durability;
import io.agentmesh.node.replication.MajorityDurability;
import io.agentmesh.node.replication.Replicator;
import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.protocol.identity.IdentityException;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.NodeRevocation;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.protocol.wire.WireMessage;
import io.agentmesh.state.AgentState;
import io.agentmesh.state.LocalChange;
import io.agentmesh.state.store.ChangeStore;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.random.RandomGenerator;

import io.agentmesh.protocol.time.Clock;
import io.agentmesh.node.port.Scheduler;
import io.agentmesh.node.port.Network;
import io.agentmesh.node.port.LocalIdentity;
/**
 * The node's logic as a single-threaded state machine (DESIGN.md invariant 1): events come in as {@link Network}
 * listener calls, local writes and timers, all on the node thread; effects go out through {@link Network},
 * {@link Scheduler} and the {@link ChangeStore}. Production drives it with Netty and real time, the simulator with
 * its network model and virtual time; the code is the same.
 *
 * <p>A node whose certificate says WITNESS holds no agent state: it refuses local writes, exchanges no changes with
 * any peer (and no peer with it), and runs consensus in witness mode (it votes, never leads, never performs).
 */
public final class NodeCore implements Network.Listener {
    private static final Logger log = LoggerFactory.getLogger(NodeCore.class);
    /** Why a witness refuses reads and writes of the agent state (the HTTP API answers 409 with it). */
    public static final String WITNESS_HOLDS_NO_STATE = "this node is a witness: it holds no agent state";

    private final LocalIdentity identity;
    private final AgentState state;
    private final ChangeStore store;
    private final Clock clock;
    private final Scheduler scheduler;
    private final RandomGenerator random;
    private final CoreConfig config;
    private final Consumer<String> onFatal;
    private final Membership membership;
    private final Removals removals;
    private final ChangeAuthor author;
    private final String self;
    private final boolean witness;
    private Network network;
    private Replicator replicator;
    private Dialer dialer;
    private FailureDetector failureDetector;
    private final io.agentmesh.node.membership.ClockOffsets clockOffsets = new io.agentmesh.node.membership.ClockOffsets();
    private final io.agentmesh.node.replication.CatchUpProgress catchUp = new io.agentmesh.node.replication.CatchUpProgress();
    private MajorityDurability majority;
    private final List<Scheduler.Cancellable> timers = new ArrayList<>();
    private ConsensusSetup consensusSetup;
    private ConsensusNode consensus;
    private final List<Consumer<ConsensusNode.LeaderChange>> leaderListeners = new ArrayList<>();

    /**
     * What this node needs to take part in consensus: its Raft store, who founds the group with it if none exists yet
     * ({@link Voters#select} of itself and its configured peers, the same list on each of them; empty when it may only
     * join), the executors of side effects, a seed for MicroRaft's randomness, and the Raft timing and action limits.
     */
    public record ConsensusSetup(RaftLogStore store, List<NodeId> founders, List<ActionExecutor> executors, long seed,
                                 ConsensusConfig config) {
        public ConsensusSetup {
            founders = List.copyOf(founders);
            executors = List.copyOf(executors);
            if (founders.size() > Voters.MAX) {
                throw new IllegalArgumentException("a Raft group is founded by at most " + Voters.MAX
                        + " voters, got " + founders.size());
            }
            Objects.requireNonNull(config, "config");
        }
    }
    private boolean stopped;
    private final List<java.util.function.BiConsumer<List<String>, io.agentmesh.state.MemoryView>>
            snapshotViewListeners = new ArrayList<>();
    /**
     * Changes in the store (this node's own and those received from peers) that the last snapshot covers. A restart
     * replays everything after it, so the cadence counts every change, not only this node's: a node that mostly
     * receives (a follower of a busy writer) otherwise never snapshots and replays its whole history on restart.
     */
    private long storeChangesAtSnapshot;
    private boolean snapshotting;
    private long snapshotsStarted;
    /** The store refused the last certificates save as overloaded; the next heartbeat saves them again. */
    private boolean certificatesUnsaved;

    /** A core that signs its changes on the node thread (the simulator's choice: one thread for everything). */
    public NodeCore(LocalIdentity identity, AgentState state, ChangeStore store, Clock clock, Scheduler scheduler,
                    RandomGenerator random, CoreConfig config, Consumer<String> onFatal) {
        this(identity, state, store, clock, scheduler, Runnable::run, Runnable::run, random, config, onFatal);
    }

    /**
     * @param signer        where changes are signed and handed to the store, in order (see {@link ChangeAuthor})
     * @param snapshotCheck where a snapshot is checked (one document load) and saved (see {@link ChangeAuthor})
     * @throws IllegalArgumentException when the store holds the revocation of this node's own key: a removed key
     *                                  never comes back, so the node does not start (the message says what to do)
     */
    public NodeCore(LocalIdentity identity, AgentState state, ChangeStore store, Clock clock, Scheduler scheduler,
                    java.util.concurrent.Executor signer, java.util.concurrent.Executor snapshotCheck,
                    RandomGenerator random, CoreConfig config, Consumer<String> onFatal) {
        this.identity = identity;
        this.state = state;
        this.store = store;
        this.clock = clock;
        this.scheduler = scheduler;
        this.random = random;
        this.config = config;
        this.onFatal = onFatal;
        this.self = identity.nodeId().shortForm();
        this.witness = identity.certificate().role() == Role.WITNESS;
        this.membership = new Membership(identity.agentRoot(), identity.certificate(), clock);
        this.removals = new Removals(identity, state, store, membership);
        loadCertificates();
        removals.load();
        this.author = new ChangeAuthor(identity, state, store, scheduler, signer, snapshotCheck, onFatal,
                config.writes());
    }

    /**
     * Makes this node take part in consensus (it joins or founds the Raft group, and votes once the leader adds it);
     * call before {@link #start}. Nodes without consensus perform nothing.
     */
    public void enableConsensus(ConsensusSetup setup) {
        if (network != null) {
            throw new IllegalStateException("enable consensus before start");
        }
        this.consensusSetup = setup;
    }

    /** Connects the core to its network and starts its timers. Node thread. */
    public void start(Network network) {
        this.network = network;
        this.replicator = new Replicator(identity, membership, state, store, network, clock, scheduler,
                config.replication(), onFatal, removals::refusal);
        this.dialer = new Dialer(membership, network, scheduler, random, config.redial());
        this.failureDetector = new FailureDetector(clock, config.suspectAfterMs());
        author.onApplied(replicator::localApplied);
        author.onDurable(replicator::localDurable);
        author.onDurable(change -> snapshotIfDue());
        this.majority = new MajorityDurability(identity.nodeId(), identity.actor(), store, network, scheduler, clock,
                config.majority(), this::voters, this::holdsState, replicator::connectedPeers, replicator);
        removals.start(network, replicator);
        if (consensusSetup != null) {
            startConsensus(consensusSetup);
        }
        every(config.heartbeatIntervalMs(), this::heartbeat);
        every(config.replication().antiEntropyIntervalMs(), () -> {
            replicator.tick();
            majority.tick();
            snapshotIfDue(); // received changes count too; they arrive without a hook of their own
            dialer.dialMissing();
            catchUp.tick(clock.monotonicNanos() / 1_000_000L, store.vector(), replicator.peerVectors().values())
                    .ifPresent(line -> log.info("node {} {}", self, line));
        });
        dialer.dialMissing();
    }

    private void startConsensus(ConsensusSetup setup) {
        consensus = ConsensusNode.builder()
                .self(identity.nodeId())
                .founders(setup.founders())
                .enrolled(this::enrolled)
                .witness(witness)
                .beforeVoterChange(next -> majority.beforeVoterChange(next))
                .groupId(identity.agentId().toString())
                .store(setup.store())
                .scheduler(scheduler)
                .clock(clock)
                .random(new java.util.Random(setup.seed()))
                .config(setup.config())
                .send((peer, bytes) -> network.send(peer, new WireMessage.Consensus(bytes)))
                .reachable(peer -> replicator.connectedPeers().contains(peer))
                .executors(setup.executors())
                .pendingIntents(state::pendingIntents)
                .recordedOutcome(state::outcome)
                .outcomes((intent, outcome) -> write(s -> s.recordOutcome(outcome)).exceptionally(e -> {
                    log.warn("node {} could not record the outcome of {}: {}", self, intent.id(), e.getMessage());
                    return null;
                }))
                .schedules(state::schedules, id -> state.intent(id).isPresent(),
                        intent -> write(s -> s.requestIntent(intent)).exceptionally(e -> null))
                .onFatal(onFatal)
                .onLeaderChange(change -> {
                    log.info("node {} consensus: {} in term {}, leader {}", self,
                            change.role().toLowerCase(), change.term(),
                            change.leader() == null ? "unknown" : change.leader().shortForm());
                    leaderListeners.forEach(l -> l.accept(change));
                })
                .build();
        try {
            consensus.start();
        } catch (java.io.IOException e) {
            onFatal.accept("consensus could not start: " + e.getMessage());
        }
    }

    /** The voters a majority is counted over now (consensus off: this node alone). Node thread. */
    private MajorityDurability.Voters voters() {
        if (consensus != null) {
            return MajorityDurability.Voters.of(consensus.committedVoters(), consensus.effectiveVoters(),
                    "this node is not in a Raft group yet (or was removed from it), so it does not know the voters");
        }
        // Without consensus a node is its own majority only when no other member votes (a single node). With
        // voters elsewhere it cannot know which of them Raft counts, so it does not pretend to.
        for (NodeCertificate cert : membership.certificates()) {
            if (!cert.nodeId().equals(identity.nodeId()) && cert.role() != Role.LEARNER
                    && !removals.isRevoked(cert.nodeId())) {
                return MajorityDurability.Voters.of(VoterSet.NONE, VoterSet.NONE, "this node takes no part in"
                        + " consensus and so does not know the Raft voters; write through a voter");
            }
        }
        return MajorityDurability.Voters.CONSENSUS_OFF;
    }

    /** Whether {@code node} holds agent state: an enrolled member that is not a witness. */
    private boolean holdsState(NodeId node) {
        return membership.certificate(node).map(c -> c.role() != Role.WITNESS).orElse(false)
                && !removals.isRevoked(node);
    }

    /** Every enrolled node as consensus sees it: role, whether connected now, whether removed. Node thread. */
    private List<Enrolled> enrolled() {
        java.util.Collection<NodeId> connected = replicator.connectedPeers();
        List<Enrolled> out = new ArrayList<>();
        for (NodeCertificate cert : membership.certificates()) {
            NodeId id = cert.nodeId();
            out.add(new Enrolled(id, cert.role(), id.equals(identity.nodeId()) || connected.contains(id),
                    removals.isRevoked(id)));
        }
        return out;
    }

    /** Calls {@code listener} on the node thread at each role, term or leader change of this member. */
    public void onLeaderChange(Consumer<ConsensusNode.LeaderChange> listener) {
        leaderListeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /** The consensus member, if this node takes part in consensus. */
    public java.util.Optional<ConsensusNode> consensus() {
        return java.util.Optional.ofNullable(consensus);
    }

    /** On graceful shutdown: hand leadership to another voter first, so failover takes no election timeout. */
    public CompletableFuture<Void> handOver() {
        return consensus == null ? CompletableFuture.completedFuture(null) : consensus.handOver();
    }

    /** Stops timers; the caller closes the network and the store. Node thread. */
    public void stop() {
        if (majority != null) {
            majority.stop();
        }
        if (consensus != null) {
            consensus.stop();
        }
        stopped = true;
        timers.forEach(Scheduler.Cancellable::cancel);
        timers.clear();
    }

    /** Adds a peer known from configuration. Node thread. */
    public void addPeer(NodeId peer, InetSocketAddress address) {
        if (removals.isRevoked(peer)) {
            return; // removed: neither dialed nor passed on
        }
        membership.setAddress(peer, address);
        if (dialer != null) {
            dialer.dialMissing();
        }
    }

    /** Admits a certificate learned out of band (e.g. from configuration). */
    public void admit(NodeCertificate certificate) {
        admitCertificate(certificate);
    }

    /**
     * Keeps a verified certificate; true when its node was not a member before. A removed key's certificates are kept
     * too: consensus reads the member as removed (by its id) and takes it out of the Raft group.
     */
    private boolean admitCertificate(NodeCertificate certificate) {
        return membership.admit(certificate);
    }

    /** The node removals this node enforces; safe to read from any thread. */
    public Revocations revocations() {
        return removals.view();
    }

    /**
     * Calls {@code listener} on the node thread each time a node becomes removed while this core runs, after its
     * connections are closed and its changes past the cut refused (consensus takes it out of the voters here).
     * Removals this node already knew at start are in {@link #revocations()}. Node thread.
     */
    public void onRevoked(Consumer<NodeId> listener) {
        removals.onRevoked(listener);
    }

    /**
     * Takes a revocation handed to this node (by `agentmesh node remove` or `node revoke-apply`): verifies it against
     * the agent root, keeps it, enforces it and passes it to every peer. Returns true when it was new here. Node
     * thread.
     *
     * @throws IllegalArgumentException when it is not signed by this agent's root, saying why; nothing changes
     */
    public boolean revoke(NodeRevocation revocation) {
        return removals.revoke(revocation);
    }

    /**
     * What the agent root needs to sign the removal of {@code node}: its certificate and, for each of its actors,
     * the highest seq held here or by any other connected peer (as of its last digest), so the cut keeps every change
     * of the node that already reached an honest replica. Node thread.
     *
     * @throws IllegalArgumentException when {@code node} is this node or not a member known here
     */
    public RevocationDraft revocationDraft(NodeId node) {
        return removals.draft(node);
    }

    /** Revocations received from peers that did not decode or verify. */
    public long revocationsRefused() {
        return removals.refusedFromPeers();
    }

    /** Changes of removed nodes past their cut that this node applied before it learned of the removal. */
    public long changesHeldPastCut() {
        return removals.changesHeldPastCut();
    }

    /**
     * Applies a local write; the future completes once it is durable, on the node thread. Each durable change, own
     * or received, counts towards the next snapshot ({@link CoreConfig#snapshots()}). Node thread.
     */
    public CompletableFuture<SignedChange> write(Function<AgentState, LocalChange> mutation) {
        if (witness) {
            return CompletableFuture.failedFuture(new IllegalStateException(WITNESS_HOLDS_NO_STATE));
        }
        return author.write(mutation);
    }

    /**
     * Applies a local write with the given durability: {@link Durability#LOCAL} is {@link #write(Function)};
     * {@link Durability#MAJORITY} completes once a majority of the current Raft voters (this node included when it
     * votes; witnesses never count; a node with consensus off is its own majority) hold the change durably, or fails
     * with {@link io.agentmesh.node.replication.MajorityTimeoutException} after {@code CoreConfig.majority()}'s
     * bound (the write stays durable here and replicates). Past the limit of waiting majority writes a write is
     * refused and changes nothing. Node thread.
     */
    public CompletableFuture<SignedChange> write(Function<AgentState, LocalChange> mutation, Durability durability) {
        if (durability == Durability.LOCAL) {
            return write(mutation);
        }
        if (witness) {
            return CompletableFuture.failedFuture(new IllegalStateException(WITNESS_HOLDS_NO_STATE));
        }
        if (majority == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("the node core has not started"));
        }
        return majority.write(() -> author.write(mutation));
    }

    /**
     * Asks each connected voter for its durable version vector, pulls what this node lacks, and completes once this
     * node durably holds everything that a majority of the voters (itself included when it votes) held when asked,
     * so every majority-acknowledged write is here. Fails with
     * {@link io.agentmesh.node.replication.CatchUpTimeoutException} after {@code timeoutMs}. With consensus off this
     * node is its own majority and it completes at once. What a new leader runs before it starts the agent. Node
     * thread; the future completes on the node thread.
     */
    public CompletableFuture<CatchUp> catchUpFromMajority(long timeoutMs) {
        if (witness) {
            return CompletableFuture.failedFuture(new IllegalStateException(WITNESS_HOLDS_NO_STATE));
        }
        if (majority == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("the node core has not started"));
        }
        return majority.catchUp(timeoutMs);
    }

    /** Majority-durable writes waiting for a majority now. Node thread. */
    public int majorityWritesWaiting() {
        return majority == null ? 0 : majority.waiting();
    }

    private void snapshotIfDue() {
        if (!snapshotting && healthy() && config.snapshots().due(changesSinceSnapshot(), store.changeCount())) {
            snapshot();
        }
    }

    /**
     * Tells the core how many changes it replayed after the stored snapshot when it started, so those count toward
     * the next snapshot (the first one comes soon after a long replay). Call before {@link #start}.
     */
    public void replayedAtStart(long changes) {
        if (changes < 0 || changes > store.changeCount()) {
            throw new IllegalArgumentException("replayed " + changes + " changes of " + store.changeCount()
                    + " in the store");
        }
        storeChangesAtSnapshot = store.changeCount() - changes;
    }

    /**
     * A local intent was just written: let the leader (if it is this node) look at once instead of at its next poll.
     * Only then: a look reads every intent in the document.
     */
    public void intentRequested() {
        if (consensus != null) {
            consensus.nudge();
        }
    }

    /**
     * Writes a snapshot behind every change already made (see {@link ChangeAuthor#snapshot}); the snapshot policy
     * calls this itself, a shell only on shutdown. One at a time: while one is being written, this returns a failed
     * future. Node thread.
     */
    public CompletableFuture<Void> snapshot() {
        if (snapshotting) {
            return CompletableFuture.failedFuture(new IllegalStateException("a snapshot is being written"));
        }
        snapshotting = true;
        snapshotsStarted++;
        // The same count ChangeAuthor positions the snapshot at: every change durable now is in the document.
        long covered = store.changeCount();
        long t0 = clock.monotonicNanos();
        // The memory view as of the document the snapshot saves (both taken now, on this thread).
        List<String> viewHeads = snapshotViewListeners.isEmpty() ? null : state.heads();
        io.agentmesh.state.MemoryView view = viewHeads == null ? null : state.memoryViews().get();
        CompletableFuture<Void> saved = author.snapshot();
        CompletableFuture<Void> done = new CompletableFuture<>();
        // The save completes on the signer stage; the counters belong to the node thread.
        saved.whenComplete((ok, error) -> scheduler.execute(() -> {
            snapshotting = false;
            if (error != null) {
                Throwable cause = Failures.cause(error);
                if (cause instanceof io.agentmesh.state.store.StoreException
                        && !(cause instanceof io.agentmesh.state.store.StoreOverloadedException)) {
                    // The store failed a write (or is closed): durability can no longer be promised.
                    onFatal.accept("could not write a snapshot: " + cause.getMessage());
                } else {
                    // Tried again at a later write or tick: the count stays above the threshold.
                    log.info("node {} postponed a snapshot: {}", self, cause.getMessage());
                }
                done.completeExceptionally(cause);
            } else {
                storeChangesAtSnapshot = Math.max(storeChangesAtSnapshot, covered);
                log.info("node {} wrote a snapshot in {} ms", self, (clock.monotonicNanos() - t0) / 1_000_000);
                if (viewHeads != null) {
                    snapshotViewListeners.forEach(l -> l.accept(viewHeads, view));
                }
                done.complete(null);
            }
        }));
        return done;
    }

    /**
     * Hears, after each snapshot is saved, the memory view of the document it saved and that document's heads, so a
     * shell can keep the view beside the snapshot ({@code state.MemoryViewFile}). The state's memory view must be on.
     * Call before {@link #start}.
     */
    public void onSnapshotView(java.util.function.BiConsumer<List<String>, io.agentmesh.state.MemoryView> listener) {
        snapshotViewListeners.add(listener);
    }

    /** Changes in the store not yet covered by a snapshot (a shell writes a last one on shutdown if > 0). */
    public long changesSinceSnapshot() {
        return store.changeCount() - storeChangesAtSnapshot;
    }

    /** Snapshots this core started. */
    public long snapshotsStarted() {
        return snapshotsStarted;
    }

    /** The document, for reads on the node thread. */
    public AgentState state() {
        return state;
    }

    public LocalIdentity identity() {
        return identity;
    }

    public Membership membership() {
        return membership;
    }

    public Replicator replicator() {
        return replicator;
    }

    /** Whether this node is a witness (its certificate's role): it keeps the Raft log only. */
    public boolean isWitness() {
        return witness;
    }

    public boolean healthy() {
        return !author.failed() && !stopped;
    }

    @Override
    public void peerUp(NodeId peer, byte[] certificate, long incarnation, boolean outbound) {
        boolean newMember;
        NodeCertificate cert;
        try {
            cert = NodeCertificate.fromBytes(certificate);
            if (removals.refuse(peer, cert)) {
                return;
            }
            newMember = admitCertificate(cert);
        } catch (IdentityException | IllegalArgumentException e) {
            network.disconnect(peer, "certificate not acceptable: " + e.getMessage());
            return;
        }
        log.info("node {} connected to {} ({})", self, peer.shortForm(), outbound ? "dialed" : "accepted");
        dialer.connected(peer);
        failureDetector.up(peer);
        // Revocations go first (if any), then certificates, so a peer can verify every change this node sends after
        // them, and refuses a removed node's.
        removals.connected(peer, cert);
        network.send(peer, certificatesMessage());
        if (newMember) {
            membershipGrew(peer);
        }
        // A witness holds no agent state: no changes go to it or come from it, whichever side it is.
        replicator.peerUp(peer, !witness && cert.role() != Role.WITNESS);
        majority.peerUp(peer);
    }

    @Override
    public void peerDown(NodeId peer, String reason) {
        log.info("node {} lost {}: {}", self, peer.shortForm(), reason);
        removals.disconnected(peer);
        failureDetector.down(peer);
        clockOffsets.forget(peer);
        replicator.peerDown(peer);
        majority.peerDown(peer);
        dialer.disconnected(peer, reason);
    }

    @Override
    public void dialFailed(NodeId peer, String reason) {
        dialer.dialFailed(peer, reason);
    }

    @Override
    public void message(NodeId peer, WireMessage message) {
        failureDetector.heard(peer);
        switch (message) {
            case WireMessage.Changes changes -> replicator.onChanges(peer, changes);
            case WireMessage.Digest digest -> replicator.onDigest(peer, digest);
            case WireMessage.Heartbeat hb -> network.send(peer, new WireMessage.HeartbeatAck(hb.sentNanos(),
                    Math.max(WireMessage.HeartbeatAck.NO_WALL_TIME, clock.nowMillis())));
            case WireMessage.HeartbeatAck ack -> heartbeatAnswered(peer, ack);
            case WireMessage.Certificates certs -> learn(peer, certs);
            case WireMessage.Consensus c -> onConsensus(peer, c);
            case WireMessage.Goodbye bye -> log.info("node {} peer {} said goodbye: {}", self, peer.shortForm(), bye.reason());
            case WireMessage.Revocations r -> removals.learn(peer, r);
            case WireMessage.Durable d -> majority.onDurable(peer, d);
            case WireMessage.DurableQuery q -> majority.onQuery(peer, q);
            case WireMessage.Hello hello -> network.disconnect(peer, "unexpected second Hello");
        }
    }

    private void onConsensus(NodeId peer, WireMessage.Consensus message) {
        if (consensus == null) {
            return; // not a voter: Raft traffic is not for this node
        }
        try {
            consensus.handle(peer, message.payload());
        } catch (CodecException e) {
            log.warn("node {} dropped a consensus message from {}: {}", self, peer.shortForm(), e.getMessage());
        }
    }

    private void learn(NodeId from, WireMessage.Certificates message) {
        boolean learned = false;
        boolean newMembers = false;
        for (byte[] encoded : message.certificates()) {
            if (membership.holdsExactly(encoded)) {
                continue; // already verified and held: parsing it again would cost two key checks and a signature
            }
            try {
                newMembers |= admitCertificate(NodeCertificate.fromBytes(encoded));
            } catch (IdentityException | IllegalArgumentException e) {
                log.warn("node {} ignored a certificate from {}: {}", self, from.shortForm(), e.getMessage());
            }
        }
        if (newMembers) {
            membershipGrew(from);
            learned = true;
        }
        for (WireMessage.PeerAddress a : message.addresses()) {
            try {
                NodeId id = NodeId.parse(a.nodeId());
                if (membership.certificate(id).isPresent() && membership.address(id).isEmpty()
                        && !removals.isRevoked(id)) {
                    membership.setAddress(id, InetSocketAddress.createUnresolved(a.host(), a.port()));
                    learned = true;
                }
            } catch (IllegalArgumentException | IdentityException e) {
                log.warn("node {} ignored an address from {}: {}", self, from.shortForm(), e.getMessage());
            }
        }
        if (learned) {
            dialer.dialMissing();
        }
    }

    /**
     * A member joined this node's view: keep the certificates on disk (a restart must still verify that member's
     * changes before it reconnects) and pass them on to every other peer before any change of the new member
     * could reach them through this node. Over ordered connections that keeps "certificate before change" true
     * mesh-wide, so no honest change is ever refused for an unknown signer.
     */
    private void membershipGrew(NodeId from) {
        saveCertificates();
        WireMessage.Certificates message = certificatesMessage();
        for (NodeId peer : replicator.connectedPeers()) {
            if (!peer.equals(from)) {
                network.send(peer, message);
            }
        }
    }

    /**
     * Queues the certificates for the disk behind every change appended so far, without waiting for it. When the
     * store refuses for overload (nothing written), the next heartbeat tries again with the certificates then.
     */
    private void saveCertificates() {
        certificatesUnsaved = false;
        store.putMetaAsync(StoredCertificates.META_KEY, StoredCertificates.encode(membership.certificates()))
                .whenComplete((ok, error) -> {
                    if (error != null) {
                        scheduler.execute(() -> certificatesSaveFailed(error));
                    }
                });
    }

    private void certificatesSaveFailed(Throwable error) {
        Throwable cause = Failures.cause(error);
        if (cause instanceof io.agentmesh.state.store.StoreOverloadedException) {
            log.info("node {} will save the certificates again: {}", self, cause.getMessage());
            certificatesUnsaved = true;
            return;
        }
        onFatal.accept("could not save the certificates: " + cause.getMessage());
    }

    private void loadCertificates() {
        StoredCertificates.Decoded stored = StoredCertificates.decode(
                store.getMeta(StoredCertificates.META_KEY).orElse(new byte[0]));
        for (byte[] certificate : stored.certificates()) {
            try {
                admitCertificate(NodeCertificate.fromBytes(certificate));
            } catch (IdentityException | IllegalArgumentException | IllegalStateException e) {
                log.info("node {} dropped a stored certificate: {}", self, e.getMessage());
            }
        }
        if (stored.trailingBytes() > 0) {
            log.warn("node {} ignored {} stored bytes too few for a certificate; peers will send it again", self,
                    stored.trailingBytes());
        }
    }

    private WireMessage.Certificates certificatesMessage() {
        List<byte[]> certs = new ArrayList<>();
        membership.certificates().forEach(c -> certs.add(c.toBytes()));
        List<WireMessage.PeerAddress> addresses = new ArrayList<>();
        config.advertisedAddress().ifPresent(a ->
                addresses.add(new WireMessage.PeerAddress(identity.nodeId().toString(), a.getHostString(), a.getPort())));
        membership.addresses().forEach((id, a) -> {
            if (!removals.isRevoked(id)) {
                addresses.add(new WireMessage.PeerAddress(id.toString(), a.getHostString(), a.getPort()));
            }
        });
        return new WireMessage.Certificates(certs, addresses);
    }

    private void heartbeat() {
        if (certificatesUnsaved) {
            saveCertificates();
        }
        for (NodeId suspect : failureDetector.suspects()) {
            network.disconnect(suspect, "silent for " + failureDetector.silenceMs(suspect) + " ms");
        }
        WireMessage.Heartbeat hb = new WireMessage.Heartbeat(clock.monotonicNanos());
        for (NodeId peer : replicator.connectedPeers()) {
            network.send(peer, hb);
        }
    }

    private void heartbeatAnswered(NodeId peer, WireMessage.HeartbeatAck ack) {
        long roundTripNanos = clock.monotonicNanos() - ack.echoedNanos();
        failureDetector.roundTrip(peer, roundTripNanos);
        if (ack.wallMillis() != WireMessage.HeartbeatAck.NO_WALL_TIME && roundTripNanos >= 0
                && failureDetector.silenceMs(peer) >= 0) {
            clockOffsets.sample(peer, ack.wallMillis(), clock.nowMillis(), roundTripNanos);
        }
    }

    /** Operator view of peers: link state, last contact, lag. */
    public List<Map<String, Object>> peerStatus() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (NodeCertificate cert : membership.certificates()) {
            NodeId id = cert.nodeId();
            if (id.equals(identity.nodeId())) {
                continue;
            }
            Map<String, Object> p = new LinkedHashMap<>();
            boolean connected = replicator.connectedPeers().contains(id);
            p.put("node", id.toString());
            p.put("role", cert.role().name().toLowerCase());
            p.put("address", membership.address(id).map(a -> a.getHostString() + ":" + a.getPort()).orElse(null));
            p.put("link", removals.isRevoked(id) ? "removed" : connected ? "up"
                    : (dialer.failures(id) > 0 ? "down (" + dialer.failures(id) + " failed dials)" : "down"));
            p.put("lastContactMsAgo", failureDetector.silenceMs(id));
            p.put("roundTripMicros", failureDetector.roundTripMicros(id));
            var offset = clockOffsets.of(id);
            p.put("clockOffsetMs", offset.map(io.agentmesh.node.membership.ClockOffsets.Estimate::offsetMs).orElse(null));
            p.put("clockOffsetErrorMs", offset.map(io.agentmesh.node.membership.ClockOffsets.Estimate::errorMs)
                    .orElse(null));
            p.put("changesBehind", replicator.lag(id));
            out.add(p);
        }
        return out;
    }

    private void every(long intervalMs, Runnable task) {
        timers.add(new Repeating(intervalMs, task));
    }

    /** A task that reschedules itself until the core stops; cancelling it cancels the pending run. */
    private final class Repeating implements Scheduler.Cancellable {
        private final long intervalMs;
        private final Runnable task;
        private Scheduler.Cancellable next;

        Repeating(long intervalMs, Runnable task) {
            this.intervalMs = intervalMs;
            this.task = task;
            this.next = scheduler.schedule(this::run, intervalMs);
        }

        private void run() {
            if (stopped) {
                return;
            }
            task.run();
            next = scheduler.schedule(this::run, intervalMs);
        }

        @Override
        public void cancel() {
            next.cancel();
        }
    }
}
