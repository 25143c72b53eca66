package io.agentmesh.node.schedules;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import io.agentmesh.state.Intent;
import io.agentmesh.state.Schedule;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Predicate;

/**
 * Turns a {@link Schedule} into the intents due at a given time. Pure and deterministic: the same schedule, time and
 * set of existing intents give the same intents on any node, and an intent's id, payload and request time depend only
 * on (schedule, fire time). So a new leader that expands the same firing again writes the very same intent (the CRDT
 * merges it into one) and the journal performs it once.
 *
 * <p>Cron expressions are Unix cron (5 fields, minute resolution: {@code "*&#47;5 * * * *"}, {@code "0 9 * * 1-5"}),
 * evaluated in the schedule's time zone, via cron-utils. Only fire times after the schedule's creation count.
 *
 * <p>Catch-up, for fire times no leader expanded in time (no leader, a partition, a long failover). The newest fire
 * time whose intent exists is the high-water mark; fire times after it are missed:
 * <ul>
 *   <li>{@code skip}: only the newest fire time, and only if it is at most {@code graceMillis} old (a failover of a
 *       second still fires it; a day without a leader does not fire yesterday's run);</li>
 *   <li>{@code once}: the newest missed fire time, however old; older ones are dropped;</li>
 *   <li>{@code all} or {@code all:N}: every missed fire time, oldest first, at most N (default {@code
 *       maxCatchUp}).</li>
 * </ul>
 */
public final class ScheduleExpander {
    /** Intent ids are at most this long (crdt-state's id limit). */
    static final int MAX_INTENT_ID = 128;

    private static final CronParser PARSER = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

    private final long graceMillis;
    private final int maxCatchUp;

    public ScheduleExpander(long graceMillis, int maxCatchUp) {
        if (graceMillis < 0 || maxCatchUp < 1) {
            throw new IllegalArgumentException("graceMillis >= 0 and maxCatchUp >= 1 required");
        }
        this.graceMillis = graceMillis;
        this.maxCatchUp = maxCatchUp;
    }

    /** A parsed catch-up policy. */
    public record CatchUp(Mode mode, int max) {
        public enum Mode { SKIP, ONCE, ALL }

        /** Parses "skip", "once", "all" or "all:N". */
        public static CatchUp parse(String text, int defaultMax) {
            String t = text == null ? "" : text.trim().toLowerCase(java.util.Locale.ROOT);
            if (t.equals("skip")) {
                return new CatchUp(Mode.SKIP, 1);
            }
            if (t.equals("once")) {
                return new CatchUp(Mode.ONCE, 1);
            }
            if (t.equals("all")) {
                return new CatchUp(Mode.ALL, defaultMax);
            }
            if (t.startsWith("all:")) {
                try {
                    int n = Integer.parseInt(t.substring(4));
                    if (n >= 1 && n <= defaultMax) {
                        return new CatchUp(Mode.ALL, n);
                    }
                } catch (NumberFormatException ignored) {
                    // falls through to the error below
                }
            }
            throw new IllegalArgumentException("catch-up policy must be skip, once, all or all:N (1 <= N <= "
                    + defaultMax + "), got '" + text + "'");
        }
    }

