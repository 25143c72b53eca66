package io.agentmesh.node.agent;

import io.agentmesh.node.actions.AgentFence;
import io.agentmesh.node.actions.AgentRunResult;
import io.agentmesh.node.membership.Backoff;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.random.RandomGenerator;

/**
 * When the agent's process may run on this node, as a state machine without IO: inputs are leadership changes, the
 * results of catch-up and of the fence commit, the process's start and exit, and the passing of time (all times are
 * monotonic milliseconds from the caller's {@code Clock}); outputs are {@link Decision}s the caller carries out. The
 * same code runs under the node thread in production and under a test's or the simulator's virtual time.
 *
 * <p>The rules:
 * <ul>
 *   <li>Start only while this node leads, after it caught up from a majority in this term, with a fence committed in
 *       this term for this very run, and not before the {@link StartBound} after its election has passed; never
 *       while a process of its own is still alive or stopping.</li>
 *   <li>Stop on step-down, on a new term, on a newer fence from elsewhere in the journal, and on shutdown.</li>
 *   <li>An exit of the running process is a crash: restart after a {@link Backoff} delay (each run gets a fresh fence),
 *       unless {@code crashLoopExits} exits fell within {@code crashLoopWindowMs}: then stop trying for
 *       {@code crashLoopPauseMs}, ask once to hand leadership to another voter, and say so in the status.</li>
 * </ul>
 * Not thread-safe: one thread (the node thread) calls it.
 */
public final class AgentSupervisor {

    /** What the supervisor shows in status. */
    public enum State {
        /** No process and nothing to do: shut down. */
        IDLE("idle"),
        WAITING_FOR_LEADERSHIP("waiting-for-leadership"),
        CATCHING_UP("catching-up"),
        FENCING("fencing"),
        WAITING_BOUND("waiting-bound"),
        STARTING("starting"),
        RUNNING("running"),
        STOPPING("stopping"),
        BACKING_OFF("backing-off"),
        CRASH_LOOP("crash-loop");

        private final String label;

