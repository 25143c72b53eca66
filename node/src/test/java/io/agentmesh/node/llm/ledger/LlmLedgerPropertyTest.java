package io.agentmesh.node.llm.ledger;

import io.agentmesh.node.actions.FencingToken;
import io.agentmesh.node.llm.ErrorClass;
import io.agentmesh.node.llm.Usage;
import io.agentmesh.node.llm.config.Budget;
import io.agentmesh.node.llm.config.Target;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random interleavings of many calls over several leaders' terms, with stale tokens, wrong attempt numbers, early
 * settlements and snapshots at random points (seeded, so a failure names its seed): the ledger's promises hold after
 * every operation.
 */
class LlmLedgerPropertyTest {
    private static final Target[] TARGETS = {new Target("openai", "gpt-4o"), new Target("openai", "gpt-4o-mini"),
            new Target("anthropic", "claude")};
    private static final long DAY_MS = 86_400_000L;
    private static final long START = LedgerOps.NOON - 3 * DAY_MS;
    private static final List<Budget> BUDGETS = List.of(
            new Budget(Optional.empty(), Optional.empty(), Budget.Period.DAY, 3_000, Budget.Enforcement.HARD),
            new Budget(Optional.of("openai"), Optional.empty(), Budget.Period.DAY, 1_500, Budget.Enforcement.HARD),
            new Budget(Optional.of("openai"), Optional.of("gpt-4o"), Budget.Period.MONTH, 9_000,
                    Budget.Enforcement.HARD),
            new Budget(Optional.empty(), Optional.empty(), Budget.Period.DAY, 500, Budget.Enforcement.SOFT));

    @Test
    void hardBudgetsHoldChargesNeverShrinkAndSettlementChargesEveryUnendedAttemptWhateverTheInterleaving() {
        for (int seed = 0; seed < 300; seed++) {
            run(seed, 400);
        }
    }

    private record Held(String id, FencingToken token) {
    }

    private void run(int seed, int steps) {
        Random rnd = new Random(seed);
        LedgerOps.Log log = new LedgerOps.Log();
        LlmLedger ledger = log.ledger;
        List<Held> calls = new ArrayList<>();
        long term = 1;
        long now = START;
        Map<String, Long> chargedBefore = new HashMap<>();
        for (int step = 0; step < steps; step++) {
            now += rnd.nextInt(4) == 0 ? rnd.nextInt((int) (DAY_MS / 2)) : rnd.nextInt(1_000);
            if (rnd.nextInt(40) == 0) {
                term++; // a new leader
            }
            LedgerOp op = randomOp(rnd, calls, ledger, term, now, step);
            List<LedgerAttempt> unendedBefore = op instanceof LedgerOp.Settle s
                    ? ledger.call(s.callId()).map(c -> c.attempts().stream().filter(a -> !a.ended()).toList())
                    .orElse(List.of()) : List.of();
            long spentBefore = totalSpent(ledger);
            LedgerResult r = log.apply(op);
            String where = "seed " + seed + " step " + step + ": " + op + " -> " + r;
            if (r instanceof LedgerResult.Opened o) {
                calls.add(new Held(o.callId(), o.token()));
            }
            if (r instanceof LedgerResult.Settled s) {
                LedgerCall c = ledger.call(s.callId()).orElseThrow();
                assertTrue(c.attempts().stream().allMatch(LedgerAttempt::ended), where);
                long expected = unendedBefore.stream().mapToLong(LedgerAttempt::worstCaseNanoUsd).sum();
                assertEquals(expected, s.inDoubtNanoUsd(), where);
                assertEquals(unendedBefore.size(), s.attemptsInDoubt(), where);
                assertEquals(spentBefore + expected, totalSpent(ledger), "the spend rows carry it: " + where);
                for (LedgerAttempt a : unendedBefore) {
                    LedgerAttempt after = c.attempts().get(a.number() - 1);
                    assertEquals(a.worstCaseNanoUsd(), after.inDoubtNanoUsd(), where);
                }
            }
            checkHardBudgets(ledger, where);
            for (SpendRow row : ledger.spend()) {
                String key = row.day() + " " + row.target();
                long spent = row.spentNanoUsd();
                assertTrue(spent >= chargedBefore.getOrDefault(key, 0L), "charged shrank: " + where);
                chargedBefore.put(key, spent);
            }
            long reserved = ledger.openCalls().stream().mapToLong(LedgerCall::reservedNanoUsd).sum();
            assertEquals(reserved, ledger.reservedNanoUsd(), where);
            if (rnd.nextInt(50) == 0) {
                List<LedgerSnapshotChunk> chunks = new ArrayList<>();
                ledger.takeSnapshot(chunks::add);
                LlmLedger copy = new LlmLedger();
                copy.installSnapshot(log.index, chunks);
                LedgerSnapshotAssert.sameReads(ledger, copy);
                LedgerOp next = randomOp(new Random(seed * 1_000L + step), calls, ledger, term, now, step);
                assertEquals(ledger.apply(log.index + 1, next), copy.apply(log.index + 1, next), where);
                log.index++;
                LedgerSnapshotAssert.sameReads(ledger, copy);
            }
        }
    }

