package io.agentmesh.node.replication;

import io.agentmesh.state.LocalBatch;

/**
 * How {@link ChangeAuthor} batches local writes (docs/architecture.md, "Write path"). Writes that arrive while a
 * batch is being signed and made durable wait; the next batch takes them all (up to {@code maxWritesPerBatch}) into
 * one Automerge change, one signature, one store row and one fsync. There is no timer: a write that finds nothing in
 * flight is applied at once, so a lone writer waits for one fsync as before.
 *
 * @param maxWritesPerBatch  writes applied in one batch (and so answered together); bounds the node thread's time in
 *                           one batch
 * @param maxQueuedWrites    writes waiting for the next batch; past it a write is refused at once and changes nothing
 * @param maxBatchesInFlight batches applied but not yet durable; while this many are in flight, writes wait
 * @param changeLimits       how big one change of several writes may grow (ops, bytes) before the batch starts
 *                           another
 */
public record WriteBatching(int maxWritesPerBatch, int maxQueuedWrites, int maxBatchesInFlight,
                            LocalBatch.ChangeLimits changeLimits) {
    public static final WriteBatching DEFAULT = new WriteBatching(256, 16_384, 1, LocalBatch.ChangeLimits.DEFAULT);

    /**
     * {@link #DEFAULT} with at most {@code maxWritesPerChange} writes in one change ({@code node run
     * --max-writes-per-change}). With 1 every write is its own change, as before batching: then changes are
     * pipelined (up to {@code maxQueuedWrites} in flight, group-committed by the store) instead of waiting for each
     * other, since nothing would be gained by waiting.
     */
    public static WriteBatching writesPerChange(int maxWritesPerChange) {
        if (maxWritesPerChange < 1 || maxWritesPerChange > DEFAULT.maxQueuedWrites) {
            throw new IllegalArgumentException("max writes per change must be 1.." + DEFAULT.maxQueuedWrites + ", got "
                    + maxWritesPerChange);
        }
        return new WriteBatching(maxWritesPerChange, DEFAULT.maxQueuedWrites,
                maxWritesPerChange == 1 ? DEFAULT.maxQueuedWrites : DEFAULT.maxBatchesInFlight, DEFAULT.changeLimits);
    }

    public WriteBatching {
        if (maxWritesPerBatch < 1 || maxQueuedWrites < 1 || maxBatchesInFlight < 1) {
            throw new IllegalArgumentException("maxWritesPerBatch, maxQueuedWrites and maxBatchesInFlight must be >= 1,"
                    + " got " + maxWritesPerBatch + ", " + maxQueuedWrites + " and " + maxBatchesInFlight);
        }
        java.util.Objects.requireNonNull(changeLimits, "changeLimits");
    }
}
