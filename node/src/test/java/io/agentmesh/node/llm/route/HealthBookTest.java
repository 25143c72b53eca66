package io.agentmesh.node.llm.route;

import io.agentmesh.node.llm.ErrorClass;
import io.agentmesh.node.llm.config.LlmConfig;
import io.agentmesh.node.llm.config.Target;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalLong;

import static io.agentmesh.node.llm.route.LlmTestConfigs.FLASH;
import static io.agentmesh.node.llm.route.LlmTestConfigs.GPT4O;
import static io.agentmesh.node.llm.route.LlmTestConfigs.MINI;
import static io.agentmesh.node.llm.route.LlmTestConfigs.SONNET;
import static io.agentmesh.node.llm.route.LlmTestConfigs.completed;
import static io.agentmesh.node.llm.route.LlmTestConfigs.failed;
import static io.agentmesh.node.llm.route.LlmTestConfigs.rateLimited;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One action per error class, the circuit with its probes, and deadlines that are absolute and never shortened. */
class HealthBookTest {
    private static final long T0 = 1_780_000_000_000L;
    private static final Map<String, String> KEYS = Map.of("openai", "aaaaaaaa", "anthropic", "bbbbbbbb",
            "deepseek", "cccccccc");

    @TempDir
    Path dir;
    private LlmConfig config;
    private HealthBook book;

    @BeforeEach
    void setUp() throws Exception {
        // Cooldowns off unless a test needs them, so the circuit is seen on its own.
        config = LlmTestConfigs.config(dir, """
                "circuit": {"windowMs": 60000, "minimumCalls": 5, "failureRatePercent": 50, "openMs": 30000,
                            "halfOpenProbes": 1},
                "cooldowns": {"baseMs": 0, "maxMs": 0},
                "probes": {"maxPerHour": 3}""");
        book = HealthBook.empty(config);
    }

    private Availability at(Target t, long now) {
        return book.availability(t, now, KEYS);
    }

    private Availability.Unavailable unavailable(Target t, long now) {
        return assertInstanceOf(Availability.Unavailable.class, at(t, now));
    }

    @Test
    void theCircuitOpensOnlyOnceTheMinimumOfCallsFailedAtTheRate() {
        book = book.apply(completed(GPT4O, 300), T0, "aaaaaaaa");
        book = book.apply(completed(GPT4O, 300), T0 + 1, "aaaaaaaa");
        book = book.apply(failed(GPT4O, ErrorClass.OVERLOADED), T0 + 2, "aaaaaaaa");
        book = book.apply(failed(GPT4O, ErrorClass.TIMEOUT), T0 + 3, "aaaaaaaa");
        assertEquals(new Availability.Available(false), at(GPT4O, T0 + 4), "4 calls: under the minimum of 5");
        book = book.apply(failed(GPT4O, ErrorClass.STREAM_CUT), T0 + 4, "aaaaaaaa");
        // 3 failures of 5 = 60% >= 50%: open for 30 s.
        assertEquals(new Circuit.Open(T0 + 4 + 30_000), book.health(GPT4O).circuit());
        assertEquals(new Availability.Unavailable(Availability.Reason.CIRCUIT_OPEN, T0 + 30_004), at(GPT4O, T0 + 5));
        assertEquals(new Availability.Available(false), at(MINI, T0 + 5), "a circuit is per model");
    }

    @Test
    void failuresOutsideTheWindowDoNotCount() {
        for (int i = 0; i < 4; i++) {
            book = book.apply(failed(GPT4O, ErrorClass.OVERLOADED), T0 + i, "aaaaaaaa");
        }
        book = book.apply(failed(GPT4O, ErrorClass.OVERLOADED), T0 + 60_000 + 10, "aaaaaaaa");
        assertEquals(new Circuit.Closed(), book.health(GPT4O).circuit(), "the first four left the 60 s window");
    }

    private void openGpt4o(long now) {
        for (int i = 0; i < 5; i++) {
            book = book.apply(failed(GPT4O, ErrorClass.OVERLOADED), now, "aaaaaaaa");
        }
        assertInstanceOf(Circuit.Open.class, book.health(GPT4O).circuit());
    }

    @Test
    void anOpenCircuitLetsOneProbeThroughAfterItsTimeAndClosesOnItsSuccess() {
        openGpt4o(T0);
        long later = T0 + 30_000;
        assertEquals(new Availability.Available(true), at(GPT4O, later), "half-open: a probe may go");
        book = book.attemptStarted(GPT4O, later);
        assertEquals(new Circuit.HalfOpen(later, 1), book.health(GPT4O).circuit());
        assertEquals(new Availability.Unavailable(Availability.Reason.PROBE_IN_FLIGHT, later + 30_000),
                at(GPT4O, later + 1), "one probe at a time");
        book = book.apply(completed(GPT4O, 200), later + 500, "aaaaaaaa");
        assertEquals(new Circuit.Closed(), book.health(GPT4O).circuit());
        assertEquals(1, book.health(GPT4O).window().size(), "a closed circuit starts a fresh window");
        assertEquals(new Availability.Available(false), at(GPT4O, later + 501));
    }

