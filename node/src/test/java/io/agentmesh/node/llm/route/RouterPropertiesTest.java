package io.agentmesh.node.llm.route;

import io.agentmesh.node.port.ManualClock;
import io.agentmesh.node.llm.AttemptResult;
import io.agentmesh.node.llm.ErrorClass;
import io.agentmesh.node.llm.Usage;
import io.agentmesh.node.llm.config.LlmConfig;
import io.agentmesh.node.llm.config.Target;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;

import static io.agentmesh.node.llm.route.LlmTestConfigs.SMART;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seeded properties of the router over random health books, keys and call histories: it never picks an unavailable
 * target while an available one may take the call, honours Retry-After deadlines, stays within the attempt bound, and
 * gives the same decision for the same inputs. A failing seed is in the message; rerun it alone to debug.
 */
class RouterPropertiesTest {
    private static final long T0 = 1_780_000_000_000L;
    private static final int SEEDS = 400;
    /**
     * Every class that changes health. CANCELLED leaves the book as it was (HealthBookTest), so drawing it would only
     * thin out the books' faults until the seeds no longer reach the waiting branch.
     */
    private static final ErrorClass[] ALL = Arrays.stream(ErrorClass.values())
            .filter(e -> e != ErrorClass.CANCELLED).toArray(ErrorClass[]::new);
    /** Failures that do not take a target out of the call, so every candidate stays eligible. */
    private static final ErrorClass[] TRANSIENT = {ErrorClass.OVERLOADED, ErrorClass.RATE_LIMITED, ErrorClass.TIMEOUT,
            ErrorClass.CONNECT, ErrorClass.STREAM_CUT, ErrorClass.STREAM_IDLE, ErrorClass.FIRST_TOKEN_TIMEOUT,
            ErrorClass.MALFORMED_RESPONSE};
    private static final String[] NAMES = {"smart", "any", "gpt-4o", "claude-sonnet-4-5", "openai/gpt-4o-mini"};
    private static final String[] PROVIDERS = {"openai", "anthropic", "deepseek"};

    @TempDir
    Path dir;
    private LlmConfig config;
    private List<Target> targets;

    @BeforeEach
    void setUp() throws Exception {
        config = LlmTestConfigs.config(dir, "\"routing\": {\"maxAttempts\": 4, \"maxWaitMs\": 20000, \"aliases\": {"
                + SMART + ", \"any\": [\"openai/gpt-4o\", \"openai/gpt-4o-mini\", \"anthropic/claude-sonnet-4-5\","
                + " \"anthropic/claude-haiku-4-5\", \"deepseek/deepseek-v4-flash\"]}},"
                + " \"circuit\": {\"minimumCalls\": 3}, \"probes\": {\"maxPerHour\": 2}");
        targets = config.targets();
    }

    private static AttemptResult result(Random r, Target t, ErrorClass[] classes) {
        if (r.nextInt(4) == 0) {
            long ttft = r.nextInt(3_000);
            return new AttemptResult.Completed(t.providerId(), t.model(), ttft + 50, ttft, new Usage(10, 0, 0, 5, 0),
                    "stop", "id", "answer");
        }
        ErrorClass e = classes[r.nextInt(classes.length)];
        OptionalLong retryAfter = r.nextBoolean() ? OptionalLong.of(r.nextInt(60_000)) : OptionalLong.empty();
        return new AttemptResult.Failed(t.providerId(), t.model(), 100, e, 0, retryAfter, Usage.NONE, e.name());
    }

    /** A book built from random attempts over the two minutes before T0. */
    private HealthBook randomBook(Random r) {
        HealthBook book = HealthBook.empty(config);
        long t = T0 - 120_000;
        int events = r.nextInt(40);
        for (int i = 0; i < events; i++) {
            t += r.nextInt(120_000 / Math.max(1, events));
            Target target = targets.get(r.nextInt(targets.size()));
            String fp = r.nextInt(5) == 0 ? "old00000" : fingerprint(target.providerId());
            book = book.attemptStarted(target, t).apply(result(r, target, ALL), t + r.nextInt(1_000), fp);
        }
        return book;
    }

    private static String fingerprint(String provider) {
        return provider.substring(0, 1).repeat(8);
    }

    private static Map<String, String> randomKeys(Random r) {
        Map<String, String> keys = new HashMap<>();
        for (String p : PROVIDERS) {
            int k = r.nextInt(6);
            if (k > 0) {
                keys.put(p, k == 1 ? "old00000" : fingerprint(p));
            }
        }
        return keys;
    }

