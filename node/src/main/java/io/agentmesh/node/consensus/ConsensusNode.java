package io.agentmesh.node.consensus;

import io.agentmesh.node.port.Failures;
import io.agentmesh.protocol.time.Clock;
import io.agentmesh.node.port.Scheduler;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.state.Intent;
import io.agentmesh.state.Outcome;
import io.agentmesh.state.Schedule;
import io.microraft.RaftEndpoint;
import io.microraft.RaftNode;
import io.microraft.RaftRole;
import io.microraft.model.message.RaftMessage;
import io.microraft.persistence.RestoredRaftState;
import io.microraft.report.RaftNodeReport;
import io.microraft.statemachine.StateMachine;
import io.microraft.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

import io.agentmesh.node.actions.ActionCoordinator;
import io.agentmesh.node.actions.ActionExecutor;
import io.agentmesh.node.actions.ActionJournal;
import io.agentmesh.node.actions.JournalEntry;
import io.agentmesh.node.actions.JournalResult;
import io.agentmesh.node.llm.ledger.LedgerOp;
import io.agentmesh.node.llm.ledger.LedgerResult;
import io.agentmesh.node.llm.ledger.LlmLedger;
import io.agentmesh.node.schedules.ScheduleExpander;
import io.agentmesh.node.schedules.ScheduleRunner;
import io.agentmesh.node.wallet.ledger.WalletLedger;
import io.agentmesh.node.wallet.ledger.WalletOp;
import io.agentmesh.node.wallet.ledger.WalletResult;
/**
 * One node's consensus: a MicroRaft node on the node thread ({@link RaftExecutor}, {@link DilatedClock}), over the
 * mesh ({@link MeshTransport}), on a durable log ({@link RaftLogStore} behind {@link FailStopRaftStore}), with the
 * {@link ActionJournal}, the LLM call ledger ({@link LlmLedger}) and the wallet ledger ({@link WalletLedger}) as state
 * machine ({@link ServerStateMachine}) and an
 * {@link ActionCoordinator} performing actions while leader. This is the one class the node core talks to.
 *
 * <p>What the node core does (all on the node thread):
 * <ul>
 *   <li>build it with {@link #builder()} and call {@link #start()} once;</li>
 *   <li>hand every {@code WireMessage.Consensus} payload to {@link #handle(NodeId, byte[])}; a {@link CodecException}
 *       means a malformed or misattributed message (count it, log once, drop);</li>
 *   <li>call {@link #nudge()} when intents may have changed (local request, gossip applied), so the leader looks at
 *       once instead of at its next poll;</li>
 *   <li>on SIGTERM, {@link #handOver()} then {@link #stop()}, then close the store;</li>
 *   <li>read {@link #status()} for {@code agentmesh status}, and get leader changes through the builder's
 *       {@code onLeaderChange};</li>
 *   <li>as leader, submit the LLM gateway's ledger operations with {@link #submitLedger}, and read the ledger with
 *       {@link #ledger()} on any member;</li>
 *   <li>as leader, submit the wallet's operations with {@link #submitWallet}, and read the wallet ledger with
 *       {@link #wallet()} on any member.</li>
 * </ul>
 * The simulator uses {@link #crash()} for kill -9 (and its own in-memory Raft store, which loses what was not flushed).
 *
 * <p>A witness (builder's {@code witness}, from a WITNESS certificate) runs the same Raft member with a state machine
 * that keeps nothing ({@link WitnessStateMachine}), no action loop and no schedules, and never asks for votes
 * ({@link WitnessTransport}); no member hands leadership to a witness.
 */
public final class ConsensusNode {
    private static final Logger log = LoggerFactory.getLogger(ConsensusNode.class);
    private static final long DRAIN_POLL_MS = 10;
    /** Role changes and applied claims kept for {@link #events()}: minutes of a busy node, a few hundred KB. */
    private static final int EVENTS_KEPT = 4_096;
    /** Leader changes kept for the operator's timeline: days of a healthy mesh, a few KB. */
    private static final int LEADER_HISTORY_KEPT = 64;

    /** A role, term or leader change seen on this node. {@code leader} is null when none is known. */
    public record LeaderChange(NodeId node, String role, long term, NodeId leader) {
    }

    private final NodeId self;
    private final MeshEndpoint selfEndpoint;
    private final List<NodeId> founders;
    private final Supplier<List<Enrolled>> enrolled;
    private final BiConsumer<NodeId, byte[]> send;
    private final String groupId;
    private final RaftLogStore store;
    private final Scheduler scheduler;
    private final Random random;
    private final ConsensusConfig config;
    private final Consumer<String> onFatal;
    private final Consumer<LeaderChange> onLeaderChange;
    private final Supplier<List<Intent>> pendingIntents;
    private final Predicate<NodeId> reachable;
    private final RaftCodec codec = new RaftCodec();
    private final MeshTransport transport;
    private final RaftExecutor executor;
    private final DilatedClock raftClock;
    private final ElectionLiveness liveness;
    private final StaleResponseFilter staleResponses;
    private final ActionJournal journal;
    /** The LLM call ledger: the other half of the state machine, next to the journal. */
    private final LlmLedger ledger = new LlmLedger();
    /** The wallet ledger: the third part of the state machine. */
    private final WalletLedger wallet = new WalletLedger();
    private final ActionCoordinator coordinator;
    /** Witness mode: keeps the log only ({@link WitnessStateMachine}), never stands for election, never performs. */
    private final boolean witness;
    private final WitnessStateMachine witnessMachine = new WitnessStateMachine();
    private final Clock clock;
    private final ConsensusEvents events;
    private final LeaderHistory leaderHistory = new LeaderHistory(LEADER_HISTORY_KEPT);
    private final Map<String, NodeId> knownIds = new LinkedHashMap<>();
    private final ScheduleRunner schedules;
    private final long scheduleTickMs;
    private Scheduler.Cancellable scheduleTimer;
    private final long discoveryIntervalMs;
    private final long reconcileIntervalMs;
    private GroupDiscovery discovery;
    private String refusal;
    private boolean membershipChangeInFlight;
    private final Function<List<NodeId>, CompletableFuture<?>> beforeVoterChange;
    private Scheduler.Cancellable membershipTimer;
    private boolean started;
    private RaftNode raftNode;
    private RaftRole role;
    private int term;
    private RaftEndpoint leader;
    private boolean stopped;

