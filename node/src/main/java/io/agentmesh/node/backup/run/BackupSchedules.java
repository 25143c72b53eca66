package io.agentmesh.node.backup.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.node.actions.IntentPayload;
import io.agentmesh.node.backup.target.BackupConfig;
import io.agentmesh.node.schedules.ScheduleExpander;
import io.agentmesh.state.Schedule;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Backups and drills as scheduled actions (docs/backup.md, "Schedules"): the intent kinds {@code backup} and {@code
 * drill}, their payload {@code {"target": "<id>" | "all"}}, backup.json's periods as the default schedules, and each
 * target's period as the schedules in the state say, for freshness. Pure: no clock, no IO.
 */
public final class BackupSchedules {
    public static final String BACKUP_KIND = "backup";
    public static final String DRILL_KIND = "drill";
    /** The schedule ids backup.json's {@code everyMinutes} and {@code drillEveryHours} write. */
    public static final String DEFAULT_BACKUP_ID = "backup-default";
    public static final String DEFAULT_DRILL_ID = "drill-default";
    public static final String ALL = "all";
    private static final ObjectMapper JSON = new ObjectMapper();

    private BackupSchedules() {
    }

    /**
     * The default schedules backup.json asks for that the state does not hold yet. A schedule of the same kind already
     * in the state (any id: yours, or a default an earlier leader wrote from its own backup.json) wins, so leaders with
     * different files never rewrite each other's schedule back and forth. Catch-up is "once": a leader that comes back
     * after missing a firing runs one backup, not every missed one.
     */
    public static List<Schedule> missingDefaults(BackupConfig config, List<Schedule> existing, long nowMs) {
        if (config.targets().isEmpty()) {
            return List.of();
        }
        List<Schedule> out = new ArrayList<>();
        config.backupCron().filter(c -> existing.stream().noneMatch(s -> s.intentKind().equals(BACKUP_KIND)))
                .ifPresent(c -> out.add(new Schedule(DEFAULT_BACKUP_ID, c, "UTC", BACKUP_KIND, payload(ALL), "once",
                        nowMs)));
        config.drillCron().filter(c -> existing.stream().noneMatch(s -> s.intentKind().equals(DRILL_KIND)))
                .ifPresent(c -> out.add(new Schedule(DEFAULT_DRILL_ID, c, "UTC", DRILL_KIND, payload(ALL), "once",
                        nowMs)));
        return out;
    }

    /** The payload naming {@code target} (or {@link #ALL}). */
    public static String payload(String target) {
        return JSON.createObjectNode().put("target", target).toString();
    }

    /**
     * The target a payload names, empty for {@link #ALL}.
     *
     * @throws IllegalArgumentException for anything but {@code {"target": "<id>"|"all"}} (an empty object means all)
     */
    public static Optional<String> target(String payloadJson) {
        JsonNode p = IntentPayload.object(payloadJson, "a backup or drill payload is a JSON object {\"target\":"
                + " \"<id>\"|\"all\"}", "the payload", Set.of("target"));
        JsonNode t = p.get("target");
        if (t == null) {
            return Optional.empty();
        }
        if (!t.isTextual() || t.asText().isEmpty()) {
            throw new IllegalArgumentException("\"target\" is a target id of backup.json or \"all\"");
        }
        return t.asText().equals(ALL) ? Optional.empty() : Optional.of(t.asText());
    }

    /**
     * Per target, the shortest period among the valid schedules of {@code kind} that name it or all targets; a target
     * no such schedule names is absent (on request only).
     */
    public static Map<String, Long> periods(List<Schedule> schedules, String kind, List<String> targets, long nowMs,
                                            ScheduleExpander expander) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (Schedule s : schedules) {
            if (!s.intentKind().equals(kind)) {
                continue;
            }
            Optional<String> named;
            try {
                named = target(s.payloadJson());
            } catch (IllegalArgumentException e) {
                continue; // its intents fail as not performed; it keeps nothing fresh
            }
            OptionalLong period = expander.intervalMillis(s, nowMs);
            if (period.isEmpty()) {
                continue;
            }
            for (String id : targets) {
                if (named.isEmpty() || named.get().equals(id)) {
                    out.merge(id, period.getAsLong(), Math::min);
                }
            }
        }
        return out;
    }
}
