package io.agentmesh.relay.limits;

/**
 * A token bucket on a caller-supplied monotonic time: {@code ratePerSecond} tokens a second, at most
 * {@code capacity} saved up. {@link #take} always takes (the balance may go negative, a debt) and answers how long
 * the caller should wait before the debt is repaid, so a burst up to the capacity passes untouched and anything
 * beyond is paced to the rate. Not thread-safe: one owner (an event loop) or a lock around it.
 */
public final class TokenBucket {
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private final double ratePerSecond;
    private final double capacity;
    private double tokens;
    private long lastNanos;

    /** A full bucket at {@code nowNanos}. */
    public TokenBucket(double ratePerSecond, double capacity, long nowNanos) {
        if (!(ratePerSecond > 0) || !(capacity >= 1)) {
            throw new IllegalArgumentException("a token bucket needs a rate > 0 and a capacity >= 1, got "
                    + ratePerSecond + " and " + capacity);
        }
        this.ratePerSecond = ratePerSecond;
        this.capacity = capacity;
        this.tokens = capacity;
        this.lastNanos = nowNanos;
    }

    /**
     * Takes {@code amount} tokens at {@code nowNanos}; returns 0 when the bucket held them, else the nanoseconds until
     * the balance is back to zero at the bucket's rate.
     */
    public long take(double amount, long nowNanos) {
        refill(nowNanos);
        tokens -= amount;
        if (tokens >= 0) {
            return 0;
        }
        return (long) Math.ceil(-tokens / ratePerSecond * NANOS_PER_SECOND);
    }

    /** Whether the bucket is full at {@code nowNanos} (its owner has been under the rate for a while). */
    public boolean isFull(long nowNanos) {
        refill(nowNanos);
        return tokens >= capacity;
    }

    private void refill(long nowNanos) {
        long elapsed = nowNanos - lastNanos;
        if (elapsed > 0) {
            tokens = Math.min(capacity, tokens + elapsed * ratePerSecond / NANOS_PER_SECOND);
            lastNanos = nowNanos;
        }
    }
}
