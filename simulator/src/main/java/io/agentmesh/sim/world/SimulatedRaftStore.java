package io.agentmesh.sim.world;

import io.agentmesh.node.consensus.RaftLogStore;
import io.agentmesh.node.consensus.RestoredStateAssembler;
import io.agentmesh.node.consensus.SqliteRaftStore;

import io.microraft.RaftEndpoint;
import io.microraft.model.RaftModelFactory;
import io.microraft.model.impl.DefaultRaftModelFactory;
import io.microraft.model.log.LogEntry;
import io.microraft.model.log.RaftGroupMembersView;
import io.microraft.model.log.SnapshotChunk;
import io.microraft.model.persistence.RaftEndpointPersistentState;
import io.microraft.model.persistence.RaftTermPersistentState;
import io.microraft.persistence.RestoredRaftState;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The simulator's {@link RaftLogStore}, in memory, with explicit crash semantics: writes are queued until the next
 * durable point ({@link #flush()} or a {@code persistAndFlush*} call), which applies them all in order, the same
 * contract as {@link SqliteRaftStore}'s one transaction per flush. {@link #crash()} drops what is queued: what was
 * flushed survives, the rest is lost. The object itself plays the disk: keep it across a simulated restart and
 * {@link #restore()} from it.
 *
 * <p>A durable point that writes something is an fsync on the node thread (MicroRaft's store contract is
 * synchronous): it blocks the process that {@link #attach attached} the store for one fsync latency, so a slow or
 * stalled disk delays everything else that node does, heartbeats included.
 *
 * <p>{@link #failWith(IOException)} makes every later call fail, to exercise the fail-stop path. Node thread only.
 */
public final class SimulatedRaftStore implements RaftLogStore {

    /** The durable image. */
    private static final class Disk {
        RaftEndpoint local;
        boolean voting;
        RaftGroupMembersView initialMembers;
        int term;
        RaftEndpoint votedFor;
        final TreeMap<Long, LogEntry> log = new TreeMap<>();
        final TreeMap<Long, TreeMap<Integer, SnapshotChunk>> chunks = new TreeMap<>();
    }

    private final RaftModelFactory factory;
    private final Disk disk = new Disk();
    private final List<Consumer<Disk>> queued = new ArrayList<>();
    private IOException failure;
    private DiskTimer timer;
    private LongSupplier fsyncNanos = () -> 0;

    /** An empty disk, whose flushes cost no virtual time until a process {@link #attach attaches} it. */
    public SimulatedRaftStore() {
        this.factory = new DefaultRaftModelFactory();
    }

    /** A (re)started process uses this store: its flushes block {@code timer}'s thread for {@code fsyncNanos}. */
    public SimulatedRaftStore attach(DiskTimer timer, LongSupplier fsyncNanos) {
        this.timer = timer;
        this.fsyncNanos = fsyncNanos;
        return this;
    }

    @Override
    public void persistAndFlushLocalEndpoint(RaftEndpointPersistentState s) throws IOException {
        write(d -> {
            d.local = s.getLocalEndpoint();
            d.voting = s.isVoting();
        });
        flush();
    }

    @Override
    public void persistAndFlushInitialGroupMembers(RaftGroupMembersView v) throws IOException {
        write(d -> d.initialMembers = v);
        flush();
    }

    @Override
    public void persistAndFlushTerm(RaftTermPersistentState s) throws IOException {
        write(d -> {
            d.term = s.getTerm();
            d.votedFor = s.getVotedFor();
        });
        flush();
    }

    @Override
    public void persistLogEntries(List<LogEntry> entries) throws IOException {
        List<LogEntry> copy = List.copyOf(entries);
        write(d -> copy.forEach(e -> d.log.put(e.getIndex(), e)));
    }

    @Override
    public void persistSnapshotChunk(SnapshotChunk c) throws IOException {
        write(d -> d.chunks.computeIfAbsent(c.getIndex(), i -> new TreeMap<>()).put(c.getSnapshotChunkIndex(), c));
    }

    @Override
    public void truncateLogEntriesFrom(long indexInclusive) throws IOException {
        write(d -> d.log.tailMap(indexInclusive, true).clear());
    }

    @Override
    public void truncateLogEntriesUntil(long indexInclusive) throws IOException {
        write(d -> {
            d.log.headMap(indexInclusive, true).clear();
            d.chunks.headMap(indexInclusive, false).clear();
        });
    }

    @Override
    public void deleteSnapshotChunks(long logIndex, int chunkCount) throws IOException {
        write(d -> d.chunks.remove(logIndex));
    }

    @Override
    public void flush() throws IOException {
        check();
        if (!queued.isEmpty()) {
            queued.forEach(w -> w.accept(disk));
            queued.clear();
            // Like SQLite, a flush with nothing to write commits nothing and costs no fsync.
            if (timer != null) {
                timer.block(Math.max(0, fsyncNanos.getAsLong()));
            }
        }
    }

    @Override
    public Optional<RestoredRaftState> restore() throws IOException {
        check();
        if (disk.local == null) {
            return Optional.empty();
        }
        return Optional.of(RestoredStateAssembler.assemble(factory, disk.local, disk.voting, disk.initialMembers,
                disk.term, disk.votedFor, disk.chunks, disk.log, "simulated Raft store"));
    }

    /** Simulated power loss: everything written since the last durable point is gone. */
    public void crash() {
        queued.clear();
        failure = null;
        timer = null;
    }

    /** Every later call throws {@code e} (until {@link #crash()}, i.e. a restart). */
    public void failWith(IOException e) {
        this.failure = e;
    }

    @Override
    public void close() {
        queued.forEach(w -> w.accept(disk));
        queued.clear();
    }

    private void write(Consumer<Disk> w) throws IOException {
        check();
        queued.add(w);
    }

    private void check() throws IOException {
        if (failure != null) {
            throw failure;
        }
    }
}
