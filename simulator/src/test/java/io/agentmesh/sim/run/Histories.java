package io.agentmesh.sim.run;

import io.agentmesh.sim.check.ConsensusRecords.LeaderObservation;
import io.agentmesh.sim.check.History;

import java.util.Map;
import java.util.TreeMap;

/** Questions tests ask of a recorded history. */
final class Histories {
    private Histories() {
    }

    /**
     * The latest observation, before {@code atMs}, of the node that then believed itself leader (in the highest term,
     * should two have); fails when none did.
     */
    static LeaderObservation leaderAt(History h, long atMs) {
        Map<String, LeaderObservation> latest = new TreeMap<>();
        for (LeaderObservation o : h.records(LeaderObservation.class)) {
            if (o.atMs() < atMs) {
                latest.put(o.node(), o);
            }
        }
        LeaderObservation leader = null;
        for (LeaderObservation o : latest.values()) {
            if (o.isLeader() && (leader == null || o.term() > leader.term())) {
                leader = o;
            }
        }
        if (leader == null) {
            throw new AssertionError("no node believed itself leader at " + atMs + " ms; latest beliefs: "
                    + latest.values());
        }
        return leader;
    }

    /** A leader of a run without faults, with its node's index for a fault plan. */
    record Leader(LeaderObservation observation, int index) {
    }

    /**
     * The leader at {@code atMs} of {@code base} run without faults: a scripted fault that starts at {@code atMs}
     * hits that same node, since the two runs are identical until the fault starts.
     */
    static Leader calmLeaderAt(SimConfig base, long atMs) {
        History calm = Simulation.run(base.withScript(FaultPlan.none())).history();
        LeaderObservation leader = leaderAt(calm, atMs);
        return new Leader(leader, calm.nodes().indexOf(leader.node()));
    }
}
