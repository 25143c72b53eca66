package io.agentmesh.node.metrics;

import io.agentmesh.node.actions.JournalEntry;
import io.agentmesh.node.agent.AgentRunner;
import io.agentmesh.node.agent.AgentSupervisor;
import io.agentmesh.node.consensus.ConsensusNode;
import io.agentmesh.node.consensus.ConsensusStatus;
import io.agentmesh.node.core.NodeCore;
import io.agentmesh.node.llm.config.Target;
import io.agentmesh.node.llm.ledger.SpendRow;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.state.Outcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * Meters over state that only the node thread may touch (Raft, peers, the action journal, the agent's supervisor, the
 * LLM call ledger). {@link #sample()} runs on the node thread, copies what the meters need into an immutable
 * {@link CoreSample} and publishes it through a volatile field; every gauge and function counter reads that sample
 * from the scrape thread. The scrape thread never reads the core and never blocks the node thread: it queues one
 * task and waits for it (bounded, in {@link NodeMeters}).
 *
 * <p>Meters with a peer or a provider/model label are registered when the label first appears in a sample; their
 * number is bounded by the enrolled nodes and the configured targets. Intent kinds are written by anyone into the
 * replicated document, so at most {@value #MAX_KINDS} kinds get their own label and the rest count as "other".
 */
public final class CoreMeters {
    static final int MAX_KINDS = 32;
    /** The one description of agentmesh_rejected_inputs_total, whose sources register in several binders. */
    static final String REJECTED_INPUTS_HELP = "inputs refused and counted (DESIGN.md invariant 8), by where they came"
            + " from and why";
    private static final List<String> RAFT_ROLES = List.of("leader", "follower", "candidate", "learner",
            "discovering", "refused", "removed", "initial", "stopped", "none");

    private final MeterRegistry registry;
    private final NodeCore core;
    private final Supplier<Optional<AgentRunner>> agent;
    private volatile CoreSample sample = CoreSample.EMPTY;
    // Node thread only: how far the journal's completions have been counted, the peers and targets with meters.
    private long countedThroughIndex;
    private final Set<String> peersWithMeters = new HashSet<>();
    private final Set<Target> targetsWithMeters = new HashSet<>();
    private final Set<String> kinds = new HashSet<>();
    // Node thread only: the leader last seen, for counting changes of leader.
    private NodeId lastLeader;

    /**
     * @param core  the node core; read only on the node thread, in {@link #sample()} and leader-change callbacks
     * @param agent the agent runner once it exists (empty on a node that hosts no agent)
     */
    public CoreMeters(MeterRegistry registry, NodeCore core, Supplier<Optional<AgentRunner>> agent) {
        this.registry = registry;
        this.core = core;
        this.agent = agent;
        gauge("agentmesh.raft.term", "the current Raft term",
                s -> s.raft().map(r -> (double) r.term()).orElse(Double.NaN));
        gauge("agentmesh.raft.applied.index", "the highest Raft log index applied here",
                s -> s.raft().map(r -> (double) r.appliedIndex()).orElse(Double.NaN));
        gauge("agentmesh.raft.leader.known", "1 when this node knows a leader",
                s -> s.raft().map(r -> r.leaderKnown() ? 1.0 : 0.0).orElse(0.0));
        for (String role : RAFT_ROLES) {
            Gauge.builder("agentmesh.raft.role", this, m -> m.sample.raft().map(CoreSample.Raft::role).orElse("none")
                            .equals(role) ? 1 : 0)
                    .description("1 for this node's current Raft role, 0 for the others").tag("role", role)
                    .register(registry);
        }
        Counter.builder("agentmesh.raft.leader.changes").description("times the leader this node knows changed")
                .register(registry);
        gauge("agentmesh.actions.pending", "intents without an outcome here and not in flight",
                s -> s.raft().map(r -> (double) r.pending()).orElse(0.0));
        gauge("agentmesh.actions.in.flight", "intents this node, as leader, is claiming, performing or completing",
                s -> s.raft().map(r -> (double) r.inFlight()).orElse(0.0));
        gauge("agentmesh.connections", "peers with an open authenticated connection",
                s -> s.peers().values().stream().filter(CoreSample.Peer::up).count());
        gauge("agentmesh.memory.entries", "memory entries in the agent's document", CoreSample::memoryEntries);
        counter("agentmesh.replication.changes.sent", "signed changes sent to peers",
                s -> s.replication().changesSent());
        FunctionCounter.builder("agentmesh.replication.sent", this, m -> m.sample.replication().bytesSent())
                .baseUnit("bytes").description("bytes of signed changes sent to peers").register(registry);
        counter("agentmesh.replication.changes.applied", "peers' changes verified and applied here",
                s -> s.replication().changesApplied());
        counter("agentmesh.replication.duplicates", "changes received that were already held",
                s -> s.replication().duplicates());
        rejected("change_refused", s -> s.replication().rejected() - s.replication().refusedRevoked());
        rejected("change_from_removed_node", s -> s.replication().refusedRevoked());
        for (AgentSupervisor.State state : AgentSupervisor.State.values()) {
            String label = state.label();
            Gauge.builder("agentmesh.agent.process.state", this, m -> m.sample.agent()
                            .map(a -> a.state().equals(label) ? 1 : 0).orElse(0))
                    .description("1 for the state of the agent process this node supervises, 0 for the others")
                    .tag("state", label).register(registry);
        }
        FunctionCounter.builder("agentmesh.agent.process.restarts", this,
                        m -> m.sample.agent().map(CoreSample.Agent::restarts).orElse(0L))
                .description("times the agent process was restarted after it exited").register(registry);
    }

    /** The sample the meters show now. */
    public CoreSample current() {
        return sample;
    }

    /** Copies the core's state into a new sample and counts new action completions. Node thread only. */
    public void sample() {
        Optional<ConsensusNode> consensus = core.consensus();
        Optional<CoreSample.Raft> raft = consensus.map(cn -> {
            ConsensusStatus st = cn.status();
            return new CoreSample.Raft(st.role().toLowerCase(Locale.ROOT), st.term(), st.appliedIndex(),
                    st.leader().isPresent(), st.pending(), st.inFlight());
        });
        Map<String, CoreSample.Peer> peers = new TreeMap<>();
        for (Map<String, Object> p : core.peerStatus()) {
            peers.put((String) p.get("node"), new CoreSample.Peer("up".equals(p.get("link")),
                    ((Number) p.get("changesBehind")).longValue(), ((Number) p.get("lastContactMsAgo")).longValue()));
        }
        var r = core.replicator().stats();
        CoreSample.Replication replication = new CoreSample.Replication(r.changesSent(), r.bytesSent(),
                r.changesApplied(), r.duplicates(), r.rejected(), r.refusedRevoked(), r.unknownSigner());
        Optional<CoreSample.Agent> agentSample = agent.get().map(a -> {
            Map<String, Object> st = a.status();
            return new CoreSample.Agent(String.valueOf(st.get("state")), ((Number) st.get("restarts")).longValue());
        });
        Map<Target, CoreSample.Spend> spend = new TreeMap<>();
        consensus.ifPresent(cn -> {
            for (SpendRow row : cn.ledger().spend()) {
                spend.merge(row.target(), new CoreSample.Spend(row.chargedNanoUsd(), row.inDoubtNanoUsd(),
                        row.attempts(), row.callsAnswered(), row.callsFailed(), row.callsInDoubt(),
                        row.inputTokens(), row.outputTokens()), CoreSample.Spend::plus);
            }
            countCompletions(cn);
        });
        CoreSample next = new CoreSample(raft, peers, replication, core.state().memoryCount(), agentSample, spend);
        peers.keySet().forEach(this::registerPeer);
        spend.keySet().forEach(this::registerTarget);
        sample = next;
    }

    /**
     * Starts counting leader changes (node thread): a leader already known counts as the first change, since this
     * process started without one; later changes come through {@link NodeCore#onLeaderChange}.
     */
    public void watchLeaderChanges() {
        core.consensus().flatMap(cn -> cn.status().leader()).ifPresent(leader -> leaderChanged(
                new ConsensusNode.LeaderChange(null, "", 0, leader)));
        core.onLeaderChange(this::leaderChanged);
    }

    /** A role, term or leader change of this member (node thread): counts it when the known leader changed. */
    public void leaderChanged(ConsensusNode.LeaderChange change) {
        if (change.leader() != null && !change.leader().equals(lastLeader)) {
            registry.counter("agentmesh.raft.leader.changes").increment();
        }
        if (change.leader() != null) {
            lastLeader = change.leader();
        }
    }

    private void countCompletions(ConsensusNode cn) {
        for (JournalEntry e : cn.journal().completedAfter(countedThroughIndex, Integer.MAX_VALUE)) {
            JournalEntry.Completion c = e.completion();
            String kind = e.kind();
            if (!kinds.contains(kind)) {
                if (kinds.size() < MAX_KINDS) {
                    kinds.add(kind);
                } else {
                    kind = "other";
                }
            }
            Counter.builder("agentmesh.actions.completed")
                    .description("intents completed in the action journal, by kind and outcome")
                    .tag("kind", kind).tag("outcome", Outcome.statusAsRead(c.status(), c.result()))
                    .register(registry).increment();
            countedThroughIndex = Math.max(countedThroughIndex, c.index());
        }
    }

    private void registerPeer(String peer) {
        if (!peersWithMeters.add(peer)) {
            return;
        }
        Gauge.builder("agentmesh.peer.up", this, m -> peerValue(m, peer, p -> p.up() ? 1 : 0))
                .description("1 while an authenticated connection to the peer is open").tag("peer", peer)
                .register(registry);
        Gauge.builder("agentmesh.replication.lag.changes", this,
                        m -> peerValue(m, peer, p -> p.changesBehind() < 0 ? Double.NaN : p.changesBehind()))
                .description("changes the peer lacks compared with this node, as of its last digest (NaN while"
                        + " disconnected)").tag("peer", peer).register(registry);
        Gauge.builder("agentmesh.peer.last.contact", this,
                        m -> peerValue(m, peer, p -> p.silenceMs() < 0 ? Double.NaN : p.silenceMs() / 1000.0))
                .baseUnit("seconds").description("time since the peer was last heard from").tag("peer", peer)
                .register(registry);
    }

    private static double peerValue(CoreMeters m, String peer, ToDoubleFunction<CoreSample.Peer> read) {
        CoreSample.Peer p = m.sample.peers().get(peer);
        return p == null ? Double.NaN : read.applyAsDouble(p);
    }

    private void registerTarget(Target target) {
        if (!targetsWithMeters.add(target)) {
            return;
        }
        String provider = target.providerId();
        String model = target.model();
        FunctionCounter.builder("agentmesh.llm.cost", this, m -> spend(m, target, s -> s.chargedNanoUsd() / 1e9))
                .baseUnit("usd").description("what LLM attempts cost by the price table (the agent's, replicated)")
                .tag("provider", provider).tag("model", model).register(registry);
        FunctionCounter.builder("agentmesh.llm.in.doubt.cost", this,
                        m -> spend(m, target, s -> s.inDoubtNanoUsd() / 1e9))
                .baseUnit("usd").description("reservations of possibly billed attempts whose usage is unknown")
                .tag("provider", provider).tag("model", model).register(registry);
        FunctionCounter.builder("agentmesh.llm.attempts", this, m -> spend(m, target, s -> s.attempts()))
                .description("LLM attempts started").tag("provider", provider).tag("model", model)
                .register(registry);
        String[] statuses = {"answered", "failed", "in_doubt"};
        for (String status : statuses) {
            FunctionCounter.builder("agentmesh.llm.calls", this, m -> spend(m, target, s -> switch (status) {
                        case "answered" -> s.callsAnswered();
                        case "failed" -> s.callsFailed();
                        default -> s.callsInDoubt();
                    }))
                    .description("LLM calls closed, by how they ended (failed: an error on the last attempt)")
                    .tag("provider", provider).tag("model", model).tag("status", status).register(registry);
        }
        FunctionCounter.builder("agentmesh.llm.tokens", this, m -> spend(m, target, s -> s.inputTokens()))
                .description("tokens the providers reported").tag("provider", provider).tag("model", model)
                .tag("kind", "input").register(registry);
        FunctionCounter.builder("agentmesh.llm.tokens", this, m -> spend(m, target, s -> s.outputTokens()))
                .description("tokens the providers reported").tag("provider", provider).tag("model", model)
                .tag("kind", "output").register(registry);
    }

    private static double spend(CoreMeters m, Target target, ToDoubleFunction<CoreSample.Spend> read) {
        CoreSample.Spend s = m.sample.llm().get(target);
        return s == null ? 0 : read.applyAsDouble(s);
    }

    private void gauge(String name, String help, ToDoubleFunction<CoreSample> read) {
        Gauge.builder(name, this, m -> read.applyAsDouble(m.sample)).description(help).register(registry);
    }

    private void counter(String name, String help, ToDoubleFunction<CoreSample> read) {
        FunctionCounter.builder(name, this, m -> read.applyAsDouble(m.sample)).description(help).register(registry);
    }

    private void rejected(String reason, ToDoubleFunction<CoreSample> read) {
        FunctionCounter.builder("agentmesh.rejected.inputs", this, m -> read.applyAsDouble(m.sample))
                .description(REJECTED_INPUTS_HELP).tag("source", "replication").tag("reason", reason)
                .register(registry);
    }
}
