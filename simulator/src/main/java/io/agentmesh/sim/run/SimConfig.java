package io.agentmesh.sim.run;

import io.agentmesh.node.consensus.ConsensusConfig;
import io.agentmesh.node.consensus.Voters;
import io.agentmesh.sim.world.DiskLatency;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Everything that decides a simulated run. Same config and same code give the same run.
 *
 * @param nodes              number of nodes (1..64)
 * @param seed               the seed every random choice derives from
 * @param durationMs         length of the workload and fault phase; then comes the final heal and a quiet period
 * @param faults             which fault kinds to draw
 * @param wireCheck          pass every message through the wire codec (encode, decode, re-encode)
 * @param writesPerSecond    mean rate of workload writes over the whole mesh
 * @param readsPerSecond     mean rate of workload reads over the whole mesh
 * @param convergenceBoundMs how soon after the final heal every node must hold the same state
 * @param snapshotEvery      a node snapshots its document after this many changes (own and received)
 * @param bugs               planted bugs (for tests that prove the checkers can fail)
 * @param script             a hand-written fault plan used instead of drawing one (tests), or null
 * @param consensus          run consensus (MicroRaft, the action journal, a recording "job" executor) on every node
 *                           (the first 7 by node id vote), request intents, and check them
 * @param intentsPerSecond   mean rate of workload intent requests over the whole mesh (with consensus)
 * @param raft               Raft timing and action limits of every voter (sweep failover timing here)
 * @param disk               fsync and read latency of the simulated disks
 * @param founders           how many voters found the Raft group (0: all); see {@link #withFounders}
 * @param witness            the last node (by index) is enrolled as a witness: it votes and keeps the Raft log
 *                           only, holds no agent state, never leads and never performs; the workload uses the others
 * @param llm                the LLM workload (with consensus): {@code llm} intents through each leader's gateway
 *                           against the simulated providers, and the LLM checkers; {@link SimLlm#OFF} for none
 * @param agent              host the agent (with consensus): every voter runs the real agent runner and supervisor
 *                           against a simulated process host, and the agent-overlap checker runs
 */
public record SimConfig(int nodes, long seed, long durationMs, Set<FaultKind> faults, boolean wireCheck,
                        double writesPerSecond, double readsPerSecond, long convergenceBoundMs, int snapshotEvery,
                        Set<PlantedBug> bugs, FaultPlan script, boolean consensus,
                        double intentsPerSecond, ConsensusConfig raft, DiskLatency disk, int founders,
                        boolean witness, SimLlm llm, boolean agent) {
    public static final double DEFAULT_WRITES_PER_SECOND = 3;
    public static final double DEFAULT_READS_PER_SECOND = 5;
    public static final long DEFAULT_CONVERGENCE_BOUND_MS = 20_000;
    public static final int DEFAULT_SNAPSHOT_EVERY = 20;
    public static final double DEFAULT_INTENTS_PER_SECOND = 0.5;

    public SimConfig {
        if (nodes < 1 || nodes > 64) {
            throw new IllegalArgumentException("--nodes must be 1..64, got " + nodes);
        }
        if (durationMs < 1) {
            throw new IllegalArgumentException("--duration must be positive");
        }
        if (writesPerSecond < 0 || readsPerSecond < 0 || intentsPerSecond < 0) {
            throw new IllegalArgumentException("rates must be >= 0");
        }
        if (convergenceBoundMs < 1 || snapshotEvery < 1) {
            throw new IllegalArgumentException("convergence bound and snapshot interval must be positive");
        }
        if (founders < 0) {
            throw new IllegalArgumentException("--founders must be >= 0 (0: every voter founds), got " + founders);
        }
        if (witness && (!consensus || nodes < 3 || nodes > Voters.MAX)) {
            throw new IllegalArgumentException("--witness needs consensus and 3.." + Voters.MAX + " nodes (servers"
                    + " and the witness, all voters), got " + nodes + " nodes" + (consensus ? "" : " without"
                    + " consensus"));
        }
        Objects.requireNonNull(raft, "raft");
        Objects.requireNonNull(disk, "disk");
        Objects.requireNonNull(llm, "llm");
        if (llm.on() && !consensus) {
            throw new IllegalArgumentException("the LLM workload needs consensus (its calls are journaled through"
                    + " Raft)");
        }
        if (agent && !consensus) {
            throw new IllegalArgumentException("--agent needs consensus (the agent runs on the Raft leader)");
        }
        faults = faults.isEmpty() ? EnumSet.noneOf(FaultKind.class) : EnumSet.copyOf(faults);
        bugs = bugs.isEmpty() ? EnumSet.noneOf(PlantedBug.class) : EnumSet.copyOf(bugs);
    }

    public static SimConfig of(int nodes, long seed, long durationMs, Set<FaultKind> faults) {
        return new SimConfig(nodes, seed, durationMs, faults, true, DEFAULT_WRITES_PER_SECOND,
                DEFAULT_READS_PER_SECOND, DEFAULT_CONVERGENCE_BOUND_MS, DEFAULT_SNAPSHOT_EVERY,
                EnumSet.noneOf(PlantedBug.class), null, true,
                DEFAULT_INTENTS_PER_SECOND, ConsensusConfig.defaults(), DiskLatency.DEFAULTS, 0, false, SimLlm.OFF, false);
    }

    /**
     * How many voters found the Raft group (the first by node id); the other voters start with no founding list and
     * are added by the leader while the run's faults go on. 0: every voter founds.
     */
    public SimConfig withFounders(int count) {
        return with(f -> f.founders = count);
    }

    /** Enrolls the last node (by index) as a witness ({@code sim run --witness}). */
    public SimConfig withWitness(boolean on) {
        return with(f -> f.witness = on);
    }

    /** Hosts the agent on every voter ({@code sim run --agent}). */
    public SimConfig withAgent(boolean on) {
        return with(f -> f.agent = on);
    }

    public SimConfig withSeed(long s) {
        return with(f -> f.seed = s);
    }

    public SimConfig withWireCheck(boolean on) {
        return with(f -> f.wireCheck = on);
    }

    public SimConfig withRates(double writes, double reads) {
        return with(f -> {
            f.writesPerSecond = writes;
            f.readsPerSecond = reads;
        });
    }

    public SimConfig withConvergenceBoundMs(long bound) {
        return with(f -> f.convergenceBoundMs = bound);
    }

    public SimConfig withSnapshotEvery(int every) {
        return with(f -> f.snapshotEvery = every);
    }

    public SimConfig withBugs(Set<PlantedBug> planted) {
        return with(f -> f.bugs = planted);
    }

    public SimConfig withDuration(long ms) {
        return with(f -> f.durationMs = ms);
    }

    public SimConfig withScript(FaultPlan plan) {
        return with(f -> f.script = plan);
    }

    public SimConfig withConsensus(boolean on) {
        return with(f -> f.consensus = on);
    }

    /** The LLM workload ({@code sim run --llm-intents-per-second}). */
    public SimConfig withLlm(SimLlm workload) {
        return with(f -> f.llm = workload);
    }

    public SimConfig withIntentRate(double perSecond) {
        return with(f -> f.intentsPerSecond = perSecond);
    }

    /** Raft timing and action limits, e.g. {@code ConsensusConfig.defaults().withTimeDilation(5)}. */
    public SimConfig withRaft(ConsensusConfig config) {
        return with(f -> f.raft = config);
    }

    public SimConfig withDisk(DiskLatency latency) {
        return with(f -> f.disk = latency);
    }

    /** This config with {@code change} made to a copy of its fields, checked as any new config is. */
    private SimConfig with(Consumer<Fields> change) {
        Fields f = new Fields(this);
        change.accept(f);
        return f.config();
    }

    /** The components of a config while a {@code with} method changes some of them: one place lists them all. */
    private static final class Fields {
        int nodes;
        long seed;
        long durationMs;
        Set<FaultKind> faults;
        boolean wireCheck;
        double writesPerSecond;
        double readsPerSecond;
        long convergenceBoundMs;
        int snapshotEvery;
        Set<PlantedBug> bugs;
        FaultPlan script;
        boolean consensus;
        double intentsPerSecond;
        ConsensusConfig raft;
        DiskLatency disk;
        int founders;
        boolean witness;
        SimLlm llm;
        boolean agent;

        Fields(SimConfig c) {
            nodes = c.nodes;
            seed = c.seed;
            durationMs = c.durationMs;
            faults = c.faults;
            wireCheck = c.wireCheck;
            writesPerSecond = c.writesPerSecond;
            readsPerSecond = c.readsPerSecond;
            convergenceBoundMs = c.convergenceBoundMs;
            snapshotEvery = c.snapshotEvery;
            bugs = c.bugs;
            script = c.script;
            consensus = c.consensus;
            intentsPerSecond = c.intentsPerSecond;
            raft = c.raft;
            disk = c.disk;
            founders = c.founders;
            witness = c.witness;
            llm = c.llm;
            agent = c.agent;
        }

        SimConfig config() {
            return new SimConfig(nodes, seed, durationMs, faults, wireCheck, writesPerSecond, readsPerSecond,
                    convergenceBoundMs, snapshotEvery, bugs, script, consensus, intentsPerSecond, raft, disk,
                    founders, witness, llm, agent);
        }
    }

    /** The fault plan of this run: the script if there is one, else drawn from the seed. */
    public FaultPlan plan() {
        return script != null ? script : FaultPlan.draw(seed, nodes, durationMs, faults);
    }

    /** The command that replays this run (a scripted plan cannot be given on the command line). */
    public String replayCommand() {
        StringBuilder b = new StringBuilder("agentmesh sim run --nodes ").append(nodes)
                .append(" --seed ").append(seed)
                .append(" --duration ").append(formatDuration(durationMs))
                .append(" --faults ").append(FaultKind.format(faults));
        if (!wireCheck) {
            b.append(" --no-wire-check");
        }
        if (writesPerSecond != DEFAULT_WRITES_PER_SECOND) {
            b.append(" --write-rate ").append(number(writesPerSecond));
        }
        if (readsPerSecond != DEFAULT_READS_PER_SECOND) {
            b.append(" --read-rate ").append(number(readsPerSecond));
        }
        if (!consensus) {
            b.append(" --no-consensus");
        } else if (intentsPerSecond != DEFAULT_INTENTS_PER_SECOND) {
            b.append(" --intent-rate ").append(number(intentsPerSecond));
        }
        if (convergenceBoundMs != DEFAULT_CONVERGENCE_BOUND_MS) {
            b.append(" --convergence-bound ").append(formatDuration(convergenceBoundMs));
        }
        if (snapshotEvery != DEFAULT_SNAPSHOT_EVERY) {
            b.append(" --snapshot-every ").append(snapshotEvery);
        }
        ConsensusConfig raftDefaults = ConsensusConfig.defaults();
        if (raft.timeDilation() != raftDefaults.timeDilation()) {
            b.append(" --raft-time-dilation ").append(raft.timeDilation());
        }
        if (raft.electionJitterMs() != raftDefaults.electionJitterMs()) {
            b.append(" --election-jitter ").append(formatDuration(raft.electionJitterMs()));
        }
        if (!disk.equals(DiskLatency.DEFAULTS)) {
            b.append(" --fsync-micros ").append(disk.describe());
        }
        if (founders != 0) {
            b.append(" --founders ").append(founders);
        }
        if (witness) {
            b.append(" --witness");
        }
        if (llm.on()) {
            b.append(" --llm-intents-per-second ").append(number(llm.intentsPerSecond()));
        }
        if (agent) {
            b.append(" --agent");
        }
        if (!bugs.isEmpty()) {
            b.append(" --plant ").append(PlantedBug.format(bugs));
        }
        if (script != null) {
            b.append("   # note: this run used a hand-written fault plan, which the command line cannot express");
        }
        if (!raft.withTimeDilation(raftDefaults.timeDilation()).withElectionJitterMs(raftDefaults.electionJitterMs())
                .equals(raftDefaults) || disk.readMicros() != DiskLatency.DEFAULTS.readMicros()
                || llm.on() && !llm.equals(SimLlm.at(llm.intentsPerSecond()))) {
            b.append("   # note: this run changed Raft, disk or LLM settings the command line cannot express");
        }
        return b.toString();
    }

    private static String number(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    /** 600000 -> "10m", 30000 -> "30s", 1500 -> "1500ms", 5400000 -> "90m". */
    public static String formatDuration(long ms) {
        if (ms % 3_600_000 == 0) {
            return (ms / 3_600_000) + "h";
        }
        if (ms % 60_000 == 0) {
            return (ms / 60_000) + "m";
        }
        if (ms % 1_000 == 0) {
            return (ms / 1_000) + "s";
        }
        return ms + "ms";
    }

    /** Parses "10m", "30s", "1500ms", "1h", "1m30s", or a bare number of seconds. */
    public static long parseDuration(String text) {
        String s = text.trim().toLowerCase(Locale.ROOT);
        if (s.isEmpty()) {
            throw new IllegalArgumentException("empty duration");
        }
        if (s.chars().allMatch(Character::isDigit)) {
            return Long.parseLong(s) * 1_000;
        }
        long total = 0;
        int i = 0;
        while (i < s.length()) {
            int start = i;
            while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
                i++;
            }
            if (start == i) {
                throw new IllegalArgumentException("bad duration '" + text + "' (try 30s, 10m, 1h, 500ms)");
            }
            double value = Double.parseDouble(s.substring(start, i));
            int unitStart = i;
            while (i < s.length() && Character.isLetter(s.charAt(i))) {
                i++;
            }
            String unit = s.substring(unitStart, i);
            long factor = switch (unit) {
                case "ms" -> 1;
                case "s" -> 1_000;
                case "m", "min" -> 60_000;
                case "h" -> 3_600_000;
                default -> throw new IllegalArgumentException("bad duration unit '" + unit + "' in '" + text
                        + "' (use ms, s, m, h)");
            };
            total += Math.round(value * factor);
        }
        return total;
    }
}
