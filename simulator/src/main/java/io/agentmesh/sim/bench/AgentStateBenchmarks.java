package io.agentmesh.sim.bench;

import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.state.AgentState;
import io.agentmesh.state.ApplyResult;
import io.agentmesh.state.LocalChange;
import io.agentmesh.state.MemoryEntry;
import io.agentmesh.state.export.AutomergeFile;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * JMH benchmarks of {@link AgentState}, the typed view over the Automerge document, without store or network: a
 * local commit, a peer's change applied, and what a restart and a large read cost on a document of
 * {@code entries} memory entries (one change each). Run through {@code agentmesh bench state} ({@link
 * StateBenchmark}), which prints them as a {@link BenchResult}; never part of {@code mvn verify}.
 *
 * <p>Commits and applied changes take tens of microseconds and are measured as such; saving, loading and the first
 * change after a load take a second or so on 100,000 changes and are measured one call at a time
 * ({@link Mode#SingleShotTime}), each on a document prepared outside the measurement.
 */
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
public class AgentStateBenchmarks {
    private static final byte[] AGENT = "agentmesh-state-benchmark".getBytes(StandardCharsets.UTF_8);
    private static final ActorId WRITER = ActorId.fromHex("0a".repeat(16));
    private static final ActorId READER = ActorId.fromHex("0b".repeat(16));
    private static final ActorId PEER = ActorId.fromHex("0c".repeat(16));
    private static final long T0 = 1_700_000_000_000L;
    /** Changes a fresh replica applies in {@link #applyChange}, as in the figures of docs/benchmarks.md. */
    private static final int PEER_CHANGES = 20_000;

    private static MemoryEntry entry(long i) {
        return new MemoryEntry("m-" + i, T0 + i * 1000L, "node-1", "observation",
                "entry number " + i + " with some text about the world", List.of("tag1", "tag2"));
    }

    /** A new document per iteration, growing by one commit per call. */
    @State(Scope.Thread)
    public static class Growing {
        AgentState state;
        long next;

        @Setup(Level.Iteration)
        public void create() {
            state = AgentState.create(AGENT, WRITER);
        }

        @TearDown(Level.Iteration)
        public void close() {
            state.close();
        }
    }

    /** A document of {@code entries} memory entries: saved, and loaded with its change index complete. */
    @State(Scope.Benchmark)
    public static class Large {
        @Param("100000")
        public int entries;

        byte[] saved;
        byte[] peerChange;
        AgentState loaded;

        @Setup(Level.Trial)
        public void build() {
            try (AgentState writer = AgentState.create(AGENT, WRITER)) {
                for (int i = 0; i < entries; i++) {
                    writer.appendMemory(entry(i));
                }
                saved = writer.save();
            }
            try (AgentState peer = AgentState.create(AGENT, PEER)) {
                peerChange = peer.appendMemory(entry(-1)).changeBytes();
            }
            loaded = AgentState.load(AGENT, saved, READER);
            // The first peer change after a load indexes every change once; the reads below come after that.
            loaded.applyChange(peerChange);
        }

        @TearDown(Level.Trial)
        public void close() {
            loaded.close();
        }
    }

    /** {@link Large}'s document just loaded, its change index not built yet: one per call. */
    @State(Scope.Thread)
    public static class JustLoaded {
        AgentState state;

        @Setup(Level.Invocation)
        public void load(Large large) {
            state = AgentState.load(AGENT, large.saved, READER);
        }

        @TearDown(Level.Invocation)
        public void close() {
            state.close();
        }
    }

    /** {@value #PEER_CHANGES} changes of a peer, and a fresh replica per call to apply them to. */
    @State(Scope.Thread)
    public static class PeerChanges {
        final List<byte[]> changes = new ArrayList<>();
        AgentState replica;

        @Setup(Level.Trial)
        public void write() {
            try (AgentState peer = AgentState.create(AGENT, PEER)) {
                for (int i = 0; i < PEER_CHANGES; i++) {
                    changes.add(peer.appendMemory(entry(i)).changeBytes());
                }
            }
        }

        @Setup(Level.Invocation)
        public void freshReplica() {
            replica = AgentState.create(AGENT, READER);
        }

        @TearDown(Level.Invocation)
        public void closeReplica() {
            replica.close();
        }
    }

    /** One local commit (a memory entry), as every local write makes. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public LocalChange appendMemory(Growing g) {
        return g.state.appendMemory(entry(g.next++));
    }

    /** A peer's change checked and applied, {@value #PEER_CHANGES} in a row on a fresh replica. */
    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OperationsPerInvocation(PEER_CHANGES)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @Warmup(iterations = 2)
    @Measurement(iterations = 3)
    public long applyChange(PeerChanges p) {
        long applied = 0;
        for (byte[] change : p.changes) {
            ApplyResult r = p.replica.applyChange(change);
            applied += r.released().size();
        }
        return applied;
    }

    /** The snapshot a node writes: the whole document saved. */
    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 1)
    @Measurement(iterations = 5)
    public byte[] save(Large large) {
        return large.loaded.save();
    }

    /** The restart's first step: the saved document loaded. */
    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 1)
    @Measurement(iterations = 5)
    public long load(Large large) {
        try (AgentState state = AgentState.load(AGENT, large.saved, READER)) {
            return state.memoryCount();
        }
    }

    /** The first peer change after a load, which indexes every change of the document once. */
    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 1)
    @Measurement(iterations = 5)
    public ApplyResult firstApplyChangeAfterLoad(JustLoaded j, Large large) {
        return j.state.applyChange(large.peerChange);
    }

    /** What the dashboard reads: how many entries, and the newest 50. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public List<MemoryEntry> memoryCountAndLast50(Large large) {
        long count = large.loaded.memoryCount();
        return large.loaded.memory(Math.max(0, count - 50), 50);
    }

    /** Every memory entry read. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public List<MemoryEntry> memoryAll(Large large) {
        return large.loaded.memory();
    }

    /** An imported document's check: framing and checksums here, the load in a child JVM. */
    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 1)
    @Measurement(iterations = 3)
    public Object validate(Large large) {
        return AutomergeFile.validate(large.saved, AGENT);
    }
}