    private static long totalSpent(LlmLedger ledger) {
        return ledger.spend().stream().mapToLong(SpendRow::spentNanoUsd).sum();
    }

    /** For every hard budget and every period with figures: spent + in doubt + reserved never passes the limit. */
    private static void checkHardBudgets(LlmLedger ledger, String where) {
        for (Budget b : BUDGETS) {
            if (b.enforcement() != Budget.Enforcement.HARD) {
                continue;
            }
            Map<Long, Long> byPeriod = new HashMap<>();
            for (SpendRow row : ledger.spend()) {
                if (b.covers(row.target())) {
                    byPeriod.merge(b.period().epochDays(row.epochDay())[0], row.spentNanoUsd(), Long::sum);
                }
            }
            for (LedgerCall c : ledger.openCalls()) {
                for (LedgerAttempt a : c.attempts()) {
                    if (!a.ended() && b.covers(a.target())) {
                        byPeriod.merge(b.period().epochDays(a.epochDay())[0], a.worstCaseNanoUsd(),
                                Long::sum);
                    }
                }
            }
            byPeriod.forEach((from, total) -> assertTrue(total <= b.limitNanoUsd(), b.describe() + " period from day "
                    + from + " holds " + total + ": " + where));
        }
    }

    private static LedgerOp randomOp(Random rnd, List<Held> calls, LlmLedger ledger, long term, long now, int step) {
        int kind = rnd.nextInt(100);
        if (calls.isEmpty() || kind < 15) {
            String id = rnd.nextInt(20) == 0 && !calls.isEmpty() ? calls.get(rnd.nextInt(calls.size())).id()
                    : "call-" + step;
            return new LedgerOp.Open(id, "node-" + term % 3, term, LedgerOp.Origin.ENDPOINT, now);
        }
        Held h = calls.get(rnd.nextInt(calls.size()));
        FencingToken token = rnd.nextInt(15) == 0 ? new FencingToken(h.token().term(), h.token().index() + 1)
                : h.token();
        Optional<LedgerCall> call = ledger.call(h.id());
        int attempts = call.map(c -> c.attempts().size()).orElse(0);
        Target target = TARGETS[rnd.nextInt(TARGETS.length)];
        if (kind < 45) {
            int n = rnd.nextInt(10) == 0 ? 1 + rnd.nextInt(LedgerOp.MAX_ATTEMPTS) : Math.min(attempts + 1,
                    LedgerOp.MAX_ATTEMPTS);
            return new LedgerOp.AttemptStart(h.id(), token, n, target, rnd.nextInt(800), BUDGETS, now);
        }
        if (kind < 80) {
            int n = Math.max(1, attempts - (rnd.nextInt(4) == 0 ? 1 : 0));
            LedgerAttempt a = call.filter(c -> c.attempts().size() >= n).map(c -> c.attempts().get(n - 1))
                    .orElse(null);
            Target t = a != null && rnd.nextInt(10) != 0 ? a.target() : target;
            long worst = a != null ? a.worstCaseNanoUsd() : 100;
            // A provider's charge is at most the attempt's worst case: what the cost engine promises.
            long charged = worst == 0 ? 0 : rnd.nextLong(worst + 1);
            if (rnd.nextBoolean()) {
                return new LedgerOp.AttemptEnd(h.id(), token, n, t, Optional.empty(), 200, new Usage(7, 1, 0, 3, 0),
                        true, charged, 10, 5, 0, "k", now);
            }
            ErrorClass e = ErrorClass.values()[rnd.nextInt(ErrorClass.values().length)];
            boolean known = rnd.nextInt(3) == 0;
            return new LedgerOp.AttemptEnd(h.id(), token, n, t, Optional.of(e), 500, Usage.NONE, known,
                    known ? charged : 0, 10, 0, 0, "k", now);
        }
        if (kind < 92) {
            return new LedgerOp.Close(h.id(), token, rnd.nextBoolean() ? LedgerOp.CallStatus.ANSWERED
                    : LedgerOp.CallStatus.FAILED, "", now);
        }
        return new LedgerOp.Settle(h.id(), "node-x", term, now);
    }
}
