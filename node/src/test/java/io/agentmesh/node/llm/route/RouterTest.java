package io.agentmesh.node.llm.route;

import io.agentmesh.node.port.ManualClock;
import io.agentmesh.node.llm.AttemptResult;
import io.agentmesh.node.llm.ErrorClass;
import io.agentmesh.node.llm.config.LlmConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

import static io.agentmesh.node.llm.route.LlmTestConfigs.FLASH;
import static io.agentmesh.node.llm.route.LlmTestConfigs.GPT4O;
import static io.agentmesh.node.llm.route.LlmTestConfigs.HAIKU;
import static io.agentmesh.node.llm.route.LlmTestConfigs.MINI;
import static io.agentmesh.node.llm.route.LlmTestConfigs.SMART;
import static io.agentmesh.node.llm.route.LlmTestConfigs.SONNET;
import static io.agentmesh.node.llm.route.LlmTestConfigs.completed;
import static io.agentmesh.node.llm.route.LlmTestConfigs.failed;
import static io.agentmesh.node.llm.route.LlmTestConfigs.rateLimited;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The router's decisions in the situations the issue names, each with its one-line explanation. */
class RouterTest {
    private static final long T0 = 1_780_000_000_000L;
    private static final Map<String, String> KEYS = Map.of("openai", "aaaaaaaa", "anthropic", "bbbbbbbb",
            "deepseek", "cccccccc");

    @TempDir
    Path dir;
    private final ManualClock clock = new ManualClock(T0);

    private LlmConfig config(String extra) throws Exception {
        return LlmTestConfigs.config(dir, extra);
    }

    private static RouteDecision.Attempt attempt(RouteDecision d) {
        return assertInstanceOf(RouteDecision.Attempt.class, d, d.explanation());
    }

    private static RouteDecision.Refusal refusal(RouteDecision d) {
        return assertInstanceOf(RouteDecision.Refusal.class, d, d.explanation());
    }

    @Test
    void theFirstHealthyTargetInOrderTakesTheCallAndTheDecisionIsOneLine() throws Exception {
        LlmConfig c = config("\"routing\": {\"aliases\": {" + SMART + "}}");
        Router router = new Router(c, clock);
        RouteDecision.Attempt a = attempt(router.next(HealthBook.empty(c), KEYS, CallNeeds.of("smart", 1000, 500,
                false), List.of()));
        assertEquals(GPT4O, a.target());
        assertEquals(1, a.attemptNumber());
        assertEquals(T0, a.notBeforeMillis());
        assertFalse(a.probe());
        assertTrue(a.explanation().contains("attempt 1/3 -> openai/gpt-4o now (ordered)"), a.explanation());
        assertFalse(a.explanation().contains("\n"));
        // A plain model name: every provider offering it; provider/model: that one alone.
        assertEquals(MINI, attempt(router.next(HealthBook.empty(c), KEYS, CallNeeds.of("gpt-4o-mini", 1, 1, false),
                List.of())).target());
        assertEquals(FLASH, attempt(router.next(HealthBook.empty(c), KEYS,
                CallNeeds.of("deepseek/deepseek-v4-flash", 1, 1, false), List.of())).target());
        assertEquals(RouteDecision.Reason.UNKNOWN_MODEL, refusal(router.next(HealthBook.empty(c), KEYS,
                CallNeeds.of("gpt-9", 1, 1, false), List.of())).reason());
    }

    @Test
    void anOverloadedProviderIsFailedOverAtOnce() throws Exception {
        LlmConfig c = config("\"routing\": {\"aliases\": {" + SMART + "}}");
        Router router = new Router(c, clock);
        AttemptResult first = failed(GPT4O, ErrorClass.OVERLOADED);
        HealthBook book = HealthBook.empty(c).apply(first, T0, "aaaaaaaa");
        RouteDecision.Attempt a = attempt(router.next(book, KEYS, CallNeeds.of("smart", 1000, 500, false),
                List.of(first)));
        assertEquals(SONNET, a.target());
        assertEquals(2, a.attemptNumber());
        assertEquals(T0, a.notBeforeMillis(), "no waiting when another target is healthy");
        assertTrue(a.explanation().contains("passed over openai/gpt-4o: cooling down after failures until"),
                a.explanation());
        assertTrue(a.explanation().contains("last: openai/gpt-4o OVERLOADED"), a.explanation());
    }

