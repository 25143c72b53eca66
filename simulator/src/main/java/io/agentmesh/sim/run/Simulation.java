package io.agentmesh.sim.run;

import io.agentmesh.node.actions.ActionContext;
import io.agentmesh.node.actions.JournalEntry;
import io.agentmesh.sim.world.RecordingExecutor;
import io.agentmesh.node.consensus.Voters;
import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.protocol.wire.WireMessage;
import io.agentmesh.sim.bugs.GroupAnswerDropper;
import io.agentmesh.sim.bugs.PushRefuser;
import io.agentmesh.sim.bugs.SignatureCorrupter;
import io.agentmesh.sim.check.Checkers;
import io.agentmesh.sim.check.ConsensusRecords;
import io.agentmesh.sim.check.History;
import io.agentmesh.sim.check.LlmRecords;
import io.agentmesh.node.llm.config.Budget;
import io.agentmesh.node.llm.config.LlmConfig;
import io.agentmesh.sim.world.FakeLlmProvider;
import io.agentmesh.sim.check.NodeHealthChecker;
import io.agentmesh.sim.check.Verdict;
import io.agentmesh.sim.world.LibraryErrorTap;
import io.agentmesh.sim.world.NetworkModel;
import io.agentmesh.sim.world.Rng;
import io.agentmesh.sim.world.SimClock;
import io.agentmesh.sim.world.SimIdentities;
import io.agentmesh.sim.world.SimLoop;
import io.agentmesh.sim.world.Trace;
import io.agentmesh.state.store.VersionVector;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * One deterministic run: N node cores in one thread under virtual time, a workload, the seed's fault plan, then a
 * final heal and a quiet period, then the checkers. No wall clock, no threads, no unordered iteration; every random
 * choice comes from a stream derived from the seed. Same config and same code give the same trace hash.
 *
 * <p>With consensus the first {@link Voters#MAX} nodes by id vote ({@link Voters#select}), each with a recording "job" executor on one shared ledger (the
 * outside world); the quiet period then lasts until every intent has an outcome everywhere, and the consensus checkers
 * run too.
 */
public final class Simulation {
    private static final long MS = 1_000_000L;
    private static final long SAMPLE_MS = 250;
    private static final long CONVERGENCE_CHECK_MS = 100;
    private static final long SETTLE_MS = 1_000;
    private static final long BOOT_SPREAD_MS = 200;

    private final SimConfig config;
    private final Trace trace;
    private final SimLoop loop;
    private final History history;
    private final List<SimIdentities.Member> members;
    private final NetworkModel network;
    private final List<SimNode> nodes = new ArrayList<>();
    private final FaultPlan plan;
    private final List<PendingHeal> pendingHeals = new ArrayList<>();
    private long wallStart;
    private long cpuStart;
    private Workload workload;
    private final int[] lastUnreachable;
    private boolean finalHealed;
    private boolean stopped;
    private long crashes;
    private long partitions;
    private final List<NodeId> voters;
    private final Map<String, String> namesById = new TreeMap<>();
    private final RecordingExecutor.Ledger ledger = new RecordingExecutor.Ledger();
    private final Set<String> seenClaims = new HashSet<>();
    private long order;
    private long intentsSettledMs = -1;
    private long membersSettledMs = -1;
    private final LibraryErrorTap libraryErrors;
    /** With the LLM workload: the run's llm.json (every node's) and the providers of the outside world. */
    private final LlmConfig llmConfig;
    private final FakeLlmProvider llmProvider;
    private final Set<String> llmAnswers = new java.util.TreeSet<>();
    /** With {@code --agent}: every agent process's life, in the order they started. */
    private final List<SimAgentHost.Life> agentLives = new ArrayList<>();

    private record PendingHeal(long atMs, String description, Map<ActorId, Long> target) {
    }

