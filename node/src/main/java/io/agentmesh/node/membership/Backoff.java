package io.agentmesh.node.membership;

import java.util.random.RandomGenerator;

/**
 * Exponential backoff with full jitter: the n-th retry waits a uniform random time in [0, min(cap, base * 2^n)].
 * Jitter spreads the nodes that all lost the same peer, so a restarting peer is not hit by every node at once.
 */
public record Backoff(long baseMs, long capMs) {
    public Backoff {
        if (baseMs < 1 || capMs < baseMs) {
            throw new IllegalArgumentException("backoff needs 1 <= baseMs <= capMs, got base " + baseMs + " cap " + capMs);
        }
    }

    public long delayMs(int attempt, RandomGenerator random) {
        int shift = Math.min(Math.max(attempt, 0), 30);
        long ceiling = Math.min(capMs, baseMs << shift);
        return random.nextLong(ceiling + 1);
    }
}
