package io.agentmesh.sim.check;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Among honest nodes no change is ever rejected: no signature failure, no unenrolled signer, no malformed bytes.
 * Every change in the run was made and signed by a member, so any rejection is a bug (or a planted fault).
 */
public final class NoRejectedChangesChecker extends NamedChecker {
    public static final String NAME = "no-rejected-changes";

    public NoRejectedChangesChecker() {
        super(NAME);
    }

    @Override
    public Verdict check(History h) {
        List<String> violations = new ArrayList<>();
        long total = 0;
        for (Map.Entry<String, Long> e : h.rejected().entrySet()) {
            if (e.getValue() > 0) {
                total += e.getValue();
                violations.add(e.getKey() + " rejected " + e.getValue() + " changes");
            }
        }
        if (total > 0) {
            return fail(total + " changes rejected among honest nodes (signature or content checks)",
                    violations);
        }
        return pass("no node rejected a change");
    }
}
