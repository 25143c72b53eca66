package io.agentmesh.node.llm.ledger;

import io.agentmesh.node.actions.FencingToken;
import io.agentmesh.node.llm.ErrorClass;
import io.agentmesh.node.llm.Usage;
import io.agentmesh.node.llm.config.Budget;
import io.agentmesh.node.llm.ledger.LedgerResult.Reason;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static io.agentmesh.node.llm.ledger.LedgerOps.CLAUDE;
import static io.agentmesh.node.llm.ledger.LedgerOps.DAY_MS;
import static io.agentmesh.node.llm.ledger.LedgerOps.GPT;
import static io.agentmesh.node.llm.ledger.LedgerOps.NOON;
import static io.agentmesh.node.llm.ledger.LedgerOps.answered;
import static io.agentmesh.node.llm.ledger.LedgerOps.close;
import static io.agentmesh.node.llm.ledger.LedgerOps.failed;
import static io.agentmesh.node.llm.ledger.LedgerOps.hardDay;
import static io.agentmesh.node.llm.ledger.LedgerOps.hardMonth;
import static io.agentmesh.node.llm.ledger.LedgerOps.start;
import static io.agentmesh.node.llm.ledger.LedgerOps.usd;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LlmLedgerTest {
    private final LedgerOps.Log log = new LedgerOps.Log();
    private final LlmLedger ledger = log.ledger;

    private static Reason rejected(LedgerResult r) {
        return assertInstanceOf(LedgerResult.Rejected.class, r).reason();
    }

    @Test
    void anOpenIsTokenedByItsTermAndIndexAndASecondOpenOfTheSameIdIsRefused() {
        log.index = 41;
        FencingToken t = log.open("c1", 3);
        assertEquals(new FencingToken(3, 42), t);
        assertEquals(Reason.DUPLICATE_CALL, rejected(log.apply(LedgerOps.open("c1", 4))));
        assertEquals(1, ledger.openCalls().size());
        assertEquals("node-a", ledger.call("c1").orElseThrow().holder());
    }

    @Test
    void aFullAnsweredCallChargesItsUsageOnTheDayAndTargetOfItsAttempt() {
        FencingToken t = log.open("c1", 1);
        LedgerResult.Started s = assertInstanceOf(LedgerResult.Started.class,
                log.apply(start("c1", t, 1, GPT, usd(0.5), List.of(), NOON)));
        assertEquals(List.of(), s.softBudgetsExceeded());
        assertEquals(usd(0.5), ledger.reservedNanoUsd());
        assertEquals(new LedgerResult.Ended("c1", 1, usd(0.01), 0), log.apply(answered("c1", t, 1, GPT, usd(0.01))));
        assertEquals(0, ledger.reservedNanoUsd());
        assertEquals(new LedgerResult.Closed("c1", LedgerOp.CallStatus.ANSWERED),
                log.apply(close("c1", t, LedgerOp.CallStatus.ANSWERED)));
        SpendRow row = ledger.spend().getFirst();
        assertEquals("2026-12-03", row.day());
        assertEquals(GPT, row.target());
        assertEquals(usd(0.01), row.chargedNanoUsd());
        assertEquals(0, row.inDoubtNanoUsd());
        assertEquals(1, row.attempts());
        assertEquals(1, row.callsAnswered());
        assertEquals(100, row.inputTokens());
        assertEquals(10, row.cachedInputTokens());
        assertEquals(5, row.cacheWriteTokens());
        assertEquals(50, row.outputTokens());
        assertEquals(List.of(), ledger.openCalls());
        assertEquals(Optional.of(LedgerOp.CallStatus.ANSWERED), ledger.call("c1").orElseThrow().status());
    }

    @Test
    void operationsWithAnotherTokenOrOnAClosedOrUnknownCallAreRefusedAndChangeNothing() {
        FencingToken t = log.open("c1", 1);
        FencingToken stale = new FencingToken(0, 1);
        assertEquals(Reason.NOT_HOLDER, rejected(log.apply(start("c1", stale, 1, GPT, 5, List.of(), NOON))));
        assertEquals(Reason.UNKNOWN_CALL, rejected(log.apply(start("nope", t, 1, GPT, 5, List.of(), NOON))));
        assertEquals(0, ledger.reservedNanoUsd());
        assertEquals(List.of(), ledger.spend());
        log.apply(close("c1", t, LedgerOp.CallStatus.FAILED));
        assertEquals(Reason.CLOSED, rejected(log.apply(start("c1", t, 1, GPT, 5, List.of(), NOON))));
        assertEquals(Reason.CLOSED, rejected(log.apply(close("c1", t, LedgerOp.CallStatus.ANSWERED))));
        assertEquals(Reason.DUPLICATE_CALL, rejected(log.apply(LedgerOps.open("c1", 2))));
    }

    @Test
    void attemptsGoInSequenceAndEachEndsOnceOnItsOwnTarget() {
        FencingToken t = log.open("c1", 1);
        assertEquals(Reason.WRONG_ATTEMPT, rejected(log.apply(start("c1", t, 2, GPT, 5, List.of(), NOON))));
        log.apply(start("c1", t, 1, GPT, 5, List.of(), NOON));
        assertEquals(Reason.WRONG_ATTEMPT, rejected(log.apply(start("c1", t, 1, GPT, 5, List.of(), NOON))));
        assertEquals(Reason.WRONG_ATTEMPT, rejected(log.apply(answered("c1", t, 2, GPT, 1))));
        assertEquals(Reason.WRONG_ATTEMPT, rejected(log.apply(answered("c1", t, 1, CLAUDE, 1))));
        log.apply(failed("c1", t, 1, GPT, ErrorClass.OVERLOADED));
        assertEquals(Reason.WRONG_ATTEMPT, rejected(log.apply(answered("c1", t, 1, GPT, 1))));
        assertInstanceOf(LedgerResult.Started.class, log.apply(start("c1", t, 2, CLAUDE, 7, List.of(), NOON)));
        assertEquals(2, ledger.call("c1").orElseThrow().attempts().size());
    }

    @Test
    void aPossiblyBilledFailureWithoutUsageIsChargedItsReservationInDoubtAndASurelyFreeOneNothing() {
        FencingToken t = log.open("c1", 1);
        log.apply(start("c1", t, 1, GPT, usd(0.2), List.of(), NOON));
        assertEquals(new LedgerResult.Ended("c1", 1, usd(0.2), usd(0.2)),
                log.apply(failed("c1", t, 1, GPT, ErrorClass.STREAM_CUT)));
        log.apply(start("c1", t, 2, GPT, usd(0.3), List.of(), NOON));
        assertEquals(new LedgerResult.Ended("c1", 2, 0, 0), log.apply(failed("c1", t, 2, GPT, ErrorClass.CONNECT)));
        // A possibly billed failure that did report usage is charged by it.
        log.apply(start("c1", t, 3, GPT, usd(0.3), List.of(), NOON));
        LedgerOp.AttemptEnd withUsage = new LedgerOp.AttemptEnd("c1", t, 3, GPT, Optional.of(ErrorClass.STREAM_CUT),
                200, new Usage(10, 0, 0, 3, 0), true, usd(0.001), 100, 50, 0, "", NOON);
        assertEquals(new LedgerResult.Ended("c1", 3, usd(0.001), 0), log.apply(withUsage));
        SpendRow row = ledger.spend().getFirst();
        assertEquals(usd(0.001), row.chargedNanoUsd());
        assertEquals(usd(0.2), row.inDoubtNanoUsd());
        assertEquals(3, row.attempts());
        assertEquals(0, ledger.reservedNanoUsd());
    }

    @Test
    void aCompleteAnswerWithoutKnownUsageCannotBeWritten() {
        assertThrows(IllegalArgumentException.class, () -> new LedgerOp.AttemptEnd("c1", new FencingToken(1, 1), 1,
                GPT, Optional.empty(), 200, Usage.NONE, false, 0, 1, 1, 0, "", NOON));
    }

    @Test
    void aHardBudgetRefusesTheAttemptWhoseWorstCaseWouldPassItCountingSpentInDoubtAndReserved() {
        Budget day = hardDay(usd(1.0));
        FencingToken a = log.open("a", 1);
        log.apply(start("a", a, 1, GPT, usd(0.3), List.of(day), NOON));
        log.apply(answered("a", a, 1, GPT, usd(0.25)));             // spent 0.25
        log.apply(start("a", a, 2, GPT, usd(0.2), List.of(day), NOON));
        log.apply(failed("a", a, 2, GPT, ErrorClass.TIMEOUT));       // in doubt 0.20
        FencingToken b = log.open("b", 1);
        log.apply(start("b", b, 1, CLAUDE, usd(0.35), List.of(day), NOON)); // reserved 0.35
        FencingToken c = log.open("c", 1);
        // 0.25 + 0.20 + 0.35 + 0.20 = 1.00: exactly the limit is allowed.
        assertInstanceOf(LedgerResult.Started.class, log.apply(start("c", c, 1, GPT, usd(0.2), List.of(day), NOON)));
        FencingToken d = log.open("d", 1);
        LedgerResult r = log.apply(start("d", d, 1, GPT, 1, List.of(day), NOON));
        LedgerResult.Rejected rej = assertInstanceOf(LedgerResult.Rejected.class, r);
        assertEquals(Reason.BUDGET_EXCEEDED, rej.reason());
        assertTrue(rej.message().contains(day.describe()), rej.message());
        assertTrue(rej.message().contains("spent $0.45") && rej.message().contains("reserved $0.55")
                && rej.message().contains("asked $0.000000001"), rej.message());
        assertTrue(ledger.call("d").orElseThrow().attempts().isEmpty(), "a refused attempt is not recorded");
    }

    @Test
    void aBudgetCountsOnlyTheTargetsItCoversAndOnlyItsPeriod() {
        Budget gptOnly = new Budget(Optional.of("openai"), Optional.of("gpt-4o"), Budget.Period.DAY, usd(1),
                Budget.Enforcement.HARD);
        FencingToken a = log.open("a", 1);
        log.apply(start("a", a, 1, CLAUDE, usd(5), List.of(), NOON));
        log.apply(answered("a", a, 1, CLAUDE, usd(5)));
        FencingToken y = log.open("y", 1);
        log.apply(start("y", y, 1, GPT, usd(1), List.of(), NOON - DAY_MS)); // yesterday's
        log.apply(answered("y", y, 1, GPT, usd(1)));
        FencingToken b = log.open("b", 1);
        assertInstanceOf(LedgerResult.Started.class, log.apply(start("b", b, 1, GPT, usd(1), List.of(gptOnly), NOON)));
        // A month budget sees yesterday (same month) and both targets.
        FencingToken c = log.open("c", 1);
        LedgerResult r = log.apply(start("c", c, 1, GPT, usd(1), List.of(hardMonth(usd(7.5))), NOON));
        assertEquals(Reason.BUDGET_EXCEEDED, rejected(r));
        // Next month starts afresh: December 3rd's figures are not in January's.
        long january = NOON + 30 * DAY_MS;
        assertInstanceOf(LedgerResult.Started.class, log.apply(start("c", c, 1, GPT, usd(7), List.of(hardMonth(
                usd(7.5))), january)));
    }

    @Test
    void anAttemptReservingMoreThanTheLedgersCeilingIsRefusedEvenWithoutBudgets() {
        FencingToken a = log.open("a", 1);
        LedgerResult r = log.apply(start("a", a, 1, GPT, LlmLedger.MAX_WORST_CASE_NANO_USD + 1, List.of(), NOON));
        assertEquals(Reason.BUDGET_EXCEEDED, rejected(r));
        assertInstanceOf(LedgerResult.Started.class, log.apply(start("a", a, 1, GPT, LlmLedger.MAX_WORST_CASE_NANO_USD,
                List.of(), NOON)));
        assertEquals(LlmLedger.MAX_WORST_CASE_NANO_USD, ledger.reservedNanoUsd());
    }

    @Test
    void aSoftBudgetNeverRefusesButIsReportedWhenPassed() {
        Budget soft = new Budget(Optional.empty(), Optional.empty(), Budget.Period.DAY, usd(1),
                Budget.Enforcement.SOFT);
        FencingToken a = log.open("a", 1);
        LedgerResult.Started s = assertInstanceOf(LedgerResult.Started.class,
                log.apply(start("a", a, 1, GPT, usd(2), List.of(soft), NOON)));
        assertEquals(1, s.softBudgetsExceeded().size());
        assertTrue(s.softBudgetsExceeded().getFirst().contains(soft.describe()), s.toString());
    }

    @Test
    void closeChargesAnAttemptLeftWithoutAnEndInDoubtAndCountsTheCallOnItsLastTarget() {
        FencingToken t = log.open("c1", 1);
        log.apply(start("c1", t, 1, GPT, usd(0.1), List.of(), NOON));
        log.apply(failed("c1", t, 1, GPT, ErrorClass.OVERLOADED));
        log.apply(start("c1", t, 2, CLAUDE, usd(0.4), List.of(), NOON));
        log.apply(close("c1", t, LedgerOp.CallStatus.FAILED));
        assertEquals(0, ledger.reservedNanoUsd());
        SpendRow claude = ledger.spend().stream().filter(r -> r.target().equals(CLAUDE)).findFirst().orElseThrow();
        assertEquals(usd(0.4), claude.inDoubtNanoUsd());
        assertEquals(1, claude.callsFailed());
        SpendRow gpt = ledger.spend().stream().filter(r -> r.target().equals(GPT)).findFirst().orElseThrow();
        assertEquals(0, gpt.callsFailed());
        assertEquals("every attempt failed", ledger.call("c1").orElseThrow().message());
    }

    @Test
    void settleClosesAnOlderTermsCallInDoubtChargingEveryUnendedAttemptAndRefusesACurrentOne() {
        FencingToken t = log.open("c1", 2);
        log.apply(start("c1", t, 1, GPT, usd(0.1), List.of(), NOON));
        log.apply(failed("c1", t, 1, GPT, ErrorClass.RATE_LIMITED));
        log.apply(start("c1", t, 2, GPT, usd(0.4), List.of(), NOON));
        assertEquals(Reason.HOLDER_CURRENT, rejected(log.apply(new LedgerOp.Settle("c1", "node-b", 2, NOON))));
        assertEquals(Reason.HOLDER_CURRENT, rejected(log.apply(new LedgerOp.Settle("c1", "node-b", 1, NOON))));
        assertEquals(new LedgerResult.Settled("c1", 1, usd(0.4)),
                log.apply(new LedgerOp.Settle("c1", "node-b", 3, NOON)));
        LedgerCall c = ledger.call("c1").orElseThrow();
        assertEquals(Optional.of(LedgerOp.CallStatus.IN_DOUBT), c.status());
        SpendRow row = ledger.spend().getFirst();
        assertEquals(usd(0.4), row.inDoubtNanoUsd());
        assertEquals(1, row.callsInDoubt());
        assertEquals(0, ledger.reservedNanoUsd());
        assertEquals(Reason.CLOSED, rejected(log.apply(new LedgerOp.Settle("c1", "node-b", 3, NOON))));
        assertEquals(Reason.UNKNOWN_CALL, rejected(log.apply(new LedgerOp.Settle("zz", "node-b", 3, NOON))));
        // The old holder's late end is refused: the call is settled.
        assertEquals(Reason.CLOSED, rejected(log.apply(answered("c1", t, 2, GPT, 1))));
    }

    @Test
    void healthFactsKeepTheNewest32EndsPerTargetOldestFirst() {
        FencingToken t = log.open("c1", 1);
        for (int i = 1; i <= 40; i++) {
            log.apply(start("c1", t, i, GPT, 1, List.of(), NOON));
            log.apply(failed("c1", t, i, GPT, ErrorClass.OVERLOADED));
        }
        List<LedgerOp.AttemptEnd> facts = ledger.recentEnds().get(GPT);
        assertEquals(LlmLedger.ENDS_PER_TARGET, facts.size());
        assertEquals(9, facts.getFirst().attemptNumber());
        assertEquals(40, facts.getLast().attemptNumber());
    }

    @Test
    void onlyTheNewest1024ClosedCallsAreKeptAndAForgottenIdIsUnknown() {
        for (int i = 0; i < LlmLedger.RETAIN_CLOSED + 5; i++) {
            FencingToken t = log.open("c" + i, 1);
            log.apply(close("c" + i, t, LedgerOp.CallStatus.FAILED));
        }
        assertEquals(LlmLedger.RETAIN_CLOSED, ledger.closedCalls().size());
        assertTrue(ledger.call("c4").isEmpty());
        assertTrue(ledger.call("c5").isPresent());
        assertEquals(Reason.UNKNOWN_CALL, rejected(log.apply(new LedgerOp.Settle("c0", "n", 9, NOON))));
    }

    @Test
    void spendRowsAreKeptFor400DaysDroppingTheOldest() {
        FencingToken t = log.open("c1", 1);
        // One call's attempts can start on any day; 64 attempts a call, so spread over calls.
        int day = 0;
        for (int c = 0; day < LlmLedger.RETAIN_DAYS + 3; c++) {
            FencingToken tok = c == 0 ? t : log.open("d" + c, 1);
            String id = c == 0 ? "c1" : "d" + c;
            for (int n = 1; n <= LedgerOp.MAX_ATTEMPTS && day < LlmLedger.RETAIN_DAYS + 3; n++, day++) {
                log.apply(start(id, tok, n, GPT, 1, List.of(), NOON + day * DAY_MS));
                log.apply(answered(id, tok, n, GPT, 1));
            }
        }
        List<SpendRow> rows = ledger.spend();
        assertEquals(LlmLedger.RETAIN_DAYS, rows.size());
        assertEquals(LocalDay.of(NOON + 3 * DAY_MS), rows.getFirst().epochDay());
    }

    @Test
    void openCallsAreBounded() {
        for (int i = 0; i < LlmLedger.MAX_OPEN_CALLS; i++) {
            log.open("c" + i, 1);
        }
        assertEquals(Reason.TOO_MANY_OPEN_CALLS, rejected(log.apply(LedgerOps.open("one-more", 1))));
    }

    @Test
    void aSnapshotInstallsIntoAnotherLedgerWithIdenticalReads() {
        FencingToken t = log.open("c1", 1);
        log.apply(start("c1", t, 1, GPT, usd(0.1), List.of(), NOON));
        log.apply(answered("c1", t, 1, GPT, 5));
        log.apply(close("c1", t, LedgerOp.CallStatus.ANSWERED));
        FencingToken u = log.open("c2", 1);
        log.apply(start("c2", u, 1, CLAUDE, usd(0.2), List.of(), NOON));
        List<LedgerSnapshotChunk> chunks = new ArrayList<>();
        ledger.takeSnapshot(chunks::add);
        LlmLedger other = new LlmLedger();
        other.installSnapshot(log.index, chunks);
        LedgerSnapshotAssert.sameReads(ledger, other);
        // And it goes on identically.
        LedgerOp next = answered("c2", u, 1, CLAUDE, 7);
        assertEquals(ledger.apply(log.index + 1, next), other.apply(log.index + 1, next));
        LedgerSnapshotAssert.sameReads(ledger, other);
    }

    @Test
    void aBadSnapshotLeavesTheLedgerAsItWas() {
        FencingToken t = log.open("c1", 1);
        log.apply(start("c1", t, 1, GPT, usd(0.1), List.of(), NOON));
        List<LedgerSnapshotChunk> chunks = new ArrayList<>();
        ledger.takeSnapshot(chunks::add);
        List<LedgerSnapshotChunk> twice = new ArrayList<>(chunks);
        twice.addAll(chunks);
        LlmLedger other = new LlmLedger();
        LedgerOps.Log otherLog = new LedgerOps.Log();
        otherLog.open("mine", 1);
        assertThrows(IllegalArgumentException.class, () -> otherLog.ledger.installSnapshot(10, twice));
        assertEquals(List.of("mine"), otherLog.ledger.openCalls().stream().map(LedgerCall::callId).toList());
        assertThrows(IllegalArgumentException.class, () -> other.installSnapshot(0, chunks),
                "a call whose token index is past the snapshot's");
    }

    /** UTC epoch day of a time, as the ledger computes it. */
    private static final class LocalDay {
        static long of(long millis) {
            return Math.floorDiv(millis, DAY_MS);
        }
    }
}
