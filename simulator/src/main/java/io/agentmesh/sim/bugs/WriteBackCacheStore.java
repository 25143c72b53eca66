package io.agentmesh.sim.bugs;

import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.sim.world.DiskTimer;
import io.agentmesh.state.store.ChangeStore;
import io.agentmesh.state.store.Snapshot;
import io.agentmesh.state.store.VersionVector;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * PLANTED BUG (simulator only): a store that acknowledges an append at once and hands it to the real store only
 * every {@code flushIntervalMs}, like a write-back cache without fsync. A crash loses up to one interval of
 * acknowledged writes, breaking DESIGN.md invariant 3. The acknowledged-writes checker must catch it.
 */
public final class WriteBackCacheStore implements ChangeStore {
    private final ChangeStore inner;
    private final DiskTimer timer;
    private final long flushIntervalMs;
    private final List<SignedChange> buffer = new ArrayList<>();
    private boolean flushScheduled;

    public WriteBackCacheStore(ChangeStore inner, DiskTimer timer, long flushIntervalMs) {
        this.inner = inner;
        this.timer = timer;
        this.flushIntervalMs = flushIntervalMs;
    }

    @Override
    public CompletableFuture<Void> append(SignedChange change) {
        buffer.add(change);
        if (!flushScheduled) {
            flushScheduled = true;
            timer.after(flushIntervalMs * 1_000_000L, "write-back flush", this::flush);
        }
        return CompletableFuture.completedFuture(null); // the bug: acknowledged before it is durable
    }

    private void flush() {
        flushScheduled = false;
        for (SignedChange c : buffer) {
            inner.append(c);
        }
        buffer.clear();
    }

    @Override
    public List<SignedChange> read(ActorId actor, long fromSeq, int maxCount) {
        return inner.read(actor, fromSeq, maxCount);
    }

    @Override
    public List<StoredChange> readFrom(long afterPosition, int maxCount) {
        return inner.readFrom(afterPosition, maxCount);
    }

    @Override
    public VersionVector vector() {
        return inner.vector();
    }

    @Override
    public long changeCount() {
        return inner.changeCount();
    }

    @Override
    public void saveSnapshot(Snapshot snapshot) {
        inner.saveSnapshot(snapshot);
    }

    @Override
    public Optional<Snapshot> latestSnapshot() {
        return inner.latestSnapshot();
    }

    @Override
    public Optional<byte[]> getMeta(String key) {
        return inner.getMeta(key);
    }

    @Override
    public void putMeta(String key, byte[] value) {
        inner.putMeta(key, value);
    }

    @Override
    public CompletableFuture<List<SignedChange>> readAsync(ActorId actor, long fromSeq, int maxCount) {
        return inner.readAsync(actor, fromSeq, maxCount);
    }

    @Override
    public CompletableFuture<List<StoredChange>> readFromAsync(long afterPosition, int maxCount) {
        return inner.readFromAsync(afterPosition, maxCount);
    }

    @Override
    public CompletableFuture<Void> saveSnapshotAsync(Snapshot snapshot) {
        return inner.saveSnapshotAsync(snapshot);
    }

    @Override
    public CompletableFuture<Void> putMetaAsync(String key, byte[] value) {
        return inner.putMetaAsync(key, value);
    }

    @Override
    public void close() {
        flush();
        inner.close();
    }
}
