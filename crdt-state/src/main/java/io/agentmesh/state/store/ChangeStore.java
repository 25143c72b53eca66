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
 *   <li>Reads, {@link #saveSnapshot} and {@link #putMeta} may block on disk; the latter two return once durable.</li>
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

    /** Flushes what is queued, then releases files. Further calls fail. */
    @Override
    void close();

    /** A durable change with its append position (1, 2, ...), which orders replay after a snapshot. */
    record StoredChange(long position, SignedChange change) {
    }
}
