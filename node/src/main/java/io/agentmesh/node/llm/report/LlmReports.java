package io.agentmesh.node.llm.report;

import io.agentmesh.node.llm.ErrorClass;
import io.agentmesh.node.llm.config.Budget;
import io.agentmesh.node.llm.config.Target;
import io.agentmesh.node.llm.gateway.LlmGateway;
import io.agentmesh.node.llm.ledger.LedgerAttempt;
import io.agentmesh.node.llm.ledger.LedgerCall;
import io.agentmesh.node.llm.ledger.LedgerOp;
import io.agentmesh.node.llm.ledger.SpendRow;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The operator's view of the LLM gateway, as the documents {@code GET /v1/llm/status} and {@code /v1/llm/costs}
 * answer (docs/llm.md, "Status and costs"): pure functions of what the gateway and the call ledger report and of the
 * time, so a follower, whose ledger is a replica of the leader's, shows the same spend and the same health facts.
 * Money is exact nano-USD ({@code ...NanoUsd}); days are UTC.
 */
public final class LlmReports {
    private static final long MILLIS_PER_DAY = 86_400_000L;

    private LlmReports() {
    }

    /** What the call ledger holds, as read on the node thread. */
    public record LedgerView(List<SpendRow> spend, Map<Target, List<LedgerOp.AttemptEnd>> recentEnds,
                             List<LedgerCall> openCalls, long reservedNanoUsd) {
        public LedgerView {
            spend = List.copyOf(spend);
            recentEnds = Map.copyOf(recentEnds);
            openCalls = List.copyOf(openCalls);
        }
    }

    /**
     * The gateway's status: each target's health (the gateway's view: its book is the ledger's health facts
     * replayed, so it is the same on every node), the recent attempts, error rate and latency of each (from the
     * ledger's newest attempt ends), calls in flight, the ledger's open calls and reservations, each budget of this
     * node's llm.json with what its period has spent, holds in reservations and has left, and today's spend.
     *
     * @param role    this node's consensus role, as /v1/status says it
     * @param budgets this node's llm.json budgets (what the gateway reserves against when this node leads)
     */
    public static Map<String, Object> status(String nodeId, String role, LlmGateway.Status gateway,
                                             List<Budget> budgets, LedgerView ledger, long nowMillis) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("node", nodeId);
        out.put("role", role);
        out.put("configured", gateway.configured());
        out.put("configSource", gateway.configSource());
        out.put("serving", gateway.leader());
        out.put("inFlight", gateway.callsInFlight());
        out.put("maxInFlight", gateway.maxCallsInFlight());
        out.put("asOfMillis", nowMillis);

        List<Map<String, Object>> targets = new ArrayList<>();
        Set<Target> shown = new LinkedHashSet<>();
        for (LlmGateway.TargetStatus t : gateway.targets()) {
            shown.add(t.target());
            Map<String, Object> m = target(t.target(), ledger.recentEnds().getOrDefault(t.target(), List.of()));
            m.put("available", available(t));
            m.put("health", t.availability());
            m.put("keyPresent", t.keyPresent());
            m.put("circuit", t.circuit());
            m.put("openUntilMillis", orNull(t.openUntilMillis()));
            m.put("cooldownUntilMillis", orNull(t.cooldownUntilMillis()));
            m.put("retryAfterUntilMillis", orNull(t.retryAfterUntilMillis()));
            m.put("consecutiveFailures", t.consecutiveFailures());
            m.put("firstTokenMs", t.firstTokenEwmaMs() < 0 ? null : t.firstTokenEwmaMs());
            targets.add(m);
        }
        // Targets another leader's llm.json sent to: their facts are in the ledger, this node routes nothing there.
        ledger.recentEnds().keySet().stream().filter(t -> !shown.contains(t)).sorted().forEach(t -> {
            Map<String, Object> m = target(t, ledger.recentEnds().get(t));
            m.put("available", false);
            m.put("health", "not in this node's llm.json");
            targets.add(m);
        });
        out.put("targets", targets);

        Map<String, Object> led = new LinkedHashMap<>();
        led.put("openCalls", ledger.openCalls().size());
        led.put("reservedNanoUsd", ledger.reservedNanoUsd());
        out.put("ledger", led);

