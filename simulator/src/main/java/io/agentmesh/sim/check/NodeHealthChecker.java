package io.agentmesh.sim.check;

import java.util.List;

/**
 * No honest node hit a fatal error (a store refusing its writes), threw out of an event handler, or sent a message
 * the wire codec could not round-trip.
 */
public final class NodeHealthChecker implements Checker {
    public static final String NAME = "node-health";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Verdict check(History h) {
        List<History.Problem> problems = h.problems();
        if (!problems.isEmpty()) {
            History.Problem first = problems.getFirst();
            return Verdict.fail(NAME, problems.size() + " problems, first: " + first.kind() + " on " + first.node()
                            + ": " + first.detail(),
                    problems.stream().limit(50).map(p -> p.atMs() + " ms " + p.node() + " " + p.kind() + ": "
                            + p.detail()).toList());
        }
        return Verdict.pass(NAME, "no fatal error, uncaught exception or codec failure");
    }
}
