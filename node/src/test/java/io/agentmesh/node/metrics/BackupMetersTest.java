package io.agentmesh.node.metrics;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.protocol.time.Clock;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Backup and drill freshness: the age of the newest success per target, kept across a later failure. */
class BackupMetersTest {
    private final AtomicLong nowMs = new AtomicLong(1_000_000);
    private final Clock clock = new Clock() {
        @Override
        public long nowMillis() {
            return nowMs.get();
        }

        @Override
        public long monotonicNanos() {
            return nowMs.get() * 1_000_000;
        }
    };

    private static Map<String, Object> backup(Boolean ok, long finishedAtMs) {
        Map<String, Object> t = new HashMap<>();
        t.put("target", "disk");
        t.put("ok", ok);
        t.put("finishedAtMs", finishedAtMs);
        return Map.of("targets", List.of(t));
    }

    private static Map<String, Object> drill(boolean ok, long atMs) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("state", ok ? "ok" : "failed");
        t.put("last", new ObjectMapper().createObjectNode().put("ok", ok).put("atMs", atMs));
        return Map.of("disk", t);
    }

    private static double gauge(MeterRegistry r, String name) {
        return r.get(name).tag("target", "disk").gauge().value();
    }

    @Test
    void theAgeOfTheNewestSuccessGrowsAndSurvivesALaterFailure() {
        AtomicReference<Map<String, Object>> backups = new AtomicReference<>(backup(null, 0));
        AtomicReference<Map<String, Object>> drills = new AtomicReference<>(Map.of("disk", Map.of("state", "none")));
        MeterRegistry registry = new SimpleMeterRegistry();
        BackupMeters meters = new BackupMeters(registry, backups::get, drills::get, clock);
        assertTrue(Double.isNaN(gauge(registry, "agentmesh.backup.last.success.age")), "no backup yet");
        assertTrue(Double.isNaN(gauge(registry, "agentmesh.backup.last.run.ok")));

        backups.set(backup(true, 1_000_000));
        drills.set(drill(true, 990_000));
        meters.refresh();
        nowMs.addAndGet(60_000);
        assertEquals(60.0, gauge(registry, "agentmesh.backup.last.success.age"));
        assertEquals(1.0, gauge(registry, "agentmesh.backup.last.run.ok"));
        assertEquals(70.0, gauge(registry, "agentmesh.drill.last.success.age"));

        backups.set(backup(false, 1_060_000));
        drills.set(drill(false, 1_060_000));
        meters.refresh();
        nowMs.addAndGet(60_000);
        assertEquals(120.0, gauge(registry, "agentmesh.backup.last.success.age"), "a failure keeps the old success");
        assertEquals(0.0, gauge(registry, "agentmesh.backup.last.run.ok"));
        assertEquals(130.0, gauge(registry, "agentmesh.drill.last.success.age"));
        assertEquals(0.0, gauge(registry, "agentmesh.drill.last.run.ok"));
    }
}