    @Test
    void aFailedProbeOpensTheCircuitAgainAndALostProbeIsReplacedAfterTheOpenTime() {
        openGpt4o(T0);
        book = book.attemptStarted(GPT4O, T0 + 30_000);
        book = book.apply(failed(GPT4O, ErrorClass.CONNECT), T0 + 30_100, "aaaaaaaa");
        assertEquals(new Circuit.Open(T0 + 60_100), book.health(GPT4O).circuit());
        // The next probe never reports (its leader died): after another open time, another probe may go.
        book = book.attemptStarted(GPT4O, T0 + 60_100);
        assertEquals(Availability.Reason.PROBE_IN_FLIGHT, unavailable(GPT4O, T0 + 70_000).reason());
        assertEquals(new Availability.Available(true), at(GPT4O, T0 + 90_100));
    }

    @Test
    void theProbeBudgetBoundsPaidProbesPerHour() {
        openGpt4o(T0);
        long t = T0;
        for (int i = 0; i < 3; i++) {
            t += 30_000;
            assertEquals(new Availability.Available(true), at(GPT4O, t), "probe " + (i + 1));
            book = book.attemptStarted(GPT4O, t);
            book = book.apply(failed(GPT4O, ErrorClass.OVERLOADED), t, "aaaaaaaa");
        }
        // Three probes at T0+30 s, +60 s, +90 s: the fourth waits until the first leaves the hour.
        assertEquals(new Availability.Unavailable(Availability.Reason.PROBE_BUDGET, T0 + 30_000 + 3_600_000),
                at(GPT4O, t + 30_000));
        assertEquals(3, book.health(GPT4O).probeStartsMillis().size(), "the record stays bounded");
    }

    @Test
    void aRetryAfterDeadlineIsHonouredCappedAndNeverShortened() {
        book = book.apply(rateLimited(GPT4O, 30_000), T0, "aaaaaaaa");
        assertEquals(new Availability.Unavailable(Availability.Reason.RETRY_AFTER, T0 + 30_000), at(GPT4O, T0 + 1));
        book = book.apply(rateLimited(GPT4O, 5_000), T0 + 1_000, "aaaaaaaa");
        assertEquals(T0 + 30_000, book.health(GPT4O).retryAfterUntilMillis(), "a later, shorter answer keeps it");
        assertEquals(new Availability.Available(false), at(GPT4O, T0 + 30_000));
        assertEquals(new Circuit.Closed(), book.health(GPT4O).circuit(), "a 429 is not a circuit failure");
        assertEquals(0, book.health(GPT4O).window().size());
        // Without Retry-After: the configured wait (5 s by default); an absurd one: the cap (1 h by default).
        book = book.apply(failed(MINI, ErrorClass.RATE_LIMITED), T0, "aaaaaaaa");
        assertEquals(T0 + 5_000, book.health(MINI).retryAfterUntilMillis());
        book = book.apply(rateLimited(SONNET, 365L * 24 * 3_600_000), T0, "bbbbbbbb");
        assertEquals(T0 + 3_600_000, book.health(SONNET).retryAfterUntilMillis());
    }

    @Test
    void cooldownsDoubleWithEachConsecutiveFaultUpToTheirMaximumAndClearOnSuccess() throws Exception {
        config = LlmTestConfigs.config(dir, "\"cooldowns\": {\"baseMs\": 1000, \"maxMs\": 5000}");
        book = HealthBook.empty(config);
        long[] expected = {1000, 2000, 4000, 5000, 5000};
        for (int i = 0; i < expected.length; i++) {
            long now = T0 + i * 10_000L;
            book = book.apply(failed(FLASH, ErrorClass.OVERLOADED), now, "cccccccc");
            assertEquals(now + expected[i], book.health(FLASH).cooldownUntilMillis(), "fault " + (i + 1));
        }
        book = book.apply(completed(FLASH, 100), T0 + 100_000, "cccccccc");
        assertEquals(0, book.health(FLASH).consecutiveFailures());
        assertEquals(0, book.health(FLASH).cooldownUntilMillis());
    }

    @Test
    void aRefusedKeyDisablesTheWholeProviderUntilItsKeyChanges() {
        book = book.apply(failed(GPT4O, ErrorClass.AUTH), T0, "aaaaaaaa");
        assertEquals(new Availability.Unavailable(Availability.Reason.KEY_REJECTED, Availability.UNTIL_CHANGED),
                at(GPT4O, T0 + 86_400_000));
        assertEquals(Availability.Reason.KEY_REJECTED, unavailable(MINI, T0 + 1).reason(), "every model there");
        assertEquals(new Availability.Available(false), at(SONNET, T0 + 1));
        Map<String, String> rotated = Map.of("openai", "dddddddd");
        assertEquals(new Availability.Available(false), book.availability(GPT4O, T0 + 1, rotated),
                "a new key is tried at once");
        assertEquals(new Availability.Unavailable(Availability.Reason.NO_KEY, Availability.UNTIL_CHANGED),
                book.availability(SONNET, T0 + 1, rotated));
    }

