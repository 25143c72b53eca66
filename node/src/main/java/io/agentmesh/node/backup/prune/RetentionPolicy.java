package io.agentmesh.node.backup.prune;

import io.agentmesh.node.backup.format.ManifestRef;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongFunction;

/**
 * Which backups (manifests) a prune keeps, restic's way: the newest {@code keepLast}, and the newest backup of each of
 * the newest {@code keepDaily} days, {@code keepWeekly} ISO weeks and {@code keepMonthly} months (UTC) that have one.
 * The rules add up: a backup kept by any rule is kept. So two backups on one day with {@code keepDaily 1} keep the
 * later one only, while {@code keepLast 2} keeps both. The newest backup is always kept, whatever the policy: it is
 * every writer's cursor, and removing it would look like a rolled-back target.
 */
public record RetentionPolicy(int keepLast, int keepDaily, int keepWeekly, int keepMonthly) {
    /** More than a century of months: a larger count is a typo, not a policy. */
    public static final int MAX_KEEP = 10_000;

    /** A manifest and the time its writer stamped on it. */
    public record Dated(ManifestRef ref, long createdAtMs) {
    }

    public RetentionPolicy {
        for (int n : new int[]{keepLast, keepDaily, keepWeekly, keepMonthly}) {
            if (n < 0 || n > MAX_KEEP) {
                throw new IllegalArgumentException("a keep count must be 0.." + MAX_KEEP + ", not " + n);
            }
        }
        if (keepLast + keepDaily + keepWeekly + keepMonthly == 0) {
            throw new IllegalArgumentException("a retention policy must keep something: give --keep-last, --keep-daily,"
                    + " --keep-weekly or --keep-monthly (or \"retention\" in backup.json)");
        }
    }

    /**
     * The {@code "retention"} object of a backup.json ({@code {"keepLast": 7, "keepDaily": 14, "keepWeekly": 8,
     * "keepMonthly": 12}}, every key optional, 0 when absent), or empty when the file or the object is absent.
     */
    public static java.util.Optional<RetentionPolicy> fromBackupJson(java.nio.file.Path file) throws java.io.IOException {
        if (!java.nio.file.Files.exists(file)) {
            return java.util.Optional.empty();
        }
        String what = file.toAbsolutePath() + ": retention";
        com.fasterxml.jackson.databind.JsonNode root = io.agentmesh.node.configfile.StrictJson.readFile(
                file.toAbsolutePath(), "backup config", io.agentmesh.node.backup.target.BackupConfig.MAX_FILE_BYTES,
                io.agentmesh.node.configfile.StrictJson.ParseErrors.QUOTE);
        com.fasterxml.jackson.databind.JsonNode r = root.get("retention");
        if (r == null) {
            return java.util.Optional.empty();
        }
        if (!r.isObject()) {
            throw new IllegalArgumentException(what + " must be an object with keepLast, keepDaily, keepWeekly, keepMonthly");
        }
        io.agentmesh.node.configfile.StrictJson.refuseUnknownKeys(r,
                java.util.Set.of("keepLast", "keepDaily", "keepWeekly", "keepMonthly"), what);
        try {
            return java.util.Optional.of(new RetentionPolicy(count(r, "keepLast", what), count(r, "keepDaily", what),
                    count(r, "keepWeekly", what), count(r, "keepMonthly", what)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + ": " + e.getMessage());
        }
    }

    private static int count(com.fasterxml.jackson.databind.JsonNode r, String key, String what) {
        com.fasterxml.jackson.databind.JsonNode v = r.get(key);
        if (v == null) {
            return 0;
        }
        if (!v.isInt()) {
            throw new IllegalArgumentException(what + ": " + key + " must be a whole number, not " + v);
        }
        return v.asInt();
    }

    /** The manifests to keep, newest first. */
    public List<ManifestRef> keep(List<Dated> manifests) {
        List<Dated> newestFirst = new ArrayList<>(manifests);
        newestFirst.sort(Comparator.comparingLong((Dated d) -> d.ref().number()).reversed()
                .thenComparing(d -> d.ref().sha256().hex()));
        Set<ManifestRef> kept = new LinkedHashSet<>();
        if (!newestFirst.isEmpty()) {
            kept.add(newestFirst.getFirst().ref());
        }
        for (int i = 0; i < Math.min(keepLast, newestFirst.size()); i++) {
            kept.add(newestFirst.get(i).ref());
        }
        bucketed(newestFirst, keepDaily, ms -> utc(ms).toLocalDate().toString(), kept);
        bucketed(newestFirst, keepWeekly, ms -> {
            ZonedDateTime t = utc(ms);
            return t.get(IsoFields.WEEK_BASED_YEAR) + "-W" + t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR);
        }, kept);
        bucketed(newestFirst, keepMonthly, ms -> utc(ms).getYear() + "-" + utc(ms).getMonthValue(), kept);
        return newestFirst.stream().map(Dated::ref).filter(kept::contains).toList();
    }

    /** Walking newest first, the first backup of each new bucket is kept, for the newest {@code count} buckets. */
    private static void bucketed(List<Dated> newestFirst, int count, LongFunction<String> bucket, Set<ManifestRef> kept) {
        String last = null;
        int used = 0;
        for (Dated d : newestFirst) {
            if (used == count) {
                return;
            }
            String b = bucket.apply(d.createdAtMs());
            if (!b.equals(last)) {
                kept.add(d.ref());
                used++;
                last = b;
            }
        }
    }

    private static ZonedDateTime utc(long ms) {
        return Instant.ofEpochMilli(ms).atZone(ZoneOffset.UTC);
    }
}
