package io.agentmesh.node.backup.run;

import io.agentmesh.node.backup.target.BackupConfig;
import io.agentmesh.node.backup.target.TargetUri;
import io.agentmesh.node.schedules.ScheduleExpander;
import io.agentmesh.state.Schedule;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** backup.json's periods as default schedules, which schedule wins, the payload, and each target's period. */
class BackupSchedulesTest {
    private static final long NOW = Instant.parse("2026-12-03T12:00:30Z").toEpochMilli();
    private static final List<BackupConfig.TargetConfig> TARGETS = List.of(
            new BackupConfig.TargetConfig("nas", TargetUri.parse("file:///nas"), Optional.empty()),
            new BackupConfig.TargetConfig("usb", TargetUri.parse("file:///usb"), Optional.empty()));

    @Test
    void backupJsonPeriodsBecomeDefaultSchedulesOfAllTargets() {
        List<Schedule> d = BackupSchedules.missingDefaults(new BackupConfig(TARGETS, 60, 24), List.of(), NOW);
        assertEquals(List.of(
                new Schedule("backup-default", "0 * * * *", "UTC", "backup", "{\"target\":\"all\"}", "once", NOW),
                new Schedule("drill-default", "30 3 * * *", "UTC", "drill", "{\"target\":\"all\"}", "once", NOW)), d);
        assertEquals(List.of(), BackupSchedules.missingDefaults(new BackupConfig(TARGETS, 0, 0), List.of(), NOW),
                "on request only");
        assertEquals(List.of(), BackupSchedules.missingDefaults(new BackupConfig(List.of(), 60, 24), List.of(), NOW),
                "no targets, nothing to schedule");
    }

    @Test
    void aScheduleOfTheKindInTheStateWinsOverBackupJson() {
        Schedule mine = new Schedule("nightly", "0 2 * * *", "Europe/Paris", "backup", "{\"target\":\"nas\"}", "skip", 1);
        List<Schedule> d = BackupSchedules.missingDefaults(new BackupConfig(TARGETS, 60, 24), List.of(mine), NOW);
        assertEquals(List.of("drill-default"), d.stream().map(Schedule::id).toList());
        Schedule otherLeaders = new Schedule("backup-default", "*/5 * * * *", "UTC", "backup", "{\"target\":\"all\"}",
                "once", 1);
        assertEquals(List.of("drill-default"), BackupSchedules.missingDefaults(new BackupConfig(TARGETS, 60, 24),
                List.of(otherLeaders), NOW).stream().map(Schedule::id).toList(), "an earlier leader's default stays");
    }

    @Test
    void thePayloadNamesOneTargetOrAll() {
        assertEquals(Optional.empty(), BackupSchedules.target("{\"target\":\"all\"}"));
        assertEquals(Optional.empty(), BackupSchedules.target("{}"));
        assertEquals(Optional.of("nas"), BackupSchedules.target("{\"target\":\"nas\"}"));
        for (String bad : List.of("[]", "nope", "{\"target\": 3}", "{\"target\": \"\"}", "{\"targets\": \"nas\"}")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BackupSchedules.target(bad));
            assertTrue(e.getMessage().contains("target") || e.getMessage().contains("JSON"), e.getMessage());
        }
    }

    @Test
    void eachTargetsPeriodIsItsShortestSchedule() {
        List<Schedule> s = List.of(
                new Schedule("a", "0 * * * *", "UTC", "backup", "{\"target\":\"all\"}", "once", 0),
                new Schedule("b", "*/15 * * * *", "UTC", "backup", "{\"target\":\"usb\"}", "once", 0),
                new Schedule("c", "* * * * *", "UTC", "drill", "{\"target\":\"nas\"}", "once", 0),
                new Schedule("d", "not cron", "UTC", "backup", "{\"target\":\"nas\"}", "once", 0),
                new Schedule("e", "* * * * *", "UTC", "backup", "{\"target\":7}", "once", 0));
        ScheduleExpander x = new ScheduleExpander(60_000, 100);
        assertEquals(Map.of("nas", 3_600_000L, "usb", 900_000L),
                BackupSchedules.periods(s, "backup", List.of("nas", "usb"), NOW, x));
        assertEquals(Map.of("nas", 60_000L), BackupSchedules.periods(s, "drill", List.of("nas", "usb"), NOW, x));
    }
}
