package io.agentmesh.sim.check;

import java.util.List;

/** No (actor, seq) was ever seen with two different byte strings, on the wire or in any store. */
public final class NoSeqReuseChecker extends NamedChecker {
    public static final String NAME = "no-seq-reuse";

    public NoSeqReuseChecker() {
        super(NAME);
    }

    @Override
    public Verdict check(History h) {
        List<ChangeLedger.Reuse> reuses = h.ledger().reuses();
        if (!reuses.isEmpty()) {
            return fail(reuses.size() + " (actor, seq) pairs seen with different bytes",
                    reuses.stream().limit(50).map(ChangeLedger.Reuse::toString).toList());
        }
        return pass(h.ledger().distinctChanges() + " changes, " + h.ledger().observations()
                + " sightings, each (actor, seq) with one byte string");
    }
}
