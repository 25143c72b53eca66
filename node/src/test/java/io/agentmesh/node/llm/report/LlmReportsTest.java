package io.agentmesh.node.llm.report;

import io.agentmesh.node.actions.FencingToken;
import io.agentmesh.node.llm.ErrorClass;
import io.agentmesh.node.llm.Usage;
import io.agentmesh.node.llm.config.Budget;
import io.agentmesh.node.llm.config.Target;
import io.agentmesh.node.llm.gateway.LlmGateway;
import io.agentmesh.node.llm.ledger.LedgerOp;
import io.agentmesh.node.llm.ledger.LlmLedger;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The status and costs documents count what a real call ledger applied: spend per day and target, budgets over their
 * periods with the open attempts' reservations, recent attempts, errors and latency per target; and a follower's
 * replica of the ledger gives the same figures.
 */
class LlmReportsTest {
    private static final Target FAKE = new Target("fake", "fake-small");
    private static final Target OLD = new Target("gone", "old-model");
    /** 2026-12-03T12:00:00Z. */
    private static final long NOON = 1_796_299_200_000L;
    private static final long DAY_MS = 86_400_000L;
    private static final Budget DAY = new Budget(Optional.empty(), Optional.empty(), Budget.Period.DAY,
            1_000_000, Budget.Enforcement.HARD);
    private static final Budget MONTH = new Budget(Optional.of("fake"), Optional.empty(), Budget.Period.MONTH,
            5_000_000, Budget.Enforcement.SOFT);

    private final List<LedgerOp> log = new ArrayList<>();

    /** A ledger that applied the log so far, as every voter's replica does. */
    private LlmLedger replica() {
        LlmLedger ledger = new LlmLedger();
        for (int i = 0; i < log.size(); i++) {
            ledger.apply(i + 1, log.get(i));
        }
        return ledger;
    }

    private FencingToken open(String id, long atMillis) {
        log.add(new LedgerOp.Open(id, "node-a", 2, LedgerOp.Origin.ENDPOINT, atMillis));
        return replica().call(id).orElseThrow().token();
    }

    private void start(String id, FencingToken token, int n, Target t, long worst, long atMillis) {
        log.add(new LedgerOp.AttemptStart(id, token, n, t, worst, List.of(DAY, MONTH), atMillis));
    }

    private void end(String id, FencingToken token, int n, Target t, Optional<ErrorClass> error, int status,
                     long charged, long elapsedMs, long atMillis) {
        log.add(new LedgerOp.AttemptEnd(id, token, n, t, error, status, error.isEmpty() ? new Usage(16, 0, 0, 30, 0)
                : Usage.NONE, error.isEmpty(), charged, elapsedMs, elapsedMs / 2, 0, "none", atMillis));
    }

    private void close(String id, FencingToken token, LedgerOp.CallStatus status, long atMillis) {
        log.add(new LedgerOp.Close(id, token, status, "", atMillis));
    }

    /**
     * Yesterday one answered call; today one answered at once, one answered after an overload, one still open with
     * its attempt reserved, and one at a target this node's llm.json no longer names.
     */
    private void traffic() {
        FencingToken y = open("yesterday", NOON - DAY_MS);
        start("yesterday", y, 1, FAKE, 200_000, NOON - DAY_MS);
        end("yesterday", y, 1, FAKE, Optional.empty(), 200, 50_000, 30, NOON - DAY_MS + 30);
        close("yesterday", y, LedgerOp.CallStatus.ANSWERED, NOON - DAY_MS + 31);

        FencingToken a = open("a", NOON);
        start("a", a, 1, FAKE, 200_000, NOON);
        end("a", a, 1, FAKE, Optional.empty(), 200, 76_000, 20, NOON + 20);
        close("a", a, LedgerOp.CallStatus.ANSWERED, NOON + 21);

        FencingToken b = open("b", NOON + 100);
        start("b", b, 1, FAKE, 200_000, NOON + 100);
        end("b", b, 1, FAKE, Optional.of(ErrorClass.OVERLOADED), 529, 0, 5, NOON + 105);
        start("b", b, 2, FAKE, 200_000, NOON + 106);
        end("b", b, 2, FAKE, Optional.empty(), 200, 76_000, 40, NOON + 146);
        close("b", b, LedgerOp.CallStatus.ANSWERED, NOON + 147);

        FencingToken c = open("c", NOON + 200);
        start("c", c, 1, FAKE, 300_000, NOON + 200);

        FencingToken d = open("d", NOON + 300);
        start("d", d, 1, OLD, 100_000, NOON + 300);
        end("d", d, 1, OLD, Optional.empty(), 200, 10_000, 60, NOON + 360);
        close("d", d, LedgerOp.CallStatus.ANSWERED, NOON + 361);
    }

