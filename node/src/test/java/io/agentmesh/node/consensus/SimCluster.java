package io.agentmesh.node.consensus;

import ch.qos.logback.classic.Level;
import io.agentmesh.protocol.time.Clock;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.state.Intent;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import io.agentmesh.node.actions.ActionExecutor;
import io.agentmesh.node.actions.RecordingExecutor;
/**
 * N consensus nodes in one thread on {@link VirtualTime}, with an in-memory network that can drop, partition and
 * kill, a {@link FakeCrdt} per node gossiped between connected nodes, and a shared {@link RecordingExecutor.Ledger}
 * as the outside world. Deterministic for a given seed.
 */
final class SimCluster {
    static final String GROUP = "agent-test";
    static final long GOSSIP_MS = 10;

    static {
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("io.microraft")).setLevel(Level.ERROR);
    }

    /** A leader seen at some time. */
    record LeaderEvent(long atMs, int node, String role, long term, NodeId leader) {
    }

    final class SimNode {
        final int index;
        final NodeId id;
        final FakeCrdt crdt = new FakeCrdt();
        final Random random;
        final Clock clock;
        RaftLogStore store;
        VirtualTime.NodeScheduler scheduler;
        ConsensusNode consensus;
        boolean alive;
        int incarnation;
        String fatal;

        SimNode(int index) {
            this.index = index;
            byte[] b = new byte[NodeId.LENGTH];
            Arrays.fill(b, (byte) (index + 1));
            this.id = new NodeId(b);
            this.random = new Random(seed * 1_000_003L + index);
            this.clock = time.clock(index * 17L);
        }

        void boot() {
            incarnation++;
            scheduler = time.newScheduler("n" + index + "#" + incarnation);
            List<ActionExecutor> executors = List.of(
                    new RecordingExecutor("job", id.toString(), ledger, scheduler, actionLatencyMs, false),
                    new RecordingExecutor("wallet", id.toString(), ledger, scheduler, actionLatencyMs, true));
            consensus = ConsensusNode.builder()
                    .self(id).voters(ids()).groupId(GROUP).store(store).scheduler(scheduler).clock(clock)
                    .random(random).config(config)
                    .send((peer, bytes) -> SimCluster.this.send(index, indexOf(peer), bytes))
                    .reachable(peer -> connected(index, indexOf(peer)))
                    .executors(executors)
                    .pendingIntents(crdt::pending)
                    .outcomes(crdt::recordOutcome)
                    .onFatal(reason -> fatal = reason)
                    .schedules(() -> schedules, id -> crdt.intents().containsKey(id), crdt::request)
                    .onLeaderChange(c -> leaderEvents.add(new LeaderEvent(time.nowMs(), index, c.role(), c.term(),
                            c.leader())))
                    .build();
            alive = true;
            scheduler.execute(() -> {
                try {
                    consensus.start();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }

        boolean isLeader() {
            return alive && consensus.isLeader();
        }

        void request(String intentId, String kind) {
            crdt.request(new Intent(intentId, kind, "{\"n\":\"" + intentId + "\"}", id.toString(),
                    clock.nowMillis()));
            consensus.nudge();
        }
    }

    final long seed;
    final VirtualTime time = new VirtualTime();
    final RecordingExecutor.Ledger ledger = new RecordingExecutor.Ledger();
    final List<SimNode> nodes = new ArrayList<>();
    final List<LeaderEvent> leaderEvents = new ArrayList<>();
    /** Schedules, as if already replicated everywhere. */
    final List<io.agentmesh.state.Schedule> schedules = new ArrayList<>();
    final ConsensusConfig config;
    final Random netRandom;
    final Path sqliteDir;
    long actionLatencyMs = 5;
    /** One-way network latency. */
    long latencyMs = 1;
    double dropRate;
    private List<Set<Integer>> partition = List.of();
    long delivered;
    long dropped;

    SimCluster(int n, long seed) {
        this(n, seed, ConsensusConfig.defaults(), null);
    }

    /** {@code sqliteDir}: SQLite stores there, else in-memory ones. */
    SimCluster(int n, long seed, ConsensusConfig config, Path sqliteDir) {
        this.seed = seed;
        this.config = config;
        this.sqliteDir = sqliteDir;
        this.netRandom = new Random(seed);
        for (int i = 0; i < n; i++) {
            SimNode node = new SimNode(i);
            node.store = openStore(i);
            nodes.add(node);
        }
        scheduleGossip();
    }

    private RaftLogStore openStore(int i) {
        if (sqliteDir == null) {
            return new InMemoryRaftStore();
        }
        try {
            return SqliteRaftStore.open(sqliteDir.resolve("n" + i).resolve("raft.db"), new RaftCodec());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Boots every node at a random offset within one heartbeat period, as real processes never start in the same
     * millisecond. (Started together, their heartbeat tasks tick in phase, every follower notices a dead leader at
     * once, and split votes become far likelier than in any deployment.)
     */
    SimCluster start() {
        Random boot = new Random(seed ^ 0x5eedL);
        long period = (long) config.heartbeatPeriodNodeMillis();
        for (SimNode n : nodes) {
            time.at(boot.nextInt((int) Math.max(1, period)), n::boot);
        }
        return this;
    }

    /** Boots every node at the same instant: the worst case for split votes. */
    SimCluster startInPhase() {
        nodes.forEach(SimNode::boot);
        return this;
    }

    List<NodeId> ids() {
        return nodes.stream().map(n -> n.id).toList();
    }

    int indexOf(NodeId id) {
        for (SimNode n : nodes) {
            if (n.id.equals(id)) {
                return n.index;
            }
        }
        throw new IllegalArgumentException("unknown node " + id);
    }

    SimNode node(int i) {
        return nodes.get(i);
    }

    // ---------------------------------------------------------------------------------------------- network

    boolean connected(int a, int b) {
        if (!nodes.get(a).alive || !nodes.get(b).alive) {
            return false;
        }
        if (partition.isEmpty()) {
            return true;
        }
        for (Set<Integer> side : partition) {
            if (side.contains(a)) {
                return side.contains(b);
            }
        }
        return false;
    }

    private void send(int from, int to, byte[] bytes) {
        if (!connected(from, to) || (dropRate > 0 && netRandom.nextDouble() < dropRate)) {
            dropped++;
            return;
        }
        NodeId fromId = nodes.get(from).id;
        time.at(time.nowMs() + latencyMs, () -> {
            SimNode target = nodes.get(to);
            if (!connected(from, to)) {
                dropped++;
                return;
            }
            delivered++;
            target.consensus.handle(fromId, bytes);
        });
    }

    @SafeVarargs
    final void partition(Set<Integer>... sides) {
        partition = List.of(sides);
    }

    void heal() {
        partition = List.of();
    }

    private void scheduleGossip() {
        time.at(time.nowMs() + GOSSIP_MS, () -> {
            gossip();
            scheduleGossip();
        });
    }

    private void gossip() {
        for (SimNode to : nodes) {
            int before = to.crdt.intents().size();
            int outcomesBefore = to.crdt.outcomes().size();
            for (SimNode from : nodes) {
                if (from != to && connected(from.index, to.index)) {
                    to.crdt.mergeFrom(from.crdt);
                }
            }
            if (to.alive && (to.crdt.intents().size() != before || to.crdt.outcomes().size() != outcomesBefore)) {
                to.consensus.nudge();
            }
        }
    }

    // ---------------------------------------------------------------------------------------------- faults

    /** kill -9: queued work and timers dropped, unflushed store writes lost. */
    void kill(int i) {
        SimNode n = nodes.get(i);
        n.alive = false;
        n.consensus.crash();
        n.scheduler.kill();
        if (n.store instanceof InMemoryRaftStore m) {
            m.crash();
        } else if (n.store instanceof SqliteRaftStore s) {
            s.abandon();
        }
    }

    void restart(int i) {
        SimNode n = nodes.get(i);
        if (n.store instanceof SqliteRaftStore) {
            n.store = openStore(i);
        }
        n.boot();
    }

    // ---------------------------------------------------------------------------------------------- queries

    Optional<SimNode> leader() {
        SimNode best = null;
        for (SimNode n : nodes) {
            if (n.isLeader() && (best == null || n.consensus.term() > best.consensus.term())) {
                best = n;
            }
        }
        return Optional.ofNullable(best);
    }

    /** A leader every alive node agrees on. */
    Optional<SimNode> stableLeader() {
        Optional<SimNode> l = leader();
        if (l.isEmpty() || nodes.stream().anyMatch(n -> n.incarnation == 0)) {
            return Optional.empty();
        }
        for (SimNode n : nodes) {
            if (n.alive && !n.consensus.leaderId().map(l.get().id::equals).orElse(false)) {
                return Optional.empty();
            }
        }
        return l;
    }

    /** Runs virtual time until {@code f} completes (blocking on it would stop time). */
    <T> T await(java.util.concurrent.CompletableFuture<T> f) {
        if (time.runUntil(f::isDone, 10_000) < 0) {
            throw new AssertionError("future not done after 10 s of virtual time");
        }
        return f.join();
    }

    io.microraft.report.RaftNodeReport report(SimNode n) {
        return await(n.consensus.raftNode().getReport()).getResult();
    }

    long awaitLeader(long maxMs) {
        return time.runUntil(() -> stableLeader().isPresent(), maxMs);
    }

    /** Terms in which more than one node was leader (must be empty). */
    Map<Long, Set<Integer>> termsWithTwoLeaders() {
        Map<Long, Set<Integer>> leaders = new TreeMap<>();
        for (LeaderEvent e : leaderEvents) {
            if (e.role().equals("LEADER")) {
                leaders.computeIfAbsent(e.term(), t -> new TreeSet<>()).add(e.node());
            }
        }
        leaders.values().removeIf(s -> s.size() < 2);
        return leaders;
    }

    boolean allAliveHaveOutcomes(List<String> ids) {
        for (SimNode n : nodes) {
            if (!n.alive) {
                continue;
            }
            for (String id : ids) {
                if (n.crdt.outcome(id).isEmpty()) {
                    return false;
                }
            }
        }
        return true;
    }

    static Set<Integer> side(Integer... members) {
        return new HashSet<>(List.of(members));
    }
}