    @Test
    void aRetryAfterIsWaitedOutWhenNoOtherTargetCanTakeTheCallAndWithinTheWaitLimit() throws Exception {
        LlmConfig c = config("\"routing\": {\"maxWaitMs\": 30000, \"aliases\": {" + SMART + "}}");
        Router router = new Router(c, clock);
        AttemptResult limited = rateLimited(GPT4O, 20_000);
        HealthBook book = HealthBook.empty(c).apply(limited, T0, "aaaaaaaa");
        Map<String, String> openAiOnly = Map.of("openai", "aaaaaaaa");
        RouteDecision.Attempt a = attempt(router.next(book, openAiOnly, CallNeeds.of("smart", 1, 1, false),
                List.of(limited)));
        assertEquals(GPT4O, a.target());
        assertEquals(T0 + 20_000, a.notBeforeMillis(), "not a millisecond before the provider's deadline");
        assertTrue(a.explanation().contains("in 20000 ms"), a.explanation());
        assertTrue(a.explanation().contains("anthropic/claude-sonnet-4-5: no key on this node"), a.explanation());
        // Past the wait limit, or past the call's deadline: refused at once rather than hanging.
        AttemptResult longer = rateLimited(GPT4O, 45_000);
        HealthBook longBook = HealthBook.empty(c).apply(longer, T0, "aaaaaaaa");
        RouteDecision.Refusal r = refusal(router.next(longBook, openAiOnly, CallNeeds.of("smart", 1, 1, false),
                List.of(longer)));
        assertEquals(RouteDecision.Reason.NO_TARGET_AVAILABLE, r.reason());
        assertTrue(r.explanation().contains("beyond routing.maxWaitMs 30000 ms"), r.explanation());
        assertEquals(RouteDecision.Reason.NO_TARGET_AVAILABLE, refusal(router.next(book, openAiOnly,
                new CallNeeds("smart", 1, 1, false, OptionalLong.of(T0 + 10_000)), List.of(limited))).reason());
    }

    @Test
    void theRequestsOwnFaultsEndTheCall() throws Exception {
        LlmConfig c = config("\"routing\": {\"aliases\": {" + SMART + "}}");
        Router router = new Router(c, clock);
        HealthBook book = HealthBook.empty(c);
        CallNeeds needs = CallNeeds.of("smart", 1, 1, false);
        assertEquals(RouteDecision.Reason.REQUEST_REJECTED, refusal(router.next(book, KEYS, needs,
                List.of(failed(GPT4O, ErrorClass.BAD_REQUEST)))).reason());
        assertEquals(RouteDecision.Reason.CONTENT_POLICY, refusal(router.next(book, KEYS, needs,
                List.of(failed(GPT4O, ErrorClass.CONTENT_POLICY)))).reason(), "fail by default");
        assertEquals(RouteDecision.Reason.ALREADY_COMPLETED, refusal(router.next(book, KEYS, needs,
                List.of(completed(GPT4O, 100)))).reason());
        LlmConfig failover = config("\"routing\": {\"onContentPolicy\": \"failover\", \"aliases\": {" + SMART + "}}");
        assertEquals(SONNET, attempt(new Router(failover, clock).next(HealthBook.empty(failover), KEYS, needs,
                List.of(failed(GPT4O, ErrorClass.CONTENT_POLICY)))).target(), "or the next target, if configured");
    }

