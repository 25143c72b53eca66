package io.agentmesh.sim.check;

import io.agentmesh.sim.check.ConsensusRecords.Action;
import io.agentmesh.sim.check.ConsensusRecords.AppliedClaim;
import io.agentmesh.sim.check.ConsensusRecords.LeaderObservation;
import io.agentmesh.sim.check.ConsensusRecords.Witnesses;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * A witness never stands for election, never leads and never performs: no observation shows it as candidate, leader
 * or elected, no committed claim names it as holder, and the outside world saw no call from it. A witness holds no
 * agent state and no keys for side effects; one that led would stall every action (it cannot perform) and one that
 * campaigned could depose a healthy leader. A run without witnesses passes with nothing to check.
 */
public final class WitnessNeverLeadsChecker extends NamedChecker {
    public static final String NAME = "witness-never-leads";
    /** Roles a witness must never show: MicroRaft's candidate and leader, and the simulator's not-yet-noted leader. */
    private static final Set<String> CAMPAIGNING = Set.of("CANDIDATE", ConsensusRecords.LEADER, "ELECTED");

    public WitnessNeverLeadsChecker() {
        super(NAME);
    }

    @Override
    public Verdict check(History h) {
        List<Witnesses> recorded = h.records(Witnesses.class);
        Set<String> witnesses = recorded.isEmpty() ? Set.of() : new TreeSet<>(recorded.getLast().nodes());
        if (witnesses.isEmpty()) {
            return pass("no witness in this run: nothing to check");
        }
        List<String> violations = new ArrayList<>();
        long observed = 0;
        for (LeaderObservation o : h.records(LeaderObservation.class)) {
            if (!witnesses.contains(o.node())) {
                continue;
            }
            observed++;
            if (CAMPAIGNING.contains(o.role())) {
                violations.add("witness " + o.node() + " was " + o.role().toLowerCase() + " in term " + o.term()
                        + " at " + o.atMs() + " ms");
            }
        }
        for (AppliedClaim c : h.records(AppliedClaim.class)) {
            if (witnesses.contains(c.holder())) {
                violations.add("witness " + c.holder() + " holds the committed claim on " + c.intentId() + " ("
                        + c.term() + ", " + c.index() + ")");
            }
        }
        for (Action a : h.records(Action.class)) {
            if (witnesses.contains(a.node())) {
                violations.add("witness " + a.node() + " made a " + a.type() + " call for " + a.intentId() + " at "
                        + a.atMs() + " ms");
            }
        }
        if (!violations.isEmpty()) {
            return fail(violations.size() + " times a witness campaigned, led or performed",
                    violations.size() > 50 ? violations.subList(0, 50) : violations);
        }
        return pass("witness " + String.join(", ", witnesses) + " never stood for election, led or"
                + " performed (" + observed + " changes of its role, term or leader observed)");
    }
}