    private static LlmGateway.Status gateway(boolean leader) {
        return new LlmGateway.Status("/srv/node1/llm.json", true, leader, leader ? 1 : 0, 32, List.of(
                new LlmGateway.TargetStatus(FAKE, true, "closed", 0, 0, 0, 0, 25, Optional.empty(), "available")));
    }

    private static LlmReports.LedgerView view(LlmLedger l) {
        return new LlmReports.LedgerView(l.spend(), l.recentEnds(), l.openCalls(), l.reservedNanoUsd());
    }

    @Test
    void statusCountsRecentAttemptsErrorsLatencyBudgetsAndToday() {
        traffic();
        Map<String, Object> s = LlmReports.status("node1", "leader", gateway(true), List.of(DAY, MONTH),
                view(replica()), NOON + 1_000);
        assertEquals(true, s.get("configured"));
        assertEquals(true, s.get("serving"));
        assertEquals(Map.of("openCalls", 1, "reservedNanoUsd", 300_000L), s.get("ledger"));

        List<?> targets = (List<?>) s.get("targets");
        assertEquals(2, targets.size());
        Map<?, ?> fake = (Map<?, ?>) targets.get(0);
        assertEquals("fake/fake-small", fake.get("target"));
        assertEquals(true, fake.get("available"));
        assertEquals(25L, fake.get("firstTokenMs"));
        Map<?, ?> recent = (Map<?, ?>) fake.get("recent");
        assertEquals(4, recent.get("attempts"), "yesterday's, a's and b's two");
        assertEquals(1L, recent.get("failures"));
        assertEquals(25L, recent.get("errorRatePercent"));
        assertEquals("OVERLOADED (HTTP 529)", recent.get("lastError"));
        assertEquals(Map.of("p50", 30L, "max", 40L, "answers", 3), fake.get("latencyMs"));
        Map<?, ?> old = (Map<?, ?>) targets.get(1);
        assertEquals("gone/old-model", old.get("target"));
        assertEquals("not in this node's llm.json", old.get("health"));
        assertEquals(false, old.get("available"));

        List<?> budgets = (List<?>) s.get("budgets");
        Map<?, ?> day = (Map<?, ?>) budgets.get(0);
        assertEquals("every call", day.get("scope"));
        assertEquals("2026-12-03", day.get("periodStart"));
        assertEquals(76_000L + 76_000 + 10_000 + 200_000, day.get("spentNanoUsd"),
                "today's charges at every target, and the overloaded attempt's reservation in doubt");
        assertEquals(300_000L, day.get("reservedNanoUsd"), "the open attempt's worst case");
        assertEquals(1_000_000L - 362_000 - 300_000, day.get("leftNanoUsd"));
        Map<?, ?> month = (Map<?, ?>) budgets.get(1);
        assertEquals("fake/every model", month.get("scope"));
        assertEquals("2026-12-01", month.get("periodStart"));
        assertEquals("2026-12-31", month.get("periodEnd"));
        assertEquals(50_000L + 76_000 + 76_000 + 200_000, month.get("spentNanoUsd"), "this month at fake only");
        assertEquals("soft", month.get("enforcement"));

        Map<?, ?> today = (Map<?, ?>) s.get("today");
        assertEquals("2026-12-03", today.get("day"));
        assertEquals(162_000L, today.get("chargedNanoUsd"));
        assertEquals(200_000L, today.get("inDoubtNanoUsd"), "possibly billed, usage unknown");
        assertEquals(5L, today.get("attempts"), "a, b twice, c and d");
        assertEquals(3L, today.get("callsAnswered"));
        assertEquals(16L * 3, today.get("inputTokens"));
    }

