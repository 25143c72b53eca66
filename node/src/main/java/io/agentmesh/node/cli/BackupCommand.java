package io.agentmesh.node.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.node.backup.format.AgeIdentity;
import io.agentmesh.node.backup.format.BackupFormatException;
import io.agentmesh.node.backup.format.BackupKeys;
import io.agentmesh.node.backup.format.BackupReader;
import io.agentmesh.node.backup.format.ManifestRef;
import io.agentmesh.node.backup.format.RecipientGrant;
import io.agentmesh.node.backup.run.BackupGrants;
import io.agentmesh.node.backup.run.RememberedManifests;
import io.agentmesh.node.backup.target.BackupConfig;
import io.agentmesh.node.backup.target.BackupTarget;
import io.agentmesh.node.backup.target.BackupTargetException;
import io.agentmesh.node.backup.target.Targets;
import io.agentmesh.protocol.identity.IdentityDirectory;
import io.agentmesh.protocol.identity.RecoveryPhrase;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.protocol.time.SystemClock;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/** `agentmesh backup create|list|verify|keys|prune` (docs/backup.md, "Backing up"). */
@Command(name = "backup", mixinStandardHelpOptions = true,
        description = "Encrypted backups of the agent: create, list, verify, prune, and publish the backup keys.",
        subcommands = {BackupCommand.Create.class, BackupCommand.ListCmd.class, BackupCommand.Verify.class,
                BackupCommand.Keys.class, BackupCommand.Prune.class})
public final class BackupCommand {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A backup run may upload a lot: the command waits this long for the node's answer. */
    private static final long CREATE_TIMEOUT_MS = 30 * 60_000;

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Back up now, on the leader, to every target of its backup.json (or --target ID).")
    static final class Create implements Callable<Integer> {
        @Option(names = "--http", defaultValue = "127.0.0.1:7070", description = "The leader's HTTP API (default ${DEFAULT-VALUE}).")
        String http;

        @Option(names = "--target", paramLabel = "ID", description = "Only this target.")
        String target;

