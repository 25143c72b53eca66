package io.agentmesh.node.replication;

import io.agentmesh.node.consensus.VoterSet;
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
 * holding it (this node when it votes, and each voter that confirmed {@code s} or more) are a majority of each voter
 * configuration it counts over: its own committed and effective ones and the newest one any voter's answer reported
 * (this node's own may be several membership changes behind the group's). Witnesses hold no state and never count.
 * A write still waiting at the next replication round asks again, which covers a lost push and a change that reached
 * a voter through another peer. Local writes send nothing more. Bounded: at most {@link MajorityConfig#maxPending}
 * waiting (refused past it, changing nothing), each failing with {@link MajorityTimeoutException} after
 * {@link MajorityConfig#timeoutMs}.
 *
 * <p><b>Catch-up.</b> {@link #catchUp} asks each connected voter for its durable vector and its effective voter
 * configuration, and once a majority of the newest configuration reported answered while already in it (this node
 * included when it is), and a majority of its own committed one answered at all, pulls until this node durably holds
 * the union of the answers. A voter whose answer names an older configuration is asked again at the next round.
 *
 * <p><b>Voter changes.</b> The agent's state is gossiped, not carried in the Raft log, so a new voter does not bring
 * the writes a majority acknowledged, and a removed one takes its copies away. Before the leader changes the voters,
 * {@link #beforeVoterChange} catches up from a majority and waits until the voters holding that catch-up's target meet
 * every majority of the next configuration. docs/protocol.md ("Majority-durable writes and catch-up") gives the
 * argument that a completed catch-up then holds every write acknowledged before it started, and its limits.
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
     * @param committed    the committed Raft voter configuration (witnesses included); empty while not known
     * @param effective    the newest configuration in this node's Raft log (what it reports when asked)
     * @param unknownWhy   why {@code committed} is empty, for errors (e.g. not in a group yet)
     */
    public record Voters(boolean consensusOff, VoterSet committed, VoterSet effective, String unknownWhy) {
        public static final Voters CONSENSUS_OFF = new Voters(true, VoterSet.NONE, VoterSet.NONE, "");

        public Voters {
            Objects.requireNonNull(committed, "committed");
            Objects.requireNonNull(effective, "effective");
            Objects.requireNonNull(unknownWhy, "unknownWhy");
        }

        /** A consensus member's configurations ({@code why} says why there are none, when there are none). */
        public static Voters of(VoterSet committed, VoterSet effective, String why) {
            return new Voters(false, committed, effective, why);
        }

        /** The committed voters. */
        public List<NodeId> voters() {
            return committed.voters();
        }

        public int majority() {
            return consensusOff ? 1 : committed.majority();
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
    private final Supplier<Collection<NodeId>> connected;
    private final Replicator replicator;

    /** Per connected peer: the highest seq of this node's actor it confirmed durable. */
    private final Map<NodeId, Long> confirmed = new TreeMap<>();
    /** Per connected peer: the effective voter configuration its latest answer reported (never empty). */
    private final Map<NodeId, VoterSet> reported = new TreeMap<>();
    /** Majority-durable writes durable here and waiting for a majority, by seq (a batch's writes share one). */
    private final TreeMap<Long, List<PendingWrite>> pending = new TreeMap<>();
    /** The writes in {@link #pending}. */
    private int pendingWrites;
    /** Majority-durable writes admitted but not yet durable here (they count against the limit too). */
    private int admitted;
    private final List<CatchUpRun> catchUps = new ArrayList<>();
    private final Map<Long, CatchUpRun> queries = new TreeMap<>();
    private final List<SpreadRun> spreads = new ArrayList<>();
    private final Map<Long, SpreadRun> spreadQueries = new TreeMap<>();
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
        /** Voter -> the query number it was asked with last. */
        final Map<NodeId, Long> asked = new TreeMap<>();
        /** Voter -> its latest answer to this run. */
        final Map<NodeId, Answer> answers = new TreeMap<>();
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

    /** A voter's answer to a catch-up: what it holds and the configuration it was in when it answered. */
    private record Answer(long query, VersionVector vector, VoterSet set) {
    }

    /** Waiting until enough of the next voters hold {@code target} ({@link #beforeVoterChange}). */
    private final class SpreadRun {
        final VersionVector target;
        final VoterSet next;
        final CompletableFuture<Void> done = new CompletableFuture<>();
        final Map<NodeId, Long> asked = new TreeMap<>();
        final java.util.Set<NodeId> answeredShort = new java.util.TreeSet<>();
        final java.util.Set<NodeId> holding = new java.util.TreeSet<>();
        Scheduler.Cancellable timer;

        SpreadRun(VersionVector target, VoterSet next) {
            this.target = target;
            this.next = next;
        }

        /** Holders that meet every majority of {@code next}: more than its voters outside a majority. */
        int needed() {
            return next.voters().size() - next.majority() + 1;
        }
    }

    /**
     * @param holdsState whether a node's confirmations count: an enrolled member that holds agent state (not a
     *                   witness, not removed, certificate known here)
     * @param connected  the peers connected now
     */
    public MajorityDurability(NodeId self, ActorId actor, ChangeStore store, Network network, Scheduler scheduler,
                              Clock clock, MajorityConfig config, Supplier<Voters> voters,
                              Predicate<NodeId> holdsState, Supplier<Collection<NodeId>> connected,
                              Replicator replicator) {
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
        for (NodeId voter : votersOf(countedSets(voters.get()))) {
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
        String detail = v.voters().isEmpty() ? v.unknownWhy() : shortOf(seq, countedSets(v));
        log.warn("node {} majority-durable write {}/{} timed out: {}", selfName, actor, seq, detail);
        w.done.completeExceptionally(new MajorityTimeoutException(config.timeoutMs(), detail));
    }

    /** Acknowledges, in seq order, every waiting write a majority holds now. */
    private void settleWrites() {
        if (pending.isEmpty()) {
            return;
        }
        Voters v = voters.get();
        List<VoterSet> sets = countedSets(v);
        List<PendingWrite> settled = new ArrayList<>();
        // Holders of seq s are a superset of those of s + 1, so the first write short of a majority stops the scan.
        for (Iterator<Map.Entry<Long, List<PendingWrite>>> it = pending.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Long, List<PendingWrite>> e = it.next();
            if (!v.consensusOff() && (v.voters().isEmpty() || !shortOf(e.getKey(), sets).isEmpty())) {
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

    /**
     * The configurations a write is counted over: this node's committed one, its effective one when a change is
     * under way, and the newest any connected voter reported when that is newer still. A majority of each must hold
     * the write: the newest guards against this node's own being stale, its own against a newer one that is never
     * committed.
     */
    private List<VoterSet> countedSets(Voters v) {
        List<VoterSet> sets = new ArrayList<>(3);
        sets.add(v.committed());
        if (!v.effective().isEmpty() && v.effective().index() != v.committed().index()) {
            sets.add(v.effective());
        }
        VoterSet newest = null;
        for (VoterSet r : reported.values()) {
            if (newest == null || r.index() > newest.index()) {
                newest = r;
            }
        }
        if (newest != null && newest.index() > Math.max(v.committed().index(), v.effective().index())) {
            sets.add(newest);
        }
        return sets;
    }

    private static java.util.Set<NodeId> votersOf(List<VoterSet> sets) {
        java.util.Set<NodeId> out = new java.util.TreeSet<>();
        sets.forEach(s -> out.addAll(s.voters()));
        return out;
    }

    /**
     * Empty when a majority of each configuration holds this node's change {@code seq}; otherwise what is missing,
     * for errors (the first configuration short of its majority).
     */
    private String shortOf(long seq, List<VoterSet> sets) {
        for (int i = 0; i < sets.size(); i++) {
            VoterSet set = sets.get(i);
            int holders = holders(seq, set);
            if (holders < set.majority()) {
                String which = i == 0 ? "voters" : "voters of the newer configuration " + set;
                return holders + " of " + set.voters().size() + " " + which + " hold it, " + set.majority()
                        + " needed";
            }
        }
        return "";
    }

    /** Voters of {@code set} holding this node's change {@code seq} durably: itself, and each that confirmed it. */
    private int holders(long seq, VoterSet set) {
        int n = 0;
        for (NodeId voter : set.voters()) {
            if (voter.equals(self) || holdsState.test(voter) && confirmed.getOrDefault(voter, 0L) >= seq) {
                n++;
            }
        }
        return n;
    }

    // ---------------------------------------------------------------------------------------------- catch-up

    /**
     * Completes once this node durably holds every change that a majority of the voters held when asked (the newest
     * configuration any of them reported, answering from within it, and a majority of this node's own committed
     * one); fails with {@link CatchUpTimeoutException} after {@code timeoutMs}. With consensus off this node is its
     * own majority and it completes at once.
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
        ask(run, v, false);
        advance(run);
        return run.done;
    }

    /**
     * Asks every connected voter of every configuration known to this run that was not asked yet; with
     * {@code reaskStale}, also those whose answer named an older configuration than the newest (they may have
     * learned it since).
     */
    private void ask(CatchUpRun run, Voters v, boolean reaskStale) {
        Collection<NodeId> up = connected.get();
        VoterSet newest = newest(run, v);
        java.util.Set<NodeId> toAsk = votersOf(List.of(v.committed(), v.effective(), newest));
        run.answers.values().forEach(a -> toAsk.addAll(a.set().voters()));
        for (NodeId voter : toAsk) {
            if (voter.equals(self) || !up.contains(voter)) {
                continue;
            }
            Long asked = run.asked.get(voter);
            Answer answer = run.answers.get(voter);
            boolean stale = reaskStale && answer != null && asked != null && answer.query() == asked
                    && answer.set().index() < newest.index();
            if (asked != null && !stale) {
                continue;
            }
            long q = nextQuery++;
            if (network.send(voter, new WireMessage.DurableQuery(q))) {
                if (asked != null) {
                    queries.remove(asked);
                }
                run.asked.put(voter, q);
                queries.put(q, run);
            }
        }
    }

    /** The newest configuration this run knows of: this node's own, or one an answer reported. */
    private static VoterSet newest(CatchUpRun run, Voters v) {
        VoterSet newest = v.effective().index() >= v.committed().index() && !v.effective().isEmpty()
                ? v.effective() : v.committed();
        for (Answer a : run.answers.values()) {
            if (!a.set().isEmpty() && a.set().index() > newest.index()) {
                newest = a.set();
            }
        }
        return newest;
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
            VoterSet newest = newest(run, v);
            // An answer counts towards the newest configuration only when given from within it: a voter that
            // answered from an older one may have confirmed a write before it learned the newer (the argument in
            // docs/protocol.md needs its answer to come after). This node's own holdings count likewise.
            List<NodeId> answered = new ArrayList<>();
            for (NodeId voter : newest.voters()) {
                boolean current = voter.equals(self) ? v.effective().index() >= newest.index()
                        : run.answers.containsKey(voter) && run.answers.get(voter).set().index() >= newest.index();
                if (current) {
                    answered.add(voter);
                }
            }
            long ownAnswered = v.voters().stream()
                    .filter(x -> x.equals(self) || run.answers.containsKey(x)).count();
            if (answered.size() < newest.majority() || ownAnswered < v.majority()) {
                return;
            }
            Map<ActorId, Long> union = new TreeMap<>();
            run.answers.values().forEach(a -> a.vector().seqs().forEach((actorId, s) -> union.merge(actorId, s,
                    Math::max)));
            run.target = new VersionVector(union);
            run.answeredMajority = answered;
            run.majority = newest.majority();
            run.missing = missing(store.vector(), run.target);
        }
        VersionVector local = store.vector();
        if (missing(local, run.target) == 0) {
            finish(run);
            return;
        }
        if (replicator.pullingFrom().isEmpty()) {
            for (Map.Entry<NodeId, Answer> e : run.answers.entrySet()) {
                if (connected.get().contains(e.getKey()) && missing(local, e.getValue().vector()) > 0) {
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
            VoterSet newest = newest(run, v);
            long current = newest.voters().stream().filter(x -> x.equals(self)
                    ? v.effective().index() >= newest.index()
                    : run.answers.containsKey(x) && run.answers.get(x).set().index() >= newest.index()).count();
            why = v.voters().isEmpty() ? v.unknownWhy()
                    : "only " + current + " of " + newest.voters().size() + " voters answered (this node included)"
                    + (newest.index() > v.committed().index() ? " from the newest configuration " + newest : "")
                    + ", " + newest.majority() + " needed; asked " + names(run.asked.keySet());
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

    // ----------------------------------------------------------------------------------------- voter changes

    /**
     * On the leader, before it proposes a change of the voters to {@code nextVoters}: catches up from a majority,
     * then waits until the state-holding voters of the next configuration that hold that catch-up's target (this
     * node among them) are more than the next configuration's voters outside a majority, so every majority of it
     * meets one. Each step is bounded by {@link MajorityConfig#timeoutMs}; the future fails, naming who is short,
     * when one does not finish, and the caller retries later.
     */
    public CompletableFuture<Void> beforeVoterChange(List<NodeId> nextVoters) {
        VoterSet next = new VoterSet(0, new java.util.TreeSet<>(nextVoters).stream().toList());
        if (next.isEmpty()) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("a Raft group keeps at least one"
                    + " voter"));
        }
        return catchUp(config.timeoutMs()).thenCompose(caughtUp -> spread(caughtUp.target(), next));
    }

    private CompletableFuture<Void> spread(VersionVector target, VoterSet next) {
        if (stopped) {
            return CompletableFuture.failedFuture(new IllegalStateException("the node is stopping"));
        }
        SpreadRun run = new SpreadRun(target, next);
        if (next.voters().contains(self) && missing(store.vector(), target) == 0) {
            run.holding.add(self);
        }
        spreads.add(run);
        run.timer = scheduler.schedule(() -> spreadTimedOut(run), config.timeoutMs());
        askNext(run);
        settle(run);
        return run.done;
    }

    /** Asks each connected next voter holding state that is not known to hold the target and is not being asked. */
    private void askNext(SpreadRun run) {
        Collection<NodeId> up = connected.get();
        for (NodeId voter : run.next.voters()) {
            if (voter.equals(self) || run.holding.contains(voter) || !holdsState.test(voter) || !up.contains(voter)
                    || run.asked.containsKey(voter) && !run.answeredShort.contains(voter)) {
                continue;
            }
            long q = nextQuery++;
            if (network.send(voter, new WireMessage.DurableQuery(q))) {
                Long before = run.asked.put(voter, q);
                if (before != null) {
                    spreadQueries.remove(before);
                }
                run.answeredShort.remove(voter);
                spreadQueries.put(q, run);
            }
        }
    }

    private void settle(SpreadRun run) {
        if (!run.done.isDone() && run.holding.size() >= run.needed()) {
            forget(run);
            log.info("node {} may change the voters to {}: {} of them hold what a majority acknowledged",
                    selfName, run.next.voters().stream().map(NodeId::shortForm).toList(), names(run.holding));
            run.done.complete(null);
        }
    }

    private void spreadTimedOut(SpreadRun run) {
        if (run.done.isDone()) {
            return;
        }
        forget(run);
        run.done.completeExceptionally(new java.util.concurrent.TimeoutException("after " + config.timeoutMs()
                + " ms, " + run.holding.size() + " of the next voters " + run.next.voters().stream()
                .map(NodeId::shortForm).toList() + " hold what a majority acknowledged (" + names(run.holding)
                + "), " + run.needed() + " needed before the voters may change"));
    }

    private void forget(SpreadRun run) {
        spreads.remove(run);
        run.asked.values().forEach(spreadQueries::remove);
        if (run.timer != null) {
            run.timer.cancel();
        }
    }

    // ------------------------------------------------------------------------------------------------ events

    /** A peer said what is durable there, answering a query of a write, of a catch-up or of a voter change. */
    public void onDurable(NodeId peer, WireMessage.Durable message) {
        Map<ActorId, Long> seqs = new TreeMap<>();
        for (WireMessage.VectorEntry e : message.vector()) {
            seqs.merge(new ActorId(e.actor()), e.seq(), Math::max);
        }
        VersionVector vector = new VersionVector(seqs);
        VoterSet set = reportedSet(peer, message);
        boolean up = connected.get().contains(peer);
        Long own = seqs.get(actor);
        if (own != null && up) {
            confirmed.merge(peer, own, Math::max);
        }
        if (up && !set.isEmpty()) {
            reported.put(peer, set);
        }
        CatchUpRun run = queries.get(message.query());
        if (run != null && Long.valueOf(message.query()).equals(run.asked.get(peer))) {
            queries.remove(message.query());
            boolean learned = !run.answers.containsKey(peer)
                    || run.answers.get(peer).set().index() != set.index();
            run.answers.put(peer, new Answer(message.query(), vector, set));
            if (learned && run.target == null) {
                ask(run, voters.get(), false); // voters of a configuration this run had not heard of
            }
            advance(run);
        }
        SpreadRun spread = spreadQueries.get(message.query());
        if (spread != null && Long.valueOf(message.query()).equals(spread.asked.get(peer))) {
            spreadQueries.remove(message.query());
            if (missing(vector, spread.target) == 0) {
                spread.holding.add(peer);
                settle(spread);
            } else {
                spread.answeredShort.add(peer); // asked again at the next round, once it may have pulled
            }
        }
        settleWrites();
    }

    /** The configuration a peer's answer names; {@link VoterSet#NONE} (and a warning) when it names an unknown id. */
    private VoterSet reportedSet(NodeId peer, WireMessage.Durable message) {
        if (message.voters().isEmpty()) {
            return VoterSet.NONE;
        }
        try {
            java.util.TreeSet<NodeId> ids = new java.util.TreeSet<>();
            for (String voter : message.voters()) {
                ids.add(NodeId.parse(voter));
            }
            return new VoterSet(message.votersIndex(), List.copyOf(ids));
        } catch (IllegalArgumentException e) {
            log.warn("node {} ignored the voter configuration in {}'s durable answer: {}", selfName,
                    peer.shortForm(), e.getMessage());
            return VoterSet.NONE;
        }
    }

    /**
     * A peer asked what is durable here: answer with the whole durable vector and this node's effective voter
     * configuration, once everything received before the question is durable (so the answer covers a push the asker
     * sent just before asking).
     */
    public void onQuery(NodeId peer, WireMessage.DurableQuery query) {
        replicator.afterReceivedAppends(() -> {
            if (connected.get().contains(peer)
                    && network.send(peer, durableAnswer(query.query(), store.vector(), voters.get().effective()))) {
                replicator.stats().answeredDurableQuery();
            }
        });
    }

    /** A peer connected: catch-ups still short of a majority ask it at once rather than at the next round. */
    public void peerUp(NodeId peer) {
        for (CatchUpRun run : List.copyOf(catchUps)) {
            if (run.target == null) {
                ask(run, voters.get(), false);
                advance(run);
            }
        }
        for (SpreadRun run : List.copyOf(spreads)) {
            askNext(run);
        }
    }

    public void peerDown(NodeId peer) {
        confirmed.remove(peer);
        reported.remove(peer);
        for (CatchUpRun run : catchUps) {
            if (run.target == null && !run.answers.containsKey(peer)) {
                Long q = run.asked.remove(peer);
                if (q != null) {
                    queries.remove(q); // asked again when it is back
                }
            }
        }
        for (SpreadRun run : spreads) {
            Long q = run.asked.remove(peer);
            if (q != null) {
                spreadQueries.remove(q);
            }
            run.answeredShort.remove(peer);
        }
    }

    /**
     * Periodic (each anti-entropy round): settles writes against the voters as they are now, asks voters that have
     * not confirmed the oldest waiting write, moves catch-ups on (asking voters connected since, and again those that
     * answered from an older configuration), and asks the next voters of a voter change that did not hold enough.
     */
    public void tick() {
        settleWrites();
        if (!pending.isEmpty()) {
            askVoters(pending.firstKey()); // repairs a lost push or answer
        }
        for (CatchUpRun run : List.copyOf(catchUps)) {
            if (run.target == null) {
                ask(run, voters.get(), true);
            }
            advance(run);
        }
        for (SpreadRun run : List.copyOf(spreads)) {
            askNext(run);
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
        for (SpreadRun run : List.copyOf(spreads)) {
            forget(run);
            run.done.completeExceptionally(new IllegalStateException("the node stopped before the voters changed"));
        }
    }

    private static IllegalStateException stoppedError() {
        return new IllegalStateException("durable on this node, not yet acknowledged by a majority: the node stopped"
                + " before a majority of the voters confirmed this write; it is durable here and replicates once the"
                + " node runs again");
    }

    static WireMessage.Durable durableAnswer(long query, VersionVector vector, VoterSet effective) {
        List<WireMessage.VectorEntry> entries = new ArrayList<>(vector.seqs().size());
        vector.seqs().forEach((a, s) -> entries.add(new WireMessage.VectorEntry(a.bytes(), s)));
        return new WireMessage.Durable(query, entries, effective.index(),
                effective.voters().stream().map(NodeId::toString).toList());
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