    @Test
    void costsListEachDayAndTargetInTheWindowAndTheirTotals() {
        traffic();
        Map<String, Object> oneDay = LlmReports.costs("node1", replica().spend(), 1, NOON + 1_000);
        assertEquals("2026-12-03", oneDay.get("from"));
        assertEquals(2, ((List<?>) oneDay.get("rows")).size(), "today: fake and gone");
        assertEquals(162_000L, ((Map<?, ?>) oneDay.get("totals")).get("chargedNanoUsd"));

        Map<String, Object> twoDays = LlmReports.costs("node1", replica().spend(), 2, NOON + 1_000);
        List<?> rows = (List<?>) twoDays.get("rows");
        assertEquals(3, rows.size());
        Map<?, ?> first = (Map<?, ?>) rows.get(0);
        assertEquals("2026-12-02", first.get("day"));
        assertEquals("fake", first.get("provider"));
        assertEquals(50_000L, first.get("chargedNanoUsd"));
        assertEquals(1L, first.get("callsAnswered"));
        assertEquals("fake", ((Map<?, ?>) rows.get(1)).get("provider"), "by day, then target");
        assertEquals("gone", ((Map<?, ?>) rows.get(2)).get("provider"), "by day, then target");
        Map<?, ?> totals = (Map<?, ?>) twoDays.get("totals");
        assertEquals(212_000L, totals.get("chargedNanoUsd"));
        assertEquals(6L, totals.get("attempts"));
        assertEquals(30L * 4, totals.get("outputTokens"));
    }

    @Test
    void aFollowersReplicaShowsTheSameSpendAndHealthFacts() {
        traffic();
        Map<String, Object> leader = LlmReports.status("node1", "leader", gateway(true), List.of(DAY),
                view(replica()), NOON + 1_000);
        Map<String, Object> follower = LlmReports.status("node2", "follower", gateway(false), List.of(DAY),
                view(replica()), NOON + 1_000);
        for (String key : List.of("targets", "ledger", "budgets", "today")) {
            assertEquals(leader.get(key), follower.get(key), key);
        }
        assertEquals(false, follower.get("serving"));
    }

    @Test
    void metricsCountEveryRetainedDayPerTargetAndGaugeHealthCallsAndBudgets() {
        traffic();
        String text = LlmReports.prometheus(gateway(true), List.of(DAY), view(replica()), NOON + 1_000);
        List<String> lines = text.lines().toList();
        assertTrue(lines.contains("# TYPE agentmesh_llm_charged_nano_usd_total counter"), text);
        assertTrue(lines.contains(
                "agentmesh_llm_charged_nano_usd_total{provider=\"fake\",model=\"fake-small\"} 202000"),
                "yesterday's and today's charges: " + text);
        assertTrue(lines.contains(
                "agentmesh_llm_in_doubt_nano_usd_total{provider=\"fake\",model=\"fake-small\"} 200000"), text);
        assertTrue(lines.contains("agentmesh_llm_attempts_total{provider=\"fake\",model=\"fake-small\"} 5"), text);
        assertTrue(lines.contains(
                "agentmesh_llm_calls_total{provider=\"fake\",model=\"fake-small\",status=\"answered\"} 3"), text);
        assertTrue(lines.contains(
                "agentmesh_llm_tokens_total{provider=\"gone\",model=\"old-model\",kind=\"output\"} 30"), text);
        assertTrue(lines.contains("agentmesh_llm_target_available{provider=\"fake\",model=\"fake-small\"} 1"), text);
        assertTrue(lines.contains("agentmesh_llm_open_calls 1"), text);
        assertTrue(lines.contains("agentmesh_llm_reserved_nano_usd 300000"), text);
        assertTrue(lines.contains("agentmesh_llm_budget_left_nano_usd{scope=\"every call\",period=\"day\","
                + "enforcement=\"hard\"} 338000"), text);
        for (String line : lines) {
            assertTrue(line.startsWith("# HELP agentmesh_llm_") || line.startsWith("# TYPE agentmesh_llm_")
                    || line.matches("agentmesh_llm_[a-z_]+(\\{[^}]*\\})? -?\\d+"), "not the text format: " + line);
        }
    }

    @Test
    void labelValuesAreEscaped() {
        assertEquals("a\\\\b\\\"c\\nd", LlmReports.escape("a\\b\"c\nd"));
    }

    @Test
    void aNodeWithNoCallsYetShowsZerosAndNoLatency() {
        Map<String, Object> s = LlmReports.status("node1", "leader", gateway(true), List.of(DAY),
                view(new LlmLedger()), NOON);
        Map<?, ?> fake = (Map<?, ?>) ((List<?>) s.get("targets")).getFirst();
        assertNull(fake.get("latencyMs"));
        assertNull(((Map<?, ?>) fake.get("recent")).get("lastError"));
        assertEquals(1_000_000L, ((Map<?, ?>) ((List<?>) s.get("budgets")).getFirst()).get("leftNanoUsd"));
        assertEquals(0L, ((Map<?, ?>) s.get("today")).get("chargedNanoUsd"));
    }
}
