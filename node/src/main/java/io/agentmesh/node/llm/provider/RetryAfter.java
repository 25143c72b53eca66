package io.agentmesh.node.llm.provider;

import java.net.http.HttpHeaders;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A provider's "wait before trying again" as a delay in milliseconds, from (in this order) {@code retry-after-ms}
 * (OpenAI), {@code x-ms-retry-after-ms} (Azure), then {@code retry-after} in seconds or as an HTTP date (RFC 9110).
 * A date in the past is a zero delay; a delay beyond {@link #MAX_MS} is clamped to it (the router caps it further);
 * an unreadable value is ignored.
 */
public final class RetryAfter {
    /** One day: a longer delay is a provider's way of saying "not today", and a day says that too. */
    public static final long MAX_MS = 24L * 3600 * 1000;

    private RetryAfter() {
    }

    /** @param nowMillis the wall clock, for HTTP dates */
    public static OptionalLong parse(HttpHeaders headers, long nowMillis) {
        for (String name : new String[]{"retry-after-ms", "x-ms-retry-after-ms"}) {
            Optional<String> value = headers.firstValue(name);
            if (value.isPresent()) {
                OptionalLong ms = number(value.get(), 1);
                if (ms.isPresent()) {
                    return ms;
                }
            }
        }
        Optional<String> value = headers.firstValue("retry-after");
        if (value.isEmpty()) {
            return OptionalLong.empty();
        }
        OptionalLong seconds = number(value.get(), 1000);
        if (seconds.isPresent()) {
            return seconds;
        }
        try {
            long at = ZonedDateTime.parse(value.get().trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant()
                    .toEpochMilli();
            return OptionalLong.of(clamp(at - nowMillis));
        } catch (DateTimeParseException e) {
            return OptionalLong.empty();
        }
    }

    private static OptionalLong number(String text, long unitMs) {
        try {
            double value = Double.parseDouble(text.trim());
            if (Double.isNaN(value) || Double.isInfinite(value)) {
                return OptionalLong.empty();
            }
            double ms = value * unitMs;
            return OptionalLong.of(ms >= MAX_MS ? MAX_MS : clamp((long) Math.ceil(ms)));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    private static long clamp(long ms) {
        return Math.max(0, Math.min(MAX_MS, ms));
    }
}
