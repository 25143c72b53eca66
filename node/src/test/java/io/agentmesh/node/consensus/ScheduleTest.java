package io.agentmesh.node.consensus;

import io.agentmesh.state.Intent;
import io.agentmesh.state.Schedule;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.agentmesh.node.schedules.ScheduleExpander;

/** Cron expansion: which firings are due, with which intent ids, under each catch-up policy. */
class ScheduleTest {
    static final long T0 = Instant.parse("2026-01-05T10:00:00Z").toEpochMilli();
    static final long MIN = 60_000;
    final ScheduleExpander expander = new ScheduleExpander(60_000, 100);

    static Schedule every5(String catchUp) {
        return new Schedule("report", "*/5 * * * *", "UTC", "job", "{\"r\":1}", catchUp, T0 - 1);
    }

    static List<String> ids(List<Intent> intents) {
        return intents.stream().map(Intent::id).toList();
    }

    @Test
    void aFiringIsDueExactlyAtItsTimeWithADeterministicIntent() {
        List<Intent> due = expander.due(every5("skip"), T0 + 10 * MIN, id -> false);
        assertEquals(List.of("report@2026-01-05T10:10:00Z"), ids(due));
        Intent i = due.get(0);
        assertEquals("job", i.kind());
        assertEquals("{\"r\":1}", i.payloadJson());
        assertEquals("schedule:report", i.requestedBy());
        assertEquals(T0 + 10 * MIN, i.requestedMillis());
        assertEquals(due, expander.due(every5("skip"), T0 + 10 * MIN + 1234, id -> false), "same on any leader");
        assertEquals(List.of(), expander.due(every5("skip"), T0 + 12 * MIN, Set.of(i.id())::contains));
    }

    @Test
    void catchUpPolicies() {
        long now = T0 + 152 * MIN + 30_000; // 12:32:30, nothing fired since 10:00; newest fire time 12:30
        Set<String> fired = Set.of("report@2026-01-05T10:00:00Z");
        assertEquals(List.of(), expander.due(every5("skip"), now, fired::contains), "too late to run");
        assertEquals(List.of("report@2026-01-05T12:30:00Z"), ids(expander.due(every5("once"), now, fired::contains)));
        assertEquals(List.of("report@2026-01-05T12:20:00Z", "report@2026-01-05T12:25:00Z",
                "report@2026-01-05T12:30:00Z"), ids(expander.due(every5("all:3"), now, fired::contains)));
        // "all" stops at the newest fire time that already ran
        Set<String> upTo1220 = new HashSet<>(fired);
        upTo1220.add("report@2026-01-05T12:20:00Z");
        assertEquals(List.of("report@2026-01-05T12:25:00Z", "report@2026-01-05T12:30:00Z"),
                ids(expander.due(every5("all"), now, upTo1220::contains)));
        // within the grace, skip still fires the newest
        assertEquals(1, expander.due(every5("skip"), T0 + 20 * MIN + 59_000, id -> false).size());
    }

    @Test
    void nothingBeforeTheScheduleExisted() {
        Schedule late = new Schedule("s", "*/5 * * * *", "UTC", "job", "{}", "all", T0 + 7 * MIN);
        assertEquals(List.of(), expander.due(late, T0 + 9 * MIN, id -> false));
        assertEquals(List.of("s@2026-01-05T10:10:00Z"), ids(expander.due(late, T0 + 10 * MIN, id -> false)));
    }

    @Test
    void timeZonesFollowDaylightSaving() {
        Schedule berlin = new Schedule("b", "0 9 * * *", "Europe/Berlin", "job", "{}", "once", 0);
        assertEquals(List.of("b@2026-01-05T08:00:00Z"),
                ids(expander.due(berlin, Instant.parse("2026-01-05T08:30:00Z").toEpochMilli(), id -> false)));
        assertEquals(List.of("b@2026-07-06T07:00:00Z"),
                ids(expander.due(berlin, Instant.parse("2026-07-06T07:30:00Z").toEpochMilli(), id -> false)));
    }

    @Test
    void invalidSchedulesAreRefusedClearly() {
        IllegalArgumentException cron = assertThrows(IllegalArgumentException.class, () -> expander.validate(
                new Schedule("x", "every day", "UTC", "job", "{}", "skip", 0)));
        assertTrue(cron.getMessage().contains("cron"), cron.getMessage());
        IllegalArgumentException zone = assertThrows(IllegalArgumentException.class, () -> expander.validate(
                new Schedule("x", "* * * * *", "Mars/Olympus", "job", "{}", "skip", 0)));
        assertTrue(zone.getMessage().contains("time zone"), zone.getMessage());
        assertThrows(IllegalArgumentException.class, () -> expander.validate(
                new Schedule("x", "* * * * *", "UTC", "job", "{}", "sometimes", 0)));
        assertThrows(IllegalArgumentException.class, () -> expander.validate(
                new Schedule("x", "* * * * *", "UTC", "job", "{}", "all:1000", 0)));
        expander.validate(new Schedule("x", "0 9 * * 1-5", "Europe/Berlin", "job", "{}", "all:7", 0));
    }

    @Test
    void longScheduleIdsGetAHashedButStableIntentId() {
        String id = ScheduleExpander.intentId("s".repeat(200), T0);
        assertTrue(id.length() <= 128);
        assertTrue(id.startsWith("schedule-") && id.endsWith("@2026-01-05T10:00:00Z"));
        assertEquals(id, ScheduleExpander.intentId("s".repeat(200), T0));
    }
}
