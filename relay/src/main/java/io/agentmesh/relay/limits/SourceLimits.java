package io.agentmesh.relay.limits;

/**
 * How many control requests (registrations and lookups) one source address may make of a relay. The bucket holds
 * {@value #BURST_SECONDS} seconds of the rate, so a whole mesh behind one address registering at once passes. Over
 * it, each request waits its turn (the connection stops reading meanwhile); a source still over it after
 * {@code disconnectAfterMs} is refused with {@code RATE_LIMITED} and disconnected.
 *
 * @param maxRequestsPerSecond control requests a second from one source address
 * @param disconnectAfterMs    how long a source may stay over the limit before its connections are refused
 */
public record SourceLimits(long maxRequestsPerSecond, long disconnectAfterMs) {
    public static final int BURST_SECONDS = 2;
    public static final long DEFAULT_MAX_REQUESTS_PER_SECOND = 50;
    public static final long DEFAULT_DISCONNECT_AFTER_MS = 30_000;

    public SourceLimits {
        if (maxRequestsPerSecond <= 0) {
            throw new IllegalArgumentException("maxRequestsPerSecond must be > 0, got " + maxRequestsPerSecond);
        }
        if (disconnectAfterMs <= 0) {
            throw new IllegalArgumentException("disconnectAfterMs must be > 0, got " + disconnectAfterMs);
        }
    }

    public static SourceLimits defaults() {
        return new SourceLimits(DEFAULT_MAX_REQUESTS_PER_SECOND, DEFAULT_DISCONNECT_AFTER_MS);
    }
}