    @Test
    void aPromptTooLongForAModelMovesOnlyToALargerContext() throws Exception {
        LlmConfig c = config("\"routing\": {\"aliases\": {\"any\": [\"openai/gpt-4o\", \"openai/gpt-4o-mini\","
                + " \"anthropic/claude-sonnet-4-5\", \"anthropic/claude-haiku-4-5\","
                + " \"deepseek/deepseek-v4-flash\"]}}");
        Router router = new Router(c, clock);
        HealthBook book = HealthBook.empty(c);
        CallNeeds needs = CallNeeds.of("any", 100_000, 1000, false);
        AttemptResult a1 = failed(GPT4O, ErrorClass.CONTEXT_TOO_LONG);
        RouteDecision.Attempt second = attempt(router.next(book, KEYS, needs, List.of(a1)));
        assertEquals(SONNET, second.target(), "gpt-4o-mini has the same 128000 context: passed over");
        assertTrue(second.explanation().contains("openai/gpt-4o-mini: context 128000 not larger than 128000"),
                second.explanation());
        AttemptResult a2 = failed(SONNET, ErrorClass.CONTEXT_TOO_LONG);
        assertEquals(FLASH, attempt(router.next(book, KEYS, needs, List.of(a1, a2))).target());
        AttemptResult a3 = failed(FLASH, ErrorClass.CONTEXT_TOO_LONG);
        LlmConfig more = config("\"routing\": {\"maxAttempts\": 5, \"aliases\": {\"any\": [\"openai/gpt-4o\","
                + " \"anthropic/claude-sonnet-4-5\", \"deepseek/deepseek-v4-flash\"]}}");
        assertEquals(RouteDecision.Reason.CONTEXT_TOO_LONG, refusal(new Router(more, clock).next(
                HealthBook.empty(more), KEYS, needs, List.of(a1, a2, a3))).reason());
        // A prompt that fits nothing is refused before any attempt.
        assertEquals(RouteDecision.Reason.CONTEXT_TOO_LONG, refusal(router.next(book, KEYS,
                CallNeeds.of("any", 2_000_000, 1, false), List.of())).reason());
    }

    @Test
    void aRefusedKeyOrASpendLimitTakesTheProviderOutOfTheCallAndTheBookUntilTheKeyChanges() throws Exception {
        LlmConfig c = config("\"routing\": {\"aliases\": {\"cheap\": [\"openai/gpt-4o-mini\", \"openai/gpt-4o\","
                + " \"anthropic/claude-haiku-4-5\"]}}");
        Router router = new Router(c, clock);
        AttemptResult auth = failed(MINI, ErrorClass.AUTH);
        HealthBook book = HealthBook.empty(c).apply(auth, T0, "aaaaaaaa");
        CallNeeds needs = CallNeeds.of("cheap", 1, 1, false);
        RouteDecision.Attempt next = attempt(router.next(book, KEYS, needs, List.of(auth)));
        assertEquals(HAIKU, next.target(), "not gpt-4o: the same provider refused the key");
        assertTrue(next.explanation().contains("openai/gpt-4o: refused the key in this call"), next.explanation());
        // A later call: still disabled with the same key, back as soon as the key changes.
        assertEquals(HAIKU, attempt(router.next(book, KEYS, needs, List.of())).target());
        Map<String, String> rotated = Map.of("openai", "eeeeeeee", "anthropic", "bbbbbbbb");
        assertEquals(MINI, attempt(router.next(book, rotated, needs, List.of())).target());
        AttemptResult spend = failed(MINI, ErrorClass.SPEND_LIMIT);
        HealthBook spent = HealthBook.empty(c).apply(spend, T0, "aaaaaaaa");
        assertEquals(HAIKU, attempt(router.next(spent, KEYS, needs, List.of(spend))).target());
    }

    @Test
    void aCallNeverMakesMoreThanItsAttempts() throws Exception {
        LlmConfig c = config("\"routing\": {\"maxAttempts\": 2, \"aliases\": {" + SMART + "}}");
        Router router = new Router(c, clock);
        List<AttemptResult> two = List.of(failed(GPT4O, ErrorClass.TIMEOUT), failed(SONNET, ErrorClass.TIMEOUT));
        RouteDecision.Refusal r = refusal(router.next(HealthBook.empty(c), KEYS, CallNeeds.of("smart", 1, 1, false),
                two));
        assertEquals(RouteDecision.Reason.ATTEMPTS_EXHAUSTED, r.reason());
        assertTrue(r.explanation().contains("all 2 attempts made (routing.maxAttempts)"), r.explanation());
    }

