package io.agentmesh.node.replication;

/**
 * Knobs of replication. Defaults suit meshes of 3 to ~50 nodes on a LAN or WAN.
 *
 * @param antiEntropyIntervalMs how often each peer is sent this node's version vector, which repairs anything a
 *                              push missed (drops, partitions, restarts)
 * @param maxBatchChanges       most changes in one {@code Changes} message
 * @param maxBatchBytes         most change bytes in one {@code Changes} message (below the frame limit)
 * @param maxBadChangesPerPeer  a peer that sends more invalid changes than this in one connection is disconnected
 * @param cursorSaveIntervalMs  how often a peer's last known vector is written to disk at most
 */
public record ReplicationConfig(long antiEntropyIntervalMs, int maxBatchChanges, int maxBatchBytes,
                                int maxBadChangesPerPeer, long cursorSaveIntervalMs) {
    public static final ReplicationConfig DEFAULTS = new ReplicationConfig(500, 4096, 8 * 1024 * 1024, 16, 2_000);

    public ReplicationConfig {
        if (antiEntropyIntervalMs < 1 || maxBatchChanges < 1 || maxBatchBytes < 1024 || maxBadChangesPerPeer < 0
                || cursorSaveIntervalMs < 0) {
            throw new IllegalArgumentException("replication settings out of range: " + this);
        }
    }
}
