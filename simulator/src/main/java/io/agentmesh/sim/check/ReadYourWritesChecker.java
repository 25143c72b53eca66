package io.agentmesh.sim.check;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A node that acknowledged a write shows it to every later read on that node, across its own crashes and restarts
 * (acknowledged means durable, and a restart replays the store).
 */
public final class ReadYourWritesChecker extends NamedChecker {
    public static final String NAME = "read-your-writes";

    public ReadYourWritesChecker() {
        super(NAME);
    }

    @Override
    public Verdict check(History h) {
        // (node, key) -> earliest acknowledgement there
        Map<String, Long> firstAck = new HashMap<>();
        for (History.Write w : h.writes()) {
            if (w.acknowledged()) {
                firstAck.merge(w.node() + "\u0000" + w.key(), w.ackedMs(), Math::min);
            }
        }
        List<String> violations = new ArrayList<>();
        int checked = 0;
        for (History.Read r : h.reads()) {
            Long acked = firstAck.get(r.node() + "\u0000" + r.key());
            // A read in the acknowledgement's millisecond may have run before it: a node whose thread was blocked
            // runs its queued reads and the write's completion in one burst, all in the same millisecond.
            if (acked == null || acked >= r.atMs()) {
                continue;
            }
            checked++;
            if (!r.found() && violations.size() < 50) {
                violations.add(r.node() + " did not show " + r.key() + " at " + r.atMs() + " ms although it"
                        + " acknowledged writing it at " + acked + " ms");
            }
        }
        if (!violations.isEmpty()) {
            return fail(violations.size() + " reads missed the reading node's own acknowledged write",
                    violations);
        }
        return pass(checked + " reads of the node's own acknowledged writes, all found");
    }
}
