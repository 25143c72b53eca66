package io.agentmesh.node.metrics;

import io.agentmesh.node.backup.run.BackupFreshness;
import io.agentmesh.node.port.ManualClock;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Backup and drill freshness: the age of the newest success per target, kept across a later failure. */
class BackupMetersTest {
    private final ManualClock clock = new ManualClock(1_000_000);

    /** The freshness of target "disk" as the runtime computes it, with a daily drill schedule. */
    private BackupFreshness fresh(Optional<Long> backupAt, Optional<Boolean> backupOk, Optional<Long> drillAt,
                                  Optional<Boolean> drillOk) {
        return BackupFreshness.of("disk", backupAt, backupOk, Optional.of(3_600_000L), drillAt, drillOk,
                Optional.of(86_400_000L), clock.nowMillis);
    }

    private static double gauge(MeterRegistry r, String name) {
        return r.get(name).tag("target", "disk").gauge().value();
    }

    @Test
    void theAgeOfTheNewestSuccessGrowsAndSurvivesALaterFailure() {
        AtomicReference<BackupFreshness> now = new AtomicReference<>(
                fresh(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty()));
        MeterRegistry registry = new SimpleMeterRegistry();
        BackupMeters meters = new BackupMeters(registry, List.of("disk"), () -> List.of(now.get()), clock);
        meters.refresh();
        assertTrue(Double.isNaN(gauge(registry, "agentmesh.backup.last.success.age")), "no backup yet");
        assertTrue(Double.isNaN(gauge(registry, "agentmesh.backup.last.run.ok")));
        assertEquals(2.0, gauge(registry, "agentmesh.backup.warnings"), "a backup and a drill are missing");

        now.set(fresh(Optional.of(1_000_000L), Optional.of(true), Optional.of(990_000L), Optional.of(true)));
        meters.refresh();
        clock.nowMillis += 60_000;
        assertEquals(60.0, gauge(registry, "agentmesh.backup.last.success.age"));
        assertEquals(1.0, gauge(registry, "agentmesh.backup.last.run.ok"));
        assertEquals(70.0, gauge(registry, "agentmesh.drill.last.success.age"));
        assertEquals(0.0, gauge(registry, "agentmesh.backup.warnings"));

        now.set(fresh(Optional.of(1_000_000L), Optional.of(false), Optional.of(1_060_000L), Optional.of(false)));
        meters.refresh();
        clock.nowMillis += 60_000;
        assertEquals(120.0, gauge(registry, "agentmesh.backup.last.success.age"), "a failure keeps the old success");
        assertEquals(0.0, gauge(registry, "agentmesh.backup.last.run.ok"));
        assertEquals(130.0, gauge(registry, "agentmesh.drill.last.success.age"));
        assertEquals(0.0, gauge(registry, "agentmesh.drill.last.run.ok"));
        assertEquals(2.0, gauge(registry, "agentmesh.backup.warnings"), "a failed backup and a failed drill");
    }

    @Test
    void aBackupKnownFromTheTargetBeforeThisNodeRanOneShowsItsAge() {
        MeterRegistry registry = new SimpleMeterRegistry();
        BackupMeters meters = new BackupMeters(registry, List.of("disk"),
                () -> List.of(fresh(Optional.of(940_000L), Optional.empty(), Optional.empty(), Optional.empty())),
                clock);
        meters.refresh();
        assertEquals(60.0, gauge(registry, "agentmesh.backup.last.success.age"),
                "the newest manifest's time, read at start, is a success this node did not make");
        assertTrue(Double.isNaN(gauge(registry, "agentmesh.backup.last.run.ok")), "this node ran none");
    }
}