    @Test
    void decisionsAreDeterministicBoundedAndNeverPassOverAnAvailableTarget() {
        int waited = 0;
        int refusedForHealth = 0;
        for (int seed = 0; seed < SEEDS; seed++) {
            Random r = new Random(seed);
            HealthBook book = randomBook(r);
            Map<String, String> keys = randomKeys(r);
            long now = T0 + r.nextInt(60_000);
            ManualClock clock = new ManualClock(now);
            String name = NAMES[r.nextInt(NAMES.length)];
            Router router = new Router(config, clock);
            List<Target> candidates = router.candidates(name);
            List<AttemptResult> attempts = new ArrayList<>();
            int made = r.nextInt(6);
            for (int i = 0; i < made; i++) {
                attempts.add(result(r, candidates.get(r.nextInt(candidates.size())), TRANSIENT));
            }
            attempts.removeIf(a -> a instanceof AttemptResult.Completed);
            CallNeeds needs = CallNeeds.of(name, r.nextInt(1_000), 1 + r.nextInt(1_000), false);
            String where = "seed " + seed;

            RouteDecision d = router.next(book, keys, needs, attempts);
            assertEquals(d, new Router(config, new ManualClock(now)).next(book, Map.copyOf(keys), needs,
                    List.copyOf(attempts)), where + ": same inputs, same decision");
            assertTrue(!d.explanation().contains("\n"), where);

            long availableNow = candidates.stream()
                    .filter(c -> book.availability(c, now, keys) instanceof Availability.Available).count();
            if (attempts.size() >= config.routing().maxAttempts()) {
                assertEquals(RouteDecision.Reason.ATTEMPTS_EXHAUSTED,
                        assertInstanceOf(RouteDecision.Refusal.class, d, where).reason(), where);
                continue;
            }
            switch (d) {
                case RouteDecision.Attempt a -> {
                    assertEquals(attempts.size() + 1, a.attemptNumber(), where);
                    assertTrue(a.attemptNumber() <= config.routing().maxAttempts(), where);
                    assertTrue(candidates.contains(a.target()), where);
                    ProviderHealth h = book.health(a.target());
                    assertTrue(a.notBeforeMillis() >= h.retryAfterUntilMillis(), where + ": Retry-After honoured: "
                            + a.explanation());
                    assertTrue(a.notBeforeMillis() >= h.cooldownUntilMillis(), where + ": cooldown honoured");
                    if (a.notBeforeMillis() == now) {
                        assertInstanceOf(Availability.Available.class, book.availability(a.target(), now, keys),
                                where + ": " + a.explanation());
                    } else {
                        waited++;
                        assertEquals(0, availableNow, where + ": waited although a target was available: "
                                + a.explanation());
                        assertTrue(a.notBeforeMillis() - now <= config.routing().maxWaitMs(), where);
                        assertInstanceOf(Availability.Available.class,
                                book.availability(a.target(), a.notBeforeMillis(), keys),
                                where + ": available when the wait ends: " + a.explanation());
                    }
                }
                case RouteDecision.Refusal f -> {
                    assertEquals(RouteDecision.Reason.NO_TARGET_AVAILABLE, f.reason(), where + ": " + f.explanation());
                    assertEquals(0, availableNow, where + ": refused although a target was available: "
                            + f.explanation());
                    refusedForHealth++;
                }
            }
        }
        assertTrue(waited > 0 && refusedForHealth > 0, "the seeds reach both the waiting and the refusing branch: "
                + waited + ", " + refusedForHealth);
    }

    @Test
    void wholeCallsAgainstAFlakyWorldStayWithinTheirAttemptsAndHonourEveryDeadline() {
        int failedOver = 0;
        int answered = 0;
        for (int seed = 0; seed < SEEDS; seed++) {
            Random r = new Random(1_000_000 + seed);
            ManualClock clock = new ManualClock(T0);
            Router router = new Router(config, clock);
            HealthBook book = HealthBook.empty(config);
            Map<String, String> keys = randomKeys(r);
            for (int call = 0; call < 10; call++) {
                String where = "seed " + (1_000_000 + seed) + " call " + call;
                CallNeeds needs = CallNeeds.of(NAMES[r.nextInt(NAMES.length)], 100, 100, false);
                List<AttemptResult> attempts = new ArrayList<>();
                while (true) {
                    RouteDecision d = router.next(book, keys, needs, attempts);
                    if (!(d instanceof RouteDecision.Attempt a)) {
                        break;
                    }
                    clock.nowMillis = Math.max(clock.nowMillis, a.notBeforeMillis());
                    ProviderHealth h = book.health(a.target());
                    assertTrue(clock.nowMillis >= h.retryAfterUntilMillis(), where + ": sent before Retry-After");
                    assertInstanceOf(Availability.Available.class,
                            book.availability(a.target(), clock.nowMillis, keys), where + ": " + a.explanation());
                    book = book.attemptStarted(a.target(), clock.nowMillis);
                    AttemptResult res = result(r, a.target(), ALL);
                    clock.nowMillis += res.elapsedMs();
                    book = book.apply(res, clock.nowMillis, keys.get(a.target().providerId()));
                    attempts.add(res);
                    assertTrue(attempts.size() <= config.routing().maxAttempts(), where + ": attempt bound");
                    if (res instanceof AttemptResult.Completed) {
                        answered++;
                        break;
                    }
                }
                if (attempts.size() > 1) {
                    failedOver++;
                }
                clock.nowMillis += r.nextInt(10_000);
            }
        }
        assertTrue(failedOver > 0 && answered > 0, "the seeds reach failover and answers: " + failedOver + ", "
                + answered);
    }
}
