package io.agentmesh.node.backup.prune;

import io.agentmesh.node.backup.format.BackupKeys;
import io.agentmesh.node.backup.format.BackupReader;
import io.agentmesh.node.backup.run.BackupRunner;
import io.agentmesh.node.backup.run.RememberedManifests;
import io.agentmesh.node.backup.target.BackupTarget;
import io.agentmesh.node.backup.target.DirectoryTarget;
import io.agentmesh.node.cli.CliRun;
import io.agentmesh.node.runtime.LoneNode;
import io.agentmesh.node.runtime.OfflineState;
import io.agentmesh.protocol.identity.IdentityDirectory;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.RecoveryPhrase;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.protocol.time.Clock;
import io.agentmesh.state.MemoryEntry;
import io.agentmesh.state.store.SqliteChangeStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Pruning a directory target written by the real backup runner: what is kept, what goes, the lease. */
class PrunerTest {
    private static final long HOUR = 3_600_000L;
    private static final long DAY = 24 * HOUR;

    /** The writer's and the pruner's wall clock, set by the test. */
    private static final class SetClock implements Clock {
        final AtomicLong ms = new AtomicLong();

        @Override
        public long nowMillis() {
            return ms.get();
        }

        @Override
        public long monotonicNanos() {
            return System.nanoTime();
        }
    }

    private static CliRun cli(String stdin, String... args) {
        return CliRun.withInput(stdin, args);
    }