    @Test
    void aTargetAlreadyTriedInTheCallGoesLastEvenWhenHealthAllowsIt() throws Exception {
        LlmConfig c = config("\"cooldowns\": {\"baseMs\": 0, \"maxMs\": 0}, \"routing\": {\"aliases\": {" + SMART
                + "}}");
        Router router = new Router(c, clock);
        AttemptResult cut = failed(GPT4O, ErrorClass.STREAM_CUT);
        HealthBook book = HealthBook.empty(c).apply(cut, T0, "aaaaaaaa");
        assertEquals(SONNET, attempt(router.next(book, KEYS, CallNeeds.of("smart", 1, 1, false), List.of(cut)))
                .target());
        RouteDecision.Attempt retry = attempt(router.next(book, Map.of("openai", "aaaaaaaa"),
                CallNeeds.of("smart", 1, 1, false), List.of(cut)));
        assertEquals(GPT4O, retry.target(), "the only provider with a key here: retried");
        assertTrue(retry.explanation().contains("a retry: no untried target is available"), retry.explanation());
    }

    @Test
    void theCostStrategyPicksTheCheapestWorstCaseAndTheLatencyStrategyTheFastest() throws Exception {
        String alias = "\"aliases\": {\"any\": [\"openai/gpt-4o\", \"anthropic/claude-sonnet-4-5\","
                + " \"openai/gpt-4o-mini\"]}";
        LlmConfig byCost = config("\"routing\": {\"strategy\": \"cost\", " + alias + "}");
        RouteDecision.Attempt cheap = attempt(new Router(byCost, clock).next(HealthBook.empty(byCost), KEYS,
                CallNeeds.of("any", 10_000, 1_000, false), List.of()));
        assertEquals(MINI, cheap.target());
        assertTrue(cheap.explanation().contains("(cost)"), cheap.explanation());
        LlmConfig byLatency = config("\"routing\": {\"strategy\": \"latency\", " + alias + "}");
        HealthBook measured = HealthBook.empty(byLatency)
                .apply(completed(GPT4O, 900), T0, "aaaaaaaa")
                .apply(completed(SONNET, 300), T0, "bbbbbbbb");
        Router fast = new Router(byLatency, clock);
        assertEquals(MINI, attempt(fast.next(measured, KEYS, CallNeeds.of("any", 1, 1, false), List.of())).target(),
                "an unmeasured target is measured first");
        measured = measured.apply(completed(MINI, 2000), T0, "aaaaaaaa");
        assertEquals(SONNET, attempt(fast.next(measured, KEYS, CallNeeds.of("any", 1, 1, false), List.of())).target());
    }

    @Test
    void aStreamingCallSkipsModelsThatCannotStreamAndADeadlineEndsTheCall() throws Exception {
        LlmConfig c = config("\"routing\": {\"aliases\": {\"haiku-first\": [\"anthropic/claude-haiku-4-5\","
                + " \"anthropic/claude-sonnet-4-5\"]}}");
        Router router = new Router(c, clock);
        RouteDecision.Attempt a = attempt(router.next(HealthBook.empty(c), KEYS,
                CallNeeds.of("haiku-first", 1, 1, true), List.of()));
        assertEquals(SONNET, a.target());
        assertTrue(a.explanation().contains("anthropic/claude-haiku-4-5: cannot stream"), a.explanation());
        assertEquals(RouteDecision.Reason.DEADLINE_PASSED, refusal(router.next(HealthBook.empty(c), KEYS,
                new CallNeeds("haiku-first", 1, 1, false, OptionalLong.of(T0)), List.of())).reason());
    }

    @Test
    void aHalfOpenCircuitIsTriedAsAProbe() throws Exception {
        LlmConfig c = config("\"routing\": {\"aliases\": {" + SMART + "}}");
        HealthBook book = HealthBook.empty(c);
        for (int i = 0; i < 5; i++) {
            book = book.apply(failed(GPT4O, ErrorClass.OVERLOADED), T0, "aaaaaaaa");
        }
        // Five faults: the circuit is open 30 s, the cooldown 5 s doubled four times (80 s); both past here.
        clock.nowMillis = T0 + 80_000;
        RouteDecision.Attempt a = attempt(new Router(c, clock).next(book, KEYS, CallNeeds.of("smart", 1, 1, false),
                List.of()));
        assertEquals(GPT4O, a.target());
        assertTrue(a.probe());
        assertTrue(a.explanation().contains("half-open probe"), a.explanation());
    }
}