        @Override
        public Integer call() throws Exception {
            String q = target == null ? "" : "?target=" + java.net.URLEncoder.encode(target, StandardCharsets.UTF_8);
            String body = Progress.postAndFollow(http, "/v1/backup" + q, CREATE_TIMEOUT_MS, "progress");
            JsonNode r = NodeHttp.parse(http, body);
            return printTargets(r) ? 0 : 1;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Each target's newest backup as the node saw it: time, manifest, objects, bytes, error.")
    static final class ListCmd implements Callable<Integer> {
        @Option(names = "--http", defaultValue = "127.0.0.1:7070", description = "The node's HTTP API (default ${DEFAULT-VALUE}).")
        String http;

        @Override
        public Integer call() throws Exception {
            JsonNode r = NodeHttp.parse(http, NodeHttp.get(http, "/v1/backup"));
            printTargets(r);
            return 0;
        }
    }

    /** One line per target; true when none failed. */
    private static boolean printTargets(JsonNode r) {
        boolean ok = true;
        for (JsonNode t : r.path("targets")) {
            String id = t.path("target").asText();
            if (t.path("ok").isNull() || t.path("ok").isMissingNode()) {
                System.out.println(id + ": no backup run since the node started (" + t.path("where").asText() + ")");
            } else if (t.path("ok").asBoolean()) {
                System.out.println(id + ": ok, manifest " + t.path("manifest").asText() + ", " + t.path("changesAdded").asLong()
                        + " new changes, " + t.path("objectsWritten").asInt() + " objects written ("
                        + t.path("bytesWritten").asLong() + " bytes), " + t.path("objectsInBackup").asInt()
                        + " objects in the backup, at " + java.time.Instant.ofEpochMilli(t.path("finishedAtMs").asLong())
                        + " (" + t.path("where").asText() + ")");
            } else {
                ok = false;
                System.out.println(id + ": FAILED: " + t.path("error").asText() + " (" + t.path("where").asText() + ")");
            }
        }
        return ok;
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Read a target directly and verify its newest backup with this node's backup key: every object,"
                    + " every signature. Exit 0 when it verifies, 1 naming what is wrong.")
    static final class Verify implements Callable<Integer> {
        @Mixin
        HomeOptions home;

        @Option(names = "--target", paramLabel = "ID", description = "Only this target of backup.json.")
        String target;

        @Override
        public Integer call() throws Exception {
            RememberedManifests remembered = new RememberedManifests(home.stateDir());
            return eachTarget(home, target, ", or verify with the phrase through `agentmesh restore`", "",
                    (t, bt, reader) -> {
                        BackupReader.RestoreSet set = verify(bt, reader, remembered.get(t.id()), Optional.empty());
                        return "ok, manifest " + set.ref().number() + ", " + set.manifest().objects().size()
                                + " objects, " + set.changes().size() + " changes verified";
                    });
        }
    }

    /** One command's work on one target, read with this node's backup key; returns what to print for it. */
    @FunctionalInterface
    interface TargetWork {
        String run(BackupConfig.TargetConfig config, BackupTarget target, BackupReader reader)
                throws BackupTargetException;
    }

    /**
     * Runs {@code work} on every target of the home's backup.json (or only {@code only}), each on its own, printing one
     * line per target; 0 when every target succeeded, 1 when any failed (a bad backup is named, with
     * {@code badSuffix}). Reads with this node's operational backup key.
     */
    static int eachTarget(HomeOptions home, String only, String noKeyAdvice, String badSuffix, TargetWork work)
            throws IOException {
        IdentityDirectory ids = IdentityDirectory.of(home.identityDir());
        if (!ids.hasBackupKey()) {
            throw new IllegalArgumentException("no backup key in " + ids.path() + ": it is created when the node"
                    + " first starts; run the node once" + noKeyAdvice);
        }
        AgeIdentity ops = BackupKeys.operationalIdentity(ids.readBackupKey(home.passphrase()));
        BackupConfig config = NodeCommand.Run.backupConfig(home.home());
        boolean allOk = true;
        int checked = 0;
        for (BackupConfig.TargetConfig t : config.targets()) {
            if (only != null && !only.equals(t.id())) {
                continue;
            }
            checked++;
            try (BackupTarget bt = Targets.open(t, System.getenv(), new SystemClock())) {
                BackupReader reader = new BackupReader(ids.agentPublicKey(), List.of(ops), List.of());
                System.out.println(t.id() + ": " + work.run(t, bt, reader));
            } catch (BackupFormatException e) {
                allOk = false;
                System.out.println(t.id() + ": BAD (" + e.problem() + "): " + e.getMessage() + badSuffix);
            } catch (BackupTargetException | UncheckedIOException | IllegalArgumentException
                     | IllegalStateException e) {
                allOk = false;
                System.out.println(t.id() + ": FAILED: " + e.getMessage());
            }
        }
        if (checked == 0) {
            throw new IllegalArgumentException(only != null ? "no target \"" + only + "\" in backup.json"
                    : "no targets in " + home.home().resolve(NodeCommand.Run.BACKUP_CONFIG_FILE));
        }
        return allOk ? 0 : 1;
    }

    /** Reads and verifies the newest (or the {@code number}th) manifest and everything it names. */
    static BackupReader.RestoreSet verify(BackupTarget target, BackupReader reader, Optional<ManifestRef> remembered,
                                          Optional<Long> number) throws BackupTargetException {
        BackupReader.ObjectSource plain = name -> {
            try {
                return target.get(name);
            } catch (BackupTargetException e) {
                throw new UncheckedIOException(e);
            }
        };
        // Progress by the bytes of the objects the manifest names, as they are read and checked.
        long[] totalBytes = {0};
        Progress progress = Progress.start("reading and verifying " + target.describe(), 0, "bytes");
        BackupReader.ObjectSource source = name -> {
            Optional<byte[]> got = plain.get(name);
            if (totalBytes[0] == 0 && name.startsWith("man/") && got.isPresent()) {
                totalBytes[0] = reader.openManifest(name, got.get()).objects().stream()
                        .mapToLong(io.agentmesh.node.backup.format.Manifest.Entry::sizeBytes).sum();
                progress.total(totalBytes[0]);
            } else if (!name.startsWith("man/")) {
                got.ifPresent(b -> progress.advance(b.length));
            }
            return got;
        };
        try {
            return verifyFrom(target, reader, remembered, number, source);
        } finally {
            progress.close();
        }
    }

    private static BackupReader.RestoreSet verifyFrom(BackupTarget target, BackupReader reader,
                                                      Optional<ManifestRef> remembered, Optional<Long> number,
                                                      BackupReader.ObjectSource source) throws BackupTargetException {
        List<String> names = target.list("man/", 1_000_000);
        List<String> manifests = names.stream()
                .filter(n -> io.agentmesh.node.backup.format.ObjectName.parse(n).isPresent()).toList();
        if (manifests.isEmpty()) {
            throw new IllegalArgumentException("no backup at " + target.describe() + " (no manifest)");
        }
        ManifestRef ref;
        if (number.isPresent()) {
            List<ManifestRef> at = manifests.stream().map(n -> io.agentmesh.node.backup.format.ObjectName.parse(n).get())
                    .filter(o -> o.number() == number.get()).map(o -> new ManifestRef(o.number(), o.sha256())).toList();
            if (at.isEmpty()) {
                throw new IllegalArgumentException("no manifest " + number.get() + " at " + target.describe());
            }
            ref = at.stream().min(java.util.Comparator.comparing(r -> r.sha256().hex())).get();
        } else {
            ref = reader.newestManifest(names, source, remembered);
        }
        return reader.verify(ref, source);
    }

    /**
     * The newest manifest written at or before {@code atMs} (by its writer's clock, {@code createdAtMs}): manifests are
     * opened from the highest number down until one is old enough.
     *
     * @throws IllegalArgumentException when every manifest is newer, naming the oldest
     */
    static ManifestRef manifestAt(BackupTarget target, BackupReader reader, long atMs) throws BackupTargetException {
        List<io.agentmesh.node.backup.format.ObjectName> manifests = target.list("man/", 1_000_000).stream()
                .map(io.agentmesh.node.backup.format.ObjectName::parse).flatMap(Optional::stream)
                .sorted(java.util.Comparator.comparingLong(io.agentmesh.node.backup.format.ObjectName::number).reversed()
                        .thenComparing(o -> o.sha256().hex()))
                .toList();
        if (manifests.isEmpty()) {
            throw new IllegalArgumentException("no backup at " + target.describe() + " (no manifest)");
        }
        long oldestAt = Long.MAX_VALUE;
        long oldestNumber = 0;
        for (var o : manifests) {
            String name = new ManifestRef(o.number(), o.sha256()).name();
            byte[] bytes = target.get(name).orElseThrow(() -> new io.agentmesh.node.backup.format.BackupFormatException(
                    io.agentmesh.node.backup.format.BackupFormatException.Problem.MISSING, name, "vanished"));
            var m = reader.openManifest(name, bytes);
            if (m.createdAtMs() <= atMs) {
                return new ManifestRef(o.number(), o.sha256());
            }
            oldestAt = m.createdAtMs();
            oldestNumber = o.number();
        }
        throw new IllegalArgumentException("no manifest at " + target.describe() + " was written at or before "
                + java.time.Instant.ofEpochMilli(atMs) + "; the oldest, " + oldestNumber + ", was written "
                + java.time.Instant.ofEpochMilli(oldestAt));
    }

    @Command(name = "keys", mixinStandardHelpOptions = true,
            description = "Sign the phrase recipient grant (with agent-root.key, or the phrase with --phrase-stdin) and"
                    + " publish it to the identity directory and every target of backup.json. For agents created before"
                    + " backups existed; `agentmesh init` does it for new ones.")
    static final class Keys implements Callable<Integer> {
        @Mixin
        HomeOptions home;

        @Option(names = "--phrase-stdin", description = "Read the 24-word recovery phrase from stdin instead of agent-root.key.")
        boolean phraseStdin;

        @Override
        public Integer call() throws Exception {
            IdentityDirectory ids = IdentityDirectory.of(home.identityDir());
            SigningKey root = phraseStdin ? readPhrase().signingKey() : ids.readAgentRoot(home.passphrase());
            if (!root.verifyingKey().equals(ids.agentPublicKey())) {
                throw new IllegalArgumentException("that phrase is not the root key of agent " + ids.agentId());
            }
            RecipientGrant grant = RecipientGrant.phrase(root);
            BackupGrants.writePhraseGrant(ids.path(), grant);
            System.out.println("phrase recipient " + grant.recipient() + " written to "
                    + ids.path().resolve(BackupGrants.PHRASE_GRANT_FILE));
            BackupConfig config = NodeCommand.Run.backupConfig(home.home());
            List<String> failed = new ArrayList<>();
            for (BackupConfig.TargetConfig t : config.targets()) {
                try (BackupTarget bt = Targets.open(t, System.getenv(), new SystemClock())) {
                    BackupGrants.publish(bt, grant);
                    System.out.println("published to target " + t.id() + " (" + bt.describe() + ")");
                } catch (BackupTargetException | IllegalArgumentException e) {
                    failed.add(t.id());
                    System.out.println("target " + t.id() + ": FAILED: " + e.getMessage());
                }
            }
            return failed.isEmpty() ? 0 : 1;
        }
    }

    @Command(name = "prune", mixinStandardHelpOptions = true,
            description = {"Delete the backups a retention policy does not keep, then the objects only they named (the"
                    + " newest backup is always kept). Reads the targets of backup.json directly with this node's backup"
                    + " key; needs delete permission on S3. The policy comes from the options, else from \"retention\""
                    + " in backup.json.",
                    "Exit 0 when every target was pruned, 1 when one failed."})
    static final class Prune implements Callable<Integer> {
        @Mixin
        HomeOptions home;

        @Option(names = "--target", paramLabel = "ID", description = "Only this target of backup.json.")
        String target;

        @Option(names = "--keep-last", paramLabel = "N", description = "Keep the newest N backups.")
        Integer keepLast;

        @Option(names = "--keep-daily", paramLabel = "D", description = "Keep the newest backup of each of the newest D days (UTC).")
        Integer keepDaily;

        @Option(names = "--keep-weekly", paramLabel = "W", description = "Keep the newest backup of each of the newest W ISO weeks.")
        Integer keepWeekly;

        @Option(names = "--keep-monthly", paramLabel = "M", description = "Keep the newest backup of each of the newest M months.")
        Integer keepMonthly;

        @Option(names = "--dry-run", description = "Say what would be deleted; delete nothing.")
        boolean dryRun;

        @Option(names = "--orphan-grace-minutes", paramLabel = "M", defaultValue = "1440",
                description = "Also delete objects no backup names (left by a killed backup) once they are M minutes"
                        + " old on the target (default ${DEFAULT-VALUE}: a day). Younger ones may belong to a backup"
                        + " still running: keep M longer than your longest backup.")
        long orphanGraceMinutes;

        @Option(names = "--orphans-only", description = "Delete only the objects no backup names; keep every backup"
                + " (no retention policy needed).")
        boolean orphansOnly;

        @Override
        public Integer call() throws Exception {
            if (orphanGraceMinutes < 0 || orphanGraceMinutes > 10 * 365 * 24 * 60L) {
                throw new IllegalArgumentException("--orphan-grace-minutes is 0 to ten years in minutes, not "
                        + orphanGraceMinutes);
            }
            java.util.OptionalLong graceMs = java.util.OptionalLong.of(orphanGraceMinutes * 60_000L);
            io.agentmesh.node.backup.prune.RetentionPolicy policy;
            if (orphansOnly) {
                if (keepLast != null || keepDaily != null || keepWeekly != null || keepMonthly != null) {
                    throw new IllegalArgumentException("--orphans-only keeps every backup: give no --keep-* option");
                }
                policy = null;
            } else if (keepLast != null || keepDaily != null || keepWeekly != null || keepMonthly != null) {
                policy = new io.agentmesh.node.backup.prune.RetentionPolicy(keepLast == null ? 0 : keepLast,
                        keepDaily == null ? 0 : keepDaily, keepWeekly == null ? 0 : keepWeekly,
                        keepMonthly == null ? 0 : keepMonthly);
            } else {
                policy = io.agentmesh.node.backup.prune.RetentionPolicy.fromBackupJson(
                        home.home().resolve(NodeCommand.Run.BACKUP_CONFIG_FILE)).orElseThrow(
                        () -> new IllegalArgumentException("no retention policy: give --keep-last, --keep-daily,"
                                + " --keep-weekly or --keep-monthly, or \"retention\" in backup.json"));
            }
            String holder = IdentityDirectory.of(home.identityDir()).nodeId().toString();
            return eachTarget(home, target, "", "; nothing deleted", (t, bt, reader) -> {
                var report = new io.agentmesh.node.backup.prune.Pruner(bt, reader, new SystemClock(), holder,
                        io.agentmesh.node.backup.prune.Pruner.DEFAULT_LEASE_MS).prune(Optional.ofNullable(policy),
                        dryRun, graceMs);
                report.deletedOrphans().forEach(o -> System.out.println(t.id() + ": " + (dryRun ? "would delete" : "deleted")
                        + " unreferenced " + o));
                return (dryRun ? "would keep " : "kept ") + report.kept().size()
                        + " backups " + report.kept().stream().map(r -> Long.toString(r.number())).toList()
                        + ", " + (dryRun ? "would delete " : "deleted ") + report.deletedManifests().size()
                        + " backups " + report.deletedManifests().stream().map(r -> Long.toString(r.number())).toList()
                        + " and " + report.deletedObjects().size() + " objects (" + report.deletedBytes()
                        + " bytes), " + report.deletedOrphans().size() + " objects no backup names and older than "
                        + orphanGraceMinutes + " min; " + report.unreferencedLeft()
                        + " younger objects no backup names were left alone";
            });
        }
    }

    static RecoveryPhrase readPhrase() throws IOException {
        String words = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        if (words == null || words.isBlank()) {
            throw new IllegalArgumentException("no recovery phrase on standard input");
        }
        return RecoveryPhrase.parse(words);
    }

    private BackupCommand() {
    }
}
