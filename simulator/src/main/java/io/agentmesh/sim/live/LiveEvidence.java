package io.agentmesh.sim.live;

import io.agentmesh.node.consensus.ConsensusEvents;
import io.agentmesh.sim.check.ConsensusRecords.IntentsFinal;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a live run gathered about consensus, as the nodes and the outside world gave it, before it is translated into
 * {@link io.agentmesh.sim.check.ConsensusRecords} ({@link LiveCollector#translate}). Kept in the result, so the
 * translation can be checked on its own.
 *
 * @param nodes         node names in order ("n1"...)
 * @param t0WallMillis  the harness's wall clock when the run started: turns a node's times into run times for people,
 *                      never to order one process's records against another's
 * @param namesById     node id (text form) to name
 * @param incarnations  per node name, each of its processes as read from its consensus events endpoint, in order
 * @param performed     every line of every node's performed.jsonl (the outside world's record of the jobs)
 * @param finals        what each node's state held about intents at the end
 * @param intentsSettledMs run time at which every node was seen holding an outcome for every intent, or -1
 */
public record LiveEvidence(List<String> nodes, long t0WallMillis, Map<String, String> namesById,
                           Map<String, List<Incarnation>> incarnations, List<LiveRecords.Performed> performed,
                           List<IntentsFinal> finals, long intentsSettledMs) {
    public LiveEvidence {
        nodes = List.copyOf(nodes);
        namesById = Collections.unmodifiableMap(new TreeMap<>(namesById));
        TreeMap<String, List<Incarnation>> copy = new TreeMap<>();
        incarnations.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        incarnations = Collections.unmodifiableMap(copy);
        performed = List.copyOf(performed);
        finals = List.copyOf(finals);
    }

    /**
     * One process of a node, as its consensus events endpoint described it.
     *
     * @param startedMillis       when the process's consensus member started, on the node's clock
     * @param observedUntilMillis the node's clock at the last successful read: everything before it was seen
     * @param complete            whether the process was read after its last performed line could have been
     *                            written (the run's final reading); false for a process that stopped first
     */
    public record Incarnation(long startedMillis, long observedUntilMillis, boolean complete,
                              List<ConsensusEvents.RoleChanged> roles, List<ConsensusEvents.ClaimApplied> claims) {
        public Incarnation {
            roles = List.copyOf(roles);
            claims = List.copyOf(claims);
        }
    }

    public String nameOf(String nodeId) {
        return nodeId == null ? null : namesById.getOrDefault(nodeId, nodeId);
    }
}
