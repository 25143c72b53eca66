package io.agentmesh.node.backup.run;

import io.agentmesh.node.backup.target.BackupTarget;
import io.agentmesh.node.backup.target.BackupTargetException;
import io.agentmesh.node.backup.target.DirectoryTarget;
import io.agentmesh.node.backup.target.PutOutcome;
import io.agentmesh.node.cli.AgentmeshCommand;
import io.agentmesh.node.runtime.LoneNode;
import io.agentmesh.node.runtime.NodeRuntime;
import io.agentmesh.protocol.identity.IdentityDirectory;
import io.agentmesh.protocol.time.SystemClock;
import io.agentmesh.state.store.SqliteChangeStore;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The runner over a real node's store: targets fail alone, a rolled-back target is refused: the schedules are BackupSchedulesTest and ScheduledBackupFailoverTest. */
class BackupRunnerTest {
    @TempDir
    static Path home;

    @BeforeAll
    static void aNodeWithSomeMemory() throws Exception {
        assertEquals(0, AgentmeshCommand.execute("init", "--home", home.toString(), "--quiet-phrase"));
        try (NodeRuntime node = LoneNode.start(home)) {
            for (int i = 0; i < 5; i++) {
                node.appendMemory("note", "entry " + i, List.of()).join();
            }
        }
    }

    /** A target whose every put fails, as an unreachable server does. */
    private static final class DownTarget implements BackupTarget {
        @Override
        public PutOutcome put(String name, byte[] bytes) throws BackupTargetException {
            throw new BackupTargetException("target down: cannot put " + name);
        }

        @Override
        public Optional<byte[]> get(String name) throws BackupTargetException {
            throw new BackupTargetException("target down: cannot get " + name);
        }

        @Override
        public List<String> list(String prefix, int maxNames) throws BackupTargetException {
            throw new BackupTargetException("target down: cannot list " + prefix);
        }

        @Override
        public Optional<Long> lastModifiedMs(String name) throws BackupTargetException {
            throw new BackupTargetException("target down: cannot read the time of " + name);
        }

        @Override
        public void delete(String name) {
        }

        @Override
        public String describe() {
            return "a target that is down";
        }

        @Override
        public void close() {
        }
    }

    private static BackupRunner runner(SqliteChangeStore store, Path stateDir, Map<String, BackupTarget> targets)
            throws Exception {
        IdentityDirectory ids = IdentityDirectory.of(home.resolve("identity"));
        var cert = ids.readCertificate();
        return new BackupRunner("test", new BackupRunner.Keys(ids.readNodeKey(Optional.empty()), cert,
                ids.readBackupKey(Optional.empty()), ids.path(), Optional.empty()), store, () -> List.of(cert), List::of,
                targets, new RememberedManifests(stateDir), new SystemClock());
    }

    private static long count(Path dir, String sub) throws Exception {
        if (!Files.isDirectory(dir.resolve(sub))) {
            return 0;
        }
        try (Stream<Path> s = Files.walk(dir.resolve(sub))) {
            return s.filter(Files::isRegularFile).count();
        }
    }

    @Test
    void aFailingTargetFailsAloneAndTheOtherIsBackedUp(@TempDir Path dir) throws Exception {
        Path nas = Files.createDirectories(dir.resolve("nas"));
        Map<String, BackupTarget> targets = new LinkedHashMap<>();
        targets.put("down", new DownTarget());
        targets.put("nas", DirectoryTarget.open(nas, new SystemClock()));
        try (SqliteChangeStore store = SqliteChangeStore.open(home.resolve("state").resolve("changes.db"));
             BackupRunner runner = runner(store, dir.resolve("state"), targets)) {
            List<BackupRunner.TargetReport> reports = runner.run(Optional.empty()).join();
            assertFalse(reports.get(0).ok());
            assertTrue(reports.get(0).error().orElseThrow().contains("target down"), reports.get(0).toString());
            assertTrue(reports.get(1).ok(), reports.get(1).toString());
            assertEquals(1, reports.get(1).manifest().orElseThrow().number());
            assertEquals(1, count(nas, "man"));
        }
    }

    @Test
    void anUnchangedStoreWritesNoNewManifestAndATargetEmptiedSinceIsRefused(@TempDir Path dir) throws Exception {
        Path nas = Files.createDirectories(dir.resolve("nas"));
        try (SqliteChangeStore store = SqliteChangeStore.open(home.resolve("state").resolve("changes.db"));
             BackupRunner runner = runner(store, dir.resolve("state"),
                     Map.of("nas", DirectoryTarget.open(nas, new SystemClock())))) {
            assertTrue(runner.run(Optional.empty()).join().get(0).ok());
            BackupRunner.TargetReport again = runner.run(Optional.empty()).join().get(0);
            assertTrue(again.ok(), again.toString());
            assertEquals(1, again.manifest().orElseThrow().number());
            assertEquals(0, again.changesAdded());
            assertEquals(1, count(nas, "man"));
        }
        // The same node (its state dir remembers manifest 1) pointed at a target that lost everything.
        Path empty = Files.createDirectories(dir.resolve("empty"));
        try (SqliteChangeStore store = SqliteChangeStore.open(home.resolve("state").resolve("changes.db"));
             BackupRunner runner = runner(store, dir.resolve("state"),
                     Map.of("nas", DirectoryTarget.open(empty, new SystemClock())))) {
            BackupRunner.TargetReport r = runner.run(Optional.empty()).join().get(0);
            assertFalse(r.ok());
            assertTrue(r.error().orElseThrow().contains("remembers manifest 1"), r.toString());
            assertEquals(0, count(empty, "man"));
        }
    }
}
