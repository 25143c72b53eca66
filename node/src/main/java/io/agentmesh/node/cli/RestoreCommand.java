package io.agentmesh.node.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentmesh.node.backup.format.BackupFormatException;
import io.agentmesh.node.backup.format.BackupKeys;
import io.agentmesh.node.backup.format.BackupReader;
import io.agentmesh.node.backup.format.RecipientGrant;
import io.agentmesh.node.backup.run.BackupGrants;
import io.agentmesh.node.backup.target.BackupConfig;
import io.agentmesh.node.backup.target.BackupTarget;
import io.agentmesh.node.backup.target.BackupTargetException;
import io.agentmesh.node.backup.target.Targets;
import io.agentmesh.node.core.StoredCertificates;
import io.agentmesh.node.core.StoredRevocations;
import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.protocol.identity.IdentityDirectory;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.protocol.time.SystemClock;
import io.agentmesh.state.store.SqliteChangeStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;

/**
 * Restores an agent from a backup with nothing but its recovery phrase (docs/backup.md, "Restoring"): verifies the
 * newest (or chosen) manifest and every object it names, then makes DIR an agent root home (agent-root.key from the
 * phrase, a new node key and certificate signed by it, a new backup key) whose store holds the backed-up changes.
 * Nothing is written under DIR before the whole backup has verified.
 */
@Command(name = "restore", mixinStandardHelpOptions = true,
        description = "Restore the agent from a backup target into a fresh --home, with the 24-word recovery phrase"
                + " (read from stdin). Then: agentmesh node run --home DIR")
public final class RestoreCommand implements Callable<Integer> {
    /** Exit code when the backup does not verify (wrong phrase, damaged, foreign or replayed): nothing restored. */
    static final int EXIT_BAD_BACKUP = 3;
    private static final int APPEND_BATCH = 1000;

    @Mixin
    HomeOptions home;

    @Option(names = "--phrase-stdin", required = true, description = "Read the 24-word recovery phrase from stdin (required).")
    boolean phraseStdin;

    @Option(names = "--from", required = true, paramLabel = "URI",
            description = "The target: file:///path or s3://bucket/prefix?endpoint=...&region=... (S3 credentials from"
                    + " AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY).")
    String from;

    @Option(names = "--credentials-file", paramLabel = "FILE",
            description = "For an S3 target: a file (chmod 600) with access_key_id=... and secret_access_key=... lines,"
                    + " instead of the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY environment variables.")
    Path credentialsFile;

    @Option(names = "--manifest", paramLabel = "N", description = "Restore manifest N instead of the newest.")
    Long manifest;

    @Option(names = "--at", paramLabel = "TIME",
            description = "Restore the newest manifest written at or before TIME (ISO-8601, e.g. 2026-12-03T18:00:00Z).")
    String at;

    @Option(names = "--cut", paramLabel = "ACTOR:SEQ,...",
            description = "Restore only the changes at or below this causal cut: per actor (hex id, or a prefix of at"
                    + " least 8 digits) the highest sequence number kept; actors not named keep nothing. Refused,"
                    + " naming the first offending change, when a kept change depends on one above the cut.")
    String cut;

    @Option(names = "--validity-days", defaultValue = "3650", description = "The new node certificate's validity (default ${DEFAULT-VALUE}).")
    int validityDays;