    private Simulation(SimConfig config, Trace trace) {
        this.config = config;
        this.trace = trace;
        this.loop = new SimLoop(trace);
        this.plan = config.plan();
        this.members = SimIdentities.create(config.seed(), config.nodes(), SimClock.DEFAULT_EPOCH_MILLIS,
                config.witness());
        this.history = new History(members.stream().map(SimIdentities.Member::name).toList());
        this.lastUnreachable = new int[config.nodes()];
        this.voters = Voters.select(members.stream().map(m -> m.identity().nodeId()).toList());
        members.forEach(m -> namesById.put(m.identity().nodeId().toString(), m.name()));
        if (config.witness()) {
            history.record(ConsensusRecords.Witnesses.class,
                    new ConsensusRecords.Witnesses(List.of(members.getLast().name())));
        }

        List<NetworkModel.NodeInfo> infos = new ArrayList<>();
        for (SimIdentities.Member m : members) {
            infos.add(new NetworkModel.NodeInfo(m.name(), m.host(), m.identity().nodeId(),
                    m.identity().certificate().toBytes(), m.identity().incarnation()));
        }
        this.network = new NetworkModel(loop, Rng.stream(config.seed(), "net"),
                NetworkModel.Config.DEFAULTS.withWireCheck(config.wireCheck()), infos);
        network.addTap(this::observeWire);
        if (config.bugs().contains(PlantedBug.CORRUPT_SIGNATURES)) {
            network.addTap(new SignatureCorrupter(0));
        }
        if (config.bugs().contains(PlantedBug.GROUP_ANSWERS_LOST)) {
            network.addTap(new GroupAnswerDropper());
        }
        if (config.bugs().contains(PlantedBug.NO_ANTI_ENTROPY)) {
            network.addTap(new PushRefuser(0));
        }
        network.onCodecFailure(f -> history.problem(new History.Problem(f.nanos() / MS, f.from(), "codec",
                f.message() + " to " + f.to() + ": " + f.error())));
        loop.onTaskFailure(f -> history.problem(new History.Problem(f.nanos() / MS, f.who(), "exception",
                "event '" + f.label() + "' threw " + f.error())));
        // Until conclude(): every node runs on this thread, so what MicroRaft logs as ERROR here is this run's.
        this.libraryErrors = LibraryErrorTap.install("io.microraft", e -> history.problem(new History.Problem(
                loop.nowMillis(), nodeNamedIn(e.message()), NodeHealthChecker.LIBRARY_ERROR,
                e.logger() + ": " + e.message())));

        if (config.llm().on()) {
            this.llmConfig = config.llm().config();
            this.llmProvider = new FakeLlmProvider(llmConfig, config.llm().provider(), Rng.stream(config.seed(),
                    "llm/provider"), SimClock.DEFAULT_EPOCH_MILLIS);
            List<LlmRecords.HardBudget> hard = new ArrayList<>();
            for (Budget b : llmConfig.budgets()) {
                if (b.enforcement() == Budget.Enforcement.HARD) {
                    hard.add(new LlmRecords.HardBudget(b.provider(), b.model(), b.period() == Budget.Period.MONTH,
                            b.limitNanoUsd()));
                }
            }
            history.record(LlmRecords.Policy.class, new LlmRecords.Policy(llmConfig.routing().maxAttempts(), hard));
        } else {
            this.llmConfig = null;
            this.llmProvider = null;
        }

        SplittableRandom boot = Rng.stream(config.seed(), "boot");
        for (SimIdentities.Member m : members) {
            FaultPlan.Skew skew = plan.skews().stream().filter(s -> s.node() == m.index()).findFirst()
                    .orElse(new FaultPlan.Skew(m.index(), 0, 0));
            SimClock clock = new SimClock(loop, SimClock.DEFAULT_EPOCH_MILLIS, skew.offsetMs(), skew.driftPpm(),
                    boot.nextLong(1L << 40));
            SimNode node = new SimNode(this, m, clock);
            node.disk.observeDurable((disk, change) -> observe(change, "store " + disk));
            nodes.add(node);
        }
    }

