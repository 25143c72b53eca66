package io.agentmesh.node.metrics;

import io.agentmesh.node.backup.run.BackupFreshness;
import io.agentmesh.protocol.time.Clock;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Backup and drill freshness per target, read from {@link BackupFreshness}, the one record `/v1/status` and
 * {@code agentmesh status} show too. A new leader knows its predecessor's newest backup (the newest manifest's time on
 * the target, read at start) and drill (the newest signed report there), so ages survive failover and restarts. The
 * newest successful drill is remembered here at each {@link #refresh()}: a success followed by a failure keeps its age.
 *
 * <pre>
 * agentmesh_backup_last_success_age_seconds{target}   NaN until a successful backup is known
 * agentmesh_backup_last_run_ok{target}                1 when this node's newest run succeeded, 0 when it failed, NaN for none
 * agentmesh_drill_last_success_age_seconds{target}
 * agentmesh_drill_last_run_ok{target}
 * agentmesh_backup_warnings{target}                   the warnings `agentmesh status` prints for the target (stale,
 *                                                      missing or failed backup; failed or missing drill)
 * </pre>
 */
public final class BackupMeters {
    private final Supplier<List<BackupFreshness>> freshness;
    private final Clock clock;
    private final Map<String, BackupFreshness> latest = new ConcurrentHashMap<>();
    private final Map<String, Long> drillSuccessMs = new ConcurrentHashMap<>();

    /**
     * @param targets   the configured target ids (fixed for the node's life)
     * @param freshness each target's freshness now; may wait (it reads the schedules on the node thread), so called
     *                  only from the scrape thread, never the node thread
     */
    public BackupMeters(MeterRegistry registry, List<String> targets, Supplier<List<BackupFreshness>> freshness,
                        Clock clock) {
        this.freshness = Objects.requireNonNull(freshness, "freshness");
        this.clock = Objects.requireNonNull(clock, "clock");
        for (String target : targets) {
            Gauge.builder("agentmesh.backup.last.success.age", this,
                            m -> m.age(m.get(target).flatMap(BackupFreshness::lastBackupAtMs).orElse(null)))
                    .baseUnit("seconds").description("time since the newest successful backup to the target")
                    .tag("target", target).register(registry);
            Gauge.builder("agentmesh.backup.last.run.ok", this,
                            m -> ok(m.get(target).flatMap(BackupFreshness::lastBackupOk).orElse(null)))
                    .description("1 when this node's newest backup run to the target succeeded, 0 when it failed")
                    .tag("target", target).register(registry);
            Gauge.builder("agentmesh.drill.last.success.age", this, m -> m.age(m.drillSuccessMs.get(target)))
                    .baseUnit("seconds").description("time since the newest successful restore drill of the target")
                    .tag("target", target).register(registry);
            Gauge.builder("agentmesh.drill.last.run.ok", this,
                            m -> ok(m.get(target).flatMap(f -> f.lastDrillAtMs().isEmpty() ? java.util.Optional.empty()
                                    : f.lastDrillOk()).orElse(null)))
                    .description("1 when the newest restore drill of the target succeeded, 0 when it failed")
                    .tag("target", target).register(registry);
            Gauge.builder("agentmesh.backup.warnings", this,
                            m -> m.get(target).map(f -> (double) f.warnings().size()).orElse(Double.NaN))
                    .description("warnings about the target's backups and drills (stale, missing or failed), as"
                            + " agentmesh status prints them")
                    .tag("target", target).register(registry);
        }
    }

    /** Reads the freshness once for the next scrape. The scrape thread only (it may wait for the node thread). */
    public void refresh() {
        for (BackupFreshness f : freshness.get()) {
            latest.put(f.target(), f);
            if (f.lastDrillOk().orElse(false)) {
                f.lastDrillAtMs().ifPresent(at -> drillSuccessMs.merge(f.target(), at, Math::max));
            }
        }
    }

    private java.util.Optional<BackupFreshness> get(String target) {
        return java.util.Optional.ofNullable(latest.get(target));
    }

    private double age(Long atMs) {
        return atMs == null ? Double.NaN : Math.max(0, clock.nowMillis() - atMs) / 1000.0;
    }

    private static double ok(Boolean ok) {
        return ok == null ? Double.NaN : ok ? 1 : 0;
    }
}
