package io.agentmesh.sim.check;

import io.agentmesh.sim.check.LlmRecords.DaySpend;
import io.agentmesh.sim.check.LlmRecords.HardBudget;
import io.agentmesh.sim.check.LlmRecords.LedgerFinal;
import io.agentmesh.sim.check.LlmRecords.Policy;
import io.agentmesh.sim.check.LlmRecords.ProviderRequest;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * No hard budget is passed: for each hard budget and each of its periods (UTC day or month), what the providers
 * billed on the targets it covers, and what every running node's ledger counts as spent there (charged + in doubt),
 * are within its limit. A period is the one of the sending leader's clock, as the ledger reckons it: with clock skew
 * across midnight, two leaders may charge the same hour to two days.
 */
public final class LlmHardBudgetsChecker extends NamedChecker {
    public static final String NAME = "llm-hard-budgets";

    public LlmHardBudgetsChecker() {
        super(NAME);
    }

    @Override
    public Verdict check(History h) {
        List<Policy> policies = h.records(Policy.class);
        if (policies.size() != 1) {
            return fail("the run recorded " + policies.size() + " LLM policies, expected 1");
        }
        List<String> violations = new ArrayList<>();
        long highest = 0;
        long limitOfHighest = 0;
        for (HardBudget b : policies.getFirst().hardBudgets()) {
            Map<Long, Long> billed = new TreeMap<>();
            for (ProviderRequest r : h.records(ProviderRequest.class)) {
                if (b.covers(r.provider(), r.model())) {
                    billed.merge(period(b, r.epochDay()), r.billedNanoUsd(), Long::sum);
                }
            }
            for (Map.Entry<Long, Long> e : billed.entrySet()) {
                if (e.getValue() > highest) {
                    highest = e.getValue();
                    limitOfHighest = b.limitNanoUsd();
                }
                if (e.getValue() > b.limitNanoUsd()) {
                    violations.add("providers billed " + e.getValue() + " nano-USD in period " + e.getKey()
                            + " under the hard budget " + b.describe());
                }
            }
            for (LedgerFinal l : h.records(LedgerFinal.class)) {
                Map<Long, Long> spent = new TreeMap<>();
                for (DaySpend d : l.spend()) {
                    if (b.covers(d.provider(), d.model())) {
                        spent.merge(period(b, d.epochDay()), d.nanoUsd(), Long::sum);
                    }
                }
                spent.forEach((p, v) -> {
                    if (v > b.limitNanoUsd()) {
                        violations.add(l.node() + "'s ledger counts " + v + " nano-USD spent in period " + p
                                + " under the hard budget " + b.describe());
                    }
                });
            }
        }
        if (!violations.isEmpty()) {
            return fail(violations.size() + " hard budget periods passed", LlmAnsweredOnceChecker.cap(violations));
        }
        return pass(policies.getFirst().hardBudgets().size() + " hard budgets held; the fullest period was billed "
                + highest + " of " + limitOfHighest + " nano-USD");
    }

    /** The budget's period of a UTC day: the day itself, or its month as yyyy*12+month. */
    private static long period(HardBudget b, long epochDay) {
        if (!b.monthly()) {
            return epochDay;
        }
        LocalDate d = LocalDate.ofEpochDay(epochDay);
        return d.getYear() * 12L + d.getMonthValue() - 1;
    }
}