        long today = Math.floorDiv(nowMillis, MILLIS_PER_DAY);
        List<Map<String, Object>> budgetRows = new ArrayList<>();
        for (Budget b : budgets) {
            budgetRows.add(budget(b, today, ledger));
        }
        out.put("budgets", budgetRows);

        Map<String, Object> day = sums(ledger.spend().stream().filter(r -> r.epochDay() == today).toList());
        Map<String, Object> todayOut = new LinkedHashMap<>();
        todayOut.put("day", LocalDate.ofEpochDay(today).toString());
        todayOut.putAll(day);
        out.put("today", todayOut);
        return out;
    }

    /**
     * The line {@code GET /v1/status} carries: today's spend over every target, and the calls open in the ledger.
     */
    public static Map<String, Object> summary(LedgerView ledger, long nowMillis) {
        long today = Math.floorDiv(nowMillis, MILLIS_PER_DAY);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("day", LocalDate.ofEpochDay(today).toString());
        out.putAll(sums(ledger.spend().stream().filter(r -> r.epochDay() == today).toList()));
        out.put("openCalls", ledger.openCalls().size());
        out.put("reservedNanoUsd", ledger.reservedNanoUsd());
        return out;
    }

    /**
     * Spend per UTC day, provider and model over today and the {@code days - 1} days before it (oldest first), and
     * the totals over them.
     */
    public static Map<String, Object> costs(String nodeId, List<SpendRow> spend, int days, long nowMillis) {
        if (days < 1) {
            throw new IllegalArgumentException("days must be at least 1, got " + days);
        }
        long to = Math.floorDiv(nowMillis, MILLIS_PER_DAY);
        long from = to - days + 1;
        List<SpendRow> rows = spend.stream().filter(r -> r.epochDay() >= from && r.epochDay() <= to)
                .sorted((a, b) -> a.epochDay() != b.epochDay() ? Long.compare(a.epochDay(), b.epochDay())
                        : a.target().compareTo(b.target()))
                .toList();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("node", nodeId);
        out.put("days", days);
        out.put("from", LocalDate.ofEpochDay(from).toString());
        out.put("to", LocalDate.ofEpochDay(to).toString());
        List<Map<String, Object>> list = new ArrayList<>();
        for (SpendRow r : rows) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("day", r.day());
            m.put("provider", r.target().providerId());
            m.put("model", r.target().model());
            m.putAll(sums(List.of(r)));
            list.add(m);
        }
        out.put("rows", list);
        out.put("totals", sums(rows));
        return out;
    }

    /**
     * The same figures in the Prometheus text exposition format (version 0.0.4), for scraping: spend, attempts, calls
     * and tokens per provider and model as counters (summed over the days the ledger keeps, so they only grow until a
     * day older than {@link io.agentmesh.node.llm.ledger.LlmLedger#RETAIN_DAYS} days is dropped), and as gauges each
     * target's availability, the calls in flight and open, the reserved amount and each budget's spent and left.
     */
    public static String prometheus(LlmGateway.Status gateway, List<Budget> budgets, LedgerView ledger,
                                    long nowMillis) {
        Map<Target, long[]> totals = new java.util.TreeMap<>();
        for (SpendRow r : ledger.spend()) {
            long[] t = totals.computeIfAbsent(r.target(), k -> new long[10]);
            long[] add = {r.chargedNanoUsd(), r.inDoubtNanoUsd(), r.attempts(), r.callsAnswered(), r.callsFailed(),
                    r.callsInDoubt(), r.inputTokens(), r.cachedInputTokens(), r.cacheWriteTokens(), r.outputTokens()};
            for (int i = 0; i < t.length; i++) {
                t[i] = add(t[i], add[i]);
            }
        }
        StringBuilder sb = new StringBuilder(4096);
        family(sb, "charged_nano_usd_total", "counter", "what LLM attempts cost by the price table, in nano-USD");
        totals.forEach((t, v) -> sample(sb, "charged_nano_usd_total", labels(t), v[0]));
        family(sb, "in_doubt_nano_usd_total", "counter",
                "reservations of possibly billed attempts whose usage is unknown, in nano-USD");
        totals.forEach((t, v) -> sample(sb, "in_doubt_nano_usd_total", labels(t), v[1]));
        family(sb, "attempts_total", "counter", "attempts started");
        totals.forEach((t, v) -> sample(sb, "attempts_total", labels(t), v[2]));
        family(sb, "calls_total", "counter", "calls closed, by how they ended, on their last attempt's target");
        String[] statuses = {"answered", "failed", "in_doubt"};
        totals.forEach((t, v) -> {
            for (int i = 0; i < statuses.length; i++) {
                sample(sb, "calls_total", labels(t) + ",status=\"" + statuses[i] + "\"", v[3 + i]);
            }
        });
        family(sb, "tokens_total", "counter", "tokens the providers reported, normalised");
        String[] kinds = {"input", "cached_input", "cache_write", "output"};
        totals.forEach((t, v) -> {
            for (int i = 0; i < kinds.length; i++) {
                sample(sb, "tokens_total", labels(t) + ",kind=\"" + kinds[i] + "\"", v[6 + i]);
            }
        });
        family(sb, "target_available", "gauge", "1 when routing may send an attempt to the target now");
        for (LlmGateway.TargetStatus t : gateway.targets()) {
            sample(sb, "target_available", labels(t.target()), available(t) ? 1 : 0);
        }
        family(sb, "calls_in_flight", "gauge", "calls this node is serving now (only the leader serves)");
        sample(sb, "calls_in_flight", "", gateway.callsInFlight());
        family(sb, "open_calls", "gauge", "calls open in the ledger");
        sample(sb, "open_calls", "", ledger.openCalls().size());
        family(sb, "reserved_nano_usd", "gauge", "worst cases held back from the budgets by unended attempts");
        sample(sb, "reserved_nano_usd", "", ledger.reservedNanoUsd());
        long today = Math.floorDiv(nowMillis, MILLIS_PER_DAY);
        family(sb, "budget_limit_nano_usd", "gauge", "each budget of this node's llm.json, its current period");
        family(sb, "budget_spent_nano_usd", "gauge", "charged and in doubt in the budget's current period");
        family(sb, "budget_left_nano_usd", "gauge", "the limit less spent and reserved, never below 0");
        for (Budget b : budgets) {
            Map<String, Object> m = budget(b, today, ledger);
            String l = "scope=\"" + escape((String) m.get("scope")) + "\",period=\"" + m.get("period")
                    + "\",enforcement=\"" + m.get("enforcement") + "\"";
            sample(sb, "budget_limit_nano_usd", l, (Long) m.get("limitNanoUsd"));
            sample(sb, "budget_spent_nano_usd", l, (Long) m.get("spentNanoUsd"));
            sample(sb, "budget_left_nano_usd", l, (Long) m.get("leftNanoUsd"));
        }
        return sb.toString();
    }

    /** The gateway says "available", "available (half-open probe)", or why not and until when. */
    private static boolean available(LlmGateway.TargetStatus t) {
        return t.availability().startsWith("available");
    }

    private static void family(StringBuilder sb, String name, String type, String help) {
        sb.append("# HELP agentmesh_llm_").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE agentmesh_llm_").append(name).append(' ').append(type).append('\n');
    }

    private static void sample(StringBuilder sb, String name, String labels, long value) {
        sb.append("agentmesh_llm_").append(name);
        if (!labels.isEmpty()) {
            sb.append('{').append(labels).append('}');
        }
        sb.append(' ').append(value).append('\n');
    }

    private static String labels(Target t) {
        return "provider=\"" + escape(t.providerId()) + "\",model=\"" + escape(t.model()) + "\"";
    }

    /** A label value as the text format writes it: backslash, quote and newline escaped. */
    static String escape(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    /** A target's recent attempts as the ledger's newest ends tell them: count, failures, last error, latency. */
    private static Map<String, Object> target(Target t, List<LedgerOp.AttemptEnd> ends) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("target", t.toString());
        m.put("provider", t.providerId());
        m.put("model", t.model());
        long failures = ends.stream().filter(e -> e.error().isPresent()).count();
        Optional<LedgerOp.AttemptEnd> lastFailure = ends.reversed().stream().filter(e -> e.error().isPresent())
                .findFirst();
        Map<String, Object> recent = new LinkedHashMap<>();
        recent.put("attempts", ends.size());
        recent.put("failures", failures);
        recent.put("errorRatePercent", ends.isEmpty() ? 0 : Math.round(100.0 * failures / ends.size()));
        recent.put("lastError", lastFailure.map(LlmReports::errorText).orElse(null));
        recent.put("lastErrorMillis", lastFailure.map(LedgerOp.AttemptEnd::endedMillis).orElse(null));
        recent.put("lastEndedMillis", ends.isEmpty() ? null : ends.getLast().endedMillis());
        m.put("recent", recent);
        List<Long> answered = ends.stream().filter(e -> e.error().isEmpty()).map(LedgerOp.AttemptEnd::elapsedMs)
                .sorted().toList();
        if (answered.isEmpty()) {
            m.put("latencyMs", null);
        } else {
            Map<String, Object> latency = new LinkedHashMap<>();
            latency.put("p50", answered.get((answered.size() - 1) / 2));
            latency.put("max", answered.getLast());
            latency.put("answers", answered.size());
            m.put("latencyMs", latency);
        }
        return m;
    }

    private static String errorText(LedgerOp.AttemptEnd e) {
        ErrorClass error = e.error().orElseThrow();
        return error.name() + (e.httpStatus() > 0 ? " (HTTP " + e.httpStatus() + ")" : "");
    }

    /**
     * A budget over the period that contains {@code today}, counted as the ledger enforces it: spent is charged and
     * in doubt of the rows it covers, reserved the worst cases of its open attempts started in the period, left
     * what neither has taken of the limit (never below 0).
     */
    private static Map<String, Object> budget(Budget b, long today, LedgerView ledger) {
        long[] period = b.period().epochDays(today);
        long spent = 0;
        for (SpendRow r : ledger.spend()) {
            if (r.epochDay() >= period[0] && r.epochDay() <= period[1] && b.covers(r.target())) {
                spent = add(spent, r.spentNanoUsd());
            }
        }
        long reserved = 0;
        for (LedgerCall c : ledger.openCalls()) {
            for (LedgerAttempt a : c.attempts()) {
                if (!a.ended() && b.covers(a.target()) && a.epochDay() >= period[0] && a.epochDay() <= period[1]) {
                    reserved = add(reserved, a.worstCaseNanoUsd());
                }
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("scope", b.provider().isEmpty() && b.model().isEmpty() ? "every call"
                : b.provider().orElse("every provider") + "/" + b.model().orElse("every model"));
        m.put("provider", b.provider().orElse(null));
        m.put("model", b.model().orElse(null));
        m.put("period", b.period().name().toLowerCase(Locale.ROOT));
        m.put("periodStart", LocalDate.ofEpochDay(period[0]).toString());
        m.put("periodEnd", LocalDate.ofEpochDay(period[1]).toString());
        m.put("enforcement", b.enforcement().name().toLowerCase(Locale.ROOT));
        m.put("limitNanoUsd", b.limitNanoUsd());
        m.put("spentNanoUsd", spent);
        m.put("reservedNanoUsd", reserved);
        m.put("leftNanoUsd", Math.max(0, b.limitNanoUsd() - add(spent, reserved)));
        return m;
    }


    private static Map<String, Object> sums(List<SpendRow> rows) {
        long charged = 0;
        long inDoubt = 0;
        long attempts = 0;
        long answered = 0;
        long failed = 0;
        long callsInDoubt = 0;
        long input = 0;
        long cached = 0;
        long cacheWrite = 0;
        long output = 0;
        for (SpendRow r : rows) {
            charged = add(charged, r.chargedNanoUsd());
            inDoubt = add(inDoubt, r.inDoubtNanoUsd());
            attempts = add(attempts, r.attempts());
            answered = add(answered, r.callsAnswered());
            failed = add(failed, r.callsFailed());
            callsInDoubt = add(callsInDoubt, r.callsInDoubt());
            input = add(input, r.inputTokens());
            cached = add(cached, r.cachedInputTokens());
            cacheWrite = add(cacheWrite, r.cacheWriteTokens());
            output = add(output, r.outputTokens());
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("chargedNanoUsd", charged);
        m.put("inDoubtNanoUsd", inDoubt);
        m.put("attempts", attempts);
        m.put("callsAnswered", answered);
        m.put("callsFailed", failed);
        m.put("callsInDoubt", callsInDoubt);
        m.put("inputTokens", input);
        m.put("cachedInputTokens", cached);
        m.put("cacheWriteTokens", cacheWrite);
        m.put("outputTokens", output);
        return m;
    }

    private static Object orNull(long millis) {
        return millis > 0 ? millis : null;
    }

    /** The ledger's figures saturate rather than wrap; so do their sums here. */
    private static long add(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }
}
