package io.agentmesh.node.llm.provider;

import org.junit.jupiter.api.Test;

import java.net.http.HttpHeaders;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RetryAfterTest {
    private static final long NOW = FakeProvider.NOW_MILLIS;

    private static OptionalLong parse(String... nameValues) {
        Map<String, List<String>> map = new LinkedHashMap<>();
        for (int i = 0; i < nameValues.length; i += 2) {
            map.put(nameValues[i], List.of(nameValues[i + 1]));
        }
        return RetryAfter.parse(HttpHeaders.of(map, (a, b) -> true), NOW);
    }

    @Test
    void secondsBecomeMilliseconds() {
        assertEquals(OptionalLong.of(20_000), parse("retry-after", "20"));
        assertEquals(OptionalLong.of(1_500), parse("Retry-After", "1.5"));
    }

    @Test
    void anHttpDateIsADelayFromNowAndADateInThePastIsNoDelay() {
        assertEquals(OptionalLong.of(90_000), parse("retry-after", FakeProvider.httpDate(NOW + 90_000)));
        assertEquals(OptionalLong.of(0), parse("retry-after", FakeProvider.httpDate(NOW - 5_000)));
    }

    @Test
    void millisecondHeadersComeFirst() {
        assertEquals(OptionalLong.of(250), parse("retry-after-ms", "250", "retry-after", "9"));
        assertEquals(OptionalLong.of(700), parse("x-ms-retry-after-ms", "700", "retry-after", "9"));
    }

    @Test
    void unreadableValuesAreIgnoredAndHugeOnesClamped() {
        assertEquals(OptionalLong.empty(), parse("retry-after", "soon"));
        assertEquals(OptionalLong.of(3_000), parse("retry-after-ms", "NaN", "retry-after", "3"));
        assertEquals(OptionalLong.of(RetryAfter.MAX_MS), parse("retry-after", "99999999999"));
        assertEquals(OptionalLong.of(0), parse("retry-after", "-4"));
        assertEquals(OptionalLong.empty(), parse());
    }
}
