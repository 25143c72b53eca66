package io.agentmesh.node.backup.run;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How fresh one target's backups and drills are (docs/backup.md, "Freshness"): the one record `/v1/status`,
 * {@code agentmesh status} and the metrics read. Times are wall-clock milliseconds of this node; ages are from
 * {@code nowMs}.
 *
 * @param lastBackupAtMs  the newest successful backup this node knows of: its own last successful run, or the newest
 *                        manifest's writing time on the target (read at start, so a new leader knows its
 *                        predecessor's)
 * @param lastBackupOk    whether this node's newest run to the target succeeded; empty before its first run
 * @param backupEveryMs   the shortest period of the backup schedules naming the target; empty: on request only
 * @param backupState     "ok"; "stale" (older than twice the period); "missing" (scheduled, no backup known);
 *                        "failed" (the newest run failed); "none" (never backed up, and not scheduled)
 * @param lastDrillAtMs   the newest drill of the target this node knows of (its own, or the newest report on the
 *                        target, signed by a node of this agent)
 * @param lastDrillOk     that drill's result
 * @param drillEveryMs    the shortest period of the drill schedules naming the target
 * @param drillState      "ok"; "failed"; "missing" (scheduled, and none within twice the period); "none"
 * @param warnings        one line per problem, empty when all is well: a failed or missing drill, a stale, missing
 *                        or failed backup
 */
public record BackupFreshness(String target, Optional<Long> lastBackupAtMs, Optional<Long> backupAgeMs,
                              Optional<Boolean> lastBackupOk, Optional<Long> backupEveryMs, String backupState,
                              Optional<Long> lastDrillAtMs, Optional<Long> drillAgeMs, Optional<Boolean> lastDrillOk,
                              Optional<Long> drillEveryMs, String drillState, List<String> warnings) {
    public BackupFreshness {
        warnings = List.copyOf(warnings);
    }

    /** Pure: the freshness of one target from what the runner and the drill know and the schedules' periods. */
    public static BackupFreshness of(String target, Optional<Long> lastBackupAtMs, Optional<Boolean> lastBackupOk,
                                     Optional<Long> backupEveryMs, Optional<Long> lastDrillAtMs,
                                     Optional<Boolean> lastDrillOk, Optional<Long> drillEveryMs, long nowMs) {
        List<String> warnings = new ArrayList<>();
        Optional<Long> backupAge = lastBackupAtMs.map(t -> Math.max(0, nowMs - t));
        String backupState;
        if (lastBackupOk.isPresent() && !lastBackupOk.get()) {
            backupState = "failed";
            warnings.add("the newest backup to " + target + " failed");
        } else if (lastBackupAtMs.isEmpty()) {
            backupState = backupEveryMs.isPresent() ? "missing" : "none";
            if (backupEveryMs.isPresent()) {
                warnings.add("no backup of " + target + " is known, and one is scheduled every " + human(backupEveryMs.get()));
            }
        } else if (backupEveryMs.isPresent() && backupAge.get() > 2 * backupEveryMs.get()) {
            backupState = "stale";
            warnings.add("the newest backup of " + target + " is " + human(backupAge.get()) + " old, more than twice"
                    + " its period (" + human(backupEveryMs.get()) + ")");
        } else {
            backupState = "ok";
        }
        Optional<Long> drillAge = lastDrillAtMs.map(t -> Math.max(0, nowMs - t));
        String drillState;
        if (lastDrillAtMs.isEmpty()) {
            drillState = drillEveryMs.isPresent() ? "missing" : "none";
            if (drillEveryMs.isPresent()) {
                warnings.add("no restore drill of " + target + " yet, and one is scheduled every "
                        + human(drillEveryMs.get()));
            }
        } else if (!lastDrillOk.orElse(false)) {
            drillState = "failed";
            warnings.add("the newest restore drill of " + target + " failed");
        } else if (drillEveryMs.isPresent() && drillAge.get() > 2 * drillEveryMs.get()) {
            drillState = "missing";
            warnings.add("the newest restore drill of " + target + " is " + human(drillAge.get()) + " old, more than"
                    + " twice its period (" + human(drillEveryMs.get()) + ")");
        } else {
            drillState = "ok";
        }
        return new BackupFreshness(target, lastBackupAtMs, backupAge, lastBackupOk, backupEveryMs, backupState,
                lastDrillAtMs, drillAge, lastDrillOk, drillEveryMs, drillState, warnings);
    }

    /** For JSON: absent values as nulls. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("target", target);
        m.put("lastBackupAtMs", lastBackupAtMs.orElse(null));
        m.put("lastBackupAt", lastBackupAtMs.map(t -> java.time.Instant.ofEpochMilli(t).toString()).orElse(null));
        m.put("backupAgeMs", backupAgeMs.orElse(null));
        m.put("lastBackupOk", lastBackupOk.orElse(null));
        m.put("backupEveryMs", backupEveryMs.orElse(null));
        m.put("backupState", backupState);
        m.put("lastDrillAtMs", lastDrillAtMs.orElse(null));
        m.put("lastDrillAt", lastDrillAtMs.map(t -> java.time.Instant.ofEpochMilli(t).toString()).orElse(null));
        m.put("drillAgeMs", drillAgeMs.orElse(null));
        m.put("lastDrillOk", lastDrillOk.orElse(null));
        m.put("drillEveryMs", drillEveryMs.orElse(null));
        m.put("drillState", drillState);
        m.put("warnings", warnings);
        return m;
    }

    /** "90 s", "12 min", "5 h", "3 d". */
    public static String human(long ms) {
        if (ms < 120_000) {
            return ms / 1000 + " s";
        }
        if (ms < 2 * 3_600_000) {
            return ms / 60_000 + " min";
        }
        if (ms < 2 * 86_400_000L) {
            return ms / 3_600_000 + " h";
        }
        return ms / 86_400_000L + " d";
    }
}
