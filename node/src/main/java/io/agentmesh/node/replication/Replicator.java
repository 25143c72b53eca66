package io.agentmesh.node.replication;

import io.agentmesh.node.port.Failures;
import io.agentmesh.protocol.time.Clock;
import io.agentmesh.node.port.LocalIdentity;
import io.agentmesh.node.port.Network;
import io.agentmesh.node.port.Scheduler;
import io.agentmesh.node.membership.Membership;
import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.protocol.change.SignedChanges;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.wire.WireMessage;
import io.agentmesh.state.AgentState;
import io.agentmesh.state.automerge.ChangeHeader;
import io.agentmesh.state.StateException;
import io.agentmesh.state.store.ChangeStore;
import io.agentmesh.state.store.VersionVector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Moves signed changes between this node and its peers (node thread only).
 *
 * <ul>
 *   <li>Push: each change this node makes goes to every connected peer once it is durable here.</li>
 *   <li>Pull (anti-entropy, Scuttlebutt style): on connect and every {@code antiEntropyIntervalMs} each peer gets
 *       this node's version vector; a peer answers with what this node lacks, in bounded batches, flagging
 *       {@code more} so the exchange continues until nothing is missing. A new or far-behind peer therefore gets the
 *       whole history in a few large batches (see docs/protocol.md for why not an unsigned document snapshot).</li>
 *   <li>Verification before anything changes: the signer must be an enrolled member, the actor must derive from
 *       the signer's key and incarnation, the signature must hold, and the Automerge bytes must carry the same
 *       actor and seq. A bad change is counted and dropped; a peer that sends too many is disconnected.</li>
 *   <li>A received change is applied to the document (which queues it if its dependencies are missing) and then
 *       appended to the store. It is never forwarded before it is durable here.</li>
 *   <li>A peer that holds no agent state (a witness, or any peer of a witness) is connected but exchanges no
 *       changes: no pushes, no digests, and what it sends is ignored ({@link #peerUp(NodeId, boolean)}).</li>
 * </ul>
 */
public final class Replicator {
    private static final Logger log = LoggerFactory.getLogger(Replicator.class);

    private final LocalIdentity identity;
    private final Membership membership;
    private final AgentState state;
    private final ChangeStore store;
    private final Network network;
    private final Clock clock;
    private final ReplicationConfig config;
    private final Consumer<String> onFatal;
    /** Why a change of a removed node must be refused, if it must (its revocation's cut); empty for any other. */
    private final Function<SignedChange, Optional<String>> revoked;
    private final Scheduler nodeThread;
    private final byte[] agentId;
    private final String self;
    private final Map<NodeId, Peer> peers = new TreeMap<>();
    private final AppliedVector applied;
    private static final String UNKNOWN_SIGNER =
            "signer is not a member this node knows (not enrolled, certificate not valid now, or not yet received)";
    private final ReplicationStats stats = new ReplicationStats();
    /**
     * The one peer this node is pulling missing changes from, or null. Pulling from one peer at a time keeps a node
     * that comes back far behind from receiving the same history from every peer at once.
     */
    private NodeId pullingFrom;
    private int ticksSincePullProgress;
    /**
     * Ticks without an answer after which a pull counts as lost and is asked again. It doubles at each such stall,
     * up to {@link #MAX_PULL_STALL_TICKS}, and returns to {@link #PULL_STALL_TICKS} when a pull completes: on a busy
     * machine a full batch can take longer than the first bound to build, send and apply, and asking again then only
     * brings the same batch twice.
     */
    private int pullStallLimitTicks = PULL_STALL_TICKS;
    private long tickCount;
    /**
     * The store's future for the latest received change handed to it. The store commits in the order it was given
     * changes, so once this one is durable every change received before it is too: what a {@code DurableQuery}
     * answer waits for ({@link #afterReceivedAppends}).
     */
    private CompletableFuture<Void> lastReceivedAppend = CompletableFuture.completedFuture(null);
    private static final int PULL_STALL_TICKS = 10;
    private static final int MAX_PULL_STALL_TICKS = 160;

    private static final class Peer {
        final NodeId id;
        /** False for a peer this node exchanges no changes with (a witness, or every peer of a witness). */
        final boolean exchanges;
        /** The peer's vector as of its last digest. */
        VersionVector known = VersionVector.EMPTY;
        int badChanges;
        long lastCursorSaveNanos = Long.MIN_VALUE;
        /** An answer to this peer's pull is being read from the store ({@link #sendMissing}). */
        boolean answering;
        /** The latest pull that came while answering, answered next; null when none. */
        VersionVector nextPull;

        Peer(NodeId id, boolean exchanges) {
            this.id = id;
            this.exchanges = exchanges;
        }
    }

    public Replicator(LocalIdentity identity, Membership membership, AgentState state, ChangeStore store,
                      Network network, Clock clock, Scheduler nodeThread, ReplicationConfig config,
                      Consumer<String> onFatal) {
        this(identity, membership, state, store, network, clock, nodeThread, config, onFatal,
                change -> Optional.empty());
    }

    /**
     * @param revoked why a change must be refused because its node was removed (checked after its signature);
     *                such a change is never applied, stored or offered to a peer
     */
    public Replicator(LocalIdentity identity, Membership membership, AgentState state, ChangeStore store,
                      Network network, Clock clock, Scheduler nodeThread, ReplicationConfig config,
                      Consumer<String> onFatal, Function<SignedChange, Optional<String>> revoked) {
        this.revoked = revoked;
        this.nodeThread = nodeThread;
        this.identity = identity;
        this.membership = membership;
        this.state = state;
        this.store = store;
        this.network = network;
        this.clock = clock;
        this.config = config;
        this.onFatal = onFatal;
        this.agentId = identity.agentId().bytes();
        this.self = identity.nodeId().shortForm();
        this.applied = new AppliedVector(store.vector());
    }

    public ReplicationStats stats() {
        return stats;
    }

    /**
     * Runs {@code task} on the node thread once every change received so far is durable here (at once when none is
     * on its way to disk), so an answer about what is durable covers what the asker sent before asking.
     */
    public void afterReceivedAppends(Runnable task) {
        lastReceivedAppend.whenComplete((ok, error) -> nodeThread.execute(task));
    }

    public void peerUp(NodeId peer) {
        peerUp(peer, true);
    }

    /**
     * A peer connected. With {@code exchangesChanges} false it only counts as connected (heartbeats, consensus): no
     * change or digest goes to it and nothing it sends is taken. The node core passes false when either side is a
     * witness, which holds no agent state.
     */
    public void peerUp(NodeId peer, boolean exchangesChanges) {
        Peer p = new Peer(peer, exchangesChanges);
        peers.put(peer, p);
        if (!exchangesChanges) {
            return;
        }
        p.known = loadCursor(peer);
        // The digest tells the peer where this node's durable vector stands, so the exchange resumes from there.
        boolean pull = pullingFrom == null;
        if (pull) {
            startPull(peer);
        }
        sendDigest(p, pull);
    }

    public void peerDown(NodeId peer) {
        Peer p = peers.remove(peer);
        if (p != null && p.exchanges) {
            saveCursor(p, true);
        }
        if (peer.equals(pullingFrom)) {
            pullingFrom = null;
        }
    }

    /** This node made its change {@code seq}; it is applied here (not yet durable). */
    public void localApplied(long seq) {
        applied.record(identity.actor(), seq);
    }

    /** A change this node made is durable: push it. */
    public void localDurable(SignedChange change) {
        WireMessage.Changes push = new WireMessage.Changes(List.of(change), false);
        for (Peer p : peers.values()) {
            if (p.exchanges && network.send(p.id, push)) {
                stats.changesSent++;
                stats.bytesSent += change.size();
            }
        }
    }

    /** Periodic anti-entropy round. */
    public void tick() {
        tickCount++;
        if (pullingFrom != null && ++ticksSincePullProgress > pullStallLimitTicks) {
            pullingFrom = null; // the answer was lost (e.g. the peer's buffer was full); pull again
            pullStallLimitTicks = Math.min(pullStallLimitTicks * 2, MAX_PULL_STALL_TICKS);
            stats.pullStalls++;
        }
        // Each round pulls from one peer, rotating, so whatever a push missed is repaired from every side in turn.
        List<Peer> exchanging = peers.values().stream().filter(p -> p.exchanges).toList();
        int chosen = exchanging.isEmpty() ? -1 : (int) (tickCount % exchanging.size());
        int i = 0;
        for (Peer p : exchanging) {
            boolean pull = pullingFrom == null && i++ == chosen;
            if (pull) {
                startPull(p.id);
            }
            sendDigest(p, pull);
            saveCursor(p, false);
        }
    }

    private void startPull(NodeId peer) {
        pullingFrom = peer;
        ticksSincePullProgress = 0;
    }

    public void onDigest(NodeId from, WireMessage.Digest digest) {
        Peer p = peers.get(from);
        if (p == null || !p.exchanges) {
            return;
        }
        Map<ActorId, Long> theirs = new TreeMap<>();
        for (WireMessage.VectorEntry e : digest.vector()) {
            theirs.put(new ActorId(e.actor()), e.seq());
        }
        p.known = new VersionVector(theirs);
        if (digest.pull()) {
            sendMissing(p, p.known);
        }
    }

    public void onChanges(NodeId from, WireMessage.Changes batch) {
        Peer p = peers.get(from);
        if (p == null || !p.exchanges) {
            return;
        }
        int refusedRevoked = 0;
        String revokedProblem = null;
        for (SignedChange change : batch.changes()) {
            if (applied.has(change.actor(), change.seq())) {
                stats.duplicates++;
                continue;
            }
            String problem = applied.canRecord(change.actor(), change.seq()) ? verify(change)
                    : "too many changes of one actor beyond a gap";
            boolean ofRemovedNode = false;
            if (problem == null) {
                Optional<String> refusal = revoked.apply(change);
                ofRemovedNode = refusal.isPresent();
                problem = refusal.orElse(null);
            }
            if (problem == null) {
                try {
                    state.applyChange(change.bytes());
                } catch (StateException e) {
                    problem = "change content rejected: " + e.getMessage();
                    ofRemovedNode = e.reason() == StateException.Reason.REVOKED;
                }
            }
            if (ofRemovedNode) {
                // Not held against the sender: an honest peer may hold it from before it learned of the removal.
                // One log line per batch, not per change.
                stats.rejected++;
                stats.refusedRevoked++;
                refusedRevoked++;
                revokedProblem = problem;
                continue;
            }
            if (problem == UNKNOWN_SIGNER) {
                // Not proof of a bad peer: the signer's certificate may still be on its way. The change stays
                // unapplied and a later anti-entropy round brings it again.
                stats.unknownSigner++;
                continue;
            }
            if (problem != null) {
                stats.rejected++;
                p.badChanges++;
                log.warn("node {} rejected change {}/{} from {}: {}", self, change.actor(), change.seq(),
                        from.shortForm(), problem);
                if (p.badChanges > config.maxBadChangesPerPeer()) {
                    logRevoked(from, refusedRevoked, revokedProblem);
                    network.disconnect(from, "sent " + p.badChanges + " invalid changes");
                    return;
                }
                continue;
            }
            applied.record(change.actor(), change.seq());
            stats.changesApplied++;
            CompletableFuture<Void> append = store.append(change);
            lastReceivedAppend = append;
            append.whenComplete((ok, error) -> {
                if (error != null) {
                    nodeThread.execute(() -> onFatal.accept("could not make received change " + change.actor()
                            + "/" + change.seq() + " durable: " + error.getMessage()));
                }
            });
        }
        logRevoked(from, refusedRevoked, revokedProblem);
        if (batch.more()) {
            // The sender holds more for us: keep pulling from it with what we hold now.
            startPull(from);
            network.send(from, digestOf(applied.toVector(), true));
        } else if (from.equals(pullingFrom)) {
            pullingFrom = null;
            pullStallLimitTicks = PULL_STALL_TICKS;
        }
    }

    /**
     * Pulls from {@code peer} now unless a pull from another peer is under way (catch-up: the peer is known to hold
     * changes this node lacks). Does nothing for a peer that is not connected or exchanges no changes.
     */
    public void pullNow(NodeId peer) {
        Peer p = peers.get(peer);
        if (p == null || !p.exchanges || pullingFrom != null) {
            return;
        }
        startPull(peer);
        sendDigest(p, true);
    }

    /** Whether a pull is under way, and from whom. */
    public Optional<NodeId> pullingFrom() {
        return Optional.ofNullable(pullingFrom);
    }

    private void logRevoked(NodeId from, int refused, String problem) {
        if (refused > 0) {
            log.warn("node {} refused {} change(s) of a removed node from {}: {}", self, refused, from.shortForm(),
                    problem);
        }
    }

    /** Each connected peer's version vector as of its last digest (not a witness's: it holds no changes). */
    public Map<NodeId, VersionVector> peerVectors() {
        Map<NodeId, VersionVector> out = new TreeMap<>();
        peers.forEach((id, p) -> {
            if (p.exchanges) {
                out.put(id, p.known);
            }
        });
        return out;
    }

    /**
     * Total changes {@code peer} lacks compared with this node, as of its last digest; -1 when it is not connected, 0
     * when the two exchange no changes (nothing is owed to a witness).
     */
    public long lag(NodeId peer) {
        Peer p = peers.get(peer);
        if (p == null) {
            return -1;
        }
        if (!p.exchanges) {
            return 0;
        }
        long behind = 0;
        for (Map.Entry<ActorId, Long> e : store.vector().seqs().entrySet()) {
            behind += Math.max(0, e.getValue() - p.known.get(e.getKey()));
        }
        return behind;
    }

    public Set<NodeId> connectedPeers() {
        return peers.keySet();
    }

    String verify(SignedChange change) {
        if (membership.memberByKey(change.signerKey()).isEmpty()) {
            return UNKNOWN_SIGNER;
        }
        if (!SignedChanges.verify(agentId, change)) {
            return "bad signature or actor not derived from the signer's key";
        }
        ChangeHeader header;
        try {
            header = AgentState.parseHeader(change.bytes());
        } catch (StateException e) {
            return "malformed change bytes: " + e.getMessage();
        }
        if (!ByteBuffer.wrap(header.actor()).equals(ByteBuffer.wrap(change.actor().bytes())) || header.seq() != change.seq()) {
            return "actor/seq in the signed envelope differ from the change bytes";
        }
        return null;
    }

    /**
     * Answers a pull: what {@code theirs} lacks of this node's durable changes, in one bounded batch. The store
     * reads run on the store's readers ({@link ChangeStore#readAsync}), never on the node thread; each chunk comes
     * back here to be checked and added, and the next read is asked for from here. One answer per peer is under way
     * at a time, so its batches leave in order and at most one read per peer waits for the disk; a pull that
     * arrives meanwhile is answered next (only the latest: each pull says all the puller holds).
     */
    private void sendMissing(Peer p, VersionVector theirs) {
        if (p.answering) {
            p.nextPull = theirs;
            return;
        }
        p.answering = true;
        nextChunk(p, new MissingBatch(theirs, List.copyOf(store.vector().seqs().entrySet())));
    }

    /** An answer being gathered: what the puller holds, where the reads stand, and what is in the batch so far. */
    private static final class MissingBatch {
        final VersionVector theirs;
        final List<Map.Entry<ActorId, Long>> ours;
        final List<SignedChange> changes = new ArrayList<>();
        int actor;
        /** The next seq of {@code ours.get(actor)} to read; 0 until that actor's first read. */
        long from;
        long bytes;
        boolean more;

        MissingBatch(VersionVector theirs, List<Map.Entry<ActorId, Long>> ours) {
            this.theirs = theirs;
            this.ours = ours;
        }

        void nextActor() {
            actor++;
            from = 0;
        }
    }

    /** Asks the store for the next chunk of {@code b}, or sends it when it is full or nothing is left. Node thread. */
    private void nextChunk(Peer p, MissingBatch b) {
        while (b.actor < b.ours.size()) {
            Map.Entry<ActorId, Long> e = b.ours.get(b.actor);
            if (b.from == 0) {
                // Answer from what the puller says it holds, trusting no earlier send: a batch may have been lost.
                b.from = b.theirs.get(e.getKey()) + 1;
            }
            if (b.from > e.getValue()) {
                b.nextActor();
                continue;
            }
            int room = config.maxBatchChanges() - b.changes.size();
            if (room <= 0) {
                b.more = true;
                break;
            }
            store.readAsync(e.getKey(), b.from, Math.min(room, 512)).whenComplete((chunk, error) ->
                    nodeThread.execute(() -> onChunk(p, b, chunk, error)));
            return;
        }
        finishAnswer(p, b);
    }

    private void onChunk(Peer p, MissingBatch b, List<SignedChange> chunk, Throwable error) {
        if (peers.get(p.id) != p) {
            return; // the peer left (or reconnected as a new Peer): nobody to answer, read no further
        }
        if (error != null) {
            // Not fatal: a read changes nothing. The puller asks again when its pull stalls.
            Throwable cause = Failures.cause(error);
            log.warn("node {} could not read changes for {}: {}", self, p.id.shortForm(), cause.toString());
            stats.readFailures++;
            p.answering = false;
            answerNextPull(p);
            return;
        }
        if (chunk.isEmpty()) {
            b.nextActor();
            nextChunk(p, b);
            return;
        }
        for (SignedChange c : chunk) {
            if (revoked.apply(c).isPresent()) {
                // Past a removed node's cut: no peer accepts it or anything after it, so none is offered.
                b.nextActor();
                nextChunk(p, b);
                return;
            }
            if (b.bytes + c.size() > config.maxBatchBytes() && !b.changes.isEmpty()) {
                b.more = true;
                finishAnswer(p, b);
                return;
            }
            b.changes.add(c);
            b.bytes += c.size();
            b.from = c.seq() + 1;
        }
        nextChunk(p, b);
    }

    private void finishAnswer(Peer p, MissingBatch b) {
        p.answering = false;
        // The peer may have gone (or reconnected as a new Peer) while the store read: the answer is for nobody then.
        if (peers.get(p.id) == p) {
            if (b.changes.isEmpty()) {
                // Nothing to send; an empty answer ends the puller's exchange with us.
                network.send(p.id, new WireMessage.Changes(List.of(), false));
            } else if (network.send(p.id, new WireMessage.Changes(b.changes, b.more))) {
                stats.changesSent += b.changes.size();
                stats.bytesSent += b.bytes;
            }
        }
        answerNextPull(p);
    }

    private void answerNextPull(Peer p) {
        VersionVector next = p.nextPull;
        if (next != null && peers.get(p.id) == p) {
            p.nextPull = null;
            sendMissing(p, next);
        }
    }

    private void sendDigest(Peer p, boolean pull) {
        network.send(p.id, digestOf(applied.toVector(), pull));
    }

    private static WireMessage.Digest digestOf(VersionVector vector, boolean pull) {
        List<WireMessage.VectorEntry> entries = new ArrayList<>(vector.seqs().size());
        vector.seqs().forEach((actor, seq) -> entries.add(new WireMessage.VectorEntry(actor.bytes(), seq)));
        return new WireMessage.Digest(entries, pull);
    }

    private VersionVector loadCursor(NodeId peer) {
        return store.getMeta(cursorKey(peer)).map(CursorCodec::decode).orElse(VersionVector.EMPTY);
    }

    private void saveCursor(Peer p, boolean force) {
        // A rate limit on monotonic time: a wall-clock step back would freeze cursor saves, one forward flood them.
        long nowNanos = clock.monotonicNanos();
        if (!force && p.lastCursorSaveNanos != Long.MIN_VALUE
                && nowNanos - p.lastCursorSaveNanos < TimeUnit.MILLISECONDS.toNanos(config.cursorSaveIntervalMs())) {
            return;
        }
        p.lastCursorSaveNanos = nowNanos;
        // Queued behind every change appended so far, so a cursor on disk is never ahead of them; never waited for
        // here (the node thread does not block on the disk).
        String key = cursorKey(p.id);
        store.putMetaAsync(key, CursorCodec.encode(p.known)).whenComplete((ok, error) -> {
            if (error != null) {
                nodeThread.execute(() -> cursorSaveFailed(key, error));
            }
        });
    }

    private void cursorSaveFailed(String key, Throwable error) {
        Throwable cause = Failures.cause(error);
        if (cause instanceof io.agentmesh.state.store.StoreOverloadedException) {
            // Nothing written, nothing lost: a cursor is where an exchange resumes, saved again next interval.
            stats.cursorSavesRefused++;
            log.debug("node {} skipped saving {}: {}", self, key, cause.getMessage());
            return;
        }
        onFatal.accept("could not save " + key + ": " + cause.getMessage());
    }

    private static String cursorKey(NodeId peer) {
        return "cursor/" + peer;
    }
}