    /** Runs {@code config} keeping only the trace hash. */
    public static SimResult run(SimConfig config) {
        return run(config, Trace.hashOnly());
    }

    /** Runs {@code config}, recording events into {@code trace} (which may keep or print them). */
    public static SimResult run(SimConfig config, Trace trace) {
        Simulation sim = begin(config, trace, BOOT_SPREAD_MS);
        sim.loop.runUntil(config.durationMs() * MS);
        return sim.conclude();
    }

    /**
     * Builds the world and queues what the run does: the nodes boot at offsets drawn from the seed within {@code
     * bootSpreadMs} (real processes never start in the same millisecond), the workload, the fault plan, and the
     * final heal at the end of the run's duration. Nothing has run yet; drive {@link #loop()}, then {@link
     * #conclude()}.
     */
    static Simulation begin(SimConfig config, Trace trace, long bootSpreadMs) {
        Simulation sim = new Simulation(config, trace);
        sim.schedule(bootSpreadMs);
        return sim;
    }

    private void schedule(long bootSpreadMs) {
        wallStart = System.nanoTime();
        cpuStart = cpuNanos();
        long end = config.durationMs() * MS;
        SplittableRandom boot = Rng.stream(config.seed(), "boot/order");
        for (SimNode node : nodes) {
            long at = bootSpreadMs > 0 ? boot.nextLong(bootSpreadMs * MS) : 0;
            loop.world(at, "boot " + node.name, node::start);
        }
        for (FaultPlan.Step step : plan.steps()) {
            if (step.atMs() * MS < end) {
                loop.world(step.atMs() * MS, "fault " + step.describe(), () -> apply(step));
            }
        }
        workload = new Workload(this, end);
        workload.start();
        loop.world(SAMPLE_MS * MS, "sample", this::sample);
        loop.world(end, "final heal", this::finalHeal);
    }

    /**
     * Heals everything now unless the final heal has happened, waits for the nodes to converge (and every intent to
     * have an outcome everywhere) within the convergence bound, then runs the checkers on the history.
     */
    SimResult conclude() {
        if (!finalHealed) {
            finalHeal();
        }
        long healed = loop.nowNanos();
        long deadline = healed + config.convergenceBoundMs() * MS;
        loop.world(healed + CONVERGENCE_CHECK_MS * MS, "convergence check", this::checkConvergence);
        if (config.consensus()) {
            loop.world(healed + CONVERGENCE_CHECK_MS * MS, "intents check", this::checkIntents);
            loop.world(healed + CONVERGENCE_CHECK_MS * MS, "members check", this::checkMembers);
        }
        if (loop.runUntil(() -> history.convergedMs() >= 0
                && (!config.consensus() || intentsSettledMs >= 0 && membersSettledMs >= 0), deadline)) {
            loop.runUntil(loop.nowNanos() + SETTLE_MS * MS);
        }
        stopped = true;
        history.ended(loop.nowMillis());
        for (PendingHeal h : pendingHeals) {
            history.heal(new History.Heal(h.atMs(), h.description(), -1));
        }
        pendingHeals.clear();
        for (SimNode node : nodes) {
            History.NodeFinal f = node.finalState();
            if (!node.witness) {
                history.nodeFinal(f); // a witness holds no agent state to compare
            }
            history.rejected(node.name, node.rejectedTotal());
            trace.record(loop.nowNanos(), node.name, "final up=" + f.up() + " heads=" + f.heads() + " vector="
                    + f.vector() + " view=" + f.viewDigest());
        }
        if (config.consensus()) {
            for (SimNode node : nodes) {
                if (!node.witness) {
                    history.record(ConsensusRecords.IntentsFinal.class, node.intentsFinal());
                }
                node.membersFinal().ifPresent(m -> history.record(ConsensusRecords.MembersFinal.class, m));
                if (config.llm().on()) {
                    node.ledgerFinal().ifPresent(l -> history.record(LlmRecords.LedgerFinal.class, l));
                }
            }
            history.record(ConsensusRecords.ExpectedVoters.class, new ConsensusRecords.ExpectedVoters(expectedVoters()));
            if (membersSettledMs >= 0) {
                history.record(ConsensusRecords.MembersSettled.class,
                        new ConsensusRecords.MembersSettled(membersSettledMs));
            }
            if (intentsSettledMs >= 0) {
                history.record(ConsensusRecords.IntentsSettled.class,
                        new ConsensusRecords.IntentsSettled(intentsSettledMs));
            }
        }
        for (SimAgentHost.Life l : agentLives) {
            history.record(io.agentmesh.sim.check.AgentRecords.Life.class, l.record());
        }
        for (SimNode node : nodes) {
            node.release();
        }
        libraryErrors.close();
        String hash = trace.finish();
        List<io.agentmesh.sim.check.Checker> checkers = new ArrayList<>(Checkers.standard(
                config.convergenceBoundMs(), config.consensus()));
        if (config.llm().on()) {
            checkers.addAll(Checkers.llm());
        }
        if (config.agent()) {
            checkers.addAll(Checkers.agent());
        }
        List<Verdict> verdicts = Checkers.run(checkers, history);
        double wallSeconds = (System.nanoTime() - wallStart) / 1e9;
        double cpuSeconds = (cpuNanos() - cpuStart) / 1e9;
        return new SimResult(config, Checkers.allPassed(verdicts), verdicts, hash,
                figures(workload, wallSeconds, cpuSeconds), history, plan, trace.lines());
    }

