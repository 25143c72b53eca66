package io.agentmesh.node.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Writes through the node's API (memory, notes, tasks, intents, schedules): how many, how they ended, and how long the
 * caller waited for the acknowledgement (durable here, or on a majority). Recording is lock-free, so the thread that
 * completes a write (the node thread) may record it.
 *
 * <pre>
 * agentmesh_writes_total{durability, outcome="ok|failed"}
 * agentmesh_write_duration_seconds{durability}   histogram of acknowledged writes
 * </pre>
 */
public final class WriteMeters {
    /** Bucket bounds of the latency histogram: group commit is ~1 ms, a majority a round trip more, a stall seconds. */
    private static final Duration[] BUCKETS = {Duration.ofNanos(250_000), Duration.ofNanos(500_000),
            Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
            Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
            Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
            Duration.ofSeconds(10), Duration.ofSeconds(30)};

    private final MeterRegistry registry;

    public WriteMeters(MeterRegistry registry) {
        this.registry = registry;
        // Registered up front so a scrape shows zeros before the first write, not a missing series.
        for (String durability : new String[]{"local", "majority"}) {
            counter(durability, "ok");
            counter(durability, "failed");
            timer(durability);
        }
    }

    /** A write that was acknowledged after {@code nanos}. */
    public void acknowledged(String durability, long nanos) {
        String d = durability.toLowerCase(Locale.ROOT);
        counter(d, "ok").increment();
        timer(d).record(Math.max(0, nanos), TimeUnit.NANOSECONDS);
    }

    /** A write that failed (refused, timed out waiting for a majority, store failure). */
    public void failed(String durability) {
        counter(durability.toLowerCase(Locale.ROOT), "failed").increment();
    }

    private Counter counter(String durability, String outcome) {
        return Counter.builder("agentmesh.writes")
                .description("writes through the node's API, by durability asked and outcome")
                .tag("durability", durability).tag("outcome", outcome)
                .register(registry);
    }

    private Timer timer(String durability) {
        return Timer.builder("agentmesh.write.duration")
                .description("time from a write's arrival to its acknowledgement")
                .tag("durability", durability)
                .serviceLevelObjectives(BUCKETS)
                .register(registry);
    }
}
