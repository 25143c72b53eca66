package io.agentmesh.node.actions;

import io.agentmesh.node.actions.JournalOp.Claim;
import io.agentmesh.node.actions.JournalOp.Complete;
import io.agentmesh.node.actions.JournalOp.NewTerm;
import io.agentmesh.node.actions.JournalOp.Prepare;
import io.agentmesh.node.port.Failures;
import io.agentmesh.protocol.time.Clock;
import io.agentmesh.node.port.Scheduler;
import io.agentmesh.state.Intent;
import io.agentmesh.state.Outcome;
import io.microraft.Ordered;
import io.microraft.exception.CannotReplicateException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The leader's action loop (node thread): takes pending intents from the CRDT, claims each through the journal,
 * performs it under the committed claim's fencing token, records completion, then hands the outcome to the node core
 * for the CRDT (DESIGN.md invariant 6).
 *
 * <p>Per intent, driven by the journal (before deciding on an older term's open claim whose start mark it does not
 * see, a new leader commits a barrier, a {@link NewTerm} of its own, so its journal holds every entry committed
 * before its term):
 * <ul>
 *   <li>unclaimed: claim, then {@link ActionExecutor#perform};</li>
 *   <li>claimed in an older term and not completed (its holder died or was deposed): see "deposed holders" below;
 *       when it is taken over, {@link ActionExecutor#reconcile} with the prepared data, if any;</li>
 *   <li>completed: the outcome is written from the journal, nothing is performed (a leader died after Complete but
 *       before its outcome reached the CRDT);</li>
 *   <li>held in this or a newer term: left alone.</li>
 * </ul>
 *
 * <h2>Deposed holders report what they did</h2>
 * A node that loses leadership while an action runs does not abandon it. An action still before its safe point (its
 * prepare, the start mark) is cancelled there with nothing done ({@link ActionCancelledException}) and leaves no
 * outcome, unless its journal later shows that the start mark committed after all (the prepare's answer was lost with
 * the leadership): then it reports {@code failed}, "not performed", which only it can know; or, leading again, it
 * takes its own claim over and runs the action, through {@link ActionExecutor#reconcile} with no prepared data, since
 * nothing reached the world. One past the safe point runs to its end, and its real result is recorded:
 * <ul>
 *   <li>while this node leads (any term), by committing Complete under the action's own token;</li>
 *   <li>otherwise by <em>reporting</em>: writing the outcome, under its own token, into the CRDT, which gossip
 *       carries without a leader. It reports only while its journal still shows its own claim open and the CRDT
 *       shows no outcome under a newer claim. Until the journal settles the intent it keeps watching: if a newer
 *       holder's completion lands there instead, it writes that one, so its own report never outlives a newer
 *       holder's result.</li>
 * </ul>
 * The leader turns a report into the journal's record: an open claim whose outcome in the CRDT carries exactly that
 * claim's token and holder is completed with it (Complete is fenced by the token, not by who submits it). If a newer
 * claim was granted meanwhile, the journal refuses it and the newer holder's result counts.
 *
 * <p>The rule that keeps this at most once: a leader finding an open claim of an older term that carries a start mark
 * (prepared data), held by another node that is a member and reachable now, does not take it over: the holder may
 * still be running it. It waits up to {@code holderWaitMs} (from the first time it saw the claim in this term) for
 * the holder's report. It takes the claim over, and the executor reconciles (a job: {@code uncertain}), only once
 * the holder is unreachable (crashed, partitioned away for longer than the failure detector's silence bound), or the
 * wait is over. A claim without a start mark is taken over at once: its holder never reached the outside world, and a
 * prepare it sends later is refused by token. A claim of this node's own from an older term is taken over at once
 * too: an action still running here is in flight and skipped, so one that is not can no longer report.
 *
 * <p>Safety rests on the journal, not on this class: only a granted claim leads to a perform, and only while this
 * node is leader of the claim's term as far as it knows; Prepare and Complete are refused unless they carry the
 * current claim's token. At most {@code maxInFlightActions} intents are claimed or running at once.
 *
 * <p>The steps of an action between two commits (the first look at a new term's work, and the reactions to a claim,
 * a start mark, an executor's result and a completion) run in the node thread's priority lane, like the Raft tasks
 * that commit them: after a failover they are what stands between the new leader and the next action, and each would
 * otherwise wait behind the ordinary backlog (replication, writes, HTTP reads) once more. The periodic poll and
 * nudges stay ordinary. Bounded by {@code maxInFlightActions}: a few tasks per action.
 */
public final class ActionCoordinator {
    private static final Logger log = LoggerFactory.getLogger(ActionCoordinator.class);

    /** How journal operations get replicated: {@code raftNode::replicate} in production. */
    @FunctionalInterface
    public interface Replicator {
        CompletableFuture<? extends Ordered<Object>> replicate(JournalOp op);
    }

    private enum Stage { CLAIMING, PERFORMING, COMPLETING, COMPLETE_RETRY }

    private static final class Flight {
        final Intent intent;
        final long term;
        Stage stage = Stage.CLAIMING;
        FencingToken token;
        ActionResult result;
        long completedMillis;

        Flight(Intent intent, long term) {
            this.intent = intent;
            this.term = term;
        }
    }

    /** How long a new leader waits for a live, reachable deposed holder to report before taking its claim over. */
    public static final long DEFAULT_HOLDER_WAIT_MS = 5_000;

    /**
     * Counters since start, for status, metrics and tests.
     *
     * @param uncertain      completions this node committed with status {@code uncertain}
     * @param holderWaits    claims of a live deposed holder this node, as leader, waited on instead of taking over
     * @param reports        results this node, deposed, reported through the CRDT
     * @param journaledReports deposed holders' reports this node, as leader, committed to the journal
     * @param cancelled      actions stopped at their safe point because this node lost its claim
     */
    public record Stats(long claims, long performs, long reconciles, long completions, long outcomesFromJournal,
                        long refusedClaims, long uncertain, long holderWaits, long reports, long journaledReports,
                        long cancelled) {
    }

    /**
     * An intent this node held under {@code token} and could not finish through the journal, watched until the
     * journal settles it: {@code reported}, it wrote its result into the CRDT; otherwise it stopped at the safe point
     * without knowing whether its start mark committed.
     */
    private record Watch(Intent intent, FencingToken token, boolean reported) {
    }

    /** Intents watched at once; beyond this the oldest is forgotten (it stays correct, only less tidy). */
    private static final int MAX_WATCHED = 1024;

    private final String self;
    private final ActionJournal journal;
    private final Map<String, ActionExecutor> executors;
    private final Supplier<List<Intent>> pendingIntents;
    private final BiConsumer<Intent, Outcome> outcomes;
    private final Function<String, Optional<Outcome>> recordedOutcome;
    private final Predicate<String> holderReachable;
    private final Scheduler scheduler;
    private final Clock clock;
    private final int maxInFlight;
    private final long pollIntervalMs;
    private final long holderWaitMs;
    private Replicator replicator;

    private final TreeMap<String, Flight> flights = new TreeMap<>();
    // Outcome handed to the node core; skipped until the CRDT's pending list stops showing the intent.
    private final TreeSet<String> resolved = new TreeSet<>();
    // Claimed by someone in this term or later; retried after the next leadership change.
    private final TreeSet<String> skipThisTerm = new TreeSet<>();
    private final TreeSet<String> warnedKinds = new TreeSet<>();
    // Intent -> monotonic ms at which this leader began waiting for a live deposed holder; cleared per term.
    private final TreeMap<String, Long> waitingSinceMs = new TreeMap<>();
    // Deposed holders' reports being committed to the journal by this leader.
    private final TreeSet<String> journaling = new TreeSet<>();
    // What this node could not finish through the journal, oldest first.
    private final LinkedHashMap<String, Watch> watched = new LinkedHashMap<>();
    private boolean leader;
    private long term = -1;
    // The term whose barrier has committed (the journal then holds everything committed before it), and the term
    // whose barrier is on its way, or -1.
    private long caughtUpTerm = -1;
    private long barrierTerm = -1;
    private boolean started;
    private boolean pollQueued;
    private boolean draining;
    private Scheduler.Cancellable timer;
    private long claims;
    private long performs;
    private long reconciles;
    private long completions;
    private long outcomesFromJournal;
    private long refusedClaims;
    private long uncertain;
    private long holderWaits;
    private long reports;
    private long journaledReports;
    private long cancelled;

    /**
     * @param self           this node's id text (the claim holder name)
     * @param executors      by kind
     * @param pendingIntents intents without an outcome in the CRDT, oldest first; called on the node thread at each
     *                       poll
     * @param outcomes       writes an outcome into the CRDT; called on the node thread, possibly more than once for
     *                       an intent: from the journal, or this node's own report as a deposed holder
     * @param recordedOutcome the outcome the CRDT shows for an intent id, if any; node thread
     * @param holderReachable whether a claim holder (node id text) is a member connected to this node now
     * @param clock          node clock: stamps completion times, and times the wait for a deposed holder (monotonic)
     * @param maxInFlight    most actions performed at once by this leader
     * @param pollIntervalMs how often the leader looks for pending intents
     * @param holderWaitMs   how long a new leader waits for a live deposed holder's report before taking its started
     *                       claim over ({@link #DEFAULT_HOLDER_WAIT_MS} in production)
     */
    public ActionCoordinator(String self, ActionJournal journal, List<ActionExecutor> executors,
                             Supplier<List<Intent>> pendingIntents, BiConsumer<Intent, Outcome> outcomes,
                             Function<String, Optional<Outcome>> recordedOutcome, Predicate<String> holderReachable,
                             Scheduler scheduler, Clock clock, int maxInFlight, long pollIntervalMs,
                             long holderWaitMs) {
        this.self = self;
        this.journal = journal;
        this.executors = new TreeMap<>();
        for (ActionExecutor e : executors) {
            if (this.executors.put(e.kind(), e) != null) {
                throw new IllegalArgumentException("two executors for kind " + e.kind());
            }
        }
        this.pendingIntents = pendingIntents;
        this.outcomes = outcomes;
        this.recordedOutcome = recordedOutcome;
        this.holderReachable = holderReachable;
        this.scheduler = scheduler;
        this.clock = clock;
        if (maxInFlight < 1 || pollIntervalMs < 1 || holderWaitMs < 0) {
            throw new IllegalArgumentException("need maxInFlight >= 1, pollIntervalMs >= 1 and holderWaitMs >= 0");
        }
        this.maxInFlight = maxInFlight;
        this.pollIntervalMs = pollIntervalMs;
        this.holderWaitMs = holderWaitMs;
    }

    /** Starts polling (again, after {@link #stop()}). Node thread. */
    public void start(Replicator replicator) {
        this.replicator = replicator;
        draining = false;
        if (started) {
            return;
        }
        started = true;
        scheduleTick();
    }

    /**
     * Stops starting anything; running actions are abandoned to the next leader, and nothing more is reported (the
     * node is stopping). Node thread.
     */
    public void stop() {
        started = false;
        leader = false;
        if (timer != null) {
            timer.cancel();
            timer = null;
        }
    }

    /** The Raft role changed. Becoming leader (of a new term) looks for work at once. Node thread. */
    public void leadership(boolean isLeader, long newTerm) {
        boolean newLeadership = isLeader && (!leader || newTerm != term);
        leader = isLeader;
        term = newTerm;
        if (!isLeader) {
            // Completions waiting for a retry cannot commit here any more: report them instead, in a task of their
            // own (a role change arrives inside a Raft task, and a report writes the document).
            for (Flight f : new ArrayList<>(flights.values())) {
                if (f.stage == Stage.COMPLETE_RETRY) {
                    flights.remove(f.intent.id());
                    scheduler.execute(() -> report(f, "lost leadership while its completion waited for room in the"
                            + " log"));
                }
            }
        }
        if (newLeadership) {
            skipThisTerm.clear();
            waitingSinceMs.clear();
            barrierTerm = -1;
            // The first claim of a new term is the failover path: it goes ahead of the ordinary backlog.
            scheduler.executeUrgent(this::poll);
        }
    }

    /**
     * Stops claiming new intents but lets those in flight finish and complete (graceful shutdown: drain, then hand
     * leadership over). {@link #start} undoes it. Node thread.
     */
    public void drain() {
        draining = true;
    }

    /** Pending intents may have changed (a local request, gossip): look soon, once. Any thread. */
    public void nudge() {
        scheduler.execute(() -> {
            if (!pollQueued) {
                pollQueued = true;
                scheduler.execute(() -> {
                    pollQueued = false;
                    poll();
                });
            }
        });
    }

    public boolean isLeader() {
        return leader;
    }

    public boolean isInFlight(String intentId) {
        return flights.containsKey(intentId);
    }

    public int inFlight() {
        return flights.size();
    }

    public Stats stats() {
        return new Stats(claims, performs, reconciles, completions, outcomesFromJournal, refusedClaims, uncertain,
                holderWaits, reports, journaledReports, cancelled);
    }

    /** Intents this leader is waiting on a live deposed holder for. */
    public int waitingForHolders() {
        return waitingSinceMs.size();
    }

    private void scheduleTick() {
        if (!started) {
            return;
        }
        timer = scheduler.schedule(() -> {
            poll();
            scheduleTick();
        }, pollIntervalMs);
    }

    /**
     * One pass: settle this node's own reports (any role); as leader, once caught up, retry pending completions,
     * journal deposed holders' reports, then claim what is pending, up to the concurrency bound.
     */
    void poll() {
        if (!started || replicator == null) {
            return;
        }
        settleWatched();
        if (!leader) {
            return;
        }
        List<Intent> pending;
        try {
            pending = pendingIntents.get();
        } catch (RuntimeException e) {
            log.error("node {} cannot read pending intents", self, e);
            return;
        }
        for (Flight f : new ArrayList<>(flights.values())) {
            if (f.stage == Stage.COMPLETE_RETRY) {
                complete(f);
            }
        }
        if (draining) {
            return;
        }
        journalReports();
        Set<String> pendingIds = new HashSet<>();
        pending.forEach(i -> pendingIds.add(i.id()));
        resolved.retainAll(pendingIds);
        for (Intent intent : pending) {
            if (flights.size() >= maxInFlight) {
                break;
            }
            String id = intent.id();
            if (flights.containsKey(id) || resolved.contains(id) || skipThisTerm.contains(id)) {
                continue;
            }
            Optional<JournalEntry> known = journal.entry(id);
            if (known.isPresent() && known.get().isCompleted()) {
                writeOutcome(intent, known.get(), true);
                continue;
            }
            if (journal.isTombstoned(id)) {
                log.warn("intent {} was completed long ago and its journal entry compacted, but the CRDT has no"
                        + " outcome for it; it will not run again", id);
                resolved.add(id);
                continue;
            }
            if (!executors.containsKey(intent.kind())) {
                if (warnedKinds.add(intent.kind())) {
                    log.warn("no executor for intent kind '{}' on this node; such intents wait for a leader that"
                            + " has one", intent.kind());
                }
                continue;
            }
            if (known.isPresent() && mayLackStartMark(known.get())) {
                catchUp();
                continue;
            }
            if (known.isPresent() && waitForHolder(known.get())) {
                continue;
            }
            claim(intent);
        }
    }

    /**
     * Whether this leader's journal may not yet show a start mark that is committed on {@code entry}: an open claim
     * of an older term by another node, without a mark here, before this term's barrier. The holder's mark can be in
     * this node's log and committed, but not applied here yet (a follower learns that an entry committed only from
     * the next message, and the holder may have sent none). Without a claim here there is no such mark: the holder
     * prepares only once its claim has committed, so the message that brought the mark also told this node the claim
     * committed, and it applied it.
     */
    private boolean mayLackStartMark(JournalEntry entry) {
        return caughtUpTerm != term && !entry.isCompleted() && entry.claim().term() < term
                && entry.preparedData().isEmpty() && !entry.holder().equals(self);
    }

    /**
     * Commits a barrier in this term (once), so the journal holds every entry committed before the term; until then
     * no claim a barrier could change is decided (see {@link #mayLackStartMark}).
     */
    private void catchUp() {
        if (barrierTerm == term) {
            return;
        }
        long t = term;
        barrierTerm = t;
        CompletableFuture<? extends Ordered<Object>> future;
        try {
            future = replicator.replicate(NewTerm.INSTANCE);
        } catch (RuntimeException e) {
            barrierTerm = -1;
            log.debug("node {} could not start its barrier in term {}: {}", self, t, e.toString());
            return;
        }
        future.whenComplete((ordered, error) -> scheduler.executeUrgent(() -> {
            if (barrierTerm == t) {
                barrierTerm = -1;
            }
            if (error != null) {
                log.debug("node {}'s barrier in term {} did not commit: {}", self, t, Failures.cause(error).toString());
            } else if (leader && term == t) {
                caughtUpTerm = t;
                nudge();
            }
        }));
    }

    /**
     * Whether to leave an open claim of an older term alone for now: it carries a start mark, its holder is another
     * node that is reachable, and this leader has waited less than {@code holderWaitMs} for its report.
     */
    private boolean waitForHolder(JournalEntry entry) {
        String id = entry.intentId();
        if (holderWaitMs == 0 || entry.isCompleted() || entry.claim().term() >= term
                || entry.preparedData().isEmpty() || entry.holder().equals(self)) {
            return false;
        }
        if (!holderReachable.test(entry.holder())) {
            if (waitingSinceMs.remove(id) != null) {
                log.info("node {} stops waiting for {} to report intent {}: it is no longer reachable; taking the"
                        + " claim over", self, entry.holder(), id);
            }
            return false;
        }
        long nowMs = clock.monotonicNanos() / 1_000_000;
        Long since = waitingSinceMs.putIfAbsent(id, nowMs);
        if (since == null) {
            holderWaits++;
            log.info("node {} waits up to {} ms for {} to report intent {}: it started it under {} and is still"
                    + " reachable", self, holderWaitMs, entry.holder(), id, entry.claim());
            return true;
        }
        if (nowMs - since >= holderWaitMs) {
            waitingSinceMs.remove(id);
            log.info("node {} waited {} ms for {} to report intent {}; taking the claim over", self, nowMs - since,
                    entry.holder(), id);
            return false;
        }
        return true;
    }

    /**
     * Commits deposed holders' reports: an open claim whose CRDT outcome carries exactly that claim's token and
     * holder is completed with that outcome.
     */
    private void journalReports() {
        for (JournalEntry e : journal.openEntries()) {
            String id = e.intentId();
            if (flights.containsKey(id) || journaling.contains(id)) {
                continue;
            }
            Optional<Outcome> recorded = outcomeInState(id);
            if (recorded.isEmpty()) {
                continue;
            }
            Outcome o = recorded.get();
            if (o.term() != e.claim().term() || o.index() != e.claim().index() || !o.performedBy().equals(e.holder())
                    || !Outcome.isKnownStatus(o.status())) {
                continue;
            }
            Complete complete;
            try {
                complete = new Complete(id, e.claim(), o.status(), o.result(), o.completedMillis());
            } catch (IllegalArgumentException bad) {
                log.warn("node {} cannot journal the outcome {} reported for intent {}: {}", self, e.holder(), id,
                        bad.getMessage());
                continue;
            }
            journaling.add(id);
            replicate(complete, (result, error) -> {
                journaling.remove(id);
                if (result instanceof JournalResult.Completed) {
                    journaledReports++;
                    waitingSinceMs.remove(id);
                    log.info("node {} journaled intent {}'s outcome '{}' reported by its deposed holder {} under {}",
                            self, id, o.status(), e.holder(), e.claim());
                } else {
                    log.debug("node {} could not journal the report of {} for intent {}: {}", self, e.holder(), id,
                            error != null ? error.toString() : result);
                }
            });
        }
    }

    private void claim(Intent intent) {
        Claim claim;
        if (intent.fence() == null) {
            claim = new Claim(intent.id(), intent.kind(), self, term);
        } else {
            // The journal decides whether the run that wrote it may still have it performed (ActionJournal).
            FencingToken fence;
            try {
                fence = AgentFence.parseToken(intent.fence());
            } catch (IllegalArgumentException e) {
                // The state's reader skips such intents; should one get here, it is never taken for an unfenced one.
                log.warn("node {} skips intent {}: {}", self, intent.id(), e.getMessage());
                resolved.add(intent.id());
                return;
            }
            claim = Claim.fenced(intent.id(), intent.kind(), self, term, fence, clock.nowMillis());
        }
        Flight f = new Flight(intent, term);
        flights.put(intent.id(), f);
        claims++;
        replicate(claim, (result, error) -> onClaimed(f, result, error));
    }

    private void onClaimed(Flight f, JournalResult result, Throwable error) {
        String id = f.intent.id();
        if (error != null) {
            flights.remove(id);
            log.debug("claim of {} did not commit: {}", id, error.toString());
            return;
        }
        switch (result) {
            case JournalResult.Claimed c -> {
                if (!leader || term != f.term) {
                    // Committed for us, but we are no longer the leader of that term: start nothing. The next leader
                    // re-claims and reconciles.
                    flights.remove(id);
                    return;
                }
                f.token = c.entry().claim();
                f.stage = Stage.PERFORMING;
                ActionExecutor executor = executors.get(f.intent.kind());
                ActionContext ctx = new ActionContext(id, f.intent.kind(), f.intent.payloadJson(), f.token, self,
                        data -> prepare(f, data));
                CompletionStage<ActionResult> stage;
                try {
                    if (c.previous().isPresent()) {
                        reconciles++;
                        JournalEntry previous = c.previous().get();
                        Watch stopped = watched.get(id);
                        if (stopped != null && !stopped.reported() && stopped.token().equals(previous.claim())) {
                            // This node stopped that attempt at its safe point: nothing reached the world, whatever
                            // its journal says about the start mark. Running it now is its first and only run.
                            watched.remove(id);
                            log.info("node {} runs intent {} again under {}: it had stopped it at its safe point"
                                    + " under {}, nothing done", self, id, f.token, previous.claim());
                            stage = executor.reconcile(ctx, Optional.empty());
                        } else {
                            log.info("node {} reconciles intent {} left by {} (claim {}, {}), now under {}", self,
                                    id, previous.holder(), previous.claim(), previous.preparedData().isPresent()
                                            ? "started" : "no start mark", f.token);
                            stage = executor.reconcile(ctx, c.entry().preparedData());
                        }
                    } else {
                        performs++;
                        stage = executor.perform(ctx);
                    }
                } catch (RuntimeException e) {
                    stage = CompletableFuture.failedFuture(e);
                }
                stage.whenComplete((r, e) -> scheduler.executeUrgent(() -> onPerformed(f, r, e)));
            }
            case JournalResult.Completed c -> {
                // The journal refused the intent as a superseded agent run's and completed it: nothing runs.
                flights.remove(id);
                refusedClaims++;
                log.info("node {} did not perform intent {}: {}", self, id, c.entry().completion().result());
                writeOutcome(f.intent, c.entry(), false);
            }
            case JournalResult.Rejected r -> {
                flights.remove(id);
                refusedClaims++;
                switch (r.reason()) {
                    case ALREADY_COMPLETED -> writeOutcome(f.intent, r.currentOrNull(), true);
                    case COMPACTED -> {
                        log.warn("intent {} was completed and compacted; its outcome is gone from the journal", id);
                        resolved.add(id);
                    }
                    default -> skipThisTerm.add(id);
                }
            }
            default -> {
                flights.remove(id);
                log.error("unexpected journal answer to a claim of {}: {}", id, result);
            }
        }
    }

    private CompletionStage<Void> prepare(Flight f, byte[] data) {
        CompletableFuture<Void> prepared = new CompletableFuture<>();
        scheduler.executeUrgent(() -> {
            if (!leader || term != f.term) {
                prepared.completeExceptionally(new ActionCancelledException(
                        "no longer leader of term " + f.term + "; not preparing " + f.intent.id(), null));
                return;
            }
            replicate(new Prepare(f.intent.id(), f.token, data), (result, error) -> {
                if (error != null) {
                    prepared.completeExceptionally(leader && term == f.term ? error : new ActionCancelledException(
                            "lost leadership of term " + f.term + " while preparing " + f.intent.id(), error));
                } else if (result instanceof JournalResult.Prepared) {
                    prepared.complete(null);
                } else if (result instanceof JournalResult.Rejected r && r.reason() == JournalResult.Reason.NOT_HOLDER) {
                    prepared.completeExceptionally(new ActionCancelledException("the claim on " + f.intent.id()
                            + " passed to " + r.current().map(JournalEntry::holder).orElse("another node"), null));
                } else {
                    prepared.completeExceptionally(new IllegalStateException("prepare of " + f.intent.id()
                            + " refused: " + result));
                }
            });
        });
        return prepared;
    }

    private void onPerformed(Flight f, ActionResult result, Throwable error) {
        if (error != null) {
            Throwable cause = Failures.cause(error);
            if (cause instanceof ActionCancelledException) {
                flights.remove(f.intent.id());
                cancelled++;
                log.info("node {} stopped intent {} at its safe point, nothing done: {}", self, f.intent.id(),
                        cause.getMessage());
                // Its start mark may have committed all the same (a prepare whose answer was lost with the
                // leadership): then only this node can say nothing was done.
                watch(new Watch(f.intent, f.token, false));
                return;
            }
            result = ActionResult.failed("executor error: " + cause);
        }
        f.result = result;
        f.completedMillis = clock.nowMillis();
        if (leader) {
            complete(f); // the token fences it: a leader of a later term may complete its own older claim
        } else {
            flights.remove(f.intent.id());
            report(f, "lost leadership while it ran");
        }
    }

    private void complete(Flight f) {
        f.stage = Stage.COMPLETING;
        replicate(new Complete(f.intent.id(), f.token, f.result.status(), f.result.result(), f.completedMillis),
                (result, error) -> onCompleted(f, result, error));
    }

    private void onCompleted(Flight f, JournalResult result, Throwable error) {
        String id = f.intent.id();
        if (error != null) {
            if (Failures.cause(error) instanceof CannotReplicateException && started && leader) {
                f.stage = Stage.COMPLETE_RETRY; // back-pressure: the next poll tries again
            } else {
                // Leadership lost, or the Complete's fate is unknown: the same result through the state is harmless
                // either way.
                flights.remove(id);
                report(f, "its completion did not commit (" + Failures.cause(error) + ")");
            }
            return;
        }
        flights.remove(id);
        switch (result) {
            case JournalResult.Completed c -> {
                completions++;
                if (c.entry().completion().status().equals(ActionResult.UNCERTAIN)) {
                    uncertain++;
                }
                writeOutcome(f.intent, c.entry(), false);
            }
            case JournalResult.Rejected r when r.reason() == JournalResult.Reason.ALREADY_COMPLETED ->
                    writeOutcome(f.intent, r.currentOrNull(), true);
            default -> log.info("node {}: completion of {} under {} refused ({}); the newer holder's result counts",
                    self, id, f.token, result);
        }
    }

    /**
     * This node holds a result it cannot commit (it is not the leader): write it into the CRDT under its own token,
     * unless the journal shows the claim passed on or the CRDT already shows a newer holder's outcome. Then watch the
     * journal until it settles the intent ({@link #settleWatched}).
     */
    private void report(Flight f, String why) {
        if (!started) {
            return;
        }
        String id = f.intent.id();
        Optional<JournalEntry> entry = journal.entry(id);
        if (entry.isPresent() && entry.get().isCompleted()) {
            writeOutcome(f.intent, entry.get(), true);
            return;
        }
        if (entry.isPresent() && !entry.get().claim().equals(f.token)) {
            log.info("node {} drops its '{}' result of intent {} under {}: the claim passed to {} under {}, whose"
                    + " result counts", self, f.result.status(), id, f.token, entry.get().holder(),
                    entry.get().claim());
            return;
        }
        Optional<Outcome> recorded = outcomeInState(id);
        if (recorded.isPresent() && recorded.get().isNewerThan(f.token.term(), f.token.index())) {
            log.info("node {} drops its '{}' result of intent {} under {}: the state shows {}'s outcome under a newer"
                    + " claim", self, f.result.status(), id, f.token, recorded.get().performedBy());
            return;
        }
        reports++;
        log.info("node {} reports intent {} '{}' under {} through the state: {}", self, id, f.result.status(),
                f.token, why);
        try {
            outcomes.accept(f.intent, new Outcome(id, f.result.status(), f.result.result(), self, f.token.term(),
                    f.token.index(), f.completedMillis));
        } catch (RuntimeException e) {
            log.error("node {} could not write its report of intent {}", self, id, e);
            return;
        }
        watch(new Watch(f.intent, f.token, true));
    }

    private void watch(Watch w) {
        watched.remove(w.intent().id());
        watched.put(w.intent().id(), w);
        if (watched.size() > MAX_WATCHED) {
            watched.remove(watched.keySet().iterator().next());
        }
    }

    /**
     * Follows what this node could not finish through the journal, until the journal settles it.
     * <ul>
     *   <li>Reported, completed under the reported claim: done. Completed under a newer claim: that holder's result
     *       counts, so make sure the state shows it over the report (the two may have been written concurrently, and
     *       the document keeps either).</li>
     *   <li>Stopped at the safe point, and the journal shows the start mark committed under this node's still open
     *       claim: nothing was done, which only this node knows; report it as {@code failed} ("not performed") rather
     *       than leave a new leader waiting, then reconciling to {@code uncertain}. Claim passed on or completed:
     *       the holder after it decides.</li>
     * </ul>
     */
    private void settleWatched() {
        if (watched.isEmpty()) {
            return;
        }
        for (Watch w : new ArrayList<>(watched.values())) {
            String id = w.intent().id();
            Optional<JournalEntry> entry = journal.entry(id);
            if (journal.isTombstoned(id) || entry.isPresent() && !entry.get().isCompleted() && !w.reported()
                    && !entry.get().claim().equals(w.token())) {
                watched.remove(id);
                continue;
            }
            if (entry.isEmpty()) {
                continue;
            }
            JournalEntry e = entry.get();
            if (!e.isCompleted()) {
                // As leader it runs the intent again itself (onClaimed), which beats reporting it not performed.
                if (!w.reported() && e.preparedData().isPresent() && !leader) {
                    watched.remove(id);
                    Flight f = new Flight(w.intent(), w.token().term());
                    f.token = w.token();
                    f.result = ActionResult.failed("not performed: " + self + " lost leadership before it knew its"
                            + " start mark had committed, and stopped there");
                    f.completedMillis = clock.nowMillis();
                    report(f, "its start mark committed after it had stopped at that point");
                }
                continue;
            }
            watched.remove(id);
            if (!w.reported() || e.claim().equals(w.token())) {
                continue;
            }
            Outcome settled = outcomeOf(w.intent(), e);
            if (!outcomeInState(id).equals(Optional.of(settled))) {
                log.info("node {}: intent {} was completed under {} by {}, newer than its own report under {}; the"
                        + " state now shows that outcome", self, id, e.claim(), e.holder(), w.token());
                writeOutcome(w.intent(), e, true);
            }
        }
    }

    private Optional<Outcome> outcomeInState(String id) {
        try {
            return recordedOutcome.apply(id);
        } catch (RuntimeException e) {
            log.error("node {} cannot read the outcome of {}", self, id, e);
            return Optional.empty();
        }
    }

    /** {@code fromJournal}: the outcome was found in the journal rather than produced by this node's completion. */
    private void writeOutcome(Intent intent, JournalEntry entry, boolean fromJournal) {
        if (fromJournal) {
            outcomesFromJournal++;
        }
        resolved.add(intent.id());
        try {
            outcomes.accept(intent, outcomeOf(intent, entry));
        } catch (RuntimeException e) {
            log.error("node {}: writing the outcome of {} failed", self, intent.id(), e);
        }
    }

    /** A completed entry as the CRDT records it; an older version's "failed" + "uncertain:" becomes uncertain. */
    private static Outcome outcomeOf(Intent intent, JournalEntry entry) {
        JournalEntry.Completion c = entry.completion();
        return new Outcome(intent.id(), Outcome.statusAsRead(c.status(), c.result()), c.result(), entry.holder(),
                entry.claim().term(), entry.claim().index(), c.completedMillis());
    }

    private void replicate(JournalOp op, BiConsumer<JournalResult, Throwable> then) {
        CompletableFuture<? extends Ordered<Object>> future;
        try {
            future = replicator.replicate(op);
        } catch (RuntimeException e) {
            scheduler.execute(() -> then.accept(null, e));
            return;
        }
        // Hop back through the scheduler: keeps our reactions out of MicroRaft's apply loop.
        future.whenComplete((ordered, error) -> scheduler.executeUrgent(() -> {
            if (error != null) {
                then.accept(null, Failures.cause(error));
            } else if (ordered.getResult() instanceof JournalResult r) {
                then.accept(r, null);
            } else if (ordered.getResult() instanceof Throwable t) {
                then.accept(null, t);
            } else {
                then.accept(null, new IllegalStateException("unexpected journal result " + ordered.getResult()));
            }
        }));
    }
}
