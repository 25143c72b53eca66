package io.agentmesh.relay.limits;

/**
 * One stretch of a peer or client being over its limit: it begins with the first input over the limit and ends once
 * {@code quietNanos} pass with nothing over it. Its owner logs once at its start and disconnects when it has lasted
 * {@code disconnectAfterNanos}, so an abuser that keeps going is cut off and an honest burst is only slowed. Not
 * thread-safe: one owner or a lock around it.
 */
public final class Episode {
    private final long quietNanos;
    private final long disconnectAfterNanos;
    private boolean open;
    private long startNanos;
    private long lastOverNanos;
    private long inputsOver;

    public Episode(long quietNanos, long disconnectAfterNanos) {
        if (quietNanos <= 0 || disconnectAfterNanos <= 0) {
            throw new IllegalArgumentException("episode durations must be > 0");
        }
        this.quietNanos = quietNanos;
        this.disconnectAfterNanos = disconnectAfterNanos;
    }

    /** What an input over the limit means for its source. */
    public enum Verdict {
        /** the first over the limit in a while: slow it and log once */
        STARTED,
        /** part of an episode already logged: slow it, say nothing */
        CONTINUES,
        /** over the limit for longer than allowed: disconnect it */
        PERSISTS
    }

    /** Records an input over the limit at {@code nowNanos}. */
    public Verdict over(long nowNanos) {
        if (!open || nowNanos - lastOverNanos > quietNanos) {
            open = true;
            startNanos = nowNanos;
            lastOverNanos = nowNanos;
            inputsOver = 1;
            return Verdict.STARTED;
        }
        lastOverNanos = nowNanos;
        inputsOver++;
        return nowNanos - startNanos >= disconnectAfterNanos ? Verdict.PERSISTS : Verdict.CONTINUES;
    }

    /** Inputs over the limit in the current (or last) episode. */
    public long inputsOver() {
        return inputsOver;
    }

    /** How long the current (or last) episode has lasted, in milliseconds. */
    public long durationMs() {
        return (lastOverNanos - startNanos) / 1_000_000;
    }

    /** Whether no episode is running at {@code nowNanos}. */
    public boolean quiet(long nowNanos) {
        return !open || nowNanos - lastOverNanos > quietNanos;
    }
}