        State(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** What the caller must do. */
    public sealed interface Decision {
        /** Pull from a majority of voters ({@code NodeCore.catchUpFromMajority}), then call {@link #caughtUp}. */
        record CatchUp(long term, long timeoutMs) implements Decision {
        }

        /** Commit an agent run to the journal, then call {@link #fenced} or {@link #fenceFailed}. */
        record CommitFence(long term, long stopGraceMs) implements Decision {
        }

        /** Start the process with this fence, then call {@link #started} or {@link #startFailed}. */
        record Start(long term, AgentFence fence) implements Decision {
        }

        /** SIGTERM the process group, SIGKILL it after the grace; call {@link #exited} once it is gone. */
        record Stop(String reason) implements Decision {
        }

        /** Hand leadership to another voter (the agent crash-loops here). */
        record HandOver(String reason) implements Decision {
        }
    }

    /**
     * @param stopGraceMs       SIGTERM to SIGKILL, recorded in each run's fence
     * @param crashLoopExits    exits within the window that make a crash loop
     * @param crashLoopWindowMs the window
     * @param crashLoopPauseMs  how long a crash loop keeps this node from trying again
     * @param restartBackoff    delay before restarting after an exit (full jitter)
     * @param catchUpTimeoutMs  how long a catch-up may take before it is tried again
     * @param retryMs           how long to wait before retrying a failed catch-up or fence commit
     */
    public record Policy(long stopGraceMs, int crashLoopExits, long crashLoopWindowMs, long crashLoopPauseMs,
                         Backoff restartBackoff, long catchUpTimeoutMs, long retryMs) {
        public Policy {
            Objects.requireNonNull(restartBackoff, "restartBackoff");
            if (stopGraceMs < 0 || crashLoopExits < 1 || crashLoopWindowMs < 1 || crashLoopPauseMs < 0
                    || catchUpTimeoutMs < 1 || retryMs < 1) {
                throw new IllegalArgumentException("invalid agent supervision policy " + this);
            }
        }

        /** The settings' grace and crash-loop limit; restarts back off from 250 ms to 10 s; a loop pauses 5 min. */
        public static Policy of(AgentSettings settings) {
            return new Policy(settings.stopGraceMs(), settings.crashLoopExits(), settings.crashLoopWindowMs(),
                    300_000, new Backoff(250, 10_000), 5_000, 250);
        }
    }

    private enum Process { NONE, STARTING, RUNNING, STOPPING }

    private final String self;
    private final Policy policy;
    private final StartBound bound;
    private final RandomGenerator random;

    private boolean leader;
    private long term = -1;
    private long electedAtMs;
    private boolean caughtUp;
    private boolean catchUpInFlight;
    private long catchUpRetryAtMs;
    private AgentFence fence;
    private boolean fenceInFlight;
    private long fenceRetryAtMs;
    private long startNotBeforeMs = Long.MAX_VALUE;
    private Process process = Process.NONE;
    private AgentFence runningFence;
    /** The newest run this supervisor started: a fence after it needs no wait once its process is gone. */
    private AgentFence lastOwnFence;
    private int restartAttempt;
    private long restartAtMs;
    private final Deque<Long> exitTimesMs = new ArrayDeque<>();
    private long crashLoopUntilMs = -1;
    private boolean shutdown;
    private long restarts;
    private Integer lastExitCode;
    private String lastStopReason;
    private String crashLoopReason;

    public AgentSupervisor(String self, Policy policy, StartBound bound, RandomGenerator random) {
        this.self = Objects.requireNonNull(self, "self");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.bound = Objects.requireNonNull(bound, "bound");
        this.random = Objects.requireNonNull(random, "random");
    }

    // ------------------------------------------------------------------------------------------------ inputs

    /** This node's role or term changed. */
    public List<Decision> leadership(boolean leads, long newTerm, long nowMs) {
        List<Decision> out = new ArrayList<>();
        if (leads && (!leader || newTerm != term)) {
            if (process == Process.RUNNING || process == Process.STARTING) {
                // A run of an older term: its fence is older than any this term will commit. Start afresh.
                stop("leadership moved to term " + newTerm, out);
            }
            leader = true;
            term = newTerm;
            electedAtMs = nowMs;
            caughtUp = false;
            catchUpInFlight = false;
            catchUpRetryAtMs = nowMs;
            fence = null;
            fenceInFlight = false;
            fenceRetryAtMs = nowMs;
            startNotBeforeMs = Long.MAX_VALUE;
            restartAttempt = 0;
            restartAtMs = nowMs;
        } else if (!leads && leader) {
            leader = false;
            term = newTerm;
            fence = null;
            stop("this node stopped leading (term " + newTerm + ")", out);
        } else if (!leads) {
            term = newTerm;
        }
        evaluate(nowMs, out);
        return out;
    }

    /** The catch-up asked for in {@code forTerm} finished, or failed (it is tried again). */
    public List<Decision> caughtUp(long forTerm, boolean ok, long nowMs) {
        if (forTerm == term && leader) {
            catchUpInFlight = false;
            if (ok) {
                caughtUp = true;
            } else {
                catchUpRetryAtMs = nowMs + policy.retryMs();
            }
        }
        return evaluate(nowMs);
    }

    /** The fence commit asked for in {@code forTerm} answered. */
    public List<Decision> fenced(long forTerm, AgentRunResult result, long nowMs) {
        if (forTerm != term || !leader) {
            return evaluate(nowMs);
        }
        fenceInFlight = false;
        switch (result) {
            case AgentRunResult.Started s -> {
                fence = s.fence();
                AgentFence previous = s.previousOrNull();
                // Our own previous run, whose group we saw die, needs no wait; anyone else's needs the bound.
                boolean ownAndGone = previous != null && previous.equals(lastOwnFence) && process == Process.NONE;
                startNotBeforeMs = ownAndGone ? nowMs : electedAtMs + bound.waitMs(previous);
            }
            case AgentRunResult.Refused r -> fenceRetryAtMs = nowMs + policy.retryMs(); // a newer term leads
        }
        return evaluate(nowMs);
    }

    /** The fence commit asked for in {@code forTerm} failed (leadership lost, timeout): tried again while leader. */
    public List<Decision> fenceFailed(long forTerm, long nowMs) {
        if (forTerm == term && leader) {
            fenceInFlight = false;
            fenceRetryAtMs = nowMs + policy.retryMs();
        }
        return evaluate(nowMs);
    }

    /** The process started. */
    public List<Decision> started(long nowMs) {
        List<Decision> out = new ArrayList<>();
        if (process == Process.STARTING) {
            process = Process.RUNNING;
        }
        evaluate(nowMs, out);
        return out;
    }

    /** The process could not be started at all (counts as an exit, so a broken command ends in a crash loop). */
    public List<Decision> startFailed(long nowMs) {
        return exited(-1, nowMs);
    }

    /** The process (and its group) is gone, with this exit code (-1 when there is none). */
    public List<Decision> exited(int code, long nowMs) {
        List<Decision> out = new ArrayList<>();
        Process was = process;
        process = Process.NONE;
        runningFence = null;
        lastExitCode = code;
        if (was == Process.RUNNING || was == Process.STARTING) {
            crashed(code, nowMs, out);
        }
        evaluate(nowMs, out);
        return out;
    }

    /**
     * Time passed; {@code newestFence} is the newest agent fence this node's journal holds. A newer fence than the
     * running process's, from another run, means someone else started the agent: stop ours at once.
     */
    public List<Decision> tick(long nowMs, AgentFence newestFence) {
        List<Decision> out = new ArrayList<>();
        if (runningFence != null && newestFence != null && newestFence.token().compareTo(runningFence.token()) > 0
                && (process == Process.RUNNING || process == Process.STARTING)) {
            stop("a newer agent run " + newestFence.tokenText() + " started on " + newestFence.nodeId(), out);
        }
        evaluate(nowMs, out);
        return out;
    }

    /** The node shuts down: stop the process and start nothing more. */
    public List<Decision> shutdown(long nowMs) {
        List<Decision> out = new ArrayList<>();
        shutdown = true;
        stop("the node is shutting down", out);
        return out;
    }

    // ------------------------------------------------------------------------------------------------ reads

    public State state(long nowMs) {
        if (process == Process.STOPPING) {
            return State.STOPPING;
        }
        if (process == Process.RUNNING) {
            return State.RUNNING;
        }
        if (process == Process.STARTING) {
            return State.STARTING;
        }
        if (shutdown) {
            return State.IDLE;
        }
        if (crashLoopUntilMs >= 0) {
            return State.CRASH_LOOP;
        }
        if (!leader) {
            return State.WAITING_FOR_LEADERSHIP;
        }
        if (nowMs < restartAtMs) {
            return State.BACKING_OFF;
        }
        if (!caughtUp) {
            return State.CATCHING_UP;
        }
        if (fence == null) {
            return State.FENCING;
        }
        return State.WAITING_BOUND;
    }

    /** The earliest time at which {@link #tick} may decide something new, if any. */
    public OptionalLong nextWakeMs() {
        long next = Long.MAX_VALUE;
        if (crashLoopUntilMs >= 0) {
            next = crashLoopUntilMs;
        } else if (leader && (process == Process.NONE || process == Process.STOPPING) && !shutdown) {
            if (!caughtUp && !catchUpInFlight) {
                next = Math.min(next, catchUpRetryAtMs);
            }
            if (caughtUp && fence == null && !fenceInFlight) {
                next = Math.min(next, Math.max(restartAtMs, fenceRetryAtMs));
            }
            if (process == Process.NONE && caughtUp && fence != null) {
                next = Math.min(next, Math.max(restartAtMs, startNotBeforeMs));
            }
        }
        return next == Long.MAX_VALUE ? OptionalLong.empty() : OptionalLong.of(next);
    }

    /** Fence of the process started last and still alive, if any. */
    public AgentFence runningFence() {
        return runningFence;
    }

    /** Restarts after an exit so far. */
    public long restarts() {
        return restarts;
    }

    /** Exit code of the last process that ended (-1: could not start, or killed without one), if any ended. */
    public Integer lastExitCode() {
        return lastExitCode;
    }

    /** Why the process was last stopped, if it was. */
    public String lastStopReason() {
        return lastStopReason;
    }

    /** What the crash loop was, while in one. */
    public String crashLoopReason() {
        return crashLoopUntilMs >= 0 ? crashLoopReason : null;
    }

    /** The wait before a start in this term, once the fence told whom to outwait; -1 before. */
    public long startNotBeforeMs() {
        return startNotBeforeMs == Long.MAX_VALUE ? -1 : startNotBeforeMs;
    }

    // ------------------------------------------------------------------------------------------------ rules

    private List<Decision> evaluate(long nowMs) {
        List<Decision> out = new ArrayList<>();
        evaluate(nowMs, out);
        return out;
    }

    private void evaluate(long nowMs, List<Decision> out) {
        if (shutdown) {
            return;
        }
        if (crashLoopUntilMs >= 0 && nowMs >= crashLoopUntilMs) {
            crashLoopUntilMs = -1;
            exitTimesMs.clear();
            restartAttempt = 0;
        }
        // While the old process stops, catch-up and then the next fence can go ahead; only the start waits for it.
        if (!leader || process == Process.RUNNING || process == Process.STARTING || crashLoopUntilMs >= 0) {
            return;
        }
        if (!caughtUp && !catchUpInFlight && nowMs >= catchUpRetryAtMs) {
            catchUpInFlight = true;
            out.add(new Decision.CatchUp(term, policy.catchUpTimeoutMs()));
        }
        if (nowMs < restartAtMs) {
            return;
        }
        // The fence waits for the catch-up: the run carries over the previous run's requests this node holds
        // (JournalOp.AgentRun#carried), and only after a catch-up from a majority does it hold every acknowledged one.
        if (caughtUp && fence == null && !fenceInFlight && nowMs >= fenceRetryAtMs) {
            fenceInFlight = true;
            out.add(new Decision.CommitFence(term, policy.stopGraceMs()));
        }
        if (process == Process.NONE && caughtUp && fence != null && nowMs >= startNotBeforeMs) {
            process = Process.STARTING;
            runningFence = fence;
            lastOwnFence = fence;
            fence = null; // one run per fence: a restart commits a new one
            out.add(new Decision.Start(term, runningFence));
        }
    }

    private void stop(String reason, List<Decision> out) {
        if (process == Process.RUNNING || process == Process.STARTING) {
            process = Process.STOPPING;
            lastStopReason = reason;
            out.add(new Decision.Stop(reason));
        }
    }

    private void crashed(int code, long nowMs, List<Decision> out) {
        exitTimesMs.addLast(nowMs);
        while (!exitTimesMs.isEmpty() && exitTimesMs.peekFirst() <= nowMs - policy.crashLoopWindowMs()) {
            exitTimesMs.removeFirst();
        }
        while (exitTimesMs.size() > policy.crashLoopExits()) {
            exitTimesMs.removeFirst();
        }
        if (exitTimesMs.size() >= policy.crashLoopExits()) {
            crashLoopUntilMs = nowMs + policy.crashLoopPauseMs();
            crashLoopReason = "the agent exited " + exitTimesMs.size() + " times within "
                    + policy.crashLoopWindowMs() / 1000 + " s (last exit code " + code + "); not restarted here for "
                    + policy.crashLoopPauseMs() / 1000 + " s";
            if (leader) {
                out.add(new Decision.HandOver(crashLoopReason));
            }
            return;
        }
        restarts++;
        restartAtMs = nowMs + policy.restartBackoff().delayMs(restartAttempt++, random);
        fence = null;
    }

    /** This node, as fences name it. */
    public String self() {
        return self;
    }
}