    @Test
    void aSpendLimitLeavesTheProviderAloneRaisesAnAlarmAndNeverRetriesThere() {
        book = book.apply(failed(SONNET, ErrorClass.SPEND_LIMIT), T0, "bbbbbbbb");
        ProviderHealth h = book.health(LlmTestConfigs.HAIKU);
        assertEquals(T0 + 3_600_000, h.spendLimitUntilMillis(), "the whole account, every model");
        assertEquals(OptionalLong.of(T0), h.spendLimitAlarmSince());
        assertEquals(Availability.Reason.SPEND_LIMIT, unavailable(SONNET, T0 + 3_599_999).reason());
        book = book.apply(completed(LlmTestConfigs.HAIKU, 100), T0 + 3_700_000, "bbbbbbbb");
        assertEquals(OptionalLong.empty(), book.health(SONNET).spendLimitAlarmSince(), "a success clears it");
    }

    @Test
    void anUnreachableHostCoolsEveryModelOfTheProviderAndAMissingModelOnlyItself() throws Exception {
        config = LlmTestConfigs.config(dir, "");
        book = HealthBook.empty(config);
        book = book.apply(failed(GPT4O, ErrorClass.CONNECT), T0, "aaaaaaaa");
        assertEquals(Availability.Reason.COOLDOWN, unavailable(MINI, T0 + 1).reason());
        book = book.apply(failed(SONNET, ErrorClass.MODEL_NOT_FOUND), T0, "bbbbbbbb");
        assertEquals(new Availability.Unavailable(Availability.Reason.MODEL_NOT_FOUND, T0 + 3_600_000),
                at(SONNET, T0 + 1));
        assertEquals(new Availability.Available(false), at(LlmTestConfigs.HAIKU, T0 + 1));
    }

    @Test
    void theRequestsOwnFaultsLeaveHealthAlone() throws Exception {
        config = LlmTestConfigs.config(dir, "");
        book = HealthBook.empty(config);
        for (ErrorClass e : new ErrorClass[]{ErrorClass.BAD_REQUEST, ErrorClass.CONTENT_POLICY,
                ErrorClass.CONTEXT_TOO_LONG}) {
            for (int i = 0; i < 10; i++) {
                book = book.apply(failed(GPT4O, e), T0 + i, "aaaaaaaa");
            }
            assertEquals(new Availability.Available(false), at(GPT4O, T0 + 10), e.name());
            assertEquals(new Circuit.Closed(), book.health(GPT4O).circuit());
        }
    }

    @Test
    void aCancelledAttemptSaysNothingAboutTheProvider() throws Exception {
        config = LlmTestConfigs.config(dir, "\"cooldowns\": {\"baseMs\": 20000, \"maxMs\": 20000}");
        book = HealthBook.empty(config);
        book = book.apply(completed(GPT4O, 300), T0, "aaaaaaaa");
        HealthBook before = book;
        for (int i = 1; i <= 10; i++) {
            book = book.apply(failed(GPT4O, ErrorClass.CANCELLED), T0 + i, "aaaaaaaa");
        }
        assertEquals(before, book);
        assertEquals(new Availability.Available(false), at(GPT4O, T0 + 11));
    }

    @Test
    void whenSeveralRestrictionsApplyTheLongestOneIsReported() throws Exception {
        config = LlmTestConfigs.config(dir, "\"cooldowns\": {\"baseMs\": 20000, \"maxMs\": 20000}");
        book = HealthBook.empty(config);
        book = book.apply(rateLimited(GPT4O, 10_000), T0, "aaaaaaaa");
        book = book.apply(failed(GPT4O, ErrorClass.OVERLOADED), T0, "aaaaaaaa");
        assertEquals(new Availability.Unavailable(Availability.Reason.COOLDOWN, T0 + 20_000), at(GPT4O, T0 + 1));
        assertEquals(new Availability.Unavailable(Availability.Reason.COOLDOWN, T0 + 20_000), at(GPT4O, T0 + 15_000));
    }

    @Test
    void theSameEventsGiveTheSameBook() {
        HealthBook a = book;
        HealthBook b = HealthBook.empty(config);
        for (int i = 0; i < 20; i++) {
            var r = i % 3 == 0 ? failed(GPT4O, ErrorClass.OVERLOADED) : i % 3 == 1 ? rateLimited(SONNET, 1000 * i)
                    : completed(FLASH, 50L * i);
            a = a.attemptStarted(new Target(r.providerId(), r.model()), T0 + i).apply(r, T0 + i + 1, "x");
            b = b.attemptStarted(new Target(r.providerId(), r.model()), T0 + i).apply(r, T0 + i + 1, "x");
        }
        assertEquals(a, b);
        assertTrue(a.health(FLASH).firstTokenEwmaMs() > 0);
    }
}
