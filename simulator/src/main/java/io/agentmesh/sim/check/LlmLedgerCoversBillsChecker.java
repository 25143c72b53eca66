package io.agentmesh.sim.check;

import io.agentmesh.sim.check.LlmRecords.LedgerFinal;
import io.agentmesh.sim.check.LlmRecords.ProviderRequest;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The call ledger never under-reports what the providers billed, and over-reports by no more than what it holds in
 * doubt: with the ledger of the running node whose total (charged + in doubt) is highest at the end (every member
 * applies the same log; the highest is the one that applied it all), {@code total >= billed} and
 * {@code total - billed <= inDoubt}.
 */
public final class LlmLedgerCoversBillsChecker extends NamedChecker {
    public static final String NAME = "llm-ledger-covers-bills";

    public LlmLedgerCoversBillsChecker() {
        super(NAME);
    }

    @Override
    public Verdict check(History h) {
        Optional<LedgerFinal> ledger = h.records(LedgerFinal.class).stream().filter(LedgerFinal::up)
                .max(Comparator.comparingLong(LedgerFinal::totalNanoUsd));
        if (ledger.isEmpty()) {
            return fail("no running node's call ledger was recorded at the end of the run");
        }
        List<ProviderRequest> requests = h.records(ProviderRequest.class);
        long billed = requests.stream().mapToLong(ProviderRequest::billedNanoUsd).sum();
        LedgerFinal l = ledger.get();
        String figures = "providers billed " + billed + " nano-USD for " + requests.size() + " requests; " + l.node()
                + "'s ledger: charged " + l.chargedNanoUsd() + " + in doubt " + l.inDoubtNanoUsd() + " = "
                + l.totalNanoUsd() + " (open calls " + l.openCalls() + ", reserved " + l.reservedNanoUsd() + ")";
        if (l.totalNanoUsd() < billed) {
            return fail("the ledger under-reports by " + (billed - l.totalNanoUsd()) + " nano-USD: " + figures,
                    List.of(figures));
        }
        if (l.totalNanoUsd() - billed > l.inDoubtNanoUsd()) {
            return fail("the ledger over-reports by more than its in-doubt charges: " + figures, List.of(figures));
        }
        return pass(figures);
    }
}