    // ------------------------------------------------------------------------------ faults

    /** Applies a fault now, as the fault plan does (tests inject faults at moments they choose through this). */
    void apply(FaultPlan.Step step) {
        if (finalHealed) {
            return;
        }
        long now = loop.nowMillis();
        switch (step) {
            case FaultPlan.Partition p -> {
                partitions++;
                history.fault(new History.Fault(now, Math.min(now + p.durationMs(), config.durationMs()),
                        p.kind().id(), p.describe()));
                network.cut(p.links());
                recordReachability();
                loop.world(loop.nowNanos() + p.durationMs() * MS, "heal " + p.shape(), () -> {
                    if (!finalHealed) {
                        network.heal(p.links());
                        recordReachability();
                        healed("healed " + p.shape());
                    }
                });
            }
            case FaultPlan.Crash c -> {
                SimNode node = nodes.get(c.node());
                if (!node.up()) {
                    return;
                }
                long busyUntil = node.busyUntilNanos();
                if (busyUntil >= 0) {
                    // A kill that lands inside a blocking store call is taken to land just after it returns: the
                    // node has already acted on that call's result (sent a vote, acknowledged a write), so the write
                    // must survive the crash.
                    loop.world(busyUntil, "fault " + step.describe() + " (after its blocking call)", () -> apply(step));
                    return;
                }
                crashes++;
                history.fault(new History.Fault(now, Math.min(now + c.downMs(), config.durationMs()),
                        c.kind().id(), c.describe()));
                node.crash("fault: " + c.describe());
                restartLater(node, c.downMs());
            }
            case FaultPlan.Impair i -> {
                history.fault(new History.Fault(now, Math.min(now + i.durationMs(), config.durationMs()),
                        i.kind().id(), i.describe()));
                network.impair(i.impairment());
                loop.world(loop.nowNanos() + i.durationMs() * MS, "end " + i.impairment().name(), () -> {
                    if (!finalHealed) {
                        network.restore(i.impairment());
                        healed("ended " + i.impairment().name());
                    }
                });
            }
            case FaultPlan.ClockJump j -> {
                history.fault(new History.Fault(now, now, j.kind().id(), j.describe()));
                nodes.get(j.node()).clock.jump(j.deltaMs());
            }
            case FaultPlan.Stall st -> {
                history.fault(new History.Fault(now, Math.min(now + st.durationMs(), config.durationMs()),
                        st.kind().id(), st.describe()));
                nodes.get(st.node()).stallDisk(loop.nowNanos() + st.durationMs() * MS);
                if (config.agent()) {
                    history.record(io.agentmesh.sim.check.AgentRecords.Pause.class,
                            new io.agentmesh.sim.check.AgentRecords.Pause(nodes.get(st.node()).name, now,
                                    now + st.durationMs()));
                }
            }
        }
    }