    @Override
    public Integer call() throws Exception {
        PrintStream err = System.err;
        IdentityDirectory ids = IdentityDirectory.of(home.identityDir());
        Path storeFile = home.stateDir().resolve("changes.db");
        if (ids.hasAgentRootKey() || ids.hasNodeKey() || Files.exists(ids.agentFile()) || Files.exists(storeFile)) {
            throw new IllegalArgumentException(home.home() + " already holds an agent (identity or state): restore into"
                    + " a fresh --home");
        }
        if (manifest != null && at != null) {
            throw new IllegalArgumentException("give --manifest or --at, not both");
        }
        Optional<Long> atMs = Optional.ofNullable(at).map(RestoreCommand::parseTime);
        Optional<io.agentmesh.node.backup.format.CausalCut> causalCut = Optional.ofNullable(cut)
                .map(io.agentmesh.node.backup.format.CausalCut::parse);
        ObjectNode doc = new ObjectMapper().createObjectNode();
        ObjectNode t = doc.putArray("targets").addObject().put("id", "restore").put("uri", from);
        if (credentialsFile != null) {
            t.put("credentialsFile", credentialsFile.toAbsolutePath().toString());
        }
        BackupConfig.TargetConfig targetConfig = BackupConfig.parse(doc, "--from").targets().get(0);

        SigningKey root = BackupCommand.readPhrase().signingKey();
        err.println("agent " + io.agentmesh.protocol.identity.AgentId.of(root.verifyingKey()) + " (from the phrase)");
        BackupReader.RestoreSet set;
        try (BackupTarget target = Targets.open(targetConfig, System.getenv(), new SystemClock())) {
            err.println("reading and verifying the backup at " + target.describe() + " ...");
            BackupReader reader = new BackupReader(root.verifyingKey(), List.of(BackupKeys.phraseIdentity(root)), List.of());
            Optional<Long> number = Optional.ofNullable(manifest);
            if (atMs.isPresent()) {
                var ref = BackupCommand.manifestAt(target, reader, atMs.get());
                err.println("manifest " + ref.number() + " is the newest written at or before "
                        + java.time.Instant.ofEpochMilli(atMs.get()));
                number = Optional.of(ref.number());
            }
            set = BackupCommand.verify(target, reader, Optional.empty(), number);
        } catch (BackupFormatException e) {
            err.println("agentmesh: nothing restored: " + explain(e));
            return EXIT_BAD_BACKUP;
        } catch (BackupTargetException | UncheckedIOException e) {
            err.println("agentmesh: nothing restored: the target failed: " + e.getMessage());
            return 1;
        }
        err.println("verified manifest " + set.ref().number() + " (written " + java.time.Instant.ofEpochMilli(
                set.manifest().createdAtMs()) + " by " + set.manifest().writer().nodeId() + "): "
                + set.manifest().objects().size() + " objects, " + set.changes().size() + " changes");
        List<SignedChange> changes = set.changes();
        if (causalCut.isPresent()) {
            changes = causalCut.get().apply(set); // refuses a cut that is not causally closed, before any write
            err.println("the cut keeps " + changes.size() + " of " + set.changes().size() + " changes");
        }

        // The agent root home: the root key from the phrase, a new node enrolled by it.
        var pass = home.passphrase();
        SecureRandom random = new SecureRandom();
        ids.writeAgentRoot(root, pass, random);
        SigningKey node = ids.createNodeKey(random, pass);
        long now = System.currentTimeMillis();
        NodeCertificate cert = NodeCertificate.issue(root, node.verifyingKey(), Role.VOTER, now,
                now + Duration.ofDays(validityDays).toMillis());
        ids.writeCertificate(cert);
        ids.createBackupKey(random, pass);
        BackupGrants.writePhraseGrant(ids.path(), RecipientGrant.phrase(root));

        Files.createDirectories(home.stateDir());
        try (SqliteChangeStore store = SqliteChangeStore.open(storeFile)) {
            List<CompletableFuture<Void>> pending = new ArrayList<>();
            try (Progress progress = Progress.start("importing", changes.size(), "changes")) {
                for (SignedChange c : changes) {
                    pending.add(store.append(c));
                    if (pending.size() == APPEND_BATCH) {
                        CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).join();
                        pending.clear();
                        progress.advance(APPEND_BATCH);
                    }
                }
                CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).join();
                progress.set(changes.size());
            }
            // The members' certificates, as the core keeps them, so the restored node verifies their changes before
            // they reconnect.
            List<NodeCertificate> certs = new ArrayList<>(set.identity().certificates());
            certs.add(cert);
            store.putMeta(StoredCertificates.META_KEY, StoredCertificates.encode(certs));
            // The revocations the backup holds (verified against the root by the reader), where the core loads them
            // at start: the restored node refuses a removed node's changes past its cut, as the old cluster did.
            if (!set.identity().revocations().isEmpty()) {
                store.putMeta(StoredRevocations.META_KEY,
                        StoredRevocations.encode(set.identity().revocations()));
            }
        }
        io.agentmesh.node.runtime.RestoredHome.mark(home.stateDir(), "manifest " + set.ref().number() + " "
                + set.ref().sha256().hex() + " from " + from + (cut == null ? "" : " cut " + cut));
        System.out.println("restored agent " + ids.agentId() + " from manifest " + set.ref().number()
                + (cut == null ? "" : " cut at " + cut) + " (" + changes.size() + " changes) into " + home.home());
        System.out.println("new node " + ids.nodeId() + " (voter), enrolled by the restored root key");
        if (!set.identity().revocations().isEmpty()) {
            System.out.println(set.identity().revocations().size() + " revocation(s) re-installed: the restored node"
                    + " enforces them");
        }
        System.out.println("It serves the restored state and stays quiet: agentmesh node run --home " + home.home());
        System.out.println("Join the running cluster with --peer, or make it the agent's cluster with --take-over"
                + " (docs/backup.md, \"Restoring\")");
        return 0;
    }

    static long parseTime(String text) {
        try {
            return java.time.OffsetDateTime.parse(text).toInstant().toEpochMilli();
        } catch (java.time.format.DateTimeParseException e) {
            try {
                return java.time.Instant.parse(text).toEpochMilli();
            } catch (java.time.format.DateTimeParseException e2) {
                throw new IllegalArgumentException("--at: \"" + text + "\" is not an ISO-8601 time with a zone or"
                        + " offset, e.g. 2026-12-03T18:00:00Z or 2026-12-03T19:00:00+01:00");
            }
        }
    }

    private static String explain(BackupFormatException e) {
        String hint = switch (e.problem()) {
            case WRONG_KEY -> "the phrase does not open this backup (a wrong phrase, or another agent's backup)";
            case FOREIGN_AGENT -> "the backup belongs to another agent";
            case TRUNCATED -> "an object is truncated (an interrupted copy?)";
            case CORRUPT -> "an object is damaged";
            case MISSING -> "an object is missing";
            case REPLAYED, BROKEN_CHAIN -> "the target's manifests were rolled back or rewritten";
            case BAD_SIGNATURE, REVOKED -> "a signature does not verify";
            case UNSUPPORTED_VERSION -> "the backup is in a newer format";
        };
        return hint + ": " + e.getMessage();
    }
}
