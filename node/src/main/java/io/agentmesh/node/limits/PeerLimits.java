package io.agentmesh.node.limits;

/**
 * What one authenticated peer may send this node, enforced on its connection ({@code net.PeerRateLimiter}). Each
 * bucket holds {@value #BURST_SECONDS} seconds of its rate, so a burst passes untouched. Over a limit the connection
 * stops reading until the peer is back under it (TCP pushes back on the sender); a peer that stays over it for
 * {@code disconnectAfterMs} is disconnected.
 *
 * @param maxChangesPerSecond signed changes a second (in {@code Changes} messages)
 * @param maxBytesPerSecond   frame bytes a second, every message type
 * @param disconnectAfterMs   how long a peer may stay over a limit before it is disconnected
 */
public record PeerLimits(long maxChangesPerSecond, long maxBytesPerSecond, long disconnectAfterMs) {
    public static final int BURST_SECONDS = 2;
    /** Far above what an honest peer sends (docs/benchmarks.md, "Limits"); a node verifies ~16k changes/s/core. */
    public static final long DEFAULT_MAX_CHANGES_PER_SECOND = 20_000;
    public static final long DEFAULT_MAX_BYTES_PER_SECOND = 32L * 1024 * 1024;
    public static final long DEFAULT_DISCONNECT_AFTER_MS = 30_000;

    public PeerLimits {
        Limits.positive("maxChangesPerSecond", maxChangesPerSecond);
        Limits.positive("maxBytesPerSecond", maxBytesPerSecond);
        Limits.positive("disconnectAfterMs", disconnectAfterMs);
    }

    public static PeerLimits defaults() {
        return new PeerLimits(DEFAULT_MAX_CHANGES_PER_SECOND, DEFAULT_MAX_BYTES_PER_SECOND, DEFAULT_DISCONNECT_AFTER_MS);
    }
}