    /** Restarts {@code node} after {@code delayMs}, unless it was restarted some other way first. */
    void restartLater(SimNode node, long delayMs) {
        restartLater(node, delayMs, false);
    }

    /**
     * @param supervisor a restart by the process supervisor after a fatal error, which also happens after the final
     *                   heal (a fault's restart is then the final heal's job)
     */
    void restartLater(SimNode node, long delayMs, boolean supervisor) {
        int generation = node.generation();
        loop.world(loop.nowNanos() + delayMs * MS, "restart " + node.name, () -> {
            if ((supervisor || !finalHealed) && !node.up() && node.generation() == generation) {
                node.start();
                recordReachability();
                healed("restarted " + node.name);
            }
        });
    }

    private void finalHeal() {
        finalHealed = true;
        network.healAll();
        for (SimNode node : nodes) {
            if (!node.up()) {
                node.start();
            }
        }
        history.finalHeal(loop.nowMillis());
        recordReachability();
        healed("final heal");
    }

    private void healed(String description) {
        pendingHeals.add(new PendingHeal(loop.nowMillis(), description, union()));
    }

    private void recordReachability() {
        for (SimNode node : nodes) {
            int unreachable = network.unreachablePeers(node.index);
            if (unreachable != lastUnreachable[node.index]) {
                lastUnreachable[node.index] = unreachable;
                history.reachability(new History.Reachability(loop.nowMillis(), node.name, unreachable));
            }
        }
    }

    // ------------------------------------------------------------------------------ observation

    private WireMessage observeWire(int from, int to, WireMessage message) {
        if (message instanceof WireMessage.Changes changes) {
            String where = "wire " + members.get(from).name() + "->" + members.get(to).name();
            for (SignedChange c : changes.changes()) {
                observe(c, where);
            }
        }
        return message;
    }

    private void observe(SignedChange change, String where) {
        history.ledger().observe(change.actor(), change.seq(), change.bytes(), where, loop.nowMillis());
    }

    /** Highest durable seq per actor over the nodes that are up. */
    private Map<ActorId, Long> union() {
        Map<ActorId, Long> out = new TreeMap<>();
        for (SimNode node : nodes) {
            if (node.up() && !node.witness) {
                node.durableVector().seqs().forEach((a, s) -> out.merge(a, s, Math::max));
            }
        }
        return out;
    }

    private static long missing(VersionVector have, Map<ActorId, Long> target) {
        long behind = 0;
        for (Map.Entry<ActorId, Long> e : target.entrySet()) {
            behind += Math.max(0, e.getValue() - have.get(e.getKey()));
        }
        return behind;
    }

    private void sample() {
        if (stopped) {
            return;
        }
        Map<ActorId, Long> union = union();
        List<Long> lag = new ArrayList<>(nodes.size());
        for (SimNode node : nodes) {
            lag.add(!node.up() ? -1L : node.witness ? 0L : missing(node.durableVector(), union));
        }
        history.lag(new History.LagSample(loop.nowMillis(), lag));
        for (Iterator<PendingHeal> it = pendingHeals.iterator(); it.hasNext(); ) {
            PendingHeal h = it.next();
            boolean caughtUp = true;
            for (SimNode node : nodes) {
                if (node.up() && !node.witness && missing(node.durableVector(), h.target()) > 0) {
                    caughtUp = false;
                    break;
                }
            }
            if (caughtUp) {
                history.heal(new History.Heal(h.atMs(), h.description(), loop.nowMillis() - h.atMs()));
                it.remove();
            }
        }
        loop.world(loop.nowNanos() + SAMPLE_MS * MS, "sample", this::sample);
    }