    private ConsensusNode(Builder b) {
        this.self = Objects.requireNonNull(b.self, "self");
        this.selfEndpoint = MeshEndpoint.of(self);
        this.founders = List.copyOf(Objects.requireNonNull(b.founders, "founders"));
        this.enrolled = Objects.requireNonNull(b.enrolled, "enrolled");
        this.send = Objects.requireNonNull(b.send, "send");
        this.discoveryIntervalMs = b.discoveryIntervalMs;
        this.reconcileIntervalMs = b.reconcileIntervalMs;
        this.beforeVoterChange = Objects.requireNonNull(b.beforeVoterChange, "beforeVoterChange");
        this.groupId = Objects.requireNonNull(b.groupId, "groupId");
        this.store = Objects.requireNonNull(b.store, "store");
        this.scheduler = Objects.requireNonNull(b.scheduler, "scheduler");
        this.clock = Objects.requireNonNull(b.clock, "clock");
        this.events = new ConsensusEvents(clock.nowMillis(), EVENTS_KEPT);
        this.random = Objects.requireNonNull(b.random, "random");
        this.config = Objects.requireNonNull(b.config, "config");
        this.onFatal = Objects.requireNonNull(b.onFatal, "onFatal");
        this.onLeaderChange = b.onLeaderChange;
        this.pendingIntents = Objects.requireNonNull(b.pendingIntents, "pendingIntents");
        this.reachable = Objects.requireNonNull(b.reachable, "reachable");
        this.transport = new MeshTransport(codec, send, reachable);
        this.executor = new RaftExecutor(scheduler, config.timeDilation(), config.electionJitterMs(), random);
        this.raftClock = new DilatedClock(clock, config.timeDilation());
        this.liveness = new ElectionLiveness(self.shortForm(), executor, raftClock, config, () -> raftNode,
                this::witnesses);
        executor.replaceCandidateRoundTimeout(liveness::candidateRoundTimedOut);
        executor.gateHeartbeatTicks(liveness::heartbeatTickDeferralMs);
        this.staleResponses = new StaleResponseFilter(() -> raftNode);
        this.journal = new ActionJournal(config.journalRetainCompleted());
        this.coordinator = new ActionCoordinator(self.toString(), journal, b.executors, pendingIntents,
                Objects.requireNonNull(b.outcomes, "outcomes"), Objects.requireNonNull(b.recordedOutcome,
                "recordedOutcome"), this::isReachableMember, scheduler, clock, config.maxInFlightActions(),
                config.pollIntervalMs(), ActionCoordinator.DEFAULT_HOLDER_WAIT_MS);
        if (!founders.isEmpty() && !founders.contains(self)) {
            throw new IllegalArgumentException("a founding list names its own node; " + self + " is not in "
                    + founders);
        }
        this.witness = b.witness;
        if (witness && !b.executors.isEmpty()) {
            throw new IllegalArgumentException("a witness performs nothing; it takes no executors");
        }
        if (witness && founders.equals(List.of(self))) {
            throw new IllegalArgumentException("a witness never founds a group alone (it would lead it); give it"
                    + " the servers it votes with as peers");
        }
        this.scheduleTickMs = b.scheduleTickMs;
        this.schedules = b.schedules == null ? null
                : new ScheduleRunner(new ScheduleExpander(b.scheduleGraceMillis, b.scheduleMaxCatchUp), b.schedules,
                        Objects.requireNonNull(b.intentExists, "intentExists"),
                        Objects.requireNonNull(b.requestIntent, "requestIntent"), clock);
        knownIds.put(self.toString(), self);
        founders.forEach(v -> {
            knownIds.put(v.toString(), v);
            transport.register(v);
        });
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Restores from the store if it holds state (a restart); otherwise asks the peers which group they are in and
     * joins it, or founds one with the builder's founders ({@link GroupDiscovery}). Then starts Raft, the action loop
     * and, on the leader, the matching of Raft members to enrollment ({@link MembershipReconciler}). Node thread.
     *
     * @throws IOException if the store cannot be read, or belongs to another node
     */
    public void start() throws IOException {
        if (started) {
            throw new IllegalStateException("already started");
        }
        started = true;
        Optional<RestoredRaftState> restored = store.restore();
        if (restored.isPresent()) {
            startRaft(restored, List.of());
        } else {
            discovery = new GroupDiscovery(groupId, selfEndpoint, founders.stream()
                    .map(f -> (RaftEndpoint) MeshEndpoint.of(f)).toList());
            discover();
        }
    }

    /** Asks the founders and every connected enrolled node which group they are in, until it can decide. */
    private void discover() {
        if (stopped || raftNode != null || refusal != null) {
            return;
        }
        if (decideDiscovery(discovery.decide())) {
            return;
        }
        byte[] query = codec.encodeGroupMessage(discovery.query());
        java.util.Set<NodeId> asked = new java.util.TreeSet<>();
        founders.forEach(asked::add);
        enrolled.get().stream().filter(Enrolled::connected).map(Enrolled::node).forEach(asked::add);
        asked.remove(self);
        asked.forEach(peer -> send.accept(peer, query));
        scheduler.schedule(this::discover, discoveryIntervalMs);
    }

    /** Acts on a discovery decision, if there is one; true when discovery is over. */
    private boolean decideDiscovery(Optional<GroupDiscovery.Decision> decision) {
        if (decision.isEmpty()) {
            return false;
        }
        switch (decision.get()) {
            case GroupDiscovery.Decision.Refuse r -> {
                refusal = r.reason();
                log.error("consensus: {} takes no part in consensus: {}", self.shortForm(), r.reason());
            }
            case GroupDiscovery.Decision.Start s -> {
                log.info("consensus: {} {} the Raft group of {}", self.shortForm(),
                        s.founded() ? "founds" : "joins", s.initialMembers());
                try {
                    startRaft(Optional.empty(), s.initialMembers());
                } catch (IOException e) {
                    fatal("the Raft log could not be started: " + e.getMessage());
                }
            }
        }
        return true;
    }

    private void startRaft(Optional<RestoredRaftState> restored, List<RaftEndpoint> initialMembers)
            throws IOException {
        RaftNode.RaftNodeBuilder builder = RaftNode.newBuilder()
                .setGroupId(groupId)
                .setConfig(config.toRaftConfig())
                .setExecutor(executor)
                .setTransport(observed(witness ? new WitnessTransport(transport) : transport))
                .setStateMachine(witness ? witnessMachine : new ObservedJournal())
                .setStore(new FailStopRaftStore(store, this::fatal))
                .setModelFactory(codec.modelFactory())
                .setRaftNodeReportListener(this::onReport)
                .setRandom(random)
                .setClock(raftClock);
        if (restored.isPresent()) {
            RaftEndpoint stored = restored.get().getLocalEndpointPersistentState().getLocalEndpoint();
            if (!selfEndpoint.equals(stored)) {
                throw new IOException("the Raft log belongs to " + stored + ", not to this node " + self);
            }
            builder.setRestoredState(restored.get());
            log.info("consensus: {} restarts at term {} with {} log entries{}", self.shortForm(),
                    restored.get().getTermPersistentState().getTerm(), restored.get().getLogEntries().size(),
                    restored.get().getSnapshotEntry() == null ? ""
                            : " after a snapshot at " + restored.get().getSnapshotEntry().getIndex());
        } else {
            builder.setLocalEndpoint(selfEndpoint).setInitialGroupMembers(initialMembers);
        }
        raftNode = builder.build();
        raftNode.start();
        if (!witness) {
            coordinator.start(op -> raftNode.replicate(op));
            scheduleSchedules();
        }
        scheduleMembership();
    }

    private void scheduleMembership() {
        if (stopped) {
            return;
        }
        membershipTimer = scheduler.schedule(() -> {
            if (isLeader() && !membershipChangeInFlight) {
                reconcileMembership();
            }
            scheduleMembership();
        }, reconcileIntervalMs);
    }

    /** On the leader: one membership change towards what enrollment says, if one is due ({@link MembershipReconciler}). */
    private void reconcileMembership() {
        membershipChangeInFlight = true;
        raftNode.getReport().whenComplete((ordered, error) -> scheduler.execute(() -> {
            if (error != null || stopped || !isLeader()) {
                membershipChangeInFlight = false;
                return;
            }
            RaftNodeReport report = ordered.getResult();
            var committed = report.getCommittedMembers();
            if (committed.getLogIndex() != report.getEffectiveMembers().getLogIndex()) {
                membershipChangeInFlight = false; // a change is still being committed
                return;
            }
            var group = new MembershipReconciler.Group(committed.getMembers(), committed.getVotingMembers(),
                    report.getLog().getFollowerMatchIndices(), report.getLog().getCommitIndex());
            Optional<MembershipReconciler.Change> change = MembershipReconciler.next(group, enrolled.get());
            if (change.isEmpty()) {
                membershipChangeInFlight = false;
                return;
            }
            MembershipReconciler.Change c = change.get();
            List<NodeId> nextVoters = nextVoters(committed.getVotingMembers(), c);
            if (nextVoters.equals(ids(committed.getVotingMembers()))) {
                changeMembership(c, committed.getLogIndex());
                return;
            }
            // The voters change: first make what a majority acknowledged safe under the next voters, since the
            // agent's state is gossiped, not carried in this log (docs/consensus.md, "A change of the voters waits
            // for the agent's state").
            beforeVoterChange.apply(nextVoters).whenComplete((ok, e) -> scheduler.execute(() -> {
                if (e != null || stopped || !isLeader()) {
                    membershipChangeInFlight = false;
                    if (e != null) {
                        log.info("consensus: {} waits to {} {} ({}): {}", self.shortForm(), describe(c.mode()),
                                c.endpoint(), c.reason(), Failures.message(e));
                    }
                    return;
                }
                // Proposed against the configuration read before the wait: a change made meanwhile fails it.
                changeMembership(c, committed.getLogIndex());
            }));
        }));
    }

    private void changeMembership(MembershipReconciler.Change c, long expectedIndex) {
        raftNode.changeMembership(c.endpoint(), c.mode(), expectedIndex)
                .whenComplete((members, e) -> scheduler.execute(() -> {
                    membershipChangeInFlight = false;
                    if (e != null) {
                        // Retried at the next round; MicroRaft refuses a change until the leader has committed an
                        // entry of its term, and a leader change fails the one in flight.
                        log.debug("consensus: {} could not {} {}: {}", self.shortForm(), describe(c.mode()),
                                c.endpoint(), e.toString());
                    } else {
                        log.info("consensus: {} {} {} ({}); voters now {}", self.shortForm(), describe(c.mode()),
                                c.endpoint(), c.reason(), members.getResult().getVotingMembers());
                    }
                }));
    }

    /** The voters once {@code c} is made. */
    private List<NodeId> nextVoters(Collection<RaftEndpoint> voters, MembershipReconciler.Change c) {
        java.util.TreeSet<NodeId> next = new java.util.TreeSet<>(ids(voters));
        NodeId node = idOf(c.endpoint());
        switch (c.mode()) {
            case ADD_OR_PROMOTE_TO_FOLLOWER -> next.add(node);
            case REMOVE_MEMBER -> next.remove(node);
            case ADD_LEARNER -> {
            }
        }
        return List.copyOf(next);
    }

    private List<NodeId> ids(Collection<RaftEndpoint> endpoints) {
        java.util.TreeSet<NodeId> out = new java.util.TreeSet<>();
        endpoints.forEach(e -> out.add(idOf(e)));
        return List.copyOf(out);
    }

    private NodeId idOf(RaftEndpoint e) {
        return knownIds.computeIfAbsent((String) e.getId(), NodeId::parse);
    }

    private static String describe(io.microraft.MembershipChangeMode mode) {
        return switch (mode) {
            case ADD_LEARNER -> "add as a learner";
            case ADD_OR_PROMOTE_TO_FOLLOWER -> "promote to voter";
            case REMOVE_MEMBER -> "remove";
        };
    }

    /** What this node answers a {@link GroupMessage.Query}. */
    private GroupMessage.Info groupInfo() {
        if (raftNode == null) {
            return discovery == null ? new GroupDiscovery(groupId, selfEndpoint, List.of()).notInGroup()
                    : discovery.notInGroup();
        }
        var committed = raftNode.getCommittedMembers();
        return new GroupMessage.Info(groupId, selfEndpoint, founders.stream()
                .map(f -> (RaftEndpoint) MeshEndpoint.of(f)).toList(),
                List.copyOf(raftNode.getInitialMembers().getMembers()), List.copyOf(committed.getMembers()),
                List.copyOf(committed.getVotingMembers()), committed.getLogIndex());
    }

    private void scheduleSchedules() {
        if (schedules == null || stopped) {
            return;
        }
        scheduleTimer = scheduler.schedule(() -> {
            if (isLeader() && schedules.tick() > 0) {
                coordinator.nudge();
            }
            scheduleSchedules();
        }, scheduleTickMs);
    }

    private void cancelSchedules() {
        if (scheduleTimer != null) {
            scheduleTimer.cancel();
            scheduleTimer = null;
        }
    }

    /**
     * A consensus payload from an authenticated peer. Node thread.
     *
     * @throws CodecException if it does not decode, is for another group, or names a sender other than {@code from}
     *                        (a peer must not speak for another member)
     */
    public void handle(NodeId from, byte[] payload) {
        Object decoded = codec.decodePayload(payload);
        if (decoded instanceof GroupMessage g) {
            handleGroupMessage(from, g);
            return;
        }
        RaftMessage message = (RaftMessage) decoded;
        if (!groupId.equals(message.getGroupId())) {
            throw new CodecException("consensus message for group " + message.getGroupId() + "; this node is in "
                    + groupId);
        }
        if (!from.toString().equals(message.getSender().getId())) {
            throw new CodecException("consensus message from " + from + " claims to come from "
                    + message.getSender().getId());
        }
        if (witness && message instanceof io.microraft.model.message.TriggerLeaderElectionRequest) {
            log.warn("consensus: {} is a witness and never leads; ignored {}'s request to take over", self.shortForm(),
                    from.shortForm());
            return;
        }
        if (raftNode == null || stopped) {
            return;
        }
        if (staleResponses.isStale(message)) {
            return;
        }
        message = CommitIndexClamp.clamp(message, codec.modelFactory());
        liveness.beforeHandle(message);
        raftNode.handle(message);
        liveness.afterHandle(message);
    }

    private void handleGroupMessage(NodeId from, GroupMessage message) {
        if (!groupId.equals(message.groupId())) {
            throw new CodecException("group message for group " + message.groupId() + "; this node is in " + groupId);
        }
        if (!from.toString().equals(message.sender().nodeId())) {
            throw new CodecException("group message from " + from + " claims to come from " + message.sender());
        }
        if (stopped) {
            return;
        }
        switch (message) {
            case GroupMessage.Query q -> send.accept(from, codec.encodeGroupMessage(groupInfo()));
            case GroupMessage.Info info -> {
                if (raftNode == null && discovery != null && refusal == null) {
                    List<GroupMessage.Info> before = discovery.disagreeing();
                    Optional<GroupDiscovery.Decision> decision = discovery.onInfo(info);
                    if (discovery.disagreeing().size() > before.size()) {
                        log.warn("consensus: {} cannot found a group with {}: its founding list is {}, this node's"
                                + " is {}; give every founding node the same --peer list", self.shortForm(),
                                info.sender(), info.founders(), founders);
                    }
                    decideDiscovery(decision);
                }
            }
        }
    }

    /** Intents may have changed; the leader looks at once. Any thread. */
    public void nudge() {
        coordinator.nudge();
    }

    /**
     * Graceful shutdown, as leader: stops claiming, lets the actions in flight finish and complete (at most {@code
     * drainMs}; whatever is still running then is left to the next leader to reconcile), then hands leadership to the
     * most caught-up voter that is not a witness, so the group does not wait for a failure timeout. Completes at once
     * if this node is not the leader, or if no other voter may lead; fails if the transfer does not finish (MicroRaft
     * gives up after the heartbeat timeout), in which case this node resumes its work. Follow with {@link #stop()}. Node thread.
     */
    public CompletableFuture<Void> handOver(long drainMs) {
        if (raftNode == null || role != RaftRole.LEADER || stopped) {
            return CompletableFuture.completedFuture(null);
        }
        coordinator.drain();
        cancelSchedules();
        CompletableFuture<Void> done = new CompletableFuture<>();
        drainThenTransfer(done, drainMs);
        return done;
    }

    /** {@link #handOver(long)} with up to 5 s for actions in flight. */
    public CompletableFuture<Void> handOver() {
        return handOver(5_000);
    }

    private void drainThenTransfer(CompletableFuture<Void> done, long remainingMs) {
        if (coordinator.inFlight() > 0 && remainingMs > 0 && role == RaftRole.LEADER && !stopped) {
            scheduler.schedule(() -> drainThenTransfer(done, remainingMs - DRAIN_POLL_MS), DRAIN_POLL_MS);
            return;
        }
        coordinator.stop(); // start nothing more here
        if (role != RaftRole.LEADER || stopped) {
            done.complete(null);
            return;
        }
        transfer(done);
    }

    private void transfer(CompletableFuture<Void> done) {
        raftNode.getReport().whenComplete((ordered, error) -> scheduler.execute(() -> {
            if (error != null) {
                done.completeExceptionally(error);
                return;
            }
            Optional<RaftEndpoint> target = transferTarget(ordered.getResult());
            if (target.isEmpty()) {
                done.complete(null);
                return;
            }
            log.info("consensus: {} hands leadership to {}", self.shortForm(), target.get());
            raftNode.transferLeadership(target.get()).whenComplete((o, e) -> scheduler.execute(() -> {
                if (e != null) {
                    done.completeExceptionally(e);
                } else {
                    done.complete(null);
                }
            }));
        }));
        // If the hand-over fails and we are still running, go back to work (and to schedules).
        done.whenComplete((v, e) -> {
            if (e != null && !stopped) {
                scheduler.execute(this::resume);
            }
        });
    }

    /**
     * As leader: commits an {@link io.agentmesh.node.actions.JournalOp.AgentRun} for the agent process this node is
     * about to start; completes on the node thread with what the journal answered (the run's fence and the previous
     * run's). Fails if this node does not lead, or loses leadership before the entry commits. Node thread.
     */
    public CompletableFuture<io.agentmesh.node.actions.AgentRunResult> commitAgentRun(long stopGraceMs) {
        if (raftNode == null || stopped || witness || role != RaftRole.LEADER) {
            return CompletableFuture.failedFuture(new IllegalStateException("this node does not lead"));
        }
        Optional<io.agentmesh.node.actions.AgentFence> newest = journal.agentFence();
        io.agentmesh.node.actions.JournalOp.AgentRun op = io.agentmesh.node.actions.JournalOp.AgentRun.superseding(
                self.toString(), term, stopGraceMs, newest.map(io.agentmesh.node.actions.AgentFence::token)
                        .orElse(null), carriedIntents(newest));
        CompletableFuture<io.agentmesh.node.actions.AgentRunResult> done = new CompletableFuture<>();
        raftNode.replicate(op).whenComplete((ordered, error) -> scheduler.execute(() -> {
            if (error != null) {
                done.completeExceptionally(error);
            } else if (ordered.getResult() instanceof io.agentmesh.node.actions.AgentRunResult r) {
                done.complete(r);
            } else {
                done.completeExceptionally(new IllegalStateException("the journal answered an agent run with "
                        + ordered.getResult()));
            }
        }));
        return done;
    }

    /**
     * The intents a new run carries over from the run it supersedes (docs/agents.md, "Intents of a superseded run"):
     * those this node holds, requested under the journal's newest fence, that no claim has reached yet. This node has
     * caught up from a majority before it fences, so every majority-acknowledged one is here; the journal grants the
     * run only if {@code newest} is still its newest run when the entry applies. The oldest
     * {@link io.agentmesh.node.actions.JournalOp.AgentRun#MAX_CARRIED} at most; past that, the rest are refused
     * when claimed, and a log line says so.
     */
    private List<String> carriedIntents(Optional<io.agentmesh.node.actions.AgentFence> newest) {
        if (newest.isEmpty()) {
            return List.of();
        }
        String fence = newest.get().tokenText();
        java.util.TreeSet<String> carried = new java.util.TreeSet<>();
        int left = 0;
        for (Intent i : pendingIntents.get()) {
            if (!fence.equals(i.fence()) || journal.entry(i.id()).isPresent() || journal.isTombstoned(i.id())) {
                continue;
            }
            if (carried.size() < io.agentmesh.node.actions.JournalOp.AgentRun.MAX_CARRIED) {
                carried.add(i.id());
            } else {
                left++;
            }
        }
        if (left > 0) {
            log.warn("consensus: {} carries {} unclaimed intents of agent run {} into the new run; {} more will be"
                    + " refused as that run's", self.shortForm(), carried.size(), fence, left);
        }
        return List.copyOf(carried);
    }

    /**
     * As leader: hands leadership to the most caught-up voter that is not a witness, and keeps working meanwhile
     * (unlike {@link #handOver}, which drains and stops the action loop for shutdown). The agent runner calls it when
     * its process crash-loops here, so another server gets a chance to run it. Completes with false when there is no
     * such voter or this node does not lead; fails when MicroRaft gives up on the transfer. Node thread.
     */
    public CompletableFuture<Boolean> transferLeadership() {
        if (raftNode == null || role != RaftRole.LEADER || stopped || witness) {
            return CompletableFuture.completedFuture(false);
        }
        CompletableFuture<Boolean> done = new CompletableFuture<>();
        raftNode.getReport().whenComplete((ordered, error) -> scheduler.execute(() -> {
            if (error != null) {
                done.completeExceptionally(error);
                return;
            }
            Optional<RaftEndpoint> target = transferTarget(ordered.getResult());
            if (target.isEmpty()) {
                done.complete(false);
                return;
            }
            log.info("consensus: {} hands leadership to {} (asked by the agent runner)", self.shortForm(),
                    target.get());
            raftNode.transferLeadership(target.get()).whenComplete((o, e) -> scheduler.execute(() -> {
                if (e != null) {
                    done.completeExceptionally(e);
                } else {
                    done.complete(true);
                }
            }));
        }));
        return done;
    }

    /** The voter to hand leadership to: the most caught-up one other than this node, never a witness. */
    private Optional<RaftEndpoint> transferTarget(RaftNodeReport report) {
        Map<RaftEndpoint, Long> matches = report.getLog().getFollowerMatchIndices();
        java.util.Set<String> witnesses = witnesses();
        return report.getEffectiveMembers().getVotingMembers().stream()
                .filter(e -> !e.equals(selfEndpoint) && !witnesses.contains((String) e.getId()))
                .max(Comparator.<RaftEndpoint>comparingLong(e -> matches.getOrDefault(e, 0L))
                        .thenComparing(e -> (String) e.getId(), Comparator.reverseOrder()));
    }

    /** The enrolled witnesses' endpoint ids: they vote but must never be handed leadership. */
    private java.util.Set<String> witnesses() {
        java.util.Set<String> out = new java.util.TreeSet<>();
        for (Enrolled e : enrolled.get()) {
            if (e.role() == io.agentmesh.protocol.identity.Role.WITNESS) {
                out.add(e.node().toString());
            }
        }
        return out;
    }

    private void resume() {
        if (stopped || raftNode == null || witness) {
            return;
        }
        coordinator.start(op -> raftNode.replicate(op));
        coordinator.leadership(role == RaftRole.LEADER, term);
        if (scheduleTimer == null) {
            scheduleSchedules();
        }
    }

    /** Terminates Raft; the future completes once it has, after which the caller closes the store. Node thread. */
    public CompletableFuture<Void> stop() {
        coordinator.stop();
        cancelSchedules();
        if (raftNode == null || stopped) {
            stopped = true;
            executor.halt();
            return CompletableFuture.completedFuture(null);
        }
        stopped = true;
        CompletableFuture<Void> done = new CompletableFuture<>();
        raftNode.terminate().whenComplete((o, e) -> {
            executor.halt();
            done.complete(null);
        });
        return done;
    }

    /** kill -9 for the simulator: every queued task and timer of this node is dropped at once. */
    public void crash() {
        stopped = true;
        coordinator.stop();
        cancelSchedules();
        executor.halt();
    }

    public ConsensusStatus status() {
        int pending = 0;
        if (!stopped) {
            for (Intent i : pendingIntents.get()) {
                if (!coordinator.isInFlight(i.id())) {
                    pending++;
                }
            }
        }
        List<String> voters = List.of();
        List<String> learners = List.of();
        Optional<String> note = Optional.ofNullable(refusal);
        if (raftNode != null) {
            var committed = raftNode.getCommittedMembers();
            voters = committed.getVotingMembers().stream().map(e -> (String) e.getId()).sorted().toList();
            learners = committed.getMembers().stream().filter(e -> !committed.getVotingMembers().contains(e))
                    .map(e -> (String) e.getId()).sorted().toList();
            if (!committed.getMembers().contains(selfEndpoint) && !removed()) {
                note = Optional.of("waiting for the leader to add this node to the Raft group");
            }
        } else if (discovery != null && refusal == null) {
            note = Optional.of(founders.isEmpty() ? "asking peers which Raft group to join"
                    : "waiting for founders " + discovery.waitingFor() + " to answer with the same founding list");
        }
        return new ConsensusStatus(roleName(), leaderId(), term,
                witness ? witnessMachine.lastApplied() : Math.max(journal.lastApplied(), Math.max(ledger.lastApplied(), wallet.lastApplied())),
                pending,
                coordinator.inFlight(), journal.completedCount(), voters, learners, note,
                liveness.stuckFollowerResets(), liveness.higherTermsAdopted(),
                liveness.candidateRoundsRetriedWithPreVote(), liveness.voteTimerResets(),
                liveness.staggeredTicks());
    }

    private String roleName() {
        if (stopped) {
            return "STOPPED";
        }
        if (raftNode == null) {
            return refusal != null ? "REFUSED" : discovery != null ? "DISCOVERING" : "INITIAL";
        }
        if (removed()) {
            return "REMOVED";
        }
        return role == null ? "INITIAL" : role.name();
    }

    /** Whether this node was taken out of the group (MicroRaft terminates a member when its removal commits). */
    private boolean removed() {
        return raftNode != null && raftNode.getStatus() == io.microraft.RaftNodeStatus.TERMINATED;
    }

    public boolean isLeader() {
        return !stopped && role == RaftRole.LEADER;
    }

    /**
     * The committed voting members (witnesses included), sorted; empty before this node is in a group, after it was
     * removed from it, or once it stopped. Cheaper than {@link #status()}, which reads every intent. Node thread.
     */
    public List<NodeId> votingMembers() {
        return committedVoters().voters();
    }

    /** The committed voter configuration ({@link VoterSet#NONE} when {@link #votingMembers()} is empty). Node thread. */
    public VoterSet committedVoters() {
        if (stopped || raftNode == null || removed()) {
            return VoterSet.NONE;
        }
        var members = raftNode.getCommittedMembers();
        return new VoterSet(members.getLogIndex(), ids(members.getVotingMembers()));
    }

    /**
     * The effective voter configuration: the newest in this member's log, committed or not (Raft counts its
     * majorities over it). {@link VoterSet#NONE} when not in a group. Node thread.
     */
    public VoterSet effectiveVoters() {
        if (stopped || raftNode == null || removed()) {
            return VoterSet.NONE;
        }
        var members = raftNode.getEffectiveMembers();
        return new VoterSet(members.getLogIndex(), ids(members.getVotingMembers()));
    }

    /** A claim holder is alive for the action loop when it is another known member connected to this node. */
    private boolean isReachableMember(String nodeIdText) {
        NodeId id = knownIds.get(nodeIdText);
        if (id == null) {
            // A holder that joined after this node started: holders are members, so the map stays member-sized.
            try {
                id = NodeId.parse(nodeIdText);
            } catch (RuntimeException e) {
                return false;
            }
            knownIds.put(nodeIdText, id);
        }
        return !id.equals(self) && reachable.test(id);
    }

    /** Whether this member is a witness: it keeps the Raft log only, never leads and never performs. */
    public boolean isWitness() {
        return witness;
    }

    public Optional<NodeId> leaderId() {
        if (leader == null) {
            return Optional.empty();
        }
        String id = (String) leader.getId();
        NodeId known = knownIds.get(id);
        return Optional.of(known != null ? known : NodeId.parse(id));
    }

    public long term() {
        return term;
    }

    public NodeId self() {
        return self;
    }

    public ActionJournal journal() {
        return journal;
    }

    /** The LLM call ledger as applied here (empty on a witness, which keeps nothing). Read on the node thread. */
    public LlmLedger ledger() {
        return ledger;
    }

    /**
     * As leader: replicates one ledger operation; completes ON THE NODE THREAD with what the ledger answered (a
     * refusal is a {@link LedgerResult.Rejected} result, not a failure). Fails at once with an
     * {@link IllegalStateException} when this node does not lead (or is a witness, or is not started or stopped), and
     * later with MicroRaft's exception when the entry cannot be committed (leadership lost, log full, indeterminate).
     * Node thread.
     */
    public CompletableFuture<LedgerResult> submitLedger(LedgerOp op) {
        return submitToStateMachine(op, LedgerResult.class, "the LLM ledger");
    }

    /**
     * As leader: commits the journal's barrier, a {@link io.agentmesh.node.actions.JournalOp.NewTerm} of this term;
     * completes on the node thread once it commits, when every entry before it is applied here (the journal's, the
     * ledgers' and the wallet's). Fails when this node does not lead. Node thread.
     */
    public CompletableFuture<Void> commitTermBarrier() {
        if (raftNode == null || stopped || role != RaftRole.LEADER) {
            return CompletableFuture.failedFuture(new IllegalStateException("not the leader"));
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            raftNode.replicate(io.agentmesh.node.actions.JournalOp.NewTerm.INSTANCE).whenComplete((ordered, error) ->
                    scheduler.execute(() -> {
                        if (error != null) {
                            done.completeExceptionally(error);
                        } else {
                            done.complete(null);
                        }
                    }));
        } catch (RuntimeException e) {
            done.completeExceptionally(e);
        }
        return done;
    }

    /** The wallet ledger as applied here (empty on a witness, which keeps nothing). Read on the node thread. */
    public WalletLedger wallet() {
        return wallet;
    }

    /**
     * As leader: replicates one wallet operation; completes ON THE NODE THREAD with what the wallet ledger answered (a
     * refusal is a {@link WalletResult.Refused} result, not a failure). Fails at once with an
     * {@link IllegalStateException} when this node does not lead (or is a witness, or is not started or stopped), and
     * later with MicroRaft's exception when the entry cannot be committed (leadership lost, log full, indeterminate:
     * then the spend driver must not broadcast, and re-proposes the identical operation, which the ledger answers
     * as a duplicate if the first one did commit). Node thread.
     */
    public CompletableFuture<WalletResult> submitWallet(WalletOp op) {
        return submitToStateMachine(op, WalletResult.class, "the wallet ledger");
    }

    /**
     * Replicates {@code op} as leader and completes on the node thread with the state machine's answer, which must
     * be a {@code resultType} (anything else is a bug in the state machine, reported as a failure naming it).
     */
    private <R> CompletableFuture<R> submitToStateMachine(Object op, Class<R> resultType, String part) {
        Objects.requireNonNull(op, "op");
        if (raftNode == null || stopped || witness || role != RaftRole.LEADER) {
            return CompletableFuture.failedFuture(new IllegalStateException(part + " takes operations on the leader"
                    + " only; " + self.shortForm() + " is " + roleName()
                    + leaderId().map(l -> " (the leader is " + l + ")").orElse("")));
        }
        CompletableFuture<R> done = new CompletableFuture<>();
        CompletableFuture<? extends io.microraft.Ordered<Object>> replicated;
        try {
            replicated = raftNode.replicate(op);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        replicated.whenComplete((ordered, error) -> scheduler.execute(() -> {
            if (error != null) {
                done.completeExceptionally(error);
            } else if (resultType.isInstance(ordered.getResult())) {
                done.complete(resultType.cast(ordered.getResult()));
            } else {
                done.completeExceptionally(new IllegalStateException(part + " answered " + op.getClass()
                        .getSimpleName() + " with " + ordered.getResult()));
            }
        }));
        return done;
    }

    /** This member's role changes and applied claims after {@code afterSeq}, on this node's clock. Node thread. */
    public ConsensusEvents.Page events(long afterSeq) {
        return events.after(afterSeq, clock.nowMillis());
    }

    /** Who led, term by term, as this node saw it (newest last, bounded). Node thread. */
    public List<LeaderHistory.Entry> leaderHistory() {
        return leaderHistory.entries();
    }

    public ActionCoordinator coordinator() {
        return coordinator;
    }

    /** The MicroRaft node, for advanced use and tests; null before {@link #start()}. */
    public RaftNode raftNode() {
        return raftNode;
    }

    /** {@code mesh} with each message MicroRaft sends shown to {@link ElectionLiveness} first. */
    private Transport observed(Transport mesh) {
        return new Transport() {
            @Override
            public void send(RaftEndpoint target, RaftMessage message) {
                liveness.beforeSend(message);
                mesh.send(target, message);
            }

            @Override
            public boolean isReachable(RaftEndpoint endpoint) {
                return mesh.isReachable(endpoint);
            }
        };
    }

    private void onReport(RaftNodeReport report) {
        RaftRole newRole = report.getRole();
        int newTerm = report.getTerm().getTerm();
        RaftEndpoint newLeader = report.getTerm().getLeaderEndpoint();
        if (newRole == role && newTerm == term && Objects.equals(newLeader, leader)) {
            return;
        }
        role = newRole;
        term = newTerm;
        leader = newLeader;
        if (newLeader != null) {
            executor.leaderKnown();
        }
        coordinator.leadership(newRole == RaftRole.LEADER && !stopped, newTerm);
        events.roleChanged(clock.nowMillis(), newRole.name(), newTerm, leaderId().map(NodeId::toString).orElse(null));
        leaderHistory.observe(clock.nowMillis(), newTerm, leaderId().map(NodeId::toString).orElse(null));
        if (onLeaderChange != null) {
            LeaderChange change = new LeaderChange(self, newRole.name(), newTerm, leaderId().orElse(null));
            // Hop: the report arrives inside a MicroRaft task; the node core's reaction must not run inside it.
            try {
                scheduler.execute(() -> onLeaderChange.accept(change));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // The node thread has shut down (MicroRaft reports its own termination last): nothing is left to tell.
                log.debug("consensus: {} role change to {} after the node thread stopped", self.shortForm(),
                        newRole);
            }
        }
    }

    /**
     * The journal and both ledgers as MicroRaft's state machine ({@link ServerStateMachine}), noting each claim the
     * journal grants in {@link #events}: the moment a claim is applied here is the moment this node may know it is
     * committed.
     */
    private final class ObservedJournal implements StateMachine {
        private final ServerStateMachine machine = new ServerStateMachine(journal, ledger, wallet);

        @Override
        public Object runOperation(long commitIndex, Object operation) {
            Object result = machine.runOperation(commitIndex, operation);
            if (result instanceof JournalResult.Claimed c) {
                JournalEntry e = c.entry();
                events.claimApplied(clock.nowMillis(), e.intentId(), e.holder(), e.claim().term(), e.claim().index());
            }
            return result;
        }

        @Override
        public void takeSnapshot(long commitIndex, Consumer<Object> chunks) {
            machine.takeSnapshot(commitIndex, chunks);
        }

        @Override
        public void installSnapshot(long commitIndex, List<Object> chunks) {
            // Claims that arrive in a snapshot were applied elsewhere first; a snapshot is never how a node learns
            // of a claim it holds, so nothing is noted here.
            machine.installSnapshot(commitIndex, chunks);
        }

        @Override
        public Object getNewTermOperation() {
            return machine.getNewTermOperation();
        }
    }

    private void fatal(String reason) {
        log.error("consensus: {} stops: {}", self.shortForm(), reason);
        crash();
        onFatal.accept(reason);
    }

    /** Wiring for a {@link ConsensusNode}; every setter except {@code onLeaderChange} is required. */
    public static final class Builder {
        private NodeId self;
        private List<NodeId> founders;
        private Supplier<List<Enrolled>> enrolled;
        private long discoveryIntervalMs = 250;
        private long reconcileIntervalMs = 500;
        private String groupId;
        private RaftLogStore store;
        private Scheduler scheduler;
        private Clock clock;
        private Random random;
        private ConsensusConfig config = ConsensusConfig.defaults();
        private BiConsumer<NodeId, byte[]> send;
        private Predicate<NodeId> reachable;
        private List<ActionExecutor> executors = List.of();
        private Supplier<List<Intent>> pendingIntents;
        private BiConsumer<Intent, Outcome> outcomes;
        private Function<String, Optional<Outcome>> recordedOutcome;
        private Consumer<String> onFatal;
        private Consumer<LeaderChange> onLeaderChange;
        private Supplier<List<Schedule>> schedules;
        private Predicate<String> intentExists;
        private Consumer<Intent> requestIntent;
        private long scheduleTickMs = 250;
        private long scheduleGraceMillis = 60_000;
        private int scheduleMaxCatchUp = 100;
        private boolean witness;
        private Function<List<NodeId>, CompletableFuture<?>> beforeVoterChange =
                next -> CompletableFuture.completedFuture(null);

        private Builder() {
        }

        /**
         * Optional, default none: on the leader, before it proposes a change of the voters, called with the voters
         * the change leads to; the change is proposed once the future completes, and retried at the next round when
         * it fails. Called and completed on the node thread; it must not block.
         */
        public Builder beforeVoterChange(Function<List<NodeId>, CompletableFuture<?>> v) {
            beforeVoterChange = Objects.requireNonNull(v, "beforeVoterChange");
            return this;
        }

        /**
         * Optional, default false: run as a witness (the node's certificate says WITNESS). Its state machine keeps
         * nothing of the operations ({@link WitnessStateMachine}), it takes no executors, runs no action loop or
         * schedules, never asks for votes ({@link WitnessTransport}) and ignores requests to take over leadership; it
         * still votes and acknowledges appends, so it counts toward every majority.
         */
        public Builder witness(boolean v) {
            witness = v;
            return this;
        }

        /**
         * Optional: cron schedules the leader expands into intents ({@link ScheduleExpander}).
         *
         * @param schedules     {@code state::schedules}
         * @param intentExists  whether the CRDT holds an intent with this id ({@code id -> state.intent(id).isPresent()})
         * @param requestIntent writes an intent into the CRDT ({@code state.requestIntent}); the same intent may come
         *                      twice (ids are deterministic, so it merges into one)
         */
        public Builder schedules(Supplier<List<Schedule>> schedules, Predicate<String> intentExists,
                                 Consumer<Intent> requestIntent) {
            this.schedules = schedules;
            this.intentExists = intentExists;
            this.requestIntent = requestIntent;
            return this;
        }

        /**
         * Schedule tuning: how often the leader expands schedules (ms, default 250), how late a firing may still run
         * under the "skip" policy (default 60 s), and the cap on "all" catch-up (default 100).
         */
        public Builder scheduleTuning(long tickMs, long graceMillis, int maxCatchUp) {
            if (tickMs <= 0) {
                throw new IllegalArgumentException("tickMs must be positive");
            }
            this.scheduleTickMs = tickMs;
            this.scheduleGraceMillis = graceMillis;
            this.scheduleMaxCatchUp = maxCatchUp;
            return this;
        }

        /** This node. */
        public Builder self(NodeId v) {
            self = v;
            return this;
        }

        /**
         * Who founds the group with this node when no node is in one yet: {@link Voters#select} of this node and its
         * configured peers, which must be the same list on each of them ({@link GroupDiscovery}); empty when this node
         * may only join a group that exists.
         */
        public Builder founders(List<NodeId> v) {
            founders = v;
            return this;
        }

        /**
         * The enrolled nodes, with whether each is connected and whether it was removed: the leader matches the Raft
         * members to them ({@link MembershipReconciler}); a node looking for its group asks the connected ones. Node
         * thread.
         */
        public Builder enrolled(Supplier<List<Enrolled>> v) {
            enrolled = v;
            return this;
        }

        /** How often a node without a group asks again (ms, default 250), and how often the leader reconciles (500). */
        public Builder membershipTuning(long discoveryIntervalMs, long reconcileIntervalMs) {
            if (discoveryIntervalMs <= 0 || reconcileIntervalMs <= 0) {
                throw new IllegalArgumentException("membership intervals must be positive");
            }
            this.discoveryIntervalMs = discoveryIntervalMs;
            this.reconcileIntervalMs = reconcileIntervalMs;
            return this;
        }

        /** Raft group id, e.g. the agent id's text; messages for another group are refused. */
        public Builder groupId(String v) {
            groupId = v;
            return this;
        }

        /** Durable log: {@link SqliteRaftStore} ({@code raft.db} in the state directory) or the simulator's. */
        public Builder store(RaftLogStore v) {
            store = v;
            return this;
        }

        public Builder scheduler(Scheduler v) {
            scheduler = v;
            return this;
        }

        /** The node core's clock: monotonic time drives Raft, wall time stamps completions. */
        public Builder clock(Clock v) {
            clock = v;
            return this;
        }

        /** Seeded in the simulator; election timeouts draw from it. */
        public Builder random(Random v) {
            random = v;
            return this;
        }

        public Builder config(ConsensusConfig v) {
            config = v;
            return this;
        }

        /** Sends a payload to a peer: {@code (peer, bytes) -> network.send(peer, new WireMessage.Consensus(bytes))}. */
        public Builder send(BiConsumer<NodeId, byte[]> v) {
            send = v;
            return this;
        }

        /** Whether a peer is connected now. */
        public Builder reachable(Predicate<NodeId> v) {
            reachable = v;
            return this;
        }

        public Builder executors(List<ActionExecutor> v) {
            executors = List.copyOf(v);
            return this;
        }

        /** {@code state::pendingIntents}: intents without an outcome, oldest first. Node thread. */
        public Builder pendingIntents(Supplier<List<Intent>> v) {
            pendingIntents = v;
            return this;
        }

        /** Writes an outcome into the CRDT ({@code state.recordOutcome}). Node thread; may repeat an outcome. */
        public Builder outcomes(BiConsumer<Intent, Outcome> v) {
            outcomes = v;
            return this;
        }

        /** The outcome the CRDT shows for an intent id ({@code state::outcome}). Node thread. */
        public Builder recordedOutcome(Function<String, Optional<Outcome>> v) {
            recordedOutcome = v;
            return this;
        }

        /** The node must stop (the Raft store failed). */
        public Builder onFatal(Consumer<String> v) {
            onFatal = v;
            return this;
        }

        /** Optional: told of every role, term or leader change, on the node thread. */
        public Builder onLeaderChange(Consumer<LeaderChange> v) {
            onLeaderChange = v;
            return this;
        }

        public ConsensusNode build() {
            return new ConsensusNode(this);
        }
    }
}
