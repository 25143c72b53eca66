package io.agentmesh.node.backup.prune;

import io.agentmesh.node.backup.format.ManifestRef;
import io.agentmesh.protocol.bytes.Bytes;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RetentionPolicyTest {
    private static RetentionPolicy.Dated at(long number, String instant) {
        byte[] hash = new byte[32];
        hash[0] = (byte) number;
        return new RetentionPolicy.Dated(new ManifestRef(number, Bytes.copyOf(hash)), Instant.parse(instant).toEpochMilli());
    }

    /** Two backups on day 1, one on day 2, two on day 3 (restic's pitfall case), and two weeks and a month back. */
    private static final List<RetentionPolicy.Dated> BACKUPS = List.of(
            at(1, "2026-10-20T10:00:00Z"),
            at(2, "2026-11-20T10:00:00Z"),
            at(3, "2026-12-01T10:00:00Z"), at(4, "2026-12-01T14:00:00Z"),
            at(5, "2026-12-02T10:00:00Z"),
            at(6, "2026-12-03T10:00:00Z"), at(7, "2026-12-03T12:00:00Z"));

    private static List<Long> kept(RetentionPolicy p) {
        return p.keep(BACKUPS).stream().map(ManifestRef::number).toList();
    }

    @Test
    void keepDailyKeepsTheNewestBackupOfEachDayAndKeepLastKeepsTheRecentOnesOfOneDay() {
        assertEquals(List.of(7L, 5L, 4L), kept(new RetentionPolicy(0, 3, 0, 0)));
        assertEquals(List.of(7L, 6L), kept(new RetentionPolicy(2, 0, 0, 0)));
        // The rules add up: keep-last keeps both of today's, keep-daily one per earlier day.
        assertEquals(List.of(7L, 6L, 5L, 4L), kept(new RetentionPolicy(2, 3, 0, 0)));
    }

    @Test
    void weeklyAndMonthlyKeepTheNewestOfEachPeriod() {
        // 2026-12-03 and 2026-12-01 share ISO week 49; 2026-11-20 is week 47; 2026-10-20 week 43.
        assertEquals(List.of(7L, 2L, 1L), kept(new RetentionPolicy(0, 0, 3, 0)));
        assertEquals(List.of(7L, 2L, 1L), kept(new RetentionPolicy(0, 0, 0, 5)));
        assertEquals(List.of(7L, 2L), kept(new RetentionPolicy(0, 0, 0, 2)));
    }

    @Test
    void theNewestByNumberIsKeptWhenAWritersClockWentBack() {
        // Manifest 2 is every writer's cursor even though its clock said an earlier day.
        List<RetentionPolicy.Dated> clockWentBack = List.of(at(1, "2026-12-03T10:00:00Z"), at(2, "2026-12-01T10:00:00Z"));
        assertEquals(List.of(2L), new RetentionPolicy(0, 1, 0, 0).keep(clockWentBack).stream()
                .map(ManifestRef::number).toList());
    }

    @Test
    void aPolicyThatKeepsNothingOrANegativeCountIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new RetentionPolicy(0, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new RetentionPolicy(-1, 3, 0, 0));
    }

    @Test
    void backupJsonRetentionIsReadStrictly(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path file = dir.resolve("backup.json");
        Files.writeString(file, "{\"targets\": [{\"id\": \"nas\", \"uri\": \"file:///tmp/x\"}],"
                + " \"retention\": {\"keepLast\": 3, \"keepDaily\": 7}}");
        assertEquals(Optional.of(new RetentionPolicy(3, 7, 0, 0)), RetentionPolicy.fromBackupJson(file));
        Files.writeString(file, "{\"targets\": [{\"id\": \"nas\", \"uri\": \"file:///tmp/x\"}],"
                + " \"retention\": {\"keepLast\": 3, \"keepYearly\": 7}}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RetentionPolicy.fromBackupJson(file));
        assertTrue(e.getMessage().contains("keepYearly"), e.getMessage());
        assertEquals(Optional.empty(), RetentionPolicy.fromBackupJson(dir.resolve("absent.json")));
    }
}
