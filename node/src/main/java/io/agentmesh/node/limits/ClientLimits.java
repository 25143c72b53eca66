package io.agentmesh.node.limits;

/**
 * What one HTTP client (one remote address) may ask of the node's API, enforced by {@code api.ClientRateLimiter}
 * before any other check. Loopback clients (the agent, the CLI, a local dashboard) have their own, generous pair.
 * The request bucket holds {@value PeerLimits#BURST_SECONDS} seconds of its rate. Over a limit: 429 with
 * Retry-After; a client that stays over it for {@code disconnectAfterMs} has its connections closed unanswered.
 *
 * @param maxRequestsPerSecond         requests a second from one non-loopback address
 * @param maxConcurrentRequests        requests of one non-loopback address being handled at once
 * @param loopbackMaxRequestsPerSecond requests a second from loopback
 * @param loopbackMaxConcurrentRequests requests from loopback being handled at once
 * @param disconnectAfterMs            how long a client may stay over a limit before it is disconnected
 */
public record ClientLimits(long maxRequestsPerSecond, int maxConcurrentRequests, long loopbackMaxRequestsPerSecond,
                           int loopbackMaxConcurrentRequests, long disconnectAfterMs) {
    public static final long DEFAULT_MAX_REQUESTS_PER_SECOND = 200;
    public static final int DEFAULT_MAX_CONCURRENT_REQUESTS = 16;
    public static final long DEFAULT_LOOPBACK_MAX_REQUESTS_PER_SECOND = 5_000;
    /** The API's handler threads: loopback is bounded by the server itself. */
    public static final int DEFAULT_LOOPBACK_MAX_CONCURRENT_REQUESTS = 32;
    public static final long DEFAULT_DISCONNECT_AFTER_MS = 30_000;

    public ClientLimits {
        Limits.positive("maxRequestsPerSecond", maxRequestsPerSecond);
        Limits.positive("maxConcurrentRequests", maxConcurrentRequests);
        Limits.positive("loopbackMaxRequestsPerSecond", loopbackMaxRequestsPerSecond);
        Limits.positive("loopbackMaxConcurrentRequests", loopbackMaxConcurrentRequests);
        Limits.positive("disconnectAfterMs", disconnectAfterMs);
    }

    public static ClientLimits defaults() {
        return new ClientLimits(DEFAULT_MAX_REQUESTS_PER_SECOND, DEFAULT_MAX_CONCURRENT_REQUESTS,
                DEFAULT_LOOPBACK_MAX_REQUESTS_PER_SECOND, DEFAULT_LOOPBACK_MAX_CONCURRENT_REQUESTS,
                DEFAULT_DISCONNECT_AFTER_MS);
    }
}