    private void checkConvergence() {
        if (stopped || history.convergedMs() >= 0) {
            return;
        }
        boolean same = upNodes().size() == nodes.size();
        List<SimNode> up = upStateNodes();
        if (same) {
            List<String> heads = up.getFirst().heads();
            VersionVector vector = up.getFirst().durableVector();
            for (SimNode node : up) {
                if (node.pendingChanges() > 0 || !node.heads().equals(heads)
                        || !node.durableVector().equals(vector)) {
                    same = false;
                    break;
                }
            }
        }
        if (same) {
            history.converged(loop.nowMillis());
            return;
        }
        loop.world(loop.nowNanos() + CONVERGENCE_CHECK_MS * MS, "convergence check", this::checkConvergence);
    }

    /** The names of the nodes that should vote at the end: every voter-role node. */
    private List<String> expectedVoters() {
        return voters.stream().map(v -> nameOf(v.toString())).sorted().toList();
    }

    /** After the final heal: does every running voter name the expected voters? */
    private void checkMembers() {
        if (stopped || membersSettledMs >= 0) {
            return;
        }
        List<String> want = expectedVoters();
        boolean settled = true;
        for (SimNode node : nodes) {
            var m = node.membersFinal();
            if (m.isPresent() && want.contains(node.name)
                    && (!m.get().up() || !m.get().voters().stream().sorted().toList().equals(want))) {
                settled = false;
                break;
            }
        }
        if (settled) {
            membersSettledMs = loop.nowMillis();
            trace.record(loop.nowNanos(), "world", "every voter names the enrolled voters");
            return;
        }
        loop.world(loop.nowNanos() + CONVERGENCE_CHECK_MS * MS, "members check", this::checkMembers);
    }

    /** After the final heal: has every running node an outcome for every intent (and every acknowledged one)? */
    private void checkIntents() {
        if (stopped || intentsSettledMs >= 0) {
            return;
        }
        List<String> acknowledged = new ArrayList<>();
        for (History.Write w : history.writes()) {
            if (w.kind().equals("intent") && w.acknowledged()) {
                acknowledged.add(w.key());
            }
        }
        boolean settled = upNodes().size() == nodes.size();
        for (SimNode node : nodes) {
            if (!settled) {
                break;
            }
            settled = node.witness || node.outcomesFor(acknowledged);
        }
        if (settled) {
            intentsSettledMs = loop.nowMillis();
            trace.record(loop.nowNanos(), "world", "every intent has an outcome on every node");
            return;
        }
        loop.world(loop.nowNanos() + CONVERGENCE_CHECK_MS * MS, "intents check", this::checkIntents);
    }

    // ------------------------------------------------------------------------------ consensus observation

    /** A node's leader belief changed (or it went down). */
    void observeLeader(String node, String role, long term, NodeId leader) {
        String leaderName = leader == null ? null : nameOf(leader.toString());
        history.record(ConsensusRecords.LeaderObservation.class, new ConsensusRecords.LeaderObservation(order++,
                loop.nowMillis(), node, role, term, leaderName));
        trace.record(loop.nowNanos(), node, "consensus " + role + " term " + term + " leader "
                + (leaderName == null ? "-" : leaderName));
    }

    /** A journal entry as applied on {@code node}; its claim is recorded the first time any node shows it. */
    void observeClaim(String node, JournalEntry e) {
        String key = e.intentId() + "\u0000" + e.holder() + "\u0000" + e.claim().term() + "\u0000" + e.claim().index();
        if (seenClaims.add(key)) {
            history.record(ConsensusRecords.AppliedClaim.class, new ConsensusRecords.AppliedClaim(order++,
                    loop.nowMillis(), node, e.intentId(), nameOf(e.holder()), e.claim().term(), e.claim().index()));
        }
    }

    /** An executor call reached the outside world. */
    void recordAction(String node, ActionContext ctx, String type) {
        history.record(ConsensusRecords.Action.class, new ConsensusRecords.Action(order++, loop.nowMillis(), node,
                ctx.intentId(), type, ctx.token().term(), ctx.token().index()));
        trace.record(loop.nowNanos(), node, type + " " + ctx.intentId() + " under " + ctx.token());
    }

