package io.agentmesh.state.store;

import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.protocol.change.SignedChange;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The node's durable record: signed changes keyed by (actor, seq), document snapshots and small node metadata.
 *
 * <p>Contract, which every implementation (SQLite on disk, the simulator's in-memory store with explicit crash
 * semantics) keeps:
 * <ul>
 *   <li>{@link #append} never blocks on disk: it queues the change and the returned future completes only after
 *       the change is fsynced (group commit). It completes exceptionally with {@link StoreException} when the write
 *       failed; then the change is not in the store and the caller must not acknowledge it.</li>
 *   <li>Appending a change whose (actor, seq) is already stored with the same bytes succeeds and changes nothing;
 *       with different bytes it fails with {@link StoreException} (an equivocating author) and changes nothing.</li>
 *   <li>Reads, {@link #saveSnapshot} and {@link #putMeta} may block on disk; the latter two return once durable.
 *       Their {@code *Async} variants never block the caller (the node thread uses these): the work runs on the
 *       store's own threads and the future completes there, so a caller hands the result back to its own thread.
 *       {@link #putMetaAsync} and {@link #saveSnapshotAsync} go through the same ordered queue as {@link #append}:
 *       each is durable only after everything appended before it, and two of them land in the order they were
 *       made. A refusal because too much is waiting is a {@link StoreOverloadedException} (nothing written; retry
 *       later); any other failure of a write means durability can no longer be promised.</li>
 *   <li>All methods may be called from any thread.</li>
 * </ul>
 */
public interface ChangeStore extends AutoCloseable {

    /** Queues a change; completes after it is durable. */
    CompletableFuture<Void> append(SignedChange change);

    /** Up to {@code maxCount} stored changes of {@code actor} with seq >= {@code fromSeq}, in seq order. */
    List<SignedChange> read(ActorId actor, long fromSeq, int maxCount);

    /** Every durable change in the order it was appended, starting after {@code afterPosition} (0 = start). */
    List<StoredChange> readFrom(long afterPosition, int maxCount);

    /** For each actor, the highest seq such that 1..seq are all durable here. */
    VersionVector vector();

    /** Number of durable changes. */
    long changeCount();

    /** Stores a snapshot durably and drops older ones. */
    void saveSnapshot(Snapshot snapshot);

    Optional<Snapshot> latestSnapshot();

    Optional<byte[]> getMeta(String key);

    /** Stores a metadata value durably. */
    void putMeta(String key, byte[] value);

    /**
     * {@link #read} off the caller's thread (a store reader); the future completes on that thread. The default runs
     * it on the caller's thread: a store that can block overrides it.
     */
    default CompletableFuture<List<SignedChange>> readAsync(ActorId actor, long fromSeq, int maxCount) {
        try {
            return CompletableFuture.completedFuture(read(actor, fromSeq, maxCount));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** {@link #readFrom} off the caller's thread, as {@link #readAsync}. */
    default CompletableFuture<List<StoredChange>> readFromAsync(long afterPosition, int maxCount) {
        try {
            return CompletableFuture.completedFuture(readFrom(afterPosition, maxCount));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Queues a snapshot behind every append made before; completes once it is durable (older ones dropped). The
     * default saves it on the caller's thread: a store that can block overrides it.
     */
    default CompletableFuture<Void> saveSnapshotAsync(Snapshot snapshot) {
        try {
            saveSnapshot(snapshot);
            return CompletableFuture.completedFuture(null);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Queues a metadata write behind every append made before; completes once it is durable. As above. */
    default CompletableFuture<Void> putMetaAsync(String key, byte[] value) {
        try {
            putMeta(key, value);
            return CompletableFuture.completedFuture(null);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Flushes what is queued, then releases files. Further calls fail. */
    @Override
    void close();

    /** A durable change with its append position (1, 2, ...), which orders replay after a snapshot. */
    record StoredChange(long position, SignedChange change) {
    }
}
