package io.agentmesh.node.replication;

import io.agentmesh.node.port.Network;
import io.agentmesh.node.port.Scheduler;
import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.time.Clock;
import io.agentmesh.protocol.wire.WireMessage;
import io.agentmesh.state.store.ChangeStore;
import io.agentmesh.state.store.VersionVector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Majority-durable writes and catch-up from a majority (node thread only; docs/protocol.md, "Majority-durable writes
 * and catch-up").
 *
 * <p><b>Writes.</b> A majority-durable write is first an ordinary write: durable here, then pushed. Right after the
 * push this node sends each voter a {@link WireMessage.DurableQuery}; a voter answers it with its durable vector
 * ({@link WireMessage.Durable}) once every change it received before the question is committed
 * ({@link Replicator#afterReceivedAppends}), so the answer covers the push. This node keeps, per connected peer, the
 * highest seq of its own actor that the peer has confirmed; a write of seq {@code s} is acknowledged once the voters
 * holding it (this node when it votes, and each voter that confirmed {@code s} or more) are a majority of the current
 * voters. Witnesses hold no state and never count. A write still waiting at the next replication round asks again,
 * which covers a lost push and a change that reached a voter through another peer. Local writes send nothing more. Bounded: at most {@link MajorityConfig#maxPending} waiting
 * (refused past it, changing nothing), each failing with {@link MajorityTimeoutException} after
 * {@link MajorityConfig#timeoutMs}.
 *
 * <p><b>Catch-up.</b> {@link #catchUp} asks each connected voter for its durable vector, and once a majority of the
 * voters (this node included when it votes) answered, pulls until this node durably holds the union of their
 * answers. Any majority-acknowledged write is durable on a majority of voters, and two majorities of one voter set
 * share a voter, so it is in the union (a witness in the intersection holds nothing, but a witness never counts
 * towards a write's majority either).
 *
 * <p>A confirmation is forgotten when its peer disconnects: a peer that comes back on a new store (new incarnation)
 * no longer holds what it confirmed, and one that comes back on the same store confirms again when asked.
 */
public final class MajorityDurability {
    private static final Logger log = LoggerFactory.getLogger(MajorityDurability.class);
    /** How often a catch-up that knows its target looks whether this node holds it yet. */
    private static final long CATCH_UP_CHECK_MS = 20;

    /**
     * The voters a majority is counted over, as this node knows them now.
     *
     * @param consensusOff this node takes no part in consensus and no other member votes: it is its own majority
     * @param voters       the committed Raft voters (witnesses included); empty while not known
     * @param unknownWhy   why {@code voters} is empty, for errors (e.g. not in a group yet)
     */
    public record Voters(boolean consensusOff, List<NodeId> voters, String unknownWhy) {
        public static final Voters CONSENSUS_OFF = new Voters(true, List.of(), "");

        public Voters {
            voters = List.copyOf(voters);
            Objects.requireNonNull(unknownWhy, "unknownWhy");
        }

        /** The committed voters of a consensus member ({@code why} says why there are none, when there are none). */
        public static Voters of(List<NodeId> voters, String why) {
            return new Voters(false, voters, why);
        }

        public int majority() {
            return consensusOff ? 1 : voters.size() / 2 + 1;
        }
    }

    private final NodeId self;
    private final ActorId actor;
    private final String selfName;
    private final ChangeStore store;
    private final Network network;
    private final Scheduler scheduler;
    private final Clock clock;
    private final MajorityConfig config;
    private final Supplier<Voters> voters;
    private final Predicate<NodeId> holdsState;
    private final Predicate<NodeId> witness;
    private final Supplier<Collection<NodeId>> connected;
    private final Replicator replicator;

    /** Per connected peer: the highest seq of this node's actor it confirmed durable. */
    private final Map<NodeId, Long> confirmed = new TreeMap<>();
    /** Majority-durable writes durable here and waiting for a majority, by seq (a batch's writes share one). */
    private final TreeMap<Long, List<PendingWrite>> pending = new TreeMap<>();
    /** The writes in {@link #pending}. */
    private int pendingWrites;
    /** Majority-durable writes admitted but not yet durable here (they count against the limit too). */
    private int admitted;
    private final List<CatchUpRun> catchUps = new ArrayList<>();
    private final Map<Long, CatchUpRun> queries = new TreeMap<>();
    private long nextQuery = 1;
    private boolean stopped;

    private static final class PendingWrite {
        final SignedChange change;
        final CompletableFuture<SignedChange> done;
        final long startedNanos;
        Scheduler.Cancellable timer;

        PendingWrite(SignedChange change, CompletableFuture<SignedChange> done, long startedNanos) {
            this.change = change;
            this.done = done;
            this.startedNanos = startedNanos;
        }
    }

    private final class CatchUpRun {
        final long startedNanos;
        final long timeoutMs;
        final CompletableFuture<CatchUp> done = new CompletableFuture<>();
        /** Voter -> the query number it was asked with (0 for a witness, counted without asking). */
        final Map<NodeId, Long> asked = new TreeMap<>();
        final Map<NodeId, VersionVector> answers = new TreeMap<>();
        Scheduler.Cancellable timer;
        VersionVector target;
        boolean checkScheduled;
        List<NodeId> answeredMajority = List.of();
        int majority;
        long missing;

        CatchUpRun(long startedNanos, long timeoutMs) {
            this.startedNanos = startedNanos;
            this.timeoutMs = timeoutMs;
        }
    }

    /**
     * @param holdsState whether a node's confirmations count: an enrolled member that holds agent state (not a
     *                   witness, not removed, certificate known here)
     * @param witness    whether a node is known to be a witness (its certificate says so): it holds nothing, so a
     *                   catch-up counts it as answering "nothing" without asking
     * @param connected  the peers connected now
     */
    public MajorityDurability(NodeId self, ActorId actor, ChangeStore store, Network network, Scheduler scheduler,
                              Clock clock, MajorityConfig config, Supplier<Voters> voters,
                              Predicate<NodeId> holdsState, Predicate<NodeId> witness,
                              Supplier<Collection<NodeId>> connected, Replicator replicator) {
        this.self = Objects.requireNonNull(self, "self");
        this.actor = Objects.requireNonNull(actor, "actor");
        this.selfName = self.shortForm();
        this.store = store;
        this.network = network;
        this.scheduler = scheduler;
        this.clock = clock;
        this.config = config;
        this.voters = voters;
        this.holdsState = holdsState;
        this.witness = witness;
        this.connected = connected;
        this.replicator = replicator;
    }

    // ---------------------------------------------------------------------------------------------------- writes

    /**
     * Makes a write through {@code localWrite} (which completes on the node thread once durable here) and returns a
     * future that completes once a majority of the voters hold it durably. Refused, without calling
     * {@code localWrite}, when {@link MajorityConfig#maxPending} writes are already waiting.
     */
    public CompletableFuture<SignedChange> write(Supplier<CompletableFuture<SignedChange>> localWrite) {
        if (stopped) {
            return CompletableFuture.failedFuture(new IllegalStateException("the node is stopping; write refused"));
        }
        if (pendingWrites + admitted >= config.maxPending()) {
            return CompletableFuture.failedFuture(new IllegalStateException("too many majority-durable writes are"
                    + " waiting for a majority of the voters (limit " + config.maxPending() + "); this write was"
                    + " refused and changed nothing. Retry later; if it persists, voters are unreachable or slow."));
        }
        long startedNanos = clock.monotonicNanos();
        CompletableFuture<SignedChange> result = new CompletableFuture<>();
        admitted++;
        CompletableFuture<SignedChange> local = localWrite.get();
        local.whenComplete((signed, error) -> {
            admitted--;
            if (error != null) {
                result.completeExceptionally(error);
            } else {
                track(signed, result, startedNanos);
            }
        });
        return result;
    }

    /** Majority-durable writes waiting now (durable here, or on their way to disk here). */
    public int waiting() {
        return pendingWrites + admitted;
    }

    private void track(SignedChange change, CompletableFuture<SignedChange> result, long startedNanos) {
        if (stopped) {
            result.completeExceptionally(stoppedError());
            return;
        }
        PendingWrite w = new PendingWrite(change, result, startedNanos);
        List<PendingWrite> same = pending.get(change.seq());
        boolean first = same == null;
        if (first) {
            same = new ArrayList<>();
            pending.put(change.seq(), same);
        }
        same.add(w);
        pendingWrites++;
        long leftMs = config.timeoutMs() - TimeUnit.NANOSECONDS.toMillis(clock.monotonicNanos() - startedNanos);
        w.timer = scheduler.schedule(() -> timeOut(w), Math.max(0, leftMs));
        settleWrites();
        // The other writes of the same change (one batch) asked already.
        if (first && pending.containsKey(change.seq())) {
            // The push went out just before (durable here, then sent); each voter answers once it has stored what
            // it received before this question, so its answer confirms the push.
            askVoters(change.seq());
        }
    }

    /** Asks each connected voter holding state that has not confirmed {@code seq} for its durable vector. */
    private void askVoters(long seq) {
        Collection<NodeId> up = connected.get();
        for (NodeId voter : voters.get().voters()) {
            if (!voter.equals(self) && holdsState.test(voter) && up.contains(voter)
                    && confirmed.getOrDefault(voter, 0L) < seq) {
                network.send(voter, new WireMessage.DurableQuery(nextQuery++));
            }
        }
    }

    private void timeOut(PendingWrite w) {
        long seq = w.change.seq();
        if (!pending.containsKey(seq)) {
            return;
        }
        settleWrites(); // a confirmation may have arrived in the same instant
        List<PendingWrite> same = pending.get(seq);
        if (same == null || !same.remove(w)) {
            return;
        }
        pendingWrites--;
        if (same.isEmpty()) {
            pending.remove(seq);
        }
        Voters v = voters.get();
        String detail = v.voters().isEmpty()
                ? v.unknownWhy()
                : holders(seq, v) + " of " + v.voters().size() + " voters hold it, " + v.majority() + " needed";
        log.warn("node {} majority-durable write {}/{} timed out: {}", selfName, actor, seq, detail);
        w.done.completeExceptionally(new MajorityTimeoutException(config.timeoutMs(), detail));
    }

    /** Acknowledges, in seq order, every waiting write a majority holds now. */
    private void settleWrites() {
        if (pending.isEmpty()) {
            return;
        }
        Voters v = voters.get();
        List<PendingWrite> settled = new ArrayList<>();
        // Holders of seq s are a superset of those of s + 1, so the first write short of a majority stops the scan.
        for (Iterator<Map.Entry<Long, List<PendingWrite>>> it = pending.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Long, List<PendingWrite>> e = it.next();
            if (!v.consensusOff() && (v.voters().isEmpty() || holders(e.getKey(), v) < v.majority())) {
                break;
            }
            it.remove();
            pendingWrites -= e.getValue().size();
            for (PendingWrite w : e.getValue()) {
                w.timer.cancel();
                settled.add(w);
            }
        }
        // Completed after the scan: a caller's callback may start another majority-durable write.
        settled.forEach(w -> w.done.complete(w.change));
    }

    /** Voters holding this node's change {@code seq} durably: itself when it votes, and each that confirmed it. */
    private int holders(long seq, Voters v) {
        int n = 0;
        for (NodeId voter : v.voters()) {
            if (voter.equals(self) || holdsState.test(voter) && confirmed.getOrDefault(voter, 0L) >= seq) {
                n++;
            }
        }
        return n;
    }

    // ---------------------------------------------------------------------------------------------- catch-up

    /**
     * Completes once this node durably holds every change that a majority of the voters (itself included when it
     * votes) held when asked; fails with {@link CatchUpTimeoutException} after {@code timeoutMs}. With consensus off
     * this node is its own majority and it completes at once.
     */
    public CompletableFuture<CatchUp> catchUp(long timeoutMs) {
        if (timeoutMs < 1 || timeoutMs > config.maxCatchUpMs()) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("a catch-up timeout must be 1.."
                    + config.maxCatchUpMs() + " ms, got " + timeoutMs));
        }
        if (stopped) {
            return CompletableFuture.failedFuture(new IllegalStateException("the node is stopping"));
        }
        Voters v = voters.get();
        if (v.consensusOff()) {
            return CompletableFuture.completedFuture(new CatchUp(List.of(), List.of(self), 1, store.vector(), 0, 0,
                    true));
        }
        if (catchUps.size() >= config.maxCatchUps()) {
            return CompletableFuture.failedFuture(new IllegalStateException(catchUps.size()
                    + " catch-ups are running already (limit " + config.maxCatchUps() + "); wait for one to end"));
        }
        CatchUpRun run = new CatchUpRun(clock.monotonicNanos(), timeoutMs);
        catchUps.add(run);
        run.timer = scheduler.schedule(() -> catchUpTimedOut(run), timeoutMs);
        ask(run, v);
        advance(run);
        return run.done;
    }

    /** Asks every connected voter not asked yet (a connected witness answers "nothing" without a message). */
    private void ask(CatchUpRun run, Voters v) {
        Collection<NodeId> up = connected.get();
        for (NodeId voter : v.voters()) {
            if (voter.equals(self) || run.asked.containsKey(voter) || !up.contains(voter)) {
                continue;
            }
            if (witness.test(voter)) {
                run.asked.put(voter, 0L);
                run.answers.put(voter, VersionVector.EMPTY);
                continue;
            }
            long q = nextQuery++;
            if (network.send(voter, new WireMessage.DurableQuery(q))) {
                run.asked.put(voter, q);
                queries.put(q, run);
            }
        }
    }

    private void advance(CatchUpRun run) {
        if (run.done.isDone()) {
            return;
        }
        if (run.target == null) {
            Voters v = voters.get();
            if (v.voters().isEmpty()) {
                return; // not in a group yet: the tick asks again once the voters are known
            }
            List<NodeId> answered = new ArrayList<>();
            Map<io.agentmesh.protocol.change.ActorId, Long> union = new TreeMap<>();
            for (NodeId voter : v.voters()) {
                VersionVector answer = voter.equals(self) ? VersionVector.EMPTY : run.answers.get(voter);
                if (answer != null) {
                    answered.add(voter);
                    answer.seqs().forEach((a, s) -> union.merge(a, s, Math::max));
                }
            }
            if (answered.size() < v.majority()) {
                return;
            }
            run.target = new VersionVector(union);
            run.answeredMajority = answered;
            run.majority = v.majority();
            run.missing = missing(store.vector(), run.target);
        }
        VersionVector local = store.vector();
        if (missing(local, run.target) == 0) {
            finish(run);
            return;
        }
        if (replicator.pullingFrom().isEmpty()) {
            for (Map.Entry<NodeId, VersionVector> e : run.answers.entrySet()) {
                if (connected.get().contains(e.getKey()) && missing(local, e.getValue()) > 0) {
                    replicator.pullNow(e.getKey());
                    break;
                }
            }
        }
        if (!run.checkScheduled) {
            // Look again soon: what the pull brings becomes durable without telling anyone.
            run.checkScheduled = true;
            scheduler.schedule(() -> {
                run.checkScheduled = false;
                advance(run);
            }, CATCH_UP_CHECK_MS);
        }
    }

    private void finish(CatchUpRun run) {
        forget(run);
        long tookMs = TimeUnit.NANOSECONDS.toMillis(clock.monotonicNanos() - run.startedNanos);
        log.info("node {} caught up from a majority ({} of {} needed answered) in {} ms, {} changes pulled",
                selfName, run.answeredMajority.size(), run.majority, tookMs, run.missing);
        run.done.complete(new CatchUp(List.copyOf(run.asked.keySet()), run.answeredMajority, run.majority,
                run.target, run.missing, tookMs, false));
    }

    private void catchUpTimedOut(CatchUpRun run) {
        if (run.done.isDone()) {
            return;
        }
        advance(run);
        if (run.done.isDone()) {
            return;
        }
        forget(run);
        Voters v = voters.get();
        String why;
        if (run.target == null) {
            long answers = v.voters().stream().filter(x -> x.equals(self) || run.answers.containsKey(x)).count();
            why = v.voters().isEmpty() ? v.unknownWhy()
                    : "only " + answers + " of " + v.voters().size() + " voters answered (this node included), "
                    + v.majority() + " needed; asked " + names(run.asked.keySet());
        } else {
            why = "a majority answered, but " + missing(store.vector(), run.target)
                    + " of the changes they hold are not yet durable here";
        }
        log.warn("node {} catch-up from a majority timed out after {} ms: {}", selfName, run.timeoutMs, why);
        run.done.completeExceptionally(new CatchUpTimeoutException("catch-up from a majority did not finish within "
                + run.timeoutMs + " ms: " + why));
    }

    private void forget(CatchUpRun run) {
        catchUps.remove(run);
        run.asked.values().forEach(queries::remove);
        if (run.timer != null) {
            run.timer.cancel();
        }
    }

    // ------------------------------------------------------------------------------------------------ events

    /** A peer said what is durable there, answering a query of a write or of a catch-up. */
    public void onDurable(NodeId peer, WireMessage.Durable message) {
        Map<ActorId, Long> seqs = new TreeMap<>();
        for (WireMessage.VectorEntry e : message.vector()) {
            seqs.merge(new ActorId(e.actor()), e.seq(), Math::max);
        }
        Long own = seqs.get(actor);
        if (own != null && connected.get().contains(peer)) {
            confirmed.merge(peer, own, Math::max);
        }
        CatchUpRun run = queries.get(message.query());
        if (run != null && Long.valueOf(message.query()).equals(run.asked.get(peer))) {
            queries.remove(message.query());
            run.answers.put(peer, new VersionVector(seqs));
            advance(run);
        }
        settleWrites();
    }

    /**
     * A peer asked what is durable here: answer with the whole durable vector, once everything received before the
     * question is durable (so the answer covers a push the asker sent just before asking).
     */
    public void onQuery(NodeId peer, WireMessage.DurableQuery query) {
        replicator.afterReceivedAppends(() -> {
            if (connected.get().contains(peer)
                    && network.send(peer, durableAnswer(query.query(), store.vector()))) {
                replicator.stats().answeredDurableQuery();
            }
        });
    }

    /** A peer connected: catch-ups still short of a majority ask it at once rather than at the next round. */
    public void peerUp(NodeId peer) {
        for (CatchUpRun run : List.copyOf(catchUps)) {
            if (run.target == null) {
                ask(run, voters.get());
                advance(run);
            }
        }
    }

    public void peerDown(NodeId peer) {
        confirmed.remove(peer);
        for (CatchUpRun run : catchUps) {
            if (run.target == null && !run.answers.containsKey(peer)) {
                Long q = run.asked.remove(peer);
                if (q != null) {
                    queries.remove(q); // asked again when it is back
                }
            }
        }
    }

    /**
     * Periodic (each anti-entropy round): settles writes against the voters as they are now, asks voters that have
     * not confirmed the oldest waiting write, and moves catch-ups on (asking voters connected since).
     */
    public void tick() {
        settleWrites();
        if (!pending.isEmpty()) {
            askVoters(pending.firstKey()); // repairs a lost push or answer
        }
        for (CatchUpRun run : List.copyOf(catchUps)) {
            if (run.target == null) {
                ask(run, voters.get());
            }
            advance(run);
        }
    }

    /** The node stops: whatever waits fails now, saying what became of it. */
    public void stop() {
        stopped = true;
        List<PendingWrite> waiting = pending.values().stream().flatMap(List::stream).toList();
        pending.clear();
        pendingWrites = 0;
        for (PendingWrite w : waiting) {
            w.timer.cancel();
            w.done.completeExceptionally(stoppedError());
        }
        for (CatchUpRun run : List.copyOf(catchUps)) {
            forget(run);
            run.done.completeExceptionally(new IllegalStateException("the node stopped before the catch-up ended"));
        }
    }

    private static IllegalStateException stoppedError() {
        return new IllegalStateException("durable on this node, not yet acknowledged by a majority: the node stopped"
                + " before a majority of the voters confirmed this write; it is durable here and replicates once the"
                + " node runs again");
    }

    static WireMessage.Durable durableAnswer(long query, VersionVector vector) {
        List<WireMessage.VectorEntry> entries = new ArrayList<>(vector.seqs().size());
        vector.seqs().forEach((a, s) -> entries.add(new WireMessage.VectorEntry(a.bytes(), s)));
        return new WireMessage.Durable(query, entries);
    }

    /** Changes of {@code target} that {@code have} lacks. */
    static long missing(VersionVector have, VersionVector target) {
        long behind = 0;
        for (Map.Entry<ActorId, Long> e : target.seqs().entrySet()) {
            behind += Math.max(0, e.getValue() - have.get(e.getKey()));
        }
        return behind;
    }

    private static String names(Collection<NodeId> ids) {
        return ids.isEmpty() ? "none (no voter connected)" : ids.stream().map(NodeId::shortForm).toList().toString();
    }
}
