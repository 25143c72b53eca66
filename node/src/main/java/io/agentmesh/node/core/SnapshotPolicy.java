package io.agentmesh.node.core;

/**
 * When the core saves its document as a snapshot, so that a restart replays only the changes after it. A snapshot
 * is due after {@code everyChanges} changes entered the store, the node's own and those received from peers (a
 * restart replays both); with {@code storeFraction} > 0 it waits for at least {@code 1/storeFraction} of the changes
 * in the store instead, when that is more, so that the cost of snapshots (each one saves the whole document) stays
 * proportional to the work in between as the document grows. The core writes one snapshot at a time and tries again
 * at a later write or tick when one fails or is postponed.
 *
 * @param everyChanges  changes between two snapshots (at least)
 * @param storeFraction 0 for a fixed cadence; else wait for at least (changes in the store / storeFraction) changes
 */
public record SnapshotPolicy(long everyChanges, int storeFraction) {
    public SnapshotPolicy {
        if (everyChanges < 1) {
            throw new IllegalArgumentException("everyChanges must be positive, got " + everyChanges);
        }
        if (storeFraction < 0) {
            throw new IllegalArgumentException("storeFraction must be >= 0, got " + storeFraction);
        }
    }

    /** A snapshot after every {@code everyChanges} changes, however large the store grows. */
    public static SnapshotPolicy every(long everyChanges) {
        return new SnapshotPolicy(everyChanges, 0);
    }

    /** Whether a snapshot is due after {@code changesSince} changes, with {@code storeChanges} in the store. */
    public boolean due(long changesSince, long storeChanges) {
        long threshold = storeFraction == 0 ? everyChanges : Math.max(everyChanges, storeChanges / storeFraction);
        return changesSince >= threshold;
    }
}