    /**
     * Checks a schedule's cron expression, zone and catch-up policy, for the API to refuse a bad schedule before it
     * enters the CRDT.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public void validate(Schedule s) {
        executionTime(s.cron());
        zone(s.zone());
        CatchUp.parse(s.catchUp(), maxCatchUp);
    }

    /**
     * The intents due for {@code s} at {@code nowMillis} that do not exist yet, oldest first.
     *
     * @param exists whether an intent with this id exists (in the CRDT, with or without an outcome)
     * @throws IllegalArgumentException if the schedule is invalid (see {@link #validate})
     */
    public List<Intent> due(Schedule s, long nowMillis, Predicate<String> exists) {
        ExecutionTime times = executionTime(s.cron());
        ZoneId zone = zone(s.zone());
        CatchUp policy = CatchUp.parse(s.catchUp(), maxCatchUp);
        Optional<ZonedDateTime> newest = latestAtOrBefore(times, ZonedDateTime.ofInstant(
                Instant.ofEpochMilli(nowMillis), zone));
        if (newest.isEmpty() || millis(newest.get()) <= s.createdMillis()) {
            return List.of();
        }
        int walk = policy.mode() == CatchUp.Mode.ALL ? policy.max() : 1;
        List<Long> missed = new ArrayList<>();
        ZonedDateTime t = newest.get();
        while (missed.size() < walk && millis(t) > s.createdMillis() && !exists.test(intentId(s.id(), millis(t)))) {
            missed.add(millis(t));
            Optional<ZonedDateTime> previous = times.lastExecution(t);
            if (previous.isEmpty()) {
                break;
            }
            t = previous.get();
        }
        if (missed.isEmpty()) {
            return List.of();
        }
        if (policy.mode() == CatchUp.Mode.SKIP && nowMillis - missed.get(0) > graceMillis) {
            return List.of();
        }
        Collections.reverse(missed);
        List<Intent> out = new ArrayList<>(missed.size());
        for (long fire : missed) {
            out.add(new Intent(intentId(s.id(), fire), s.intentKind(), s.payloadJson(), "schedule:" + s.id(), fire));
        }
        return out;
    }

    /**
     * The time between the schedule's two newest fire times at or before {@code nowMillis} (its period, for a regular
     * cron; the latest gap for an irregular one), or empty when the schedule is invalid or has not fired twice by then.
     * For freshness: a run older than twice this is late.
     */
    public OptionalLong intervalMillis(Schedule s, long nowMillis) {
        try {
            ExecutionTime times = executionTime(s.cron());
            Optional<ZonedDateTime> newest = latestAtOrBefore(times, ZonedDateTime.ofInstant(
                    Instant.ofEpochMilli(nowMillis), zone(s.zone())));
            Optional<ZonedDateTime> before = newest.flatMap(times::lastExecution);
            return before.isEmpty() ? OptionalLong.empty()
                    : OptionalLong.of(millis(newest.get()) - millis(before.get()));
        } catch (IllegalArgumentException e) {
            return OptionalLong.empty();
        }
    }

    /**
     * The intent id of a firing: {@code <schedule id>@<ISO instant>}, or a hash of the schedule id in front when that
     * would exceed the id limit. Depends on nothing else, so every leader derives the same id.
     */
    public static String intentId(String scheduleId, long fireMillis) {
        String when = "@" + Instant.ofEpochMilli(fireMillis);
        String id = scheduleId + when;
        if (id.length() <= MAX_INTENT_ID) {
            return id;
        }
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(scheduleId.getBytes(StandardCharsets.UTF_8));
            return "schedule-" + HexFormat.of().formatHex(h, 0, 16) + when;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private static Optional<ZonedDateTime> latestAtOrBefore(ExecutionTime times, ZonedDateTime now) {
        // lastExecution is strictly before its argument; a firing exactly at `now` counts as due.
        if (times.isMatch(now) && now.getSecond() == 0 && now.getNano() == 0) {
            return Optional.of(now);
        }
        return times.lastExecution(now);
    }

    private static long millis(ZonedDateTime t) {
        return t.toInstant().toEpochMilli();
    }

    private static ExecutionTime executionTime(String cron) {
        try {
            Cron parsed = PARSER.parse(cron);
            parsed.validate();
            return ExecutionTime.forCron(parsed);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("not a Unix cron expression (minute hour day month weekday): '" + cron
                    + "': " + e.getMessage(), e);
        }
    }

    private static ZoneId zone(String zone) {
        try {
            return ZoneId.of(zone);
        } catch (DateTimeException | NullPointerException e) {
            throw new IllegalArgumentException("unknown time zone '" + zone + "'", e);
        }
    }
}