    /** The member whose node id a log line names first (MicroRaft starts its lines with the local endpoint). */
    private String nodeNamedIn(String line) {
        String found = "world";
        int at = Integer.MAX_VALUE;
        for (Map.Entry<String, String> e : namesById.entrySet()) {
            int i = line.indexOf(e.getKey());
            if (i >= 0 && i < at) {
                at = i;
                found = e.getValue();
            }
        }
        return found;
    }

    /** The simulated name ("n3") of a node id in text form, or the text itself if no member has it. */
    String nameOf(String nodeId) {
        return namesById.getOrDefault(nodeId, nodeId);
    }

    /** CPU time of this thread (measurement only; nothing in the run depends on it). */
    private static long cpuNanos() {
        java.lang.management.ThreadMXBean bean = java.lang.management.ManagementFactory.getThreadMXBean();
        return bean.isCurrentThreadCpuTimeSupported() ? bean.getCurrentThreadCpuTime() : 0;
    }

    private SimResult.Figures figures(Workload workload, double wallSeconds, double cpuSeconds) {
        long acked = 0;
        long failed = 0;
        for (History.Write w : history.writes()) {
            if (w.acknowledged()) {
                acked++;
            } else if (w.error() != null) {
                failed++;
            }
        }
        long maxCatchUp = -1;
        for (History.Heal h : history.heals()) {
            if (!h.description().equals("final heal")) {
                maxCatchUp = Math.max(maxCatchUp, h.catchUpMs());
            }
        }
        long fsyncs = 0;
        long durable = 0;
        long snapshots = 0;
        for (SimNode node : nodes) {
            fsyncs += node.disk.fsyncs();
            durable += node.disk.durableChanges();
            snapshots += node.snapshots();
        }
        NetworkModel.Stats net = network.stats();
        double simSeconds = loop.nowNanos() / 1e9;
        long convergence = history.convergedMs() < 0 ? -1 : history.convergedMs() - history.finalHealMs();
        return new SimResult.Figures(history.writes().size(), acked, failed, workload.reads(), simSeconds,
                wallSeconds, wallSeconds > 0 ? simSeconds / wallSeconds : 0, cpuSeconds, loop.executedEvents(),
                net.sent, net.delivered, net.dropped(), net.duplicated, net.connectionsOpened, partitions, crashes,
                fsyncs, durable, snapshots, convergence, maxCatchUp, config.consensus() ? intentFigures() : null);
    }

    private SimResult.IntentFigures intentFigures() {
        long requested = 0;
        long acknowledged = 0;
        Set<String> all = new java.util.TreeSet<>();
        for (History.Write w : history.writes()) {
            if (w.kind().equals("intent")) {
                requested++;
                if (w.acknowledged()) {
                    acknowledged++;
                    all.add(w.key());
                }
            }
        }
        List<ConsensusRecords.IntentsFinal> finals = history.records(ConsensusRecords.IntentsFinal.class).stream()
                .filter(ConsensusRecords.IntentsFinal::up).toList();
        finals.forEach(f -> all.addAll(f.intents()));
        long lost = 0;
        for (String id : all) {
            if (finals.isEmpty() || finals.stream().anyMatch(f -> !f.outcomes().containsKey(id))) {
                lost++;
            }
        }
        Set<String> performed = new java.util.TreeSet<>();
        Map<String, Integer> performsPer = new TreeMap<>();
        long performs = 0;
        long reconciles = 0;
        for (ConsensusRecords.Action a : history.records(ConsensusRecords.Action.class)) {
            performed.add(a.intentId());
            if (a.isPerform()) {
                performs++;
                performsPer.merge(a.intentId(), 1, Integer::sum);
            } else {
                reconciles++;
            }
        }
        long doubles = performsPer.values().stream().filter(c -> c > 1).count();
        Set<Long> terms = new java.util.TreeSet<>();
        for (ConsensusRecords.LeaderObservation o : history.records(ConsensusRecords.LeaderObservation.class)) {
            if (o.isLeader()) {
                terms.add(o.term());
            }
        }
        long settled = intentsSettledMs < 0 ? -1 : intentsSettledMs - history.finalHealMs();
        return new SimResult.IntentFigures(requested, acknowledged, performed.size(), ledger.appliedIntents().size(),
                performs, reconciles, doubles, lost, terms.size(), longestWithoutLeader(), settled);
    }

