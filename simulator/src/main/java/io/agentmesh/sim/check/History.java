package io.agentmesh.sim.check;

import io.agentmesh.protocol.change.ActorId;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What happened in a run, as plain data: the writes and reads the workload made and what became of them, node
 * lifecycle events, faults, heals, replication lag samples, every change seen on the wire or in a store, and each
 * node's final state. A simulated run fills it from inside the world; the live harness fills it from outside (HTTP
 * API, process control). Checkers and reports read only this.
 *
 * <p>Times are milliseconds since the start of the run. Not thread-safe: one recorder fills it, then it is read.
 */
public final class History {

    /** A write the workload asked a node for. {@code ackedMs} is set when the node acknowledged it as durable. */
    public static final class Write {
        private final String id;
        private final String node;
        private final String kind;
        private final String key;
        private final long invokedMs;
        private long ackedMs = -1;
        private String actor;
        private long seq;
        private String error;

        Write(String id, String node, String kind, String key, long invokedMs) {
            this.id = id;
            this.node = node;
            this.kind = kind;
            this.key = key;
            this.invokedMs = invokedMs;
        }

        public String id() {
            return id;
        }

        public String node() {
            return node;
        }

        /** "memory", "task" or "notes" (the consensus work may add kinds). */
        public String kind() {
            return kind;
        }

        /** What to look for at the end: the memory entry id, the task id, or the text inserted into the notes. */
        public String key() {
            return key;
        }

        public long invokedMs() {
            return invokedMs;
        }

        public boolean acknowledged() {
            return ackedMs >= 0;
        }

        public long ackedMs() {
            return ackedMs;
        }

        /** The actor (hex) of the acknowledged change, or null. */
        public String actor() {
            return actor;
        }

        public long seq() {
            return seq;
        }

        public String error() {
            return error;
        }
    }

    /** A read at {@code node} of {@code key} (a task id), and whether the node had it. */
    public record Read(String node, long atMs, String key, boolean found) {
    }

    public enum NodeEventKind { START, CRASH, RESTART, FATAL, EXCEPTION }

    public record NodeEvent(long atMs, String node, NodeEventKind kind, String detail) {
    }

    /** A fault episode from {@code startMs} to {@code endMs} (the final heal ends those that outlast the run). */
    public record Fault(long startMs, long endMs, String kind, String description) {
    }

    /**
     * A heal (partition ended, node restarted, impairment lifted) and how long the nodes up then took to hold every
     * change any of them held at that moment; -1 when another fault struck first or the run ended.
     */
    public record Heal(long atMs, String description, long catchUpMs) {
    }

    /** Per node (in {@link #nodes()} order): changes it lacks that some node holds; -1 when it is down. */
    public record LagSample(long atMs, List<Long> lag) {
        public LagSample {
            lag = List.copyOf(lag);
        }
    }

    /** How many peers {@code node} could not reach (either direction cut) from {@code atMs} on. */
    public record Reachability(long atMs, String node, int unreachablePeers) {
    }

    /** Something that must not happen among honest nodes (fatal store error, uncaught exception, codec failure). */
    public record Problem(long atMs, String node, String kind, String detail) {
    }

    /** A node's state at the end of the run. */
    public record NodeFinal(String node, boolean up, List<String> heads, String viewDigest,
                            Map<String, Long> vector, Set<String> memoryIds, Set<String> taskIds, String notes,
                            int pendingChanges, long rejectedChanges) {
        public NodeFinal {
            heads = List.copyOf(heads);
            vector = Collections.unmodifiableMap(new TreeMap<>(vector));
            memoryIds = Set.copyOf(memoryIds);
            taskIds = Set.copyOf(taskIds);
        }
    }

    private final List<String> nodes;
    private final Map<String, Write> writes = new LinkedHashMap<>();
    private final List<Read> reads = new ArrayList<>();
    private final List<NodeEvent> nodeEvents = new ArrayList<>();
    private final List<Fault> faults = new ArrayList<>();
    private final List<Heal> heals = new ArrayList<>();
    private final List<LagSample> lag = new ArrayList<>();
    private final List<Reachability> reachability = new ArrayList<>();
    private final List<Problem> problems = new ArrayList<>();
    private final Map<String, NodeFinal> finals = new TreeMap<>();
    private final Map<String, Long> rejected = new TreeMap<>();
    private final ChangeLedger ledger = new ChangeLedger();
    private final Map<Class<?>, List<Object>> extensions = new LinkedHashMap<>();
    private long endMs;
    private long finalHealMs = -1;
    private long convergedMs = -1;