    private static List<String> files(Path target, String sub) throws Exception {
        if (!Files.isDirectory(target.resolve(sub))) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(target.resolve(sub))) {
            return s.filter(Files::isRegularFile).map(p -> target.relativize(p).toString()).sorted().toList();
        }
    }

    /** An init'ed home, a directory target in its backup.json, and the backups it holds. */
    private static final class Agent {
        final Path home;
        final Path target;
        final IdentityDirectory ids;
        final SetClock clock = new SetClock();
        final List<NodeCertificate> certificates = new ArrayList<>();
        int entries;

        Agent(Path dir) throws Exception {
            home = dir.resolve("a");
            target = Files.createDirectories(dir.resolve("nas"));
            assertEquals(0, cli("", "init", "--home", home.toString(), "--quiet-phrase").exit());
            Files.writeString(home.resolve("backup.json"),
                    "{\"targets\": [{\"id\": \"nas\", \"uri\": \"file://" + target.toAbsolutePath() + "\"}]}");
            // One start makes the node's state (and its backup key); the test then writes offline.
            try (var node = LoneNode.start(home)) {
                node.memoryCount().join();
            }
            ids = IdentityDirectory.of(home.resolve("identity"));
            certificates.add(ids.readCertificate());
        }

        /** One more memory entry, then a backup stamped {@code atMs}. */
        void backupAt(long atMs) throws Exception {
            clock.ms.set(atMs);
            try (OfflineState s = OfflineState.open(ids.path(), home.resolve("state"), Optional.empty())) {
                int n = ++entries;
                s.write(st -> st.appendMemory(new MemoryEntry("m-" + n, atMs, "test", "note", "entry " + n, List.of())));
            }
            var cert = ids.readCertificate();
            List<NodeCertificate> certs = List.copyOf(certificates);
            try (SqliteChangeStore store = SqliteChangeStore.open(home.resolve("state").resolve("changes.db"));
                 BackupRunner runner = new BackupRunner("test", new BackupRunner.Keys(ids.readNodeKey(Optional.empty()),
                         cert, ids.readBackupKey(Optional.empty()), ids.path(), Optional.empty()), store,
                         () -> certs, List::of, Map.of("nas", DirectoryTarget.open(target, clock)),
                         new RememberedManifests(home.resolve("state")), clock)) {
                BackupRunner.TargetReport r = runner.run(Optional.empty()).join().getFirst();
                assertTrue(r.ok(), r.toString());
            }
        }

        Pruner pruner(String holder, long leaseMs) throws Exception {
            BackupReader reader = new BackupReader(ids.agentPublicKey(),
                    List.of(BackupKeys.operationalIdentity(ids.readBackupKey(Optional.empty()))), List.of());
            return new Pruner(DirectoryTarget.open(target, clock), reader, clock, holder, leaseMs);
        }
    }

    /** Midnight UTC two days from now: the init certificate is valid then. */
    private static long day0() {
        return (System.currentTimeMillis() / DAY + 2) * DAY;
    }

    @Test
    void keepDailyDropsOlderBackupsOfADayAndTheObjectsOnlyTheyNamedAndEveryKeptBackupStillRestores(@TempDir Path dir)
            throws Exception {
        Agent a = new Agent(dir);
        long d0 = day0();
        a.backupAt(d0 + 10 * HOUR);               // 1, day 1
        a.backupAt(d0 + 14 * HOUR);               // 2, day 1
        // A second node enrolled: the identity object changes, and backups 1 and 2 alone name the old one.
        SigningKey root = a.ids.readAgentRoot(Optional.empty());
        a.certificates.add(NodeCertificate.issue(root, SigningKey.generate(new SecureRandom()).verifyingKey(),
                Role.VOTER, d0, d0 + 365 * DAY));
        a.backupAt(d0 + DAY + 10 * HOUR);         // 3, day 2
        a.backupAt(d0 + 2 * DAY + 10 * HOUR);     // 4, day 3
        a.backupAt(d0 + 2 * DAY + 12 * HOUR);     // 5, day 3
        List<String> identsBefore = files(a.target, "ident");
        assertEquals(2, identsBefore.size(), identsBefore.toString());
        List<String> segmentsBefore = files(a.target, "seg");
        // A backup still writing: its segment is on the target, its manifest not yet.
        String inProgress = "seg/" + "ab".repeat(16) + "/" + "0".repeat(18) + "1-" + "0".repeat(18) + "1-"
                + "cd".repeat(32) + ".age";
        try (BackupTarget t = DirectoryTarget.open(a.target, a.clock)) {
            t.put(inProgress, new byte[]{1, 2, 3});
        }

        CliRun prune = cli("", "backup", "prune", "--home", a.home.toString(), "--keep-daily", "2");
        assertEquals(0, prune.exit(), prune.out());
        assertTrue(prune.out().contains("nas: kept 2 backups [5, 3], deleted 3 backups [1, 2, 4] and 1 objects"),
                prune.out());
        assertEquals(2, files(a.target, "man").size());
        // The old identity object went; the new one and every segment (each kept backup names them all) stayed.
        List<String> identsAfter = files(a.target, "ident");
        assertEquals(1, identsAfter.size());
        assertTrue(identsBefore.containsAll(identsAfter));
        List<String> segmentsAfter = files(a.target, "seg");
        assertTrue(segmentsAfter.containsAll(segmentsBefore), segmentsAfter.toString());
        assertTrue(segmentsAfter.contains(inProgress), "an object no manifest names yet is left alone");
        assertFalse(Files.exists(a.target.resolve(Pruner.LEASE)), "the lease is removed at the end");

        String phrase = RecoveryPhrase.of(a.ids.readAgentRoot(Optional.empty())).words();
        for (String n : List.of("3", "5")) {
            CliRun restore = cli(phrase + "\n", "restore", "--phrase-stdin", "--from", "file://" + a.target,
                    "--home", dir.resolve("restored-" + n).toString(), "--manifest", n);
            assertEquals(0, restore.exit(), restore.out());
            assertTrue(restore.out().contains("from manifest " + n), restore.out());
        }
        CliRun gone = cli(phrase + "\n", "restore", "--phrase-stdin", "--from", "file://" + a.target,
                "--home", dir.resolve("restored-2").toString(), "--manifest", "2");
        assertFalse(gone.exit() == 0, gone.out());
    }

    @Test
    void aKilledPrunesLeaseBlocksOthersUntilItExpiresThenThePruneGoesAhead(@TempDir Path dir) throws Exception {
        Agent a = new Agent(dir);
        long d0 = day0();
        a.backupAt(d0 + HOUR);
        a.backupAt(d0 + 2 * HOUR);
        a.backupAt(d0 + 3 * HOUR);

        a.clock.ms.set(d0 + 4 * HOUR);
        // A prune that takes its lease and is killed before it deletes anything or lets go.
        a.pruner("killed", 10 * 60_000L).acquire();
        assertTrue(Files.exists(a.target.resolve(Pruner.LEASE)));

        Pruner next = a.pruner("next", 10 * 60_000L);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> next.prune(new RetentionPolicy(1, 0, 0, 0), false));
        assertTrue(e.getMessage().contains("another prune (killed) holds the lease"), e.getMessage());
        assertEquals(3, files(a.target, "man").size(), "nothing deleted while another prune holds the lease");

        a.clock.ms.addAndGet(10 * 60_000L + 1);
        Pruner.Report r = next.prune(new RetentionPolicy(1, 0, 0, 0), false);
        assertEquals(List.of(3L), r.kept().stream().map(m -> m.number()).toList());
        assertEquals(1, files(a.target, "man").size());
        assertFalse(Files.exists(a.target.resolve(Pruner.LEASE)));
    }

    @Test
    void theObjectsOfAKilledBackupArePrunedOnceOlderThanTheGraceAndEveryBackupStillVerifies(@TempDir Path dir)
            throws Exception {
        Agent a = new Agent(dir);
        long d0 = day0();
        a.backupAt(d0 + HOUR);
        a.backupAt(d0 + 2 * HOUR);
        List<String> before = all(a.target);
        // A third backup killed before its manifest: its segment (and whatever else it wrote) stays, unnamed.
        a.backupAt(d0 + 3 * HOUR);
        List<String> manifests = files(a.target, "man");
        String third = manifests.getLast();
        Files.delete(a.target.resolve(third));
        Files.delete(a.home.resolve("state").resolve("backup").resolve("nas.manifest"));
        List<String> orphans = all(a.target).stream().filter(n -> !before.contains(n) && !n.startsWith("man/")
                && !n.startsWith("grants/")).toList();
        assertFalse(orphans.isEmpty());

        CliRun young = cli("", "backup", "prune", "--home", a.home.toString(), "--orphans-only");
        assertEquals(0, young.exit(), young.out());
        assertTrue(young.out().contains("0 objects no backup names and older than 1440 min; " + orphans.size()
                + " younger objects no backup names were left alone"), young.out());
        CliRun dry = cli("", "backup", "prune", "--home", a.home.toString(), "--orphans-only",
                "--orphan-grace-minutes", "0", "--dry-run");
        assertEquals(0, dry.exit(), dry.out());
        for (String o : orphans) {
            assertTrue(dry.out().contains("nas: would delete unreferenced " + o), dry.out());
        }
        assertTrue(all(a.target).containsAll(orphans), "a dry run deletes nothing");

        CliRun prune = cli("", "backup", "prune", "--home", a.home.toString(), "--orphans-only",
                "--orphan-grace-minutes", "0");
        assertEquals(0, prune.exit(), prune.out());
        assertTrue(prune.out().contains("kept 2 backups [2, 1], deleted 0 backups [] and 0 objects (0 bytes), "
                + orphans.size() + " objects no backup names"), prune.out());
        List<String> after = all(a.target);
        assertEquals(before.stream().filter(n -> !n.startsWith("grants/")).toList(),
                after.stream().filter(n -> !n.startsWith("grants/")).toList(), "exactly the killed backup's objects went");
        assertFalse(Files.exists(a.target.resolve(Pruner.LEASE)), "under the lease, released at the end");

        BackupReader reader = new BackupReader(a.ids.agentPublicKey(),
                List.of(BackupKeys.operationalIdentity(a.ids.readBackupKey(Optional.empty()))), List.of());
        try (BackupTarget t = DirectoryTarget.open(a.target, a.clock)) {
            for (String m : files(a.target, "man")) {
                var name = io.agentmesh.node.backup.format.ObjectName.parse(m).orElseThrow();
                var set = reader.verify(new io.agentmesh.node.backup.format.ManifestRef(name.number(), name.sha256()),
                        n -> {
                            try {
                                return t.get(n);
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        });
                assertEquals(name.number(), set.ref().number(), "manifest " + m + " verifies");
            }
        }
        CliRun bad = cli("", "backup", "prune", "--home", a.home.toString(), "--orphans-only", "--keep-last", "1");
        assertEquals(2, bad.exit(), bad.out());
        CliRun negative = cli("", "backup", "prune", "--home", a.home.toString(), "--orphans-only",
                "--orphan-grace-minutes", "-1");
        assertEquals(2, negative.exit(), negative.out());
    }

    private static List<String> all(Path target) throws Exception {
        try (Stream<Path> s = Files.walk(target)) {
            return s.filter(Files::isRegularFile).map(p -> target.relativize(p).toString())
                    .filter(n -> !n.startsWith("lock/")).sorted().toList();
        }
    }

    @Test
    void aDryRunDeletesNothing(@TempDir Path dir) throws Exception {
        Agent a = new Agent(dir);
        long d0 = day0();
        a.backupAt(d0 + HOUR);
        a.backupAt(d0 + 2 * HOUR);
        CliRun dry = cli("", "backup", "prune", "--home", a.home.toString(), "--keep-last", "1", "--dry-run");
        assertEquals(0, dry.exit(), dry.out());
        assertTrue(dry.out().contains("would delete 1 backups [1]"), dry.out());
        assertEquals(2, files(a.target, "man").size());
        CliRun noPolicy = cli("", "backup", "prune", "--home", a.home.toString());
        assertEquals(2, noPolicy.exit(), noPolicy.out());
        assertTrue(noPolicy.out().contains("no retention policy"), noPolicy.out());
    }
}
