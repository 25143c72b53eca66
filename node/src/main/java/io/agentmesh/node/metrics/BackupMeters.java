package io.agentmesh.node.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentmesh.protocol.time.Clock;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Backup and drill freshness per target, from the status documents {@code BackupRunner.status()} and
 * {@code Drill.status()} (synchronized, readable from any thread, never the node thread's state). The runner keeps
 * only each target's newest report, so the newest success is remembered here at each {@link #refresh()}: a success
 * followed by a failure before the next scrape is missed, and a backup made before this process started shows as
 * none (the drill's reports are reloaded from disk at start, so its freshness survives a restart).
 *
 * <pre>
 * agentmesh_backup_last_success_age_seconds{target}   NaN until a backup succeeded since the node started
 * agentmesh_backup_last_run_ok{target}                1 when the newest run succeeded, 0 when it failed, NaN for none
 * agentmesh_drill_last_success_age_seconds{target}
 * agentmesh_drill_last_run_ok{target}
 * </pre>
 */
public final class BackupMeters {
    private final Supplier<Map<String, Object>> backupStatus;
    private final Supplier<Map<String, Object>> drillStatus;
    private final Clock clock;
    private final Map<String, Long> backupSuccessMs = new ConcurrentHashMap<>();
    private final Map<String, Boolean> backupOk = new ConcurrentHashMap<>();
    private final Map<String, Long> drillSuccessMs = new ConcurrentHashMap<>();
    private final Map<String, Boolean> drillOk = new ConcurrentHashMap<>();

    /**
     * @param backupStatus the runner's {@code status()}: {@code targets} is a list of {target, ok, finishedAtMs}
     * @param drillStatus  the drill's {@code status()}: per target id, {@code last} with {@code ok} and {@code atMs}
     */
    public BackupMeters(MeterRegistry registry, Supplier<Map<String, Object>> backupStatus,
                        Supplier<Map<String, Object>> drillStatus, Clock clock) {
        this.backupStatus = Objects.requireNonNull(backupStatus, "backupStatus");
        this.drillStatus = Objects.requireNonNull(drillStatus, "drillStatus");
        this.clock = Objects.requireNonNull(clock, "clock");
        for (Map<String, Object> t : targets(backupStatus.get())) {
            String target = String.valueOf(t.get("target"));
            Gauge.builder("agentmesh.backup.last.success.age", this, m -> m.age(m.backupSuccessMs.get(target)))
                    .baseUnit("seconds").description("time since the newest successful backup to the target")
                    .tag("target", target).register(registry);
            Gauge.builder("agentmesh.backup.last.run.ok", this, m -> ok(m.backupOk.get(target)))
                    .description("1 when the newest backup run to the target succeeded, 0 when it failed")
                    .tag("target", target).register(registry);
        }
        for (String target : drillStatus.get().keySet()) {
            Gauge.builder("agentmesh.drill.last.success.age", this, m -> m.age(m.drillSuccessMs.get(target)))
                    .baseUnit("seconds").description("time since the newest successful restore drill of the target")
                    .tag("target", target).register(registry);
            Gauge.builder("agentmesh.drill.last.run.ok", this, m -> ok(m.drillOk.get(target)))
                    .description("1 when the newest restore drill of the target succeeded, 0 when it failed")
                    .tag("target", target).register(registry);
        }
        refresh();
    }

    /** Reads both status documents once for the next scrape. Any thread but the node thread (they may wait). */
    public void refresh() {
        for (Map<String, Object> t : targets(backupStatus.get())) {
            String target = String.valueOf(t.get("target"));
            if (t.get("ok") instanceof Boolean ok) {
                backupOk.put(target, ok);
                if (ok && t.get("finishedAtMs") instanceof Number at) {
                    backupSuccessMs.merge(target, at.longValue(), Math::max);
                }
            }
        }
        for (Map.Entry<String, Object> e : drillStatus.get().entrySet()) {
            if (e.getValue() instanceof Map<?, ?> t && t.get("last") instanceof JsonNode last) {
                boolean ok = last.path("ok").asBoolean(false);
                drillOk.put(e.getKey(), ok);
                if (ok && last.hasNonNull("atMs")) {
                    drillSuccessMs.merge(e.getKey(), last.path("atMs").asLong(), Math::max);
                }
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> targets(Map<String, Object> status) {
        Object list = status.get("targets");
        return list instanceof List<?> l ? (List<Map<String, Object>>) l : List.of();
    }

    private double age(Long atMs) {
        return atMs == null ? Double.NaN : Math.max(0, clock.nowMillis() - atMs) / 1000.0;
    }

    private static double ok(Boolean ok) {
        return ok == null ? Double.NaN : ok ? 1 : 0;
    }
}
