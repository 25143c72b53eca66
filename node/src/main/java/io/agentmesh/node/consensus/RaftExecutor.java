package io.agentmesh.node.consensus;

import io.agentmesh.node.port.Scheduler;
import io.microraft.executor.RaftNodeExecutor;
import io.microraft.impl.task.HeartbeatTask;
import io.microraft.impl.task.LeaderElectionTimeoutTask;
import io.microraft.impl.task.PreVoteTimeoutTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Runs MicroRaft on the node thread through the node's {@link Scheduler}, with time dilation.
 *
 * <p>Contract MicroRaft needs: all tasks of one node run one at a time with happens-before between them; {@code
 * submit} from inside a task must not run inline. The Scheduler gives both: {@code execute} never runs inline, and
 * everything runs on the node thread. We never run inline even for {@link #execute}, so MicroRaft is never re-entered
 * from inside one of its own tasks or from a future callback.
 *
 * <p>Timers: a delay MicroRaft asks for (in its dilated time) fires after {@code delay / k} of node time, rounded up
 * to a whole millisecond (see {@link ConsensusConfig} for why). MicroRaft never cancels timers (each timer task checks
 * the node's state when it runs), so this class tracks the outstanding ones only to drop them at {@link #halt()}.
 *
 * <p>Election jitter: MicroRaft's own election noise (0-99 ms) shrinks with the dilation; this executor adds the
 * {@link ElectionBackoff}'s delay (0..{@code electionJitterMs}, doubling while rounds end without a leader) to its
 * election and pre-vote round timeouts, recognised by their task classes (see {@link ConsensusConfig}, "Split
 * votes"). Nothing else is delayed.
 *
 * <p>Priority lane: every MicroRaft task and timer goes through {@link Scheduler#executeUrgent} and {@link
 * Scheduler#scheduleUrgent}, so Raft runs ahead of the node's ordinary backlog (replication, writes, HTTP reads).
 * Order among Raft's own tasks is unchanged: they all use the one lane.
 *
 * <p>Follower ticks: MicroRaft's heartbeat task ({@code HeartbeatTask}) can be deferred by a gate ({@link
 * #gateHeartbeatTicks}) that decides when a follower may act on its leader's silence ({@link ElectionLiveness},
 * "Staggered candidates"); a deferred tick runs later, and the task's period counts from then.
 *
 * <p>Not {@code RaftNodeLifecycleAware} on purpose: MicroRaft shuffles its lifecycle-aware components with an
 * unseeded Random (RaftNodeImpl:256), so none of ours takes part in that.
 */
public final class RaftExecutor implements RaftNodeExecutor {
    private static final Logger log = LoggerFactory.getLogger(RaftExecutor.class);

    private final Scheduler scheduler;
    private final int factor;
    private final ElectionBackoff electionBackoff;
    private Runnable candidateRoundTimeout;
    private LongSupplier heartbeatTickDeferralMs;
    // Insertion-ordered so halting cancels in a deterministic order (invariant 2: no unordered hash iteration).
    private final Map<Long, Scheduler.Cancellable> timers = new LinkedHashMap<>();
    private long nextTimerId;
    private volatile boolean halted;

    public RaftExecutor(Scheduler scheduler, int timeDilation) {
        this(scheduler, timeDilation, 0, null);
    }

    /** @param random seeded; used only when {@code electionJitterMs > 0} */
    public RaftExecutor(Scheduler scheduler, int timeDilation, long electionJitterMs, Random random) {
        if (timeDilation < 1) {
            throw new IllegalArgumentException("time dilation must be at least 1, got " + timeDilation);
        }
        this.scheduler = scheduler;
        this.factor = timeDilation;
        this.electionBackoff = new ElectionBackoff(electionJitterMs, random);
    }

    @Override
    public void execute(Runnable task) {
        submit(task);
    }

    @Override
    public void submit(Runnable task) {
        if (halted) {
            return;
        }
        scheduler.executeUrgent(() -> run(task));
    }

    @Override
    public void schedule(Runnable task, long delay, TimeUnit timeUnit) {
        if (halted) {
            return;
        }
        long delayMs = DilatedClock.toNodeMillis(timeUnit.toNanos(delay), factor);
        if (task instanceof LeaderElectionTimeoutTask || task instanceof PreVoteTimeoutTask) {
            delayMs += electionBackoff.nextRoundJitterMs();
        }
        Runnable toRun = task instanceof LeaderElectionTimeoutTask && candidateRoundTimeout != null
                ? candidateRoundTimeout : task;
        if (task instanceof HeartbeatTask && heartbeatTickDeferralMs != null) {
            toRun = () -> gatedTick(task);
        }
        scheduleNodeMillis(toRun, delayMs);
    }

    private void scheduleNodeMillis(Runnable toRun, long delayMs) {
        long id = nextTimerId++;
        Scheduler.Cancellable handle = scheduler.scheduleUrgent(() -> {
            timers.remove(id);
            run(toRun);
        }, delayMs);
        timers.put(id, handle);
    }

    /** A heartbeat tick: runs now, or later if the gate says this follower must not act on silence yet. */
    private void gatedTick(Runnable heartbeatTask) {
        long deferMs = heartbeatTickDeferralMs.getAsLong();
        if (deferMs > 0 && !halted) {
            scheduleNodeMillis(() -> gatedTick(heartbeatTask), deferMs);
        } else {
            heartbeatTask.run();
        }
    }

    /**
     * Asks {@code deferralMs} (node ms; 0: run now) before each run of MicroRaft's heartbeat task. Set once, before
     * MicroRaft starts. See {@link ElectionLiveness}, "Staggered candidates".
     */
    void gateHeartbeatTicks(LongSupplier deferralMs) {
        if (heartbeatTickDeferralMs != null) {
            throw new IllegalStateException("the heartbeat ticks are gated once");
        }
        heartbeatTickDeferralMs = deferralMs;
    }

    /**
     * Runs {@code replacement} instead of MicroRaft's candidate-round timeout ({@code LeaderElectionTimeoutTask}),
     * at the same time. Set once, before MicroRaft starts. See {@link ElectionLiveness}.
     */
    void replaceCandidateRoundTimeout(Runnable replacement) {
        if (candidateRoundTimeout != null) {
            throw new IllegalStateException("the candidate-round timeout is replaced once");
        }
        candidateRoundTimeout = replacement;
    }

    /** A leader is known again: the next election's rounds start at the base jitter. Node thread. */
    public void leaderKnown() {
        electionBackoff.leaderKnown();
    }

    /**
     * Stops running anything: queued tasks become no-ops, outstanding timers are cancelled, later submissions are
     * ignored. Used after MicroRaft terminated (its leftover timers are harmless but noisy) and by the simulator to
     * crash a node. Node thread.
     */
    public void halt() {
        halted = true;
        timers.values().forEach(Scheduler.Cancellable::cancel);
        timers.clear();
    }

    public boolean halted() {
        return halted;
    }

    /** Outstanding MicroRaft timers (for tests and metrics). */
    public int pendingTimers() {
        return timers.size();
    }

    private void run(Runnable task) {
        if (halted) {
            return;
        }
        try {
            task.run();
        } catch (RuntimeException e) {
            // MicroRaft catches inside its own tasks; anything reaching here is a bug worth one loud line, and must
            // not kill the node thread that also serves gossip.
            log.error("a MicroRaft task failed", e);
        }
    }
}
