package io.agentmesh.node.llm.route;

/**
 * A target's circuit breaker as a plain value with absolute times, so it can be replicated and a new leader
 * inherits it: no timers, no threads; the open-to-half-open move happens when someone looks at it after the time.
 */
public sealed interface Circuit {
    /** Calls flow; failures are counted over the window. */
    record Closed() implements Circuit {
    }

    /** No calls until {@code untilMillis} (wall clock, epoch ms); then the circuit is half-open. */
    record Open(long untilMillis) implements Circuit {
    }

    /**
     * Probing: {@code probesStarted} real calls have been let through since {@code sinceMillis}. A probe that never
     * reports (its leader died) is given up after the open time, and another is let through.
     */
    record HalfOpen(long sinceMillis, int probesStarted) implements Circuit {
        public HalfOpen {
            if (probesStarted < 0) {
                throw new IllegalArgumentException("probesStarted is never negative: " + probesStarted);
            }
        }
    }
}
