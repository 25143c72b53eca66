package io.agentmesh.node.backup.run;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A target's freshness: a backup older than twice its period, a failed or missing drill are warnings. */
class BackupFreshnessTest {
    private static final long NOW = 1_800_000_000_000L;
    private static final long HOUR = 3_600_000L;

    @Test
    void freshBackupsAndAPassedDrillWarnOfNothing() {
        BackupFreshness f = BackupFreshness.of("nas", Optional.of(NOW - HOUR), Optional.of(true), Optional.of(HOUR),
                Optional.of(NOW - 5 * HOUR), Optional.of(true), Optional.of(24 * HOUR), NOW);
        assertEquals("ok", f.backupState());
        assertEquals(Optional.of(HOUR), f.backupAgeMs());
        assertEquals("ok", f.drillState());
        assertEquals(List.of(), f.warnings());
    }

    @Test
    void aBackupOlderThanTwiceItsPeriodIsStale() {
        BackupFreshness atTwice = BackupFreshness.of("nas", Optional.of(NOW - 2 * HOUR), Optional.empty(),
                Optional.of(HOUR), Optional.empty(), Optional.empty(), Optional.empty(), NOW);
        assertEquals("ok", atTwice.backupState(), "at exactly twice the period: not yet");
        BackupFreshness f = BackupFreshness.of("nas", Optional.of(NOW - 2 * HOUR - 1), Optional.empty(),
                Optional.of(HOUR), Optional.empty(), Optional.empty(), Optional.empty(), NOW);
        assertEquals("stale", f.backupState());
        assertEquals(List.of("the newest backup of nas is 2 h old, more than twice its period (60 min)"), f.warnings());
        assertEquals("none", f.drillState(), "no drill and none scheduled: nothing to warn of");
    }

    @Test
    void aFailedRunAMissingBackupAndAFailedOrMissingDrillWarn() {
        assertEquals(List.of("the newest backup to nas failed", "the newest restore drill of nas failed"),
                BackupFreshness.of("nas", Optional.of(NOW - 1), Optional.of(false), Optional.of(HOUR),
                        Optional.of(NOW - 1), Optional.of(false), Optional.of(24 * HOUR), NOW).warnings());
        BackupFreshness never = BackupFreshness.of("nas", Optional.empty(), Optional.empty(), Optional.of(HOUR),
                Optional.empty(), Optional.empty(), Optional.of(24 * HOUR), NOW);
        assertEquals("missing", never.backupState());
        assertEquals("missing", never.drillState());
        assertEquals(2, never.warnings().size(), never.warnings().toString());
        BackupFreshness old = BackupFreshness.of("nas", Optional.of(NOW), Optional.of(true), Optional.empty(),
                Optional.of(NOW - 49 * HOUR), Optional.of(true), Optional.of(24 * HOUR), NOW);
        assertEquals("missing", old.drillState());
        assertEquals(List.of("the newest restore drill of nas is 2 d old, more than twice its period (24 h)"),
                old.warnings());
    }
}