    /** The longest time from the first leader to the end of the run during which no node believed itself leader. */
    private long longestWithoutLeader() {
        List<long[]> spans = new ArrayList<>();
        io.agentmesh.sim.check.OneLeaderPerTermChecker.leaderSpans(history, history.endMs()).values()
                .forEach(spans::addAll);
        if (spans.isEmpty()) {
            return -1;
        }
        spans.sort(java.util.Comparator.comparingLong(x -> x[0]));
        long longest = 0;
        long covered = spans.getFirst()[0];
        for (long[] span : spans) {
            longest = Math.max(longest, span[0] - covered);
            covered = Math.max(covered, span[1]);
        }
        return Math.max(longest, history.endMs() - covered);
    }

    // ------------------------------------------------------------------------------ for SimNode and Workload

    SimConfig config() {
        return config;
    }

    /** Every voter-role node: all of them take part in consensus. */
    List<NodeId> voters() {
        return voters;
    }

    /** The voters that found the group ({@link SimConfig#founders()}); the others join it. */
    List<NodeId> founders() {
        return config.founders() == 0 ? voters : voters.subList(0, Math.min(config.founders(), voters.size()));
    }

    RecordingExecutor.Ledger ledger() {
        return ledger;
    }

    /** The run's llm.json, or null without the LLM workload. */
    LlmConfig llmConfig() {
        return llmConfig;
    }

    /** The LLM providers of the outside world, or null without the LLM workload. */
    FakeLlmProvider llmProvider() {
        return llmProvider;
    }

    /** The provider's answer to attempt {@code attempt} of {@code callId} went back to its node (alive or not). */
    void llmAnswerDelivered(String callId, int attempt) {
        llmAnswers.add(callId + "#" + attempt);
    }

    /** Whether the provider's answer to that attempt went back to its node (tests kill a node right after). */
    boolean llmAnswered(String callId, int attempt) {
        return llmAnswers.contains(callId + "#" + attempt);
    }

    /** An agent process started (with {@code --agent}); its end is filled in on the same object. */
    void agentLife(SimAgentHost.Life life) {
        agentLives.add(life);
        trace.record(loop.nowNanos(), life.node, "agent process starts with fence " + life.fence);
    }

    /** The lives of the agent's processes so far, oldest first (tests). */
    List<io.agentmesh.sim.check.AgentRecords.Life> agentLives() {
        return agentLives.stream().map(SimAgentHost.Life::record).toList();
    }

    /** The next number of the run-wide order shared by the consensus and LLM records. */
    long nextOrder() {
        return order++;
    }

    SimLoop loop() {
        return loop;
    }

    History history() {
        return history;
    }

    NetworkModel network() {
        return network;
    }

    List<SimIdentities.Member> members() {
        return members;
    }

    /** Every node, up or down, by index. */
    List<SimNode> nodes() {
        return nodes;
    }

    /** The running nodes that hold agent state (all but a witness): the workload's clients talk to these. */
    List<SimNode> upStateNodes() {
        List<SimNode> out = new ArrayList<>(nodes.size());
        for (SimNode n : nodes) {
            if (n.up() && !n.witness) {
                out.add(n);
            }
        }
        return out;
    }

    List<SimNode> upNodes() {
        List<SimNode> out = new ArrayList<>(nodes.size());
        for (SimNode n : nodes) {
            if (n.up()) {
                out.add(n);
            }
        }
        return out;
    }
}
