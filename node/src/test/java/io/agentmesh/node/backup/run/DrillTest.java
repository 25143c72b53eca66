package io.agentmesh.node.backup.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentmesh.node.backup.target.BackupTarget;
import io.agentmesh.node.backup.target.DirectoryTarget;
import io.agentmesh.node.cli.AgentmeshCommand;
import io.agentmesh.node.runtime.LoneNode;
import io.agentmesh.node.runtime.NodeRuntime;
import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.protocol.identity.IdentityDirectory;
import io.agentmesh.protocol.time.SystemClock;
import io.agentmesh.state.store.SqliteChangeStore;
import io.agentmesh.state.store.VersionVector;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The drill over a real node's store: restores, measures, finds lost writes and damaged targets, signs its report. */
class DrillTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path home;
    /** Memory entries written so far (tests share the node; each backs up to its own targets). */
    private static int written;

    @BeforeAll
    static void aNodeWithSomeMemory() throws Exception {
        assertEquals(0, AgentmeshCommand.execute("init", "--home", home.toString(), "--quiet-phrase"));
        write(5);
    }

    /** Runs the node (its own process's runtime) long enough to append {@code entries} memory entries. */
    private static void write(int entries) throws Exception {
        try (NodeRuntime node = LoneNode.start(home)) {
            for (int i = 0; i < entries; i++) {
                node.appendMemory("note", "entry " + i, List.of()).join();
                written++;
            }
        }
    }

    private static BackupRunner.Keys keys() throws Exception {
        IdentityDirectory ids = IdentityDirectory.of(home.resolve("identity"));
        return new BackupRunner.Keys(ids.readNodeKey(Optional.empty()), ids.readCertificate(),
                ids.readBackupKey(Optional.empty()), ids.path(), Optional.empty());
    }

    private static SqliteChangeStore store() {
        return SqliteChangeStore.open(home.resolve("state").resolve("changes.db"));
    }

    private static void backup(SqliteChangeStore store, Path stateDir, Map<String, BackupTarget> targets)
            throws Exception {
        var k = keys();
        try (BackupRunner runner = new BackupRunner("test", k, store, () -> List.of(k.certificate()), List::of, targets,
                new RememberedManifests(stateDir), new SystemClock())) {
            runner.run(Optional.empty()).join().forEach(r -> assertTrue(r.ok(), r.toString()));
        }
    }

    private static ObjectNode drill(SqliteChangeStore store, Path stateDir, Map<String, BackupTarget> targets,
                                    Optional<String> only) throws Exception {
        var k = keys();
        try (Drill d = new Drill("test", k, store, () -> List.of(k.certificate()), List::of, targets,
                new RememberedManifests(stateDir), stateDir, new SystemClock())) {
            return d.run(only);
        }
    }

    private static Map<String, BackupTarget> targets(Path dir, String... ids) throws Exception {
        Map<String, BackupTarget> m = new LinkedHashMap<>();
        for (String id : ids) {
            m.put(id, DirectoryTarget.open(Files.createDirectories(dir.resolve(id)), new SystemClock()));
        }
        return m;
    }

    @Test
    void aDrillAfterTwoBackupsRestoresEverythingLosesNothingAndSignsItsReport(@TempDir Path dir) throws Exception {
        Path state = dir.resolve("state");
        Map<String, BackupTarget> targets = targets(dir, "nas");
        try (SqliteChangeStore store = store()) {
            backup(store, state, targets);
        }
        write(2);
        ObjectNode signed;
        long liveChanges;
        try (SqliteChangeStore store = store()) {
            backup(store, state, targets);
            liveChanges = store.changeCount();
            signed = drill(store, state, targets, Optional.empty());
        }
        JsonNode r = signed.path("report");
        assertTrue(r.path("ok").asBoolean(), signed.toPrettyString());
        JsonNode a = r.path("attempts").get(0);
        assertEquals(2, a.path("manifest").asLong());
        assertEquals(liveChanges, a.path("changes").asLong());
        assertEquals(0, a.path("lostWrites").path("changes").asLong(), a.toPrettyString());
        assertEquals(0, a.path("lostWrites").path("ranges").size());
        assertTrue(a.path("headsMatchChanges").asBoolean());
        assertEquals(written, a.path("loaded").path("memoryEntries").asLong());
        assertTrue(a.path("identity").path("sameAgentAndRootKey").asBoolean());
        assertTrue(a.path("identity").path("thisNodeCertifiedInBackup").asBoolean());
        for (String phase : List.of("fetch", "decrypt", "verify", "replay", "total")) {
            assertTrue(a.path("recoveryMs").has(phase), phase);
        }

        // Signed by the node key, over exactly the report: one changed field breaks it.
        var nodeKey = keys().nodeKey().verifyingKey();
        assertTrue(Drill.signatureValid(signed, nodeKey));
        JsonNode onDisk;
        try (Stream<Path> s = Files.list(state.resolve(Drill.DRILLS_DIR))) {
            List<Path> files = s.toList();
            assertEquals(1, files.size(), "one report, and the scratch directory is gone: " + files);
            onDisk = JSON.readTree(files.get(0).toFile());
        }
        assertTrue(Drill.signatureValid(onDisk, nodeKey));
        ((ObjectNode) onDisk.path("report")).put("ok", false);
        assertFalse(Drill.signatureValid(onDisk, nodeKey));
        assertEquals(1, targets.get("nas").list("drill/", 10).size());
        assertTrue(Drill.lastPerTarget(state).get("nas").path("ok").asBoolean());

        // A drill cut short left its scratch directory: the next start of the drill removes it.
        Path stale = Files.createDirectories(state.resolve(Drill.DRILLS_DIR).resolve("scratch-1").resolve("x"));
        var k = keys();
        try (SqliteChangeStore store = store();
             Drill d = new Drill("test", k, store, () -> List.of(k.certificate()), List::of, targets,
                     new RememberedManifests(state), state, new SystemClock())) {
            assertFalse(Files.exists(stale.getParent()));
            assertEquals("ok", ((Map<?, ?>) d.status(Map.of()).get("nas")).get("state"), "the recorded report is read back");
        }
    }

    @Test
    void writesAfterTheBackupAreReportedAsExactlyTheirSeqRanges(@TempDir Path dir) throws Exception {
        Path state = dir.resolve("state");
        Map<String, BackupTarget> targets = targets(dir, "nas");
        VersionVector before;
        try (SqliteChangeStore store = store()) {
            backup(store, state, targets);
            before = store.vector();
        }
        write(3);
        try (SqliteChangeStore store = store()) {
            VersionVector after = store.vector();
            List<String> expected = new ArrayList<>();
            for (Map.Entry<ActorId, Long> e : new TreeMap<>(after.seqs()).entrySet()) {
                if (e.getValue() > before.get(e.getKey())) {
                    expected.add(e.getKey().hex() + ":" + (before.get(e.getKey()) + 1) + "-" + e.getValue());
                }
            }
            assertFalse(expected.isEmpty());
            JsonNode a = drill(store, state, targets, Optional.of("nas")).path("report").path("attempts").get(0);
            List<String> got = new ArrayList<>();
            a.path("lostWrites").path("ranges").forEach(x -> got.add(x.path("actor").asText() + ":"
                    + x.path("fromSeq").asLong() + "-" + x.path("toSeq").asLong()));
            assertEquals(expected, got, a.toPrettyString());
            assertEquals(after.total() - before.total(), a.path("lostWrites").path("changes").asLong());
            assertTrue(a.path("ok").asBoolean(), "lost writes are measured, not a failure");
        }
    }

    @Test
    void aFlippedByteFailsTheDrillNamingTheObjectAndItFallsBackToTheOtherTarget(@TempDir Path dir) throws Exception {
        Path state = dir.resolve("state");
        Map<String, BackupTarget> targets = targets(dir, "nas", "offsite");
        try (SqliteChangeStore store = store()) {
            backup(store, state, targets);
        }
        Path segment;
        try (Stream<Path> s = Files.walk(dir.resolve("nas").resolve("seg"))) {
            segment = s.filter(Files::isRegularFile).findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(segment);
        bytes[bytes.length / 2] ^= 1;
        Files.write(segment, bytes);
        String segmentName = dir.resolve("nas").relativize(segment).toString().replace('\\', '/');

        try (SqliteChangeStore store = store()) {
            JsonNode r = drill(store, state, targets, Optional.empty()).path("report");
            assertFalse(r.path("ok").asBoolean(), "a damaged target fails the drill");
            assertEquals("offsite", r.path("restoredFrom").asText());
            JsonNode bad = r.path("attempts").get(0);
            assertEquals("nas", bad.path("target").asText());
            assertEquals("CORRUPT", bad.path("problem").asText());
            assertEquals(segmentName, bad.path("object").asText());
            JsonNode good = r.path("attempts").get(1);
            assertTrue(good.path("ok").asBoolean(), good.toPrettyString());
            assertEquals(0, good.path("lostWrites").path("changes").asLong());

            JsonNode only = drill(store, state, targets, Optional.of("nas")).path("report");
            assertFalse(only.path("ok").asBoolean());
            assertEquals(1, only.path("attempts").size(), "--target: no fallback");
            assertTrue(only.path("restoredFrom").isNull());
            assertFalse(Drill.lastPerTarget(state).get("nas").path("ok").asBoolean());
        }
    }
}
