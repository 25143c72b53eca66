package io.agentmesh.node.metrics;

import io.agentmesh.node.llm.config.Target;

import java.util.Map;
import java.util.Optional;

/**
 * What the node thread alone may read, copied at one instant: the gauges of {@link CoreMeters} read this, never the
 * core. Immutable.
 *
 * @param raft          this node's consensus view; empty when it takes no part in consensus
 * @param peers         per enrolled peer (by node id)
 * @param replication   the replicator's counters
 * @param memoryEntries memory entries in the document
 * @param agent         the agent process this node supervises; empty when it hosts none
 * @param llm           the call ledger's spend rows summed per target (replicated: the agent's spend, the same on
 *                      every member that is caught up)
 */
public record CoreSample(Optional<Raft> raft, Map<String, Peer> peers, Replication replication, long memoryEntries,
                         Optional<Agent> agent, Map<Target, Spend> llm) {
    public CoreSample {
        peers = Map.copyOf(peers);
        llm = Map.copyOf(llm);
    }

    static final CoreSample EMPTY = new CoreSample(Optional.empty(), Map.of(), new Replication(0, 0, 0, 0, 0, 0, 0),
            0, Optional.empty(), Map.of());

    /** @param role lower case: leader, follower, candidate, learner, discovering, refused, removed, initial, stopped */
    public record Raft(String role, long term, long appliedIndex, boolean leaderKnown, int pending, int inFlight) {
    }

    /**
     * @param up            an authenticated connection is open
     * @param changesBehind changes the peer lacks compared with this node as of its last digest; -1 when unknown
     * @param silenceMs     since the peer was last heard from; -1 when never
     */
    public record Peer(boolean up, long changesBehind, long silenceMs) {
    }

    public record Replication(long changesSent, long bytesSent, long changesApplied, long duplicates, long rejected,
                              long refusedRevoked, long unknownSigner) {
    }

    /** @param state the supervisor's state label (running, backing-off, crash-loop, ...) */
    public record Agent(String state, long restarts) {
    }

    public record Spend(long chargedNanoUsd, long inDoubtNanoUsd, long attempts, long callsAnswered, long callsFailed,
                        long callsInDoubt, long inputTokens, long outputTokens) {
        Spend plus(Spend o) {
            return new Spend(chargedNanoUsd + o.chargedNanoUsd, inDoubtNanoUsd + o.inDoubtNanoUsd,
                    attempts + o.attempts, callsAnswered + o.callsAnswered, callsFailed + o.callsFailed,
                    callsInDoubt + o.callsInDoubt, inputTokens + o.inputTokens, outputTokens + o.outputTokens);
        }
    }
}
