package io.agentmesh.node.consensus;

import java.util.Random;

/**
 * The extra random delay added to each election and pre-vote round ({@link RaftExecutor}): randomized exponential
 * backoff, as Ethernet does after a collision.
 *
 * <p>The bound starts at {@code baseJitterMs} and doubles with every round after the first pre-vote and vote that
 * ends without a leader, up to {@link #MAX_DOUBLINGS} doublings, until {@link #leaderKnown()} resets it. Why: on a
 * loaded machine a vote's round trip through two busy node threads can exceed the whole 100-150 ms round; then two
 * candidates that time out together keep colliding round after round (measured live at load 15-40: 7-52 terms, up to
 * 10 s without a leader). Each doubling halves the chance that they time out within one round trip of each other and
 * lengthens the round a late vote has to arrive in. The cap keeps one round at most 110 + 400 ms, so a failover that
 * needed it still ends well within a second of the collision.
 *
 * <p>Node thread only; draws from the node's seeded Random so simulations replay.
 */
public final class ElectionBackoff {
    /** 50 ms doubled 3 times: 400 ms. */
    public static final int MAX_DOUBLINGS = 3;
    /** A successful election schedules two timeouts (its pre-vote's and its vote's): those two use the base bound. */
    private static final int ROUNDS_AT_BASE = 2;

    private final long baseJitterMs;
    private final Random random;
    private int roundsWithoutLeader;

    /** @param random seeded; may be null only when {@code baseJitterMs} is 0 */
    public ElectionBackoff(long baseJitterMs, Random random) {
        if (baseJitterMs < 0) {
            throw new IllegalArgumentException("election jitter must be >= 0 ms, got " + baseJitterMs);
        }
        if (baseJitterMs > 0 && random == null) {
            throw new IllegalArgumentException("election jitter needs a (seeded) Random");
        }
        this.baseJitterMs = baseJitterMs;
        this.random = random;
    }

    /** The delay to add to the round starting now, node ms in 0..{@link #boundMs()}; counts the round. */
    public long nextRoundJitterMs() {
        if (baseJitterMs == 0) {
            return 0;
        }
        long jitterMs = random.nextLong(boundMs() + 1);
        roundsWithoutLeader++;
        return jitterMs;
    }

    /** The bound for the next round, node ms. */
    public long boundMs() {
        int doublings = Math.min(Math.max(0, roundsWithoutLeader - ROUNDS_AT_BASE + 1), MAX_DOUBLINGS);
        return baseJitterMs << doublings;
    }

    /** A leader is known again (this node or another): the next election starts at the base bound. */
    public void leaderKnown() {
        roundsWithoutLeader = 0;
    }
}
