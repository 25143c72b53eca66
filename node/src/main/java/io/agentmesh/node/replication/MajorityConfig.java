package io.agentmesh.node.replication;

/**
 * Bounds of majority-durable writes and catch-up from a majority.
 *
 * @param timeoutMs       a majority-durable write that a majority has not confirmed within this fails with
 *                        {@link MajorityTimeoutException} (the write stays durable here and replicates)
 * @param maxPending      majority-durable writes that may wait for confirmation at once; past it a new one is
 *                        refused before it changes anything
 * @param maxCatchUps     catch-ups from a majority that may run at once
 * @param maxCatchUpMs    the longest bound a catch-up may be given
 */
public record MajorityConfig(long timeoutMs, int maxPending, int maxCatchUps, long maxCatchUpMs) {
    /** 5 s: far above a loopback or LAN round trip plus an fsync, well below the HTTP API's 30 s request bound. */
    public static final MajorityConfig DEFAULTS = new MajorityConfig(5_000, 1_024, 16, 600_000);

    public MajorityConfig {
        if (timeoutMs < 1 || maxPending < 1 || maxCatchUps < 1 || maxCatchUpMs < 1) {
            throw new IllegalArgumentException("majority durability settings out of range: " + this);
        }
    }
}
