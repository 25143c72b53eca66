package io.agentmesh.sim.run;

import io.agentmesh.node.actions.ActionContext;
import io.agentmesh.node.actions.ActionExecutor;
import io.agentmesh.node.consensus.ConsensusNode;
import io.agentmesh.node.actions.FencingToken;
import io.agentmesh.node.actions.JournalEntry;
import io.agentmesh.sim.world.RecordingExecutor;
import io.agentmesh.node.core.CoreConfig;
import io.agentmesh.node.core.NodeCore;
import io.agentmesh.node.core.Recovery;
import io.agentmesh.node.core.SnapshotPolicy;
import io.agentmesh.node.replication.CatchUp;
import io.agentmesh.node.replication.Durability;
import io.agentmesh.node.replication.ReplicationConfig;
import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.sim.bugs.BudgetsLeftOut;
import io.agentmesh.sim.bugs.CutAnswerAccepted;
import io.agentmesh.sim.bugs.SendBeforeAttemptStart;
import io.agentmesh.sim.bugs.WriteBackCacheStore;
import io.agentmesh.sim.check.LlmRecords;
import io.agentmesh.node.consensus.ConsensusLedgerAccess;
import io.agentmesh.node.llm.config.LlmConfig;
import io.agentmesh.node.llm.config.ProviderKeys;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import io.agentmesh.node.llm.gateway.AttemptSender;
import io.agentmesh.node.llm.gateway.CallRequest;
import io.agentmesh.node.llm.ledger.LedgerOp;
import io.agentmesh.node.llm.gateway.LedgerAccess;
import io.agentmesh.node.llm.gateway.LlmGateway;
import io.agentmesh.node.llm.gateway.LlmIntentExecutor;
import io.agentmesh.node.llm.ledger.LlmLedger;
import io.agentmesh.node.llm.ledger.SpendRow;
import io.agentmesh.sim.check.ConsensusRecords;
import io.agentmesh.sim.check.DurabilityRecords;
import io.agentmesh.sim.check.History;
import io.agentmesh.sim.world.DiskLatency;
import io.agentmesh.sim.world.DiskTimer;
import io.agentmesh.sim.world.Rng;
import io.agentmesh.sim.world.SimClock;
import io.agentmesh.sim.world.SimDisk;
import io.agentmesh.sim.world.SimIdentities;
import io.agentmesh.sim.world.SimNetwork;
import io.agentmesh.sim.world.SimScheduler;
import io.agentmesh.sim.world.SimulatedRaftStore;
import io.agentmesh.sim.world.SimulatedChangeStore;
import io.agentmesh.state.AgentState;
import io.agentmesh.state.Intent;
import io.agentmesh.state.LocalChange;
import io.agentmesh.state.MemoryEntry;
import io.agentmesh.state.Outcome;
import io.agentmesh.state.StateView;
import io.agentmesh.state.Task;
import io.agentmesh.state.store.ChangeStore;
import io.agentmesh.state.store.VersionVector;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * One simulated node: a machine (clock, disk) that outlives its processes, and the current process (scheduler,
 * store, document, node core, network endpoint) when it runs. A crash throws the process away; a restart recovers a
 * new document from the disk through {@link Recovery} and runs a new {@link NodeCore} with the same identity and
 * incarnation (the store survived, so the actor's sequence continues).
 *
 * <p>With consensus, a voter also has a Raft store that outlives its processes ({@link SimulatedRaftStore}: a crash
 * keeps what was flushed) and "job", "wallet" and "marked-job" executors on the run's shared ledger; a restart runs a
 * new consensus member on the same store. After each of its events the node's leader belief and its journal's claims
 * are recorded.
 *
 * <p>A witness (the last node with {@code --witness}) runs consensus in witness mode with no executors and holds no
 * agent state; the run leaves it out of the workload and of the state checks.
 */
final class SimNode {
    static final int MAX_BATCH = 8_192;
    /** The kind of intent performed like the node's job executor: start mark first, uncertain if a holder is lost. */
    static final String MARKED_JOB = "marked-job";
    /** How long a catch-up from a majority may take (virtual time) before it counts as failed. */
    static final long CATCH_UP_TIMEOUT_MS = 10_000;

    final int index;
    final String name;
    final SimIdentities.Member member;
    final SimClock clock;
    final SimDisk disk;
    /** Enrolled as a witness: the mesh sees its witness certificate, and (unless a planted bug says not) so does it. */
    final boolean witness;
    private final Simulation sim;
    private final SplittableRandom fsyncRandom;
    private final SplittableRandom raftFsyncRandom;
    private final long fsyncMeanNanos;
    private final SimulatedRaftStore raftStore = new SimulatedRaftStore();
    private long stalledUntilNanos;
    private final long executorLatencyMs;
    private ConsensusNode consensus;
    /** With the LLM workload, the running process's gateway (null otherwise, and while down). */
    private LlmGateway llm;
    /** With {@code --agent}, the running process's agent host (null otherwise, and while down). */
    private SimAgentHost agentHost;
    private String observedRole;
    private long observedTerm = -1;
    private NodeId observedLeader;
    private long observedApplied = -1;
    /** The last term in which this node, as a new leader, started a catch-up from a majority. */
    private long catchUpTerm = -1;
    private int generation;
    private SimScheduler scheduler;
    private SimulatedChangeStore simStore;
    private ChangeStore store;
    private AgentState state;
    private NodeCore core;
    private SimNetwork net;
    private long snapshotsBefore;
    private long rejectedBefore;
    private boolean up;

    SimNode(Simulation sim, SimIdentities.Member member, SimClock clock) {
        this.sim = sim;
        this.member = member;
        this.index = member.index();
        this.name = member.name();
        this.clock = clock;
        this.disk = new SimDisk(name);
        this.witness = member.identity().certificate().role() == io.agentmesh.protocol.identity.Role.WITNESS;
        this.fsyncRandom = Rng.stream(sim.config().seed(), "node/fsync", index);
        this.raftFsyncRandom = Rng.stream(sim.config().seed(), "node/raft-fsync", index);
        this.fsyncMeanNanos = sim.config().disk().drawMeanNanos(fsyncRandom);
        // A job takes 5-200 ms, fixed per node: long enough that a leader dies in the middle of some.
        this.executorLatencyMs = 5 + Rng.stream(sim.config().seed(), "node/executor", index).nextLong(196);
    }

    boolean up() {
        return up;
    }

    int generation() {
        return generation;
    }

    /** Starts a process: first start or restart after a crash. */
    void start() {
        if (up) {
            throw new IllegalStateException(name + " is already running");
        }
        generation++;
        boolean restart = generation > 1;
        if (restart && index == 0 && sim.config().bugs().contains(PlantedBug.AMNESIA_RESTART)) {
            disk.wipe(); // the bug: the disk is gone but the node keeps its incarnation
        }
        scheduler = new SimScheduler(sim.loop(), name, clock.driftPpm());
        simStore = disk.open(DiskTimer.of(scheduler), this::fsyncNanos, sim.config().disk().readMicros() * 1_000,
                MAX_BATCH);
        raftStore.attach(DiskTimer.of(scheduler), this::raftFsyncNanos);
        store = simStore;
        if (index == 0 && sim.config().bugs().contains(PlantedBug.ACK_BEFORE_FSYNC)) {
            store = new WriteBackCacheStore(simStore, DiskTimer.of(scheduler), 1_000);
        }
        Recovery.Result recovered = Recovery.recover(member.identity().agentId().bytes(), member.identity().actor(),
                store);
        state = recovered.state();
        SplittableRandom coreRandom = Rng.stream(sim.config().seed(), "node/core", index, generation);
        io.agentmesh.node.port.LocalIdentity identity = witness
                && sim.config().bugs().contains(PlantedBug.WITNESS_CAMPAIGNS)
                ? SimIdentities.asVoter(sim.config().seed(), member) : member.identity();
        core = new NodeCore(identity, state, store, clock, scheduler, coreRandom, coreConfig(), this::fatal);
        core.replayedAtStart(recovered.replayedChanges());
        consensus = null;
        if (sim.config().consensus() && sim.voters().contains(member.identity().nodeId())) {
            String self = member.identity().nodeId().toString();
            boolean doublePerform = sim.config().bugs().contains(PlantedBug.DOUBLE_PERFORM);
            List<ActionExecutor> executors = new java.util.ArrayList<>(core.isWitness() ? List.of() : List.of(
                    new SimExecutor(sim, name, new RecordingExecutor("job", self, sim.ledger(), scheduler,
                            executorLatencyMs, false), doublePerform),
                    new SimExecutor(sim, name, new RecordingExecutor("wallet", self, sim.ledger(), scheduler,
                            executorLatencyMs, true), doublePerform),
                    new SimExecutor(sim, name, RecordingExecutor.startMarked(MARKED_JOB, self, sim.ledger(),
                            scheduler, executorLatencyMs), doublePerform)));
            llm = null;
            if (sim.config().llm().on() && !core.isWitness()) {
                llm = gateway(self, core);
                executors.add(new SimExecutor(sim, name, new RecordingLlmIntents(sim, name,
                        new LlmIntentExecutor(new RecordingLlmCalls(sim, name, llm), self)), doublePerform));
            }
            List<NodeId> founders = sim.founders().contains(member.identity().nodeId()) ? sim.founders()
                    : List.of();
            core.enableConsensus(new NodeCore.ConsensusSetup(raftStore, founders, executors,
                    Rng.stream(sim.config().seed(), "node/raft", index, generation).nextLong(), sim.config().raft()));
            scheduler.afterEach(this::observeConsensus);
        }
        net = sim.network().attach(index, scheduler, core);
        up = true;
        sim.history().nodeEvent(sim.loop().nowMillis(), name,
                restart ? History.NodeEventKind.RESTART : History.NodeEventKind.START,
                "recovered " + recovered.replayedChanges() + " changes" + (recovered.fromSnapshot()
                        ? " after a snapshot" : ""));
        NodeCore c = core;
        SimNetwork n = net;
        LlmGateway gateway = llm;
        agentHost = null;
        if (sim.config().agent() && sim.config().consensus()
                && sim.voters().contains(member.identity().nodeId()) && !c.isWitness()) {
            agentHost = new SimAgentHost(sim, name, Rng.stream(sim.config().seed(), "node/agent-host", index,
                    generation), sim.config().bugs().contains(PlantedBug.AGENT_STOP_ORPHANS));
        }
        SimAgentHost host = agentHost;
        scheduler.post("start", () -> {
            c.start(n);
            consensus = c.consensus().orElse(null);
            if (gateway != null) {
                // As in production: a new leader settles the calls its predecessors left open.
                c.onLeaderChange(change -> gateway.leadershipChanged());
                gateway.start();
            }
            if (host != null) {
                agentRunner(c, host).start();
            }
            for (SimIdentities.Member peer : sim.members()) {
                if (peer.index() != index) {
                    c.addPeer(peer.identity().nodeId(), peer.address());
                }
            }
        });
    }

    /**
     * The agent runner of this process, wired as {@code node run --agent} wires it, on the simulated host: the
     * default stop grace, crash-loop limits and start bound, its supervisor's jitter from the seed.
     */
    private io.agentmesh.node.agent.AgentRunner agentRunner(NodeCore c, SimAgentHost host) {
        String self = member.identity().nodeId().toString();
        io.agentmesh.node.agent.AgentSettings settings = new io.agentmesh.node.agent.AgentSettings(Optional.empty(),
                List.of("agent"), SimAgentHost.STOP_GRACE_MS,
                io.agentmesh.node.agent.AgentSettings.DEFAULT_CRASH_LOOP_EXITS,
                io.agentmesh.node.agent.AgentSettings.DEFAULT_CRASH_LOOP_WINDOW_MS);
        io.agentmesh.node.agent.AgentSupervisor supervisor = new io.agentmesh.node.agent.AgentSupervisor(self,
                io.agentmesh.node.agent.AgentSupervisor.Policy.of(settings),
                new io.agentmesh.node.agent.StartBound(Math.round(sim.config().raft().heartbeatPeriodNodeMillis()),
                        io.agentmesh.node.agent.StartBound.DEFAULT_MARGIN_MS),
                new java.util.Random(Rng.stream(sim.config().seed(), "node/agent", index, generation).nextLong()));
        return new io.agentmesh.node.agent.AgentRunner(c, scheduler, clock, host, supervisor,
                new io.agentmesh.node.agent.AgentRunner.Environment("http://127.0.0.1:1", self, Optional.empty()),
                List.of("agent"));
    }

    /**
     * The process's LLM gateway, wired as in production (the consensus member's ledger access) with the simulated
     * providers as its attempt sender, and the history recording what the LLM checkers need. Planted bugs wrap the
     * ledger access or the sender from outside.
     */
    private LlmGateway gateway(String self, NodeCore c) {
        LlmConfig config = sim.llmConfig();
        LedgerAccess access = new RecordingLedgerAccess(sim, name, new ConsensusLedgerAccess(c::consensus));
        if (sim.config().bugs().contains(PlantedBug.LLM_SEND_BEFORE_START)) {
            access = new SendBeforeAttemptStart(access);
        }
        if (sim.config().bugs().contains(PlantedBug.LLM_BUDGETS_IGNORED)) {
            access = new BudgetsLeftOut(access);
        }
        AttemptSender sender = new SimAttemptSender(sim, name, scheduler, clock);
        if (sim.config().bugs().contains(PlantedBug.LLM_CUT_AS_ANSWER)) {
            sender = new CutAnswerAccepted(sender);
        }
        return new LlmGateway(self, config, ProviderKeys.load(config, Map.of()), sender, access, scheduler, clock,
                LlmGateway.DEFAULT_MAX_CALLS_IN_FLIGHT);
    }

    /**
     * The node's defaults, with snapshots after {@code --snapshot-every} changes or an eighth of the store,
     * whichever is more: snapshots happen early in short runs and their cost stays proportional in long ones.
     */
    private CoreConfig coreConfig() {
        CoreConfig config = CoreConfig.defaults(Optional.of(member.address()))
                .withSnapshots(new SnapshotPolicy(sim.config().snapshotEvery(), 8));
        if (index == 0 && sim.config().bugs().contains(PlantedBug.NO_ANTI_ENTROPY)) {
            ReplicationConfig r = config.replication();
            return config.withReplication(new ReplicationConfig(365L * 24 * 3_600_000, r.maxBatchChanges(),
                    r.maxBatchBytes(), r.maxBadChangesPerPeer(), r.cursorSaveIntervalMs()));
        }
        return config;
    }

    /** One fsync of the change store; during a disk stall it lasts at least until the stall ends. */
    private long fsyncNanos() {
        return stalled(DiskLatency.fsyncNanos(fsyncRandom, fsyncMeanNanos));
    }

    /** One fsync of the Raft log: the same disk, drawn from its own stream so the change store's draws stay put. */
    private long raftFsyncNanos() {
        return stalled(DiskLatency.fsyncNanos(raftFsyncRandom, fsyncMeanNanos));
    }

    private long stalled(long nanos) {
        return stalledFsyncNanos(nanos, stalledUntilNanos, scheduler.readyNanos());
    }

    /**
     * How long an fsync of {@code nanos} takes when the disk answers nothing until {@code stalledUntilNanos} and it
     * starts at {@code startNanos}: from when the thread is free, not from the event's start, so the second of two
     * blocking fsyncs in one event begins when the first returns and a stall holds the thread until its end (plus
     * latency), not once per call.
     */
    static long stalledFsyncNanos(long nanos, long stalledUntilNanos, long startNanos) {
        return Math.max(nanos, stalledUntilNanos - startNanos);
    }

    /**
     * The disk stops answering until {@code untilNanos} (a cloud volume's hiccup, a saturated device): every fsync
     * that starts before then, in the background or blocking the node thread, completes no earlier.
     */
    void stallDisk(long untilNanos) {
        stalledUntilNanos = Math.max(stalledUntilNanos, untilNanos);
    }

    /** Whether the running process is inside a blocking call now (a crash then waits until it returns). */
    long busyUntilNanos() {
        return up && scheduler.busy() ? scheduler.readyNanos() : -1;
    }

    /** The process dies: memory, queued events, connections and unsynced writes are gone; the disk stays. */
    void crash(String why) {
        if (!up) {
            return;
        }
        rejectedBefore += rejectedNow();
        snapshotsBefore += core.snapshotsStarted();
        scheduler.kill();
        sim.network().crash(index);
        simStore.crash();
        if (consensus != null) {
            consensus.crash(); // kill -9: its timers and queued tasks are gone (with the scheduler's)
            consensus = null;
        }
        raftStore.crash(); // what was not flushed is lost
        if (agentHost != null) {
            agentHost.nodeKilled(); // the watchdog's pipe closes with the process
            agentHost = null;
        }
        if (llm != null) {
            llm.close(); // its timers died with the scheduler; attempts still out end nowhere
            llm = null;
        }
        observeDown();
        state.close();
        core = null;
        state = null;
        store = null;
        simStore = null;
        net = null;
        up = false;
        sim.history().nodeEvent(sim.loop().nowMillis(), name, History.NodeEventKind.CRASH, why);
    }

    /** Frees the native document at the end of a run (the world is discarded; nothing runs afterwards). */
    void release() {
        if (up) {
            if (consensus != null) {
                consensus.crash();
            }
            scheduler.kill();
            state.close();
            up = false;
        }
    }

    private void fatal(String reason) {
        sim.history().problem(new History.Problem(sim.loop().nowMillis(), name, "fatal", reason));
        // As in production the node stops; a supervisor (systemd) starts it again a second later.
        int gen = generation;
        // After the blocking call the error came from, if any (see the crash fault in Simulation).
        sim.loop().world(scheduler.readyNanos(), "supervisor stops " + name, () -> {
            if (up && generation == gen) {
                crash("stopped after a fatal error: " + reason);
                sim.restartLater(this, 1_000, true);
            }
        });
    }

    private long rejectedNow() {
        return core != null && core.replicator() != null ? core.replicator().stats().rejected() : 0;
    }

    long snapshots() {
        return snapshotsBefore + (core != null ? core.snapshotsStarted() : 0);
    }

    long rejectedTotal() {
        return rejectedBefore + rejectedNow();
    }

    // ------------------------------------------------------------------------------ workload

    CompletableFuture<SignedChange> write(String id, String kind, String key,
                                          Function<AgentState, LocalChange> mutation) {
        return write(id, kind, key, Durability.LOCAL, mutation);
    }

    /**
     * A client's write at this node; the future completes as the client's answer does. A majority-durable write is
     * recorded with the voters the node counted over and the disks that held its change when it was acknowledged.
     */
    CompletableFuture<SignedChange> write(String id, String kind, String key, Durability durability,
                                          Function<AgentState, LocalChange> mutation) {
        History history = sim.history();
        CompletableFuture<SignedChange> answer = new CompletableFuture<>();
        boolean majority = durability == Durability.MAJORITY;
        // The planted bug: n1 answers a majority-durable write once it is durable on n1 alone.
        Durability asked = majority && index == 0 && sim.config().bugs().contains(PlantedBug.MAJORITY_ACK_AFTER_LOCAL)
                ? Durability.LOCAL : durability;
        scheduler.post("client write " + id + " " + kind + (majority ? " (majority)" : ""), () -> {
            history.writeInvoked(id, name, kind, key, sim.loop().nowMillis());
            CompletableFuture<SignedChange> ack;
            try {
                ack = core.write(mutation, asked);
            } catch (RuntimeException e) {
                history.writeFailed(id, sim.loop().nowMillis(), e.toString());
                answer.completeExceptionally(e);
                throw e;
            }
            ack.whenComplete((signed, error) -> {
                if (error != null) {
                    history.writeFailed(id, sim.loop().nowMillis(), error.toString());
                    answer.completeExceptionally(error);
                    return;
                }
                history.writeAcknowledged(id, sim.loop().nowMillis(), signed.actor(), signed.seq());
                if (majority) {
                    recordMajorityAck(id, signed);
                }
                answer.complete(signed);
            });
        });
        return answer;
    }

    /** The voters this node counts a majority over now (itself alone without consensus), and who holds the change. */
    private void recordMajorityAck(String writeId, SignedChange change) {
        List<String> voters = consensus == null ? List.of(name)
                : consensus.votingMembers().stream().map(id -> sim.nameOf(id.toString())).toList();
        List<String> holders = new java.util.ArrayList<>();
        for (SimNode n : sim.nodes()) {
            if (!n.witness && n.durableVector().get(change.actor()) >= change.seq()) {
                holders.add(n.name);
            }
        }
        sim.history().record(DurabilityRecords.MajorityAck.class, new DurabilityRecords.MajorityAck(writeId, name,
                sim.loop().nowMillis(), change.actor().hex(), change.seq(), voters, holders));
    }

    /**
     * Catches up from a majority, as a new leader does before it starts the agent, and records the outcome with what
     * this node's disk holds when it completes.
     */
    CompletableFuture<CatchUp> catchUp() {
        CompletableFuture<CatchUp> answer = new CompletableFuture<>();
        int gen = generation;
        scheduler.post("catch-up from a majority", () -> {
            long askedMs = sim.loop().nowMillis();
            CompletableFuture<CatchUp> caughtUp = index == 0
                    && sim.config().bugs().contains(PlantedBug.CATCH_UP_WITHOUT_WAITING)
                    ? CompletableFuture.completedFuture(new CatchUp(List.of(), List.of(), 0, durableVector(), 0, 0,
                    false)) // the planted bug: done without asking anyone
                    : core.catchUpFromMajority(CATCH_UP_TIMEOUT_MS);
            caughtUp.whenComplete((done, error) -> {
                if (!up || generation != gen) {
                    return;
                }
                if (error != null) {
                    sim.history().record(DurabilityRecords.CatchUpFailed.class, new DurabilityRecords.CatchUpFailed(
                            name, askedMs, sim.loop().nowMillis(), String.valueOf(error.getMessage())));
                    answer.completeExceptionally(error);
                    return;
                }
                sim.history().record(DurabilityRecords.CatchUpDone.class, new DurabilityRecords.CatchUpDone(name,
                        askedMs, sim.loop().nowMillis(), vectorHex(durableVector())));
                answer.complete(done);
            });
        });
        return answer;
    }

    /**
     * Requests an intent here (also while cut off: state is AP, only performing waits for a majority). Every voter
     * performs "job" intents and "wallet" ones (which commit prepared bytes before acting).
     */
    void requestIntent(String writeId, String intentId, String kind, String payloadJson) {
        String requester = member.identity().nodeId().toString();
        write(writeId, "intent", intentId, s -> s.requestIntent(new Intent(intentId, kind, payloadJson, requester,
                clock.nowMillis())));
        if (index == 0 && sim.config().bugs().contains(PlantedBug.UNCLAIMED_PERFORM)) {
            // The bug: perform at once, under a token no claim was committed for.
            scheduler.post("unclaimed perform " + intentId, () -> {
                long term = consensus != null ? consensus.term() : 0;
                ActionContext ctx = new ActionContext(intentId, "job", "{}", new FencingToken(term, 1), requester,
                        data -> java.util.concurrent.CompletableFuture.completedFuture(null));
                new SimExecutor(sim, name, new RecordingExecutor("job", requester, sim.ledger(), null, 0, false),
                        false).perform(ctx);
            });
        }
    }

    void readTask(String taskId) {
        scheduler.post("client read " + taskId, () ->
                sim.history().read(name, sim.loop().nowMillis(), taskId, state.task(taskId).isPresent()));
    }

    MemoryEntry memoryEntry(String id, long counter) {
        return new MemoryEntry(id, clock.nowMillis(), name, "observation", "write " + counter + " at " + name,
                List.of("sim"));
    }

    Task task(String id, String title, Task.Status status, String detail) {
        return new Task(id, title, status, clock.nowMillis(), detail);
    }

    // ------------------------------------------------------------------------------ observation

    /** After each event of this node: record a change of leader belief and claims newly applied in its journal. */
    private void observeConsensus() {
        ConsensusNode c = consensus;
        if (c == null) {
            return;
        }
        long term = c.term();
        boolean leader = c.isLeader();
        NodeId leaderId = c.leaderId().orElse(null);
        if (term != observedTerm || leader != ConsensusRecords.LEADER.equals(observedRole)
                || !java.util.Objects.equals(leaderId, observedLeader)) {
            observedTerm = term;
            observedLeader = leaderId;
            observedRole = leader ? ConsensusRecords.LEADER : roleOf(c, leaderId);
            sim.observeLeader(name, observedRole, term, leaderId);
            if (leader && term != catchUpTerm && !witness) {
                // What the agent supervisor does before it starts the agent on a new leader.
                catchUpTerm = term;
                catchUp();
            }
        }
        long applied = c.journal().lastApplied();
        if (applied != observedApplied) {
            observedApplied = applied;
            for (JournalEntry e : c.journal().entries()) {
                sim.observeClaim(name, e);
            }
        }
    }

    /**
     * MicroRaft's own role of a member that is not leader (FOLLOWER, CANDIDATE, LEARNER), read from its state rather
     * than through {@code status()}, which reads every intent in the document. The leader checks use
     * {@link ConsensusNode#isLeader()}; this is for people reading the history.
     */
    private static String roleOf(ConsensusNode c, NodeId leaderId) {
        if (c.raftNode() instanceof io.microraft.impl.RaftNodeImpl impl) {
            String role = impl.state().role().name();
            // Elected, but the node has not taken note yet (it does when MicroRaft reports the change).
            return role.equals(ConsensusRecords.LEADER) ? "ELECTED" : role;
        }
        return leaderId != null ? "FOLLOWER" : "UNKNOWN";
    }

    private void observeDown() {
        if (observedRole != null && !observedRole.equals(ConsensusRecords.DOWN)) {
            sim.observeLeader(name, ConsensusRecords.DOWN, observedTerm, null);
        }
        observedRole = ConsensusRecords.DOWN;
        observedLeader = null;
        observedApplied = -1;
    }

    /** The Raft voters this node names now, by simulator name; empty when it takes no part in consensus. */
    java.util.Optional<ConsensusRecords.MembersFinal> membersFinal() {
        if (!sim.config().consensus() || !sim.voters().contains(member.identity().nodeId())) {
            return java.util.Optional.empty();
        }
        if (!up || consensus == null) {
            return java.util.Optional.of(new ConsensusRecords.MembersFinal(name, up, ConsensusRecords.DOWN, List.of()));
        }
        var status = consensus.status();
        return java.util.Optional.of(new ConsensusRecords.MembersFinal(name, true, status.role(),
                status.voters().stream().map(sim::nameOf).toList()));
    }

    /** This voter's call ledger now (for the end of the run); empty for a node outside consensus or a witness. */
    Optional<LlmRecords.LedgerFinal> ledgerFinal() {
        if (witness || !sim.config().consensus() || !sim.voters().contains(member.identity().nodeId())) {
            return Optional.empty();
        }
        if (!up || consensus == null) {
            return Optional.of(new LlmRecords.LedgerFinal(name, false, 0, 0, 0, 0, List.of()));
        }
        LlmLedger ledger = consensus.ledger();
        long charged = 0;
        long inDoubt = 0;
        List<LlmRecords.DaySpend> spend = new java.util.ArrayList<>();
        for (SpendRow row : ledger.spend()) {
            charged += row.chargedNanoUsd();
            inDoubt += row.inDoubtNanoUsd();
            spend.add(new LlmRecords.DaySpend(row.epochDay(), row.target().providerId(), row.target().model(),
                    row.chargedNanoUsd() + row.inDoubtNanoUsd()));
        }
        return Optional.of(new LlmRecords.LedgerFinal(name, true, charged, inDoubt, ledger.reservedNanoUsd(),
                ledger.openCalls().size(), spend));
    }

    /**
     * A direct call to this node's gateway, as the agent's endpoint makes one: streamed, origin ENDPOINT (a node that
     * does not lead refuses it as NOT_LEADER). Recorded when it ends; nothing happens while the node is down.
     */
    void llmEndpointCall(String callId, String question, int maxTokens) {
        if (!up) {
            return;
        }
        scheduler.post("endpoint llm call " + callId, () -> {
            if (llm == null) {
                return;
            }
            CallRequest request = new CallRequest(callId, LedgerOp.Origin.ENDPOINT, SimLlm.MODEL,
                    ChatRequest.builder().messages(UserMessage.from(question)).build(), maxTokens, true,
                    java.util.OptionalLong.empty());
            new RecordingLlmCalls(sim, name, llm).call(request, text -> true);
        });
    }

    /** The running process's LLM gateway, or null. */
    LlmGateway llm() {
        return llm;
    }

    /** What this node's document holds about intents now (for the end of the run). */
    ConsensusRecords.IntentsFinal intentsFinal() {
        if (!up) {
            return new ConsensusRecords.IntentsFinal(name, false, java.util.Set.of(), Map.of());
        }
        TreeSet<String> ids = new TreeSet<>();
        state.intents().forEach(i -> ids.add(i.id()));
        Map<String, ConsensusRecords.OutcomeSeen> outcomes = new java.util.TreeMap<>();
        for (Outcome o : state.outcomes()) {
            outcomes.put(o.intentId(), new ConsensusRecords.OutcomeSeen(o.status(), sim.nameOf(o.performedBy()),
                    o.term(), o.index()));
        }
        return new ConsensusRecords.IntentsFinal(name, true, ids, outcomes);
    }

    /** Whether this node's document shows an outcome for every intent it knows and for each of {@code ids}. */
    boolean outcomesFor(java.util.Collection<String> ids) {
        if (!up || state.pendingIntentCount() > 0) {
            return false;
        }
        for (String id : ids) {
            if (!state.hasOutcome(id)) {
                return false;
            }
        }
        return true;
    }

    /** The consensus member of the running process, or null. */
    ConsensusNode consensus() {
        return consensus;
    }

    /** The node core of the running process, or null when down. */
    NodeCore core() {
        return core;
    }

    /** The running process's scheduler (its node thread), or null when down. */
    SimScheduler scheduler() {
        return up ? scheduler : null;
    }

    /** The Raft log's disk (it outlives the processes). */
    SimulatedRaftStore raftStore() {
        return raftStore;
    }

    /** The outcome this node's document holds for {@code intentId}, if it is up and has one. */
    Optional<Outcome> outcome(String intentId) {
        return up ? state.outcome(intentId) : Optional.empty();
    }

    /** Durable changes on this node's disk (also while it is down). */
    VersionVector durableVector() {
        return disk.durableVector();
    }

    List<String> heads() {
        return state.heads();
    }

    int pendingChanges() {
        return state.pendingChanges();
    }

    History.NodeFinal finalState() {
        if (!up) {
            return new History.NodeFinal(name, false, List.of(), null, vectorHex(durableVector()), java.util.Set.of(),
                    java.util.Set.of(), null, 0, rejectedTotal());
        }
        StateView view = state.view();
        TreeSet<String> memoryIds = new TreeSet<>();
        view.memory().forEach(m -> memoryIds.add(m.id()));
        TreeSet<String> taskIds = new TreeSet<>();
        view.tasks().forEach(t -> taskIds.add(t.id()));
        return new History.NodeFinal(name, true, state.heads(), sha256(view.toString()), vectorHex(durableVector()),
                memoryIds, taskIds, view.notes(), state.pendingChanges(), rejectedTotal());
    }

    static Map<String, Long> vectorHex(VersionVector v) {
        Map<String, Long> out = new LinkedHashMap<>();
        v.seqs().forEach((actor, seq) -> out.put(actor.hex(), seq));
        return out;
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