    public History(List<String> nodes) {
        this.nodes = List.copyOf(nodes);
    }

    public List<String> nodes() {
        return nodes;
    }

    // ------------------------------------------------------------------------------ recording

    public Write writeInvoked(String id, String node, String kind, String key, long atMs) {
        if (writes.containsKey(id)) {
            throw new IllegalArgumentException("write id " + id + " used twice");
        }
        Write w = new Write(id, node, kind, key, atMs);
        writes.put(id, w);
        return w;
    }

    public void writeAcknowledged(String id, long atMs, ActorId actor, long seq) {
        Write w = write(id);
        w.ackedMs = atMs;
        w.actor = actor.hex();
        w.seq = seq;
    }

    public void writeFailed(String id, long atMs, String error) {
        write(id).error = error == null ? "failed at " + atMs + " ms" : error;
    }

    private Write write(String id) {
        Write w = writes.get(id);
        if (w == null) {
            throw new IllegalArgumentException("no write " + id);
        }
        return w;
    }

    public void read(String node, long atMs, String key, boolean found) {
        reads.add(new Read(node, atMs, key, found));
    }

    public void nodeEvent(long atMs, String node, NodeEventKind kind, String detail) {
        nodeEvents.add(new NodeEvent(atMs, node, kind, detail));
    }

    public void fault(Fault fault) {
        faults.add(fault);
    }

    public void heal(Heal heal) {
        heals.add(heal);
    }

    public void lag(LagSample sample) {
        lag.add(sample);
    }

    public void reachability(Reachability r) {
        reachability.add(r);
    }

    public void problem(Problem p) {
        if (problems.size() < 10_000) {
            problems.add(p);
        }
    }

    /** Adds to the count of changes {@code node} rejected (invalid signature, unenrolled signer, bad bytes...). */
    public void rejected(String node, long count) {
        if (count != 0) {
            rejected.merge(node, count, Long::sum);
        }
    }

    public void nodeFinal(NodeFinal f) {
        finals.put(f.node(), f);
    }

    public ChangeLedger ledger() {
        return ledger;
    }

    public void ended(long atMs) {
        this.endMs = atMs;
    }

    /** The final heal: every fault ended, every node restarted, the workload stopped. */
    public void finalHeal(long atMs) {
        this.finalHealMs = atMs;
    }

    /** The first time after the final heal at which every node held the same heads and changes. */
    public void converged(long atMs) {
        this.convergedMs = atMs;
    }

    /** Stores a record of a type History does not know (leader terms, performed intents, ...). */
    public <T> void record(Class<T> type, T value) {
        extensions.computeIfAbsent(type, t -> new ArrayList<>()).add(value);
    }

    // ------------------------------------------------------------------------------ reading

    public List<Write> writes() {
        return List.copyOf(writes.values());
    }

    public List<Read> reads() {
        return List.copyOf(reads);
    }

    public List<NodeEvent> nodeEvents() {
        return List.copyOf(nodeEvents);
    }

    public List<Fault> faults() {
        return List.copyOf(faults);
    }

    public List<Heal> heals() {
        return List.copyOf(heals);
    }

    public List<LagSample> lagSamples() {
        return List.copyOf(lag);
    }

    public List<Reachability> reachability() {
        return List.copyOf(reachability);
    }

    public List<Problem> problems() {
        return List.copyOf(problems);
    }

    public Map<String, NodeFinal> finals() {
        return Collections.unmodifiableMap(finals);
    }

    public Map<String, Long> rejected() {
        return Collections.unmodifiableMap(rejected);
    }

    public long endMs() {
        return endMs;
    }

    public long finalHealMs() {
        return finalHealMs;
    }

    public long convergedMs() {
        return convergedMs;
    }

    @SuppressWarnings("unchecked")
    public <T> List<T> records(Class<T> type) {
        List<Object> list = extensions.get(type);
        return list == null ? List.of() : (List<T>) List.copyOf(list);
    }
}
