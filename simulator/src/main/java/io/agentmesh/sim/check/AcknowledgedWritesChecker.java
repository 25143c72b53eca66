package io.agentmesh.sim.check;

import java.util.ArrayList;
import java.util.List;

/**
 * Every write a node acknowledged (its future completed: the change was durable there) is present at the end on
 * every node that is up: its change is among the node's durable changes, and the thing written (memory entry id,
 * task id, notes text) is in the node's AgentState.
 */
public final class AcknowledgedWritesChecker extends NamedChecker {
    public static final String NAME = "acknowledged-writes";

    public AcknowledgedWritesChecker() {
        super(NAME);
    }

    @Override
    public Verdict check(History h) {
        List<History.NodeFinal> up = h.finals().values().stream().filter(History.NodeFinal::up).toList();
        if (up.isEmpty()) {
            return fail("no node was up at the end to hold the writes");
        }
        List<String> violations = new ArrayList<>();
        long acked = 0;
        long lost = 0;
        for (History.Write w : h.writes()) {
            if (!w.acknowledged()) {
                continue;
            }
            acked++;
            List<String> missingOn = new ArrayList<>();
            for (History.NodeFinal f : up) {
                if (!present(w, f)) {
                    missingOn.add(f.node());
                }
            }
            if (!missingOn.isEmpty()) {
                lost++;
                if (violations.size() < 50) {
                    violations.add("write " + w.id() + " (" + w.kind() + " " + w.key() + ", change "
                            + w.actor().substring(0, 8) + "/" + w.seq() + ", acknowledged by " + w.node() + " at "
                            + w.ackedMs() + " ms) is missing on " + String.join(", ", missingOn));
                }
            }
        }
        if (lost > 0) {
            return fail(lost + " of " + acked + " acknowledged writes lost", violations);
        }
        return pass(acked + " acknowledged writes present on all " + up.size() + " nodes");
    }

    static boolean present(History.Write w, History.NodeFinal f) {
        if (f.vector().getOrDefault(w.actor(), 0L) < w.seq()) {
            return false;
        }
        return switch (w.kind()) {
            case "memory" -> f.memoryIds().contains(w.key());
            case "task" -> f.taskIds().contains(w.key());
            case "notes" -> f.notes() != null && f.notes().contains(w.key());
            default -> true;
        };
    }
}
