package io.agentmesh.node.actions;

import io.agentmesh.node.actions.JournalOp.Claim;
import io.agentmesh.node.actions.JournalOp.Complete;
import io.agentmesh.node.actions.JournalOp.Prepare;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * The leader's action loop (node thread): takes pending intents from the CRDT, claims each through the journal,
 * performs it under the committed claim's fencing token, records completion, then hands the outcome to the node core
 * for the CRDT (DESIGN.md invariant 6).
 *
 * <p>Per intent, driven by the journal's answer to the claim, which reflects every entry committed before it (so a
 * new leader needs no catch-up step of its own):
 * <ul>
 *   <li>granted, never claimed before: {@link ActionExecutor#perform};</li>
 *   <li>granted over an older term's uncompleted claim (its holder died or was deposed): {@link
 *       ActionExecutor#reconcile} with the prepared data, if any;</li>
 *   <li>refused, already completed: the outcome is written from the journal, nothing is performed (a leader died
 *       after Complete but before its outcome reached the CRDT);</li>
 *   <li>refused, held in this or a newer term: left alone.</li>
 * </ul>
 * A completed entry already in the local journal is final, so its outcome is written without a claim round.
 *
 * <p>Safety rests on the journal, not on this class: only a granted claim leads to a perform, and only while this
 * node is leader of the claim's term as far as it knows; a deposed leader's Prepare or Complete is refused by token.
 * On losing leadership nothing new starts; actions already running finish and try to complete (refused or failing
 * harmlessly if someone took over). At most {@code maxInFlightActions} intents are claimed or running at once.
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

    /** Counters since start, for status, metrics and tests. */
    public record Stats(long claims, long performs, long reconciles, long completions, long outcomesFromJournal,
                        long refusedClaims) {
    }

    private final String self;
    private final ActionJournal journal;
    private final Map<String, ActionExecutor> executors;
    private final Supplier<List<Intent>> pendingIntents;
    private final BiConsumer<Intent, Outcome> outcomes;
    private final Scheduler scheduler;
    private final Clock clock;
    private final int maxInFlight;
    private final long pollIntervalMs;
    private Replicator replicator;

    private final TreeMap<String, Flight> flights = new TreeMap<>();
    // Outcome handed to the node core; skipped until the CRDT's pending list stops showing the intent.
    private final TreeSet<String> resolved = new TreeSet<>();
    // Claimed by someone in this term or later; retried after the next leadership change.
    private final TreeSet<String> skipThisTerm = new TreeSet<>();
    private final TreeSet<String> warnedKinds = new TreeSet<>();
    private boolean leader;
    private long term = -1;
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

    /**
     * @param self           this node's id text (the claim holder name)
     * @param executors      by kind
     * @param pendingIntents intents without an outcome in the CRDT, oldest first; called on the node thread at each
     *                       poll
     * @param outcomes       writes an outcome into the CRDT; called on the node thread, possibly more than once for
     *                       an intent (always with the same outcome, from the journal)
     * @param clock          node clock; only stamps completion times
     * @param maxInFlight    most actions performed at once by this leader
     * @param pollIntervalMs how often the leader looks for pending intents
     */
    public ActionCoordinator(String self, ActionJournal journal, List<ActionExecutor> executors,
                             Supplier<List<Intent>> pendingIntents, BiConsumer<Intent, Outcome> outcomes,
                             Scheduler scheduler, Clock clock, int maxInFlight, long pollIntervalMs) {
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
        this.scheduler = scheduler;
        this.clock = clock;
        if (maxInFlight < 1 || pollIntervalMs < 1) {
            throw new IllegalArgumentException("need maxInFlight >= 1 and pollIntervalMs >= 1");
        }
        this.maxInFlight = maxInFlight;
        this.pollIntervalMs = pollIntervalMs;
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

    /** Stops starting anything; running actions are abandoned to the next leader. Node thread. */
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
            // Completions waiting for a retry cannot commit any more; the next leader reconciles them.
            flights.values().removeIf(f -> f.stage == Stage.COMPLETE_RETRY);
        }
        if (newLeadership) {
            skipThisTerm.clear();
            nudge();
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
        return new Stats(claims, performs, reconciles, completions, outcomesFromJournal, refusedClaims);
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

    /** One pass: retry pending completions, then claim what is pending, up to the concurrency bound. */
    void poll() {
        if (!started || !leader || replicator == null) {
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
        List<Intent> pending;
        try {
            pending = pendingIntents.get();
        } catch (RuntimeException e) {
            log.error("cannot read pending intents", e);
            return;
        }
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
            claim(intent);
        }
    }

    private void claim(Intent intent) {
        Flight f = new Flight(intent, term);
        flights.put(intent.id(), f);
        claims++;
        replicate(new Claim(intent.id(), intent.kind(), self, term), (result, error) -> onClaimed(f, result, error));
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
                        log.info("reconciling intent {} left by {} (claim {}), now under {}", id,
                                c.previous().get().holder(), c.previous().get().claim(), f.token);
                        stage = executor.reconcile(ctx, c.entry().preparedData());
                    } else {
                        performs++;
                        stage = executor.perform(ctx);
                    }
                } catch (RuntimeException e) {
                    stage = CompletableFuture.failedFuture(e);
                }
                stage.whenComplete((r, e) -> scheduler.execute(() -> onPerformed(f, r, e)));
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
        scheduler.execute(() -> {
            if (!leader || term != f.term) {
                prepared.completeExceptionally(new IllegalStateException(
                        "no longer leader of term " + f.term + "; not preparing " + f.intent.id()));
                return;
            }
            replicate(new Prepare(f.intent.id(), f.token, data), (result, error) -> {
                if (error != null) {
                    prepared.completeExceptionally(error);
                } else if (result instanceof JournalResult.Prepared) {
                    prepared.complete(null);
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
            Throwable cause = error instanceof CompletionException && error.getCause() != null
                    ? error.getCause() : error;
            result = ActionResult.failed("executor error: " + cause);
        }
        f.result = result;
        f.completedMillis = clock.nowMillis();
        complete(f);
    }

    private void complete(Flight f) {
        f.stage = Stage.COMPLETING;
        replicate(new Complete(f.intent.id(), f.token, f.result.status(), f.result.result(), f.completedMillis),
                (result, error) -> onCompleted(f, result, error));
    }

    private void onCompleted(Flight f, JournalResult result, Throwable error) {
        String id = f.intent.id();
        if (error != null) {
            if (unwrap(error) instanceof CannotReplicateException && started) {
                f.stage = Stage.COMPLETE_RETRY; // back-pressure: the next poll tries again
            } else {
                flights.remove(id); // leadership lost: the next leader reconciles
                log.debug("completion of {} did not commit: {}", id, error.toString());
            }
            return;
        }
        flights.remove(id);
        switch (result) {
            case JournalResult.Completed c -> {
                completions++;
                writeOutcome(f.intent, c.entry(), false);
            }
            case JournalResult.Rejected r when r.reason() == JournalResult.Reason.ALREADY_COMPLETED ->
                    writeOutcome(f.intent, r.currentOrNull(), true);
            default -> log.info("completion of {} refused ({}); whoever holds the claim finishes it", id, result);
        }
    }

    /** {@code fromJournal}: the outcome was found in the journal rather than produced by this node's completion. */
    private void writeOutcome(Intent intent, JournalEntry entry, boolean fromJournal) {
        JournalEntry.Completion c = entry.completion();
        if (fromJournal) {
            outcomesFromJournal++;
        }
        resolved.add(intent.id());
        try {
            outcomes.accept(intent, new Outcome(intent.id(), c.status(), c.result(), entry.holder(),
                    entry.claim().term(), entry.claim().index(), c.completedMillis()));
        } catch (RuntimeException e) {
            log.error("writing the outcome of {} failed", intent.id(), e);
        }
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
        future.whenComplete((ordered, error) -> scheduler.execute(() -> {
            if (error != null) {
                then.accept(null, unwrap(error));
            } else if (ordered.getResult() instanceof JournalResult r) {
                then.accept(r, null);
            } else if (ordered.getResult() instanceof Throwable t) {
                then.accept(null, t);
            } else {
                then.accept(null, new IllegalStateException("unexpected journal result " + ordered.getResult()));
            }
        }));
    }

    private static Throwable unwrap(Throwable t) {
        return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    }
}
