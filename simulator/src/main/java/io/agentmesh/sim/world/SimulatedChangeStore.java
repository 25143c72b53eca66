package io.agentmesh.sim.world;

import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.state.store.ChangeStore;
import io.agentmesh.state.store.Snapshot;
import io.agentmesh.state.store.StoreException;
import io.agentmesh.state.store.VersionVector;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * The {@link ChangeStore} contract in memory, with explicit crash semantics.
 *
 * <ul>
 *   <li>{@link #append} queues. The queue is written by group commits: a commit takes everything queued (up to
 *       {@code maxBatch}), takes the simulated fsync latency, and only then makes those changes durable on the
 *       {@link SimDisk} and completes their futures, in append order. Appends arriving meanwhile wait for the next
 *       commit.</li>
 *   <li>Duplicates (same actor, seq and bytes) succeed and change nothing; the same (actor, seq) with other bytes
 *       fails with {@link StoreException} and changes nothing, without failing the rest of its batch.</li>
 *   <li>Reads, {@link #vector()} and {@link #changeCount()} see only durable changes.</li>
 *   <li>{@link #saveSnapshot} and {@link #putMeta} go through the same ordered queue (everything queued before
 *       them is committed first) and are durable when they return; so is {@link #close}. Each blocks its caller for
 *       one fsync ({@link DiskTimer#block}), as the real store's wait for its group commit does.</li>
 *   <li>{@link #saveSnapshotAsync} and {@link #putMetaAsync} join the queue like an append: written by the next
 *       group commit, their futures complete after its fsync latency, and the caller's thread is never held.</li>
 *   <li>Reads of changes, snapshots and metadata block their caller for {@code readNanos}. {@link #readAsync} and
 *       {@link #readFromAsync} hold nobody: the read happens {@code readNanos} later, as a disk event of the node,
 *       and completes the future then.</li>
 *   <li>{@link #crash} is the process dying: the queue and the commit in flight are lost, their futures never
 *       complete, and the disk keeps exactly what was durable.</li>
 * </ul>
 * Thread-safe (the contract allows any thread); in a simulated world everything runs on the one simulation thread.
 */
public final class SimulatedChangeStore implements ChangeStore {
    private final SimDisk disk;
    private final DiskTimer timer;
    private final LongSupplier fsyncNanos;
    private final long readNanos;
    private final int maxBatch;
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private List<Pending> inFlight;
    private boolean commitScheduled;
    private long generation;
    /** Bumped by a crash, so a read in flight from a dead process never answers. */
    private long readGeneration;
    private boolean closed;
    private boolean crashed;
    private long commits;
    private long largestBatch;

    /** A queued write: a change, or (change null) a snapshot or metadata value written in the same commit order. */
    private record Pending(SignedChange change, Runnable other, CompletableFuture<Void> done) {
        Pending(SignedChange change, CompletableFuture<Void> done) {
            this(change, null, done);
        }
    }

    private record Completion(CompletableFuture<Void> done, RuntimeException error) {
        void fire() {
            if (error == null) {
                done.complete(null);
            } else {
                done.completeExceptionally(error);
            }
        }
    }

    SimulatedChangeStore(SimDisk disk, DiskTimer timer, LongSupplier fsyncNanos, long readNanos, int maxBatch) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be >= 1");
        }
        if (readNanos < 0) {
            throw new IllegalArgumentException("readNanos must be >= 0");
        }
        this.disk = disk;
        this.timer = timer;
        this.fsyncNanos = fsyncNanos;
        this.readNanos = readNanos;
        this.maxBatch = maxBatch;
    }

    // ------------------------------------------------------------------------------------ writes

    @Override
    public CompletableFuture<Void> append(SignedChange change) {
        Objects.requireNonNull(change, "change");
        synchronized (this) {
            if (closed) {
                return CompletableFuture.failedFuture(closedError());
            }
            CompletableFuture<Void> done = new CompletableFuture<>();
            queue.add(new Pending(change, done));
            if (inFlight == null && !commitScheduled) {
                commitScheduled = true;
                // Start the commit as a separate event, so every append made by the current event joins it.
                timer.after(0, "fsync-start " + disk.name(), this::startCommit);
            }
            return done;
        }
    }

    private synchronized void startCommit() {
        commitScheduled = false;
        if (closed || inFlight != null || queue.isEmpty()) {
            return;
        }
        List<Pending> batch = new ArrayList<>(Math.min(queue.size(), maxBatch));
        while (!queue.isEmpty() && batch.size() < maxBatch) {
            batch.add(queue.poll());
        }
        inFlight = batch;
        long gen = ++generation;
        timer.after(Math.max(0, fsyncNanos.getAsLong()), "fsync " + batch.size() + " " + disk.name(),
                () -> finishCommit(gen));
    }

    private void finishCommit(long gen) {
        List<Completion> completions;
        synchronized (this) {
            if (closed || gen != generation || inFlight == null) {
                return;
            }
            completions = write(inFlight);
            inFlight = null;
            if (!queue.isEmpty() && !commitScheduled) {
                commitScheduled = true;
                timer.after(0, "fsync-start " + disk.name(), this::startCommit);
            }
        }
        completions.forEach(Completion::fire);
    }

    /** Writes {@code batch} to the disk as one durable commit. Caller holds the lock. */
    private List<Completion> write(List<Pending> batch) {
        List<Completion> out = new ArrayList<>(batch.size());
        for (Pending p : batch) {
            if (p.change() == null) {
                RuntimeException refused = null;
                try {
                    p.other().run();
                } catch (IllegalArgumentException e) {
                    refused = e; // as the real store refuses a snapshot ahead of its changes: that write alone
                }
                out.add(new Completion(p.done(), refused));
                continue;
            }
            SimDisk.Written w = disk.write(p.change());
            out.add(new Completion(p.done(), w instanceof SimDisk.Refused r ? r.error() : null));
        }
        disk.fsynced();
        commits++;
        largestBatch = Math.max(largestBatch, batch.size());
        return out;
    }

    /** Commits the fsync in flight and everything queued, now. Caller holds the lock. */
    private List<Completion> flushLocked() {
        List<Completion> out = new ArrayList<>();
        generation++; // the scheduled finish of the commit in flight becomes a no-op
        if (inFlight != null) {
            out.addAll(write(inFlight));
            inFlight = null;
        }
        while (!queue.isEmpty()) {
            List<Pending> batch = new ArrayList<>();
            while (!queue.isEmpty() && batch.size() < maxBatch) {
                batch.add(queue.poll());
            }
            out.addAll(write(batch));
        }
        return out;
    }

    @Override
    public void saveSnapshot(Snapshot snapshot) {
        Objects.requireNonNull(snapshot, "snapshot");
        List<Completion> completions;
        synchronized (this) {
            requireOpen();
            completions = flushLocked();
        }
        completions.forEach(Completion::fire);
        disk.saveSnapshot(snapshot);
        timer.block(Math.max(0, fsyncNanos.getAsLong()));
    }

    @Override
    public void putMeta(String key, byte[] value) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("a metadata key is required");
        }
        Objects.requireNonNull(value, "value");
        List<Completion> completions;
        synchronized (this) {
            requireOpen();
            completions = flushLocked();
        }
        completions.forEach(Completion::fire);
        disk.putMeta(key, value);
        timer.block(Math.max(0, fsyncNanos.getAsLong()));
    }

    @Override
    public CompletableFuture<Void> saveSnapshotAsync(Snapshot snapshot) {
        if (snapshot == null) {
            return CompletableFuture.failedFuture(new NullPointerException("snapshot"));
        }
        return enqueue(() -> disk.saveSnapshot(snapshot));
    }

    @Override
    public CompletableFuture<Void> putMetaAsync(String key, byte[] value) {
        if (key == null || key.isEmpty()) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("a metadata key is required"));
        }
        if (value == null) {
            return CompletableFuture.failedFuture(new NullPointerException("value"));
        }
        byte[] copy = value.clone();
        return enqueue(() -> disk.putMeta(key, copy));
    }

    /** Queues a snapshot or metadata write in commit order, as {@link #append} queues a change. */
    private CompletableFuture<Void> enqueue(Runnable write) {
        synchronized (this) {
            if (closed) {
                return CompletableFuture.failedFuture(closedError());
            }
            CompletableFuture<Void> done = new CompletableFuture<>();
            queue.add(new Pending(null, write, done));
            if (inFlight == null && !commitScheduled) {
                commitScheduled = true;
                timer.after(0, "fsync-start " + disk.name(), this::startCommit);
            }
            return done;
        }
    }

    // ------------------------------------------------------------------------------------ reads

    @Override
    public CompletableFuture<List<SignedChange>> readAsync(ActorId actor, long fromSeq, int maxCount) {
        if (maxCount < 0) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("maxCount must be >= 0"));
        }
        return later(() -> disk.read(actor, fromSeq, maxCount));
    }

    @Override
    public CompletableFuture<List<StoredChange>> readFromAsync(long afterPosition, int maxCount) {
        if (maxCount < 0) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("maxCount must be >= 0"));
        }
        return later(() -> disk.readFrom(afterPosition, maxCount));
    }

    /**
     * Reads {@code readNanos} from now, as a disk event of the node (a crash drops it, and the future never
     * completes: nobody is left to hear of it).
     */
    private <T> CompletableFuture<T> later(java.util.function.Supplier<T> read) {
        synchronized (this) {
            if (closed) {
                return CompletableFuture.failedFuture(closedError());
            }
        }
        CompletableFuture<T> done = new CompletableFuture<>();
        long gen = generationAtRead();
        timer.after(readNanos, "read " + disk.name(), () -> {
            synchronized (this) {
                if (crashed || gen != readGeneration) {
                    return;
                }
            }
            try {
                done.complete(read.get());
            } catch (RuntimeException e) {
                done.completeExceptionally(e);
            }
        });
        return done;
    }

    private synchronized long generationAtRead() {
        return readGeneration;
    }


    @Override
    public List<SignedChange> read(ActorId actor, long fromSeq, int maxCount) {
        if (maxCount < 0) {
            throw new IllegalArgumentException("maxCount must be >= 0");
        }
        requireOpenSync();
        timer.block(readNanos);
        return disk.read(actor, fromSeq, maxCount);
    }

    @Override
    public List<StoredChange> readFrom(long afterPosition, int maxCount) {
        if (maxCount < 0) {
            throw new IllegalArgumentException("maxCount must be >= 0");
        }
        requireOpenSync();
        timer.block(readNanos);
        return disk.readFrom(afterPosition, maxCount);
    }

    @Override
    public VersionVector vector() {
        requireOpenSync();
        return disk.vector();
    }

    @Override
    public long changeCount() {
        requireOpenSync();
        return disk.changeCount();
    }

    @Override
    public Optional<Snapshot> latestSnapshot() {
        requireOpenSync();
        timer.block(readNanos);
        return disk.snapshot();
    }

    @Override
    public Optional<byte[]> getMeta(String key) {
        requireOpenSync();
        timer.block(readNanos);
        return disk.getMeta(key);
    }

    // ------------------------------------------------------------------------------------ lifecycle

    /** Commits everything queued, then closes. */
    @Override
    public void close() {
        List<Completion> completions;
        synchronized (this) {
            if (closed) {
                return;
            }
            completions = flushLocked();
            closed = true;
        }
        completions.forEach(Completion::fire);
    }

    /**
     * The process died: whatever was queued or in its fsync is lost and its futures never complete (nobody is
     * left to hear of them). The disk keeps what was durable.
     */
    public synchronized void crash() {
        if (closed) {
            return;
        }
        closed = true;
        crashed = true;
        generation++;
        readGeneration++;
        queue.clear();
        inFlight = null;
    }

    public synchronized boolean isOpen() {
        return !closed;
    }

    public synchronized boolean crashed() {
        return crashed;
    }

    /** Changes appended but not yet durable. */
    public synchronized int notDurable() {
        return queue.size() + (inFlight == null ? 0 : inFlight.size());
    }

    public synchronized long commits() {
        return commits;
    }

    public synchronized long largestBatch() {
        return largestBatch;
    }

    public SimDisk disk() {
        return disk;
    }

    private void requireOpen() {
        if (closed) {
            throw closedError();
        }
    }

    private synchronized void requireOpenSync() {
        requireOpen();
    }

    private StoreException closedError() {
        return new StoreException(disk.name() + ": the store is " + (crashed ? "gone (its process crashed)"
                : "closed"));
    }
}
