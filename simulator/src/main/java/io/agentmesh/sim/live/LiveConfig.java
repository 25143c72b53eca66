package io.agentmesh.sim.live;

import io.agentmesh.node.consensus.Voters;
import io.agentmesh.sim.run.SimConfig;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * The inputs of a live run.
 *
 * @param nodes              node processes (1..7: all voters)
 * @param relays             relay processes (0..4)
 * @param seed               seed of the fault schedule and the workload's choices
 * @param durationMs         workload and fault phase; the final heal and the quiet period follow
 * @param faults             fault kinds to draw
 * @param writesPerSecond    memory writes per second over the whole cluster
 * @param intentsPerSecond   job intents per second over the whole cluster
 * @param convergenceBoundMs how soon after the final heal all nodes must agree (and hold every outcome)
 * @param leaderBoundMs      a majority up and connected this long must have a leader
 * @param pollIntervalMs     how often every node's status is sampled
 * @param dir                where the nodes' directories go; null: a temporary directory removed at the end
 * @param keepDir            keep the directory (logs, stores, performed.jsonl) at the end
 * @param jvmArgs            JVM options for the node and relay processes
 * @param witness            the last node is enrolled as a witness: it votes, holds no agent state, never leads
 *                           ({@code sim live --witness}; with 3 nodes, two servers and a witness)
 */
public record LiveConfig(int nodes, int relays, long seed, long durationMs, Set<LiveFault> faults,
                         double writesPerSecond, double intentsPerSecond, long convergenceBoundMs,
                         long leaderBoundMs, long pollIntervalMs, Path dir, boolean keepDir, List<String> jvmArgs,
                         boolean witness) {
    public static final double DEFAULT_WRITES_PER_SECOND = 20;
    public static final double DEFAULT_INTENTS_PER_SECOND = 2;

    public LiveConfig {
        if (nodes < 1 || nodes > 7) {
            throw new IllegalArgumentException("--nodes must be 1..7 (all voters), got " + nodes);
        }
        if (relays < 0 || relays > 4) {
            throw new IllegalArgumentException("--relays must be 0..4, got " + relays);
        }
        if (durationMs < 1_000) {
            throw new IllegalArgumentException("--duration must be at least 1s");
        }
        if (witness && nodes < 3) {
            throw new IllegalArgumentException("--witness needs 3.." + Voters.MAX + " nodes (servers and the witness,"
                    + " all voters; a witness never leads, so at least two servers), got " + nodes);
        }
        if (writesPerSecond < 0 || intentsPerSecond < 0) {
            throw new IllegalArgumentException("rates must be >= 0");
        }
        faults = Set.copyOf(faults);
        jvmArgs = List.copyOf(jvmArgs);
    }

    public static LiveConfig of(int nodes, int relays, long seed, long durationMs, Set<LiveFault> faults) {
        return new LiveConfig(nodes, relays, seed, durationMs, faults, DEFAULT_WRITES_PER_SECOND,
                DEFAULT_INTENTS_PER_SECOND, 30_000, 5_000, 250, null, false, LiveCluster.Options.quickJvm(), false);
    }

    public LiveConfig withDir(Path d, boolean keep) {
        return new LiveConfig(nodes, relays, seed, durationMs, faults, writesPerSecond, intentsPerSecond,
                convergenceBoundMs, leaderBoundMs, pollIntervalMs, d, keep, jvmArgs, witness);
    }

    public LiveConfig withRates(double writes, double intents) {
        return new LiveConfig(nodes, relays, seed, durationMs, faults, writes, intents, convergenceBoundMs,
                leaderBoundMs, pollIntervalMs, dir, keepDir, jvmArgs, witness);
    }

    public LiveConfig withConvergenceBound(long ms) {
        return new LiveConfig(nodes, relays, seed, durationMs, faults, writesPerSecond, intentsPerSecond, ms,
                leaderBoundMs, pollIntervalMs, dir, keepDir, jvmArgs, witness);
    }

    /** The last node is a witness ({@code sim live --witness}). */
    public LiveConfig withWitness(boolean on) {
        return new LiveConfig(nodes, relays, seed, durationMs, faults, writesPerSecond, intentsPerSecond,
                convergenceBoundMs, leaderBoundMs, pollIntervalMs, dir, keepDir, jvmArgs, on);
    }

    /** The cluster's witnesses: the last node with {@link #witness}, else none. */
    public int witnesses() {
        return witness ? 1 : 0;
    }

    /** The command that runs the same schedule again (the processes' timing will differ). */
    public String rerunCommand() {
        return "agentmesh sim live --nodes " + nodes + (relays > 0 ? " --relays " + relays : "") + " --seed " + seed
                + " --duration " + SimConfig.formatDuration(durationMs) + " --faults " + LiveFault.format(faults)
                + (witness ? " --witness" : "");
    }
}
