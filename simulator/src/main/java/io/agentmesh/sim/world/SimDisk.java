package io.agentmesh.sim.world;

import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.state.store.ChangeStore.StoredChange;
import io.agentmesh.state.store.Snapshot;
import io.agentmesh.state.store.StoreException;
import io.agentmesh.state.store.VersionVector;
import io.agentmesh.state.store.VersionVectorTracker;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.function.LongSupplier;

/**
 * What one simulated node has on disk: exactly the durable part of its store. It outlives the process: a crash
 * drops the open {@link SimulatedChangeStore} (its queue and the fsync in flight) and keeps this; a restart opens a
 * new store over it. Only the store writes here, and only what has been "fsynced".
 */
public final class SimDisk {
    private final String name;
    private final List<SignedChange> log = new ArrayList<>();
    private final Map<ActorId, TreeMap<Long, SignedChange>> byActor = new TreeMap<>();
    private VersionVectorTracker tracker = new VersionVectorTracker();
    private final TreeMap<String, byte[]> meta = new TreeMap<>();
    private Snapshot snapshot;
    private SimulatedChangeStore open;
    private BiConsumer<String, SignedChange> durableObserver = (disk, change) -> { };
    private long fsyncs;

    public SimDisk(String name) {
        this.name = name;
    }

    public String name() {
        return name;
    }

    /** Called with every change as it becomes durable here (the seq-reuse checker watches every store). */
    public void observeDurable(BiConsumer<String, SignedChange> observer) {
        this.durableObserver = observer;
    }

    /**
     * Opens the store over this disk. Like the real store's file lock, only one store may be open at a time; a
     * crashed or closed one no longer counts.
     *
     * @param timer      when fsyncs complete, and whom a blocking call holds up
     * @param fsyncNanos latency of each group commit and of each synchronous write (metadata, snapshot)
     * @param readNanos  cost of each synchronous read
     * @param maxBatch   most changes written by one fsync
     */
    public synchronized SimulatedChangeStore open(DiskTimer timer, LongSupplier fsyncNanos, long readNanos,
                                                  int maxBatch) {
        if (open != null && open.isOpen()) {
            throw new StoreException(name + ": the store is already open (locked by a running process)");
        }
        open = new SimulatedChangeStore(this, timer, fsyncNanos, readNanos, maxBatch);
        return open;
    }

    /** Loses everything (a replaced disk, a wiped state directory). */
    public synchronized void wipe() {
        if (open != null && open.isOpen()) {
            throw new IllegalStateException(name + ": cannot wipe a disk while its store is open");
        }
        log.clear();
        byActor.clear();
        meta.clear();
        snapshot = null;
        tracker = new VersionVectorTracker();
    }

    // --------------------------------------------------------------- called by the store, under its lock

    /** Outcome of writing one change: NEW, DUPLICATE, or the refusal. */
    sealed interface Written permits New, Duplicate, Refused {
    }

    record New(long position) implements Written {
    }

    record Duplicate() implements Written {
    }

    record Refused(StoreException error) implements Written {
    }

    synchronized Written write(SignedChange c) {
        TreeMap<Long, SignedChange> seqs = byActor.computeIfAbsent(c.actor(), a -> new TreeMap<>());
        SignedChange existing = seqs.get(c.seq());
        if (existing != null) {
            if (Arrays.equals(existing.bytes(), c.bytes())) {
                return new Duplicate();
            }
            return new Refused(new StoreException(name + ": actor " + c.actor() + " seq " + c.seq()
                    + " is already stored with different bytes: its author signed two different changes for one"
                    + " sequence number. Kept the stored one; this one is refused."));
        }
        seqs.put(c.seq(), c);
        log.add(c);
        tracker.add(c.actor(), c.seq());
        durableObserver.accept(name, c);
        return new New(log.size());
    }

    synchronized void fsynced() {
        fsyncs++;
    }

    synchronized List<SignedChange> read(ActorId actor, long fromSeq, int maxCount) {
        TreeMap<Long, SignedChange> seqs = byActor.get(actor);
        if (seqs == null || maxCount == 0) {
            return List.of();
        }
        List<SignedChange> out = new ArrayList<>(Math.min(maxCount, 64));
        for (SignedChange c : seqs.tailMap(fromSeq, true).values()) {
            if (out.size() >= maxCount) {
                break;
            }
            out.add(c);
        }
        return out;
    }

    synchronized List<StoredChange> readFrom(long afterPosition, int maxCount) {
        List<StoredChange> out = new ArrayList<>();
        long start = Math.max(0, afterPosition);
        for (long p = start + 1; p <= log.size() && out.size() < maxCount; p++) {
            out.add(new StoredChange(p, log.get((int) (p - 1))));
        }
        return out;
    }

    synchronized VersionVector vector() {
        return tracker.vector();
    }

    synchronized long changeCount() {
        return log.size();
    }

    synchronized void saveSnapshot(Snapshot s) {
        if (s.lastPosition() > log.size()) {
            throw new IllegalArgumentException(name + ": snapshot claims position " + s.lastPosition()
                    + " but the store holds changes up to position " + log.size());
        }
        snapshot = s;
    }

    synchronized Optional<Snapshot> snapshot() {
        return Optional.ofNullable(snapshot);
    }

    synchronized void putMeta(String key, byte[] value) {
        meta.put(key, value.clone());
    }

    synchronized Optional<byte[]> getMeta(String key) {
        byte[] v = meta.get(key);
        return v == null ? Optional.empty() : Optional.of(v.clone());
    }

    // --------------------------------------------------------------- inspection (checkers, reports)

    /** Number of group commits that reached the disk. */
    public synchronized long fsyncs() {
        return fsyncs;
    }

    public synchronized long durableChanges() {
        return log.size();
    }

    public synchronized VersionVector durableVector() {
        return tracker.vector();
    }

    /** Every durable change of {@code actor}, by seq. */
    public synchronized NavigableMap<Long, SignedChange> durableChangesOf(ActorId actor) {
        TreeMap<Long, SignedChange> seqs = byActor.get(actor);
        return seqs == null ? new TreeMap<>() : new TreeMap<>(seqs);
    }
}
