package io.agentmesh.node.backup.target;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentmesh.node.configfile.StrictJson;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The node-local {@code <home>/backup.json}: the targets this node backs up to, each with a stable id (the key of its
 * own cursor and freshness) and, for S3, where its credentials come from. Read strictly, like exec.json and llm.json:
 * unknown and duplicate keys, duplicate ids and two targets at the same place are errors naming the file and place.
 *
 * <pre>{@code
 * {
 *   "targets": [
 *     {"id": "nas", "uri": "file:///mnt/nas/agentmesh"},
 *     {"id": "offsite", "uri": "s3://my-bucket/agent-7?region=eu-west-1",
 *      "accessKeyIdEnv": "AGENTMESH_S3_KEY_ID", "secretAccessKeyEnv": "AGENTMESH_S3_SECRET"},
 *     {"id": "minio", "uri": "s3://backups?endpoint=http://10.0.0.5:9000",
 *      "credentialsFile": "/etc/agentmesh/minio.credentials"}
 *   ]
 * }
 * }</pre>
 *
 * @param targets in the file's order, at least one
 */
public record BackupConfig(List<TargetConfig> targets, int everyMinutes, int drillEveryHours) {
    /** The leader's restore drill runs this often unless backup.json says otherwise (docs/backup.md, "The drill"). */
    public static final int DEFAULT_DRILL_EVERY_HOURS = 24;
    /** The longest drill period: a week. */
    public static final int MAX_DRILL_EVERY_HOURS = 7 * 24;
    /** The longest schedule: a week. */
    public static final int MAX_EVERY_MINUTES = 7 * 24 * 60;
    /**
     * The backup periods a cron expression keeps exact, in minutes: a divisor of an hour, a divisor of a day in whole
     * hours, or a week. backup.json's periods become cron schedules (docs/backup.md, "Schedules").
     */
    public static final List<Integer> EVERY_MINUTES_ALLOWED = List.of(1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60, 120,
            180, 240, 360, 480, 720, 1440, 10080);
    /** The drill periods a cron expression keeps exact, in hours: a divisor of a day, or a week. */
    public static final List<Integer> DRILL_EVERY_HOURS_ALLOWED = List.of(1, 2, 3, 4, 6, 8, 12, 24, 168);
    public static final int MAX_FILE_BYTES = 64 * 1024;
    public static final int MAX_TARGETS = 16;
    public static final String DEFAULT_KEY_ID_ENV = "AWS_ACCESS_KEY_ID";
    public static final String DEFAULT_SECRET_ENV = "AWS_SECRET_ACCESS_KEY";
    private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,31}");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");
    // "retention" is read by backup prune (RetentionPolicy.fromBackupJson), not by the node.
    private static final Set<String> TOP_KEYS = Set.of("targets", "everyMinutes", "drillEveryHours", "retention");
    private static final Set<String> TARGET_KEYS = Set.of("id", "uri", "accessKeyIdEnv", "secretAccessKeyEnv",
            "credentialsFile");

    /**
     * @param everyMinutes    the default backup schedule: every target this often; 0 for on request only
     * @param drillEveryHours the default drill schedule; 0 for on request only
     */
    public BackupConfig {
        targets = List.copyOf(targets);
        if (drillEveryHours != 0 && !DRILL_EVERY_HOURS_ALLOWED.contains(drillEveryHours)) {
            throw new IllegalArgumentException("drillEveryHours must be 0 (on request only) or one of "
                    + DRILL_EVERY_HOURS_ALLOWED + ", got " + drillEveryHours);
        }
        if (everyMinutes != 0 && !EVERY_MINUTES_ALLOWED.contains(everyMinutes)) {
            throw new IllegalArgumentException("everyMinutes must be 0 (on request only) or one of "
                    + EVERY_MINUTES_ALLOWED + ", got " + everyMinutes);
        }
    }

    /**
     * The cron expression (UTC) of the backup schedule {@code everyMinutes} asks for: every N minutes on the minute
     * divisible by N, every N hours at minute 0, or Sundays at 00:00; empty for on request only.
     */
    public java.util.Optional<String> backupCron() {
        if (everyMinutes == 0) {
            return java.util.Optional.empty();
        }
        if (everyMinutes < 60) {
            return java.util.Optional.of(everyMinutes == 1 ? "* * * * *" : "*/" + everyMinutes + " * * * *");
        }
        int hours = everyMinutes / 60;
        return java.util.Optional.of(hours == 1 ? "0 * * * *" : hours < 24 ? "0 */" + hours + " * * *"
                : hours == 24 ? "0 0 * * *" : "0 0 * * 0");
    }

    /**
     * The cron expression (UTC) of the drill schedule {@code drillEveryHours} asks for, at half past (away from the
     * backups on the hour): every N hours, daily at 03:30, or Sundays at 03:30; empty for on request only.
     */
    public java.util.Optional<String> drillCron() {
        if (drillEveryHours == 0) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(drillEveryHours == 1 ? "30 * * * *" : drillEveryHours < 24
                ? "30 */" + drillEveryHours + " * * *" : drillEveryHours == 24 ? "30 3 * * *" : "30 3 * * 0");
    }

    /** Targets backed up on request only. */
    public BackupConfig(List<TargetConfig> targets) {
        this(targets, 0);
    }

    /** With the default drill period. */
    public BackupConfig(List<TargetConfig> targets, int everyMinutes) {
        this(targets, everyMinutes, DEFAULT_DRILL_EVERY_HOURS);
    }

    /** Where an S3 target's access key comes from; never the key itself. */
    public sealed interface CredentialSource {
        /** Two environment variables of the node's process. */
        record Env(String accessKeyIdVar, String secretAccessKeyVar) implements CredentialSource {
        }

        /** A node-local file, readable by the node's user only (see {@link Targets}). */
        record File(Path path) implements CredentialSource {
        }
    }

    /**
     * One target.
     *
     * @param credentials empty for a directory
     */
    public record TargetConfig(String id, TargetUri uri, java.util.Optional<CredentialSource> credentials) {
        public TargetConfig {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(uri, "uri");
            Objects.requireNonNull(credentials, "credentials");
        }
    }

    /** Reads {@code file}; throws IllegalArgumentException naming the file and place, IOException if unreadable. */
    public static BackupConfig read(Path file) throws IOException {
        Path abs = file.toAbsolutePath();
        return parse(StrictJson.readFile(abs, "backup config", MAX_FILE_BYTES, StrictJson.ParseErrors.QUOTE),
                abs.toString());
    }

    /** Parses an already-read document; {@code what} names it in messages. */
    public static BackupConfig parse(JsonNode root, String what) {
        if (!root.isObject()) {
            throw new IllegalArgumentException(what + ": must be a JSON object with \"targets\"");
        }
        StrictJson.refuseUnknownKeys(root, TOP_KEYS, what);
        JsonNode list = root.get("targets");
        if (list == null || !list.isArray() || list.isEmpty()) {
            throw new IllegalArgumentException(what + ": \"targets\" must be a non-empty array");
        }
        if (list.size() > MAX_TARGETS) {
            throw new IllegalArgumentException(what + ": at most " + MAX_TARGETS + " targets, got " + list.size());
        }
        List<TargetConfig> out = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        Set<TargetUri> places = new HashSet<>();
        for (int i = 0; i < list.size(); i++) {
            String where = what + ": targets[" + i + "]";
            JsonNode t = list.get(i);
            if (!t.isObject()) {
                throw new IllegalArgumentException(where + " must be an object");
            }
            StrictJson.refuseUnknownKeys(t, TARGET_KEYS, where);
            String id = text(t, "id", where);
            if (!ID.matcher(id).matches()) {
                throw new IllegalArgumentException(where + ": id \"" + id + "\" must be 1-32 characters of [a-z0-9-],"
                        + " starting with a letter or digit");
            }
            where = what + ": target \"" + id + "\"";
            if (!ids.add(id)) {
                throw new IllegalArgumentException(where + ": the id is used twice");
            }
            TargetUri uri;
            try {
                uri = TargetUri.parse(text(t, "uri", where));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage());
            }
            if (!places.add(uri)) {
                throw new IllegalArgumentException(where + ": another target already has the same URI; two copies in"
                        + " one place are not two backups");
            }
            out.add(new TargetConfig(id, uri, credentials(t, uri, where)));
        }
        int everyMinutes = 0;
        JsonNode every = root.get("everyMinutes");
        if (every != null) {
            if (!every.isIntegralNumber() || !EVERY_MINUTES_ALLOWED.contains((int) Math.max(-1, Math.min(
                    Integer.MAX_VALUE, every.asLong())))) {
                throw new IllegalArgumentException(what + ": \"everyMinutes\" must be a whole number of minutes, one of "
                        + EVERY_MINUTES_ALLOWED + ", which a cron schedule keeps exact (leave it out to back up on"
                        + " request only, or add any cron schedule of kind \"backup\": docs/backup.md, \"Schedules\")");
            }
            everyMinutes = every.asInt();
        }
        int drillEveryHours = DEFAULT_DRILL_EVERY_HOURS;
        JsonNode drill = root.get("drillEveryHours");
        if (drill != null) {
            if (!drill.isIntegralNumber() || (drill.asLong() != 0 && !DRILL_EVERY_HOURS_ALLOWED.contains((int) Math.max(
                    -1, Math.min(Integer.MAX_VALUE, drill.asLong()))))) {
                throw new IllegalArgumentException(what + ": \"drillEveryHours\" must be a whole number of hours, 0"
                        + " (on request only) or one of " + DRILL_EVERY_HOURS_ALLOWED + "; it defaults to "
                        + DEFAULT_DRILL_EVERY_HOURS);
            }
            drillEveryHours = drill.asInt();
        }
        return new BackupConfig(out, everyMinutes, drillEveryHours);
    }

    private static java.util.Optional<CredentialSource> credentials(JsonNode t, TargetUri uri, String where) {
        boolean envGiven = t.has("accessKeyIdEnv") || t.has("secretAccessKeyEnv");
        boolean fileGiven = t.has("credentialsFile");
        if (uri instanceof TargetUri.Directory) {
            if (envGiven || fileGiven) {
                throw new IllegalArgumentException(where + ": a directory target takes no credentials");
            }
            return java.util.Optional.empty();
        }
        if (envGiven && fileGiven) {
            throw new IllegalArgumentException(where + ": give either accessKeyIdEnv and secretAccessKeyEnv or"
                    + " credentialsFile, not both");
        }
        if (fileGiven) {
            String p = text(t, "credentialsFile", where);
            if (!Path.of(p).isAbsolute()) {
                throw new IllegalArgumentException(where + ": credentialsFile must be an absolute path, got \"" + p
                        + "\"");
            }
            return java.util.Optional.of(new CredentialSource.File(Path.of(p)));
        }
        String idVar = t.has("accessKeyIdEnv") ? text(t, "accessKeyIdEnv", where) : DEFAULT_KEY_ID_ENV;
        String secretVar = t.has("secretAccessKeyEnv") ? text(t, "secretAccessKeyEnv", where) : DEFAULT_SECRET_ENV;
        for (String v : List.of(idVar, secretVar)) {
            if (!ENV_NAME.matcher(v).matches()) {
                throw new IllegalArgumentException(where + ": \"" + v + "\" is not an environment variable name"
                        + " (the config names the variable; the key itself never goes in backup.json)");
            }
        }
        return java.util.Optional.of(new CredentialSource.Env(idVar, secretVar));
    }

    private static String text(JsonNode t, String field, String where) {
        JsonNode v = t.get(field);
        if (v == null || !v.isTextual() || v.asText().isBlank()) {
            throw new IllegalArgumentException(where + ": \"" + field + "\" must be a non-empty string");
        }
        return v.asText();
    }
}
