package io.agentmesh.node.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.node.llm.config.LlmConfig;
import io.agentmesh.node.replication.Durability;
import io.agentmesh.node.runtime.LoneNode;
import io.agentmesh.node.runtime.NodeRuntime;
import io.agentmesh.protocol.identity.IdentityDirectory;
import io.agentmesh.protocol.identity.RecoveryPhrase;
import io.agentmesh.protocol.identity.SigningKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Backing up through the CLI and the node's API, and restoring with the phrase alone into a fresh home. */
class BackupRestoreTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static NodeRuntime start(Path home) throws Exception {
        NodeRuntime node = startQuiet(home);
        await().atMost(Duration.ofSeconds(20)).until(node::isLeader);
        return node;
    }

    private static NodeRuntime startQuiet(Path home) throws Exception {
        return LoneNode.start(home, LlmConfig.none(), NodeCommand.Run.backupConfig(home));
    }

    private static CliRun cli(String stdin, String... args) {
        return CliRun.withInput(stdin, args);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> state(NodeRuntime node) throws Exception {
        return JSON.convertValue(node.state().get(), Map.class);
    }

    private static List<Path> objects(Path target, String prefix) throws Exception {
        try (Stream<Path> s = Files.walk(target.resolve(prefix))) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }

    @Test
    void aBackupRestoredWithThePhraseServesTheSameStateAndADamagedOneIsRefused(@TempDir Path dir) throws Exception {
        Path home = dir.resolve("a");
        Path target = Files.createDirectories(dir.resolve("nas"));
        assertEquals(0, cli("", "init", "--home", home.toString(), "--quiet-phrase").exit());
        SigningKey root = IdentityDirectory.of(home.resolve("identity")).readAgentRoot(Optional.empty());
        String phrase = RecoveryPhrase.of(root).words();
        Files.writeString(home.resolve("backup.json"),
                "{\"targets\": [{\"id\": \"nas\", \"uri\": \"file://" + target.toAbsolutePath() + "\"}]}");

        Map<String, Object> before;
        try (NodeRuntime node = start(home)) {
            node.appendMemory("note", "first memory", List.of("a")).join();
            node.replaceNotes("notes v1", Durability.LOCAL).join();
            node.upsertTask("t1", "write the report", "TODO", "", Durability.LOCAL).join();
            var put = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://" + node.httpAddress() + "/v1/workspace/file?path=notes/plan.md"))
                    .PUT(java.net.http.HttpRequest.BodyPublishers.ofString("# plan\nstep one\n")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(200, put.statusCode(), put.body());
            CliRun first = cli("", "backup", "create", "--http", node.httpAddress());
            assertEquals(0, first.exit(), first.out());
            assertTrue(first.out().contains("nas: ok, manifest 1"), first.out());
            int segmentsAfterFirst = objects(target, "seg").size();

            node.appendMemory("note", "second memory", List.of("b")).join();
            node.upsertTask("t1", "write the report", "DONE", "sent", Durability.LOCAL).join();
            CliRun second = cli("", "backup", "create", "--http", node.httpAddress());
            assertEquals(0, second.exit(), second.out());
            assertTrue(second.out().contains("nas: ok, manifest 2"), second.out());
            // Only the new changes: one more segment for the one actor, nothing rewritten.
            assertEquals(segmentsAfterFirst + 1, objects(target, "seg").size());
            CliRun list = cli("", "backup", "list", "--http", node.httpAddress());
            assertTrue(list.out().contains("manifest 2"), list.out());
            @SuppressWarnings("unchecked")
            Map<String, Object> backupLine = new java.util.LinkedHashMap<>((Map<String, Object>) node.status().get()
                    .get("backup"));
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> freshness = (List<Map<String, Object>>) backupLine.remove("freshness");
            assertEquals(Map.of("targets", 1, "ok", 1L, "failed", 0L, "manifests", Map.of("nas", 2L)), backupLine);
            assertEquals("ok", freshness.get(0).get("backupState"), freshness.toString());
            assertEquals(true, freshness.get(0).get("lastBackupOk"), freshness.toString());
            before = state(node);
        }

        CliRun verify = cli("", "backup", "verify", "--home", home.toString());
        assertEquals(0, verify.exit(), verify.out());
        assertTrue(verify.out().contains("nas: ok, manifest 2"), verify.out());

        // A wrong phrase restores nothing.
        SigningKey other = IdentityDirectory.of(dir.resolve("other")).createAgent(new java.security.SecureRandom(),
                Optional.empty());
        Path wrong = dir.resolve("wrong");
        CliRun refused = cli(RecoveryPhrase.of(other).words() + "\n", "restore", "--phrase-stdin", "--from",
                "file://" + target, "--home", wrong.toString());
        assertEquals(RestoreCommand.EXIT_BAD_BACKUP, refused.exit());
        assertFalse(Files.exists(wrong.resolve("identity").resolve("agent.json")));
        assertFalse(Files.exists(wrong.resolve("state").resolve("changes.db")));

        Path restored = dir.resolve("b");
        CliRun restore = cli(phrase + "\n", "restore", "--phrase-stdin", "--from", "file://" + target,
                "--home", restored.toString());
        assertEquals(0, restore.exit(), restore.out());
        assertTrue(restore.out().contains("restored agent " + IdentityDirectory.of(home.resolve("identity")).agentId()),
                restore.out());
        try (NodeRuntime node = startQuiet(restored)) {
            assertEquals(IdentityDirectory.of(home.resolve("identity")).agentId(), node.identity().agentId());
            Map<String, Object> after = state(node);
            assertEquals(before, after);
            assertTrue(after.toString().contains("second memory") && after.toString().contains("notes v1"),
                    after.toString());
            var file = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://" + node.httpAddress() + "/v1/workspace/file?path=notes/plan.md"))
                    .GET().build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(200, file.statusCode(), file.body());
            assertEquals("# plan\nstep one\n", file.body());
            // Quiet: no consensus, so no backups (and no intents performed, no agent) until it joins or takes over.
            assertFalse(node.isLeader());
            CliRun refusedBackup = cli("", "backup", "create", "--http", node.httpAddress());
            assertNotEquals(0, refusedBackup.exit());
        }

        // A flipped byte: verify names the object and fails.
        Path segment = objects(target, "seg").get(0);
        byte[] bytes = Files.readAllBytes(segment);
        bytes[bytes.length / 2] ^= 1;
        Files.write(segment, bytes);
        CliRun bad = cli("", "backup", "verify", "--home", home.toString());
        assertNotEquals(0, bad.exit());
        assertTrue(bad.out().contains(segment.getFileName().toString()), bad.out());
    }

    @Test
    void aRestoredHomeTakingOverMarksIntentsWithoutAnOutcomeUncertainAndNeverRunsThem(@TempDir Path dir) throws Exception {
        Path home = dir.resolve("a");
        Path target = Files.createDirectories(dir.resolve("nas"));
        assertEquals(0, cli("", "init", "--home", home.toString(), "--quiet-phrase").exit());
        String phrase = RecoveryPhrase.of(IdentityDirectory.of(home.resolve("identity")).readAgentRoot(Optional.empty()))
                .words();
        Files.writeString(home.resolve("backup.json"),
                "{\"targets\": [{\"id\": \"nas\", \"uri\": \"file://" + target.toAbsolutePath() + "\"}]}");
        try (NodeRuntime node = start(home)) {
            node.appendMemory("note", "kept", List.of()).join();
            assertEquals(0, cli("", "backup", "create", "--http", node.httpAddress()).exit());
        }
        Path restored = dir.resolve("b");
        assertEquals(0, cli(phrase + "\n", "restore", "--phrase-stdin", "--from", "file://" + target,
                "--home", restored.toString()).exit());
        try (NodeRuntime node = startQuiet(restored)) {
            assertFalse(node.isLeader());
        }
        // An intent the old cluster may have performed: in the restored state, without an outcome.
        try (var state = io.agentmesh.node.runtime.OfflineState.open(restored.resolve("identity"),
                restored.resolve("state"), Optional.empty())) {
            state.write(s -> s.requestIntent(new io.agentmesh.state.Intent("pay-1", "job",
                    "{\"command\": \"pay\"}", "test", System.currentTimeMillis(), null)));
        }
        assertEquals(1, io.agentmesh.node.runtime.RestoredHome.takeOver(restored.resolve("identity"),
                restored.resolve("state"), Optional.empty(), new io.agentmesh.protocol.time.SystemClock()));
        // The restored node continues the target's chain (its phrase identity opens the old node's manifest).
        Files.copy(home.resolve("backup.json"), restored.resolve("backup.json"));
        try (NodeRuntime node = start(restored)) {
            Map<String, Object> intent = JSON.convertValue(node.intent("pay-1").get().orElseThrow(), Map.class);
            assertEquals("uncertain", JSON.convertValue(intent.get("outcome"), Map.class).get("status"), intent.toString());
            CliRun backup = cli("", "backup", "create", "--http", node.httpAddress());
            assertEquals(0, backup.exit(), backup.out());
            assertTrue(backup.out().contains("nas: ok, manifest 2"), backup.out());
        }
    }

    @Test
    void anAgentWithoutAPhraseGrantIsToldToRunBackupKeysAndTruncatedOrRolledBackBackupsAreNamed(@TempDir Path dir)
            throws Exception {
        Path home = dir.resolve("a");
        Path target = Files.createDirectories(dir.resolve("nas"));
        assertEquals(0, cli("", "init", "--home", home.toString(), "--quiet-phrase").exit());
        String phrase = RecoveryPhrase.of(IdentityDirectory.of(home.resolve("identity")).readAgentRoot(Optional.empty()))
                .words();
        // An agent from before backups: no phrase grant anywhere.
        Files.delete(home.resolve("identity").resolve(io.agentmesh.node.backup.run.BackupGrants.PHRASE_GRANT_FILE));
        Files.writeString(home.resolve("backup.json"),
                "{\"targets\": [{\"id\": \"nas\", \"uri\": \"file://" + target.toAbsolutePath() + "\"}]}");
        try (NodeRuntime node = start(home)) {
            node.appendMemory("note", "one", List.of()).join();
            CliRun noGrant = cli("", "backup", "create", "--http", node.httpAddress());
            assertEquals(1, noGrant.exit());
            assertTrue(noGrant.out().contains("agentmesh backup keys"), noGrant.out());
            assertFalse(Files.exists(target.resolve("man")));

            CliRun wrongWords = cli(RecoveryPhrase.of(IdentityDirectory.of(dir.resolve("x")).createAgent(
                    new java.security.SecureRandom(), Optional.empty())).words() + "\n",
                    "backup", "keys", "--phrase-stdin", "--home", home.toString());
            assertEquals(2, wrongWords.exit(), wrongWords.out());
            assertTrue(wrongWords.out().contains("not the root key of agent"), wrongWords.out());
            CliRun keys = cli(phrase + "\n", "backup", "keys", "--phrase-stdin", "--home", home.toString());
            assertEquals(0, keys.exit(), keys.out());
            assertTrue(keys.out().contains("published to target nas"), keys.out());

            assertEquals(0, cli("", "backup", "create", "--http", node.httpAddress()).exit());
            node.appendMemory("note", "two", List.of()).join();
            assertEquals(0, cli("", "backup", "create", "--http", node.httpAddress()).exit());
        }

        // The target rolled back to manifest 1: the node remembers 2.
        Path newest = objects(target, "man").get(1);
        Path aside = dir.resolve("aside");
        Files.move(newest, aside);
        CliRun replayed = cli("", "backup", "verify", "--home", home.toString());
        assertEquals(1, replayed.exit(), replayed.out());
        assertTrue(replayed.out().contains("REPLAYED"), replayed.out());
        Files.move(aside, newest);

        // A truncated segment: restore names it and restores nothing.
        Path segment = objects(target, "seg").get(0);
        byte[] bytes = Files.readAllBytes(segment);
        Files.write(segment, java.util.Arrays.copyOf(bytes, bytes.length - 10));
        Path restored = dir.resolve("b");
        CliRun truncated = cli(phrase + "\n", "restore", "--phrase-stdin", "--from", "file://" + target,
                "--home", restored.toString());
        assertEquals(RestoreCommand.EXIT_BAD_BACKUP, truncated.exit(), truncated.out());
        assertTrue(truncated.out().contains("truncated") && truncated.out().contains(segment.getFileName().toString()),
                truncated.out());
        assertFalse(Files.exists(restored.resolve("state").resolve("changes.db")));
    }
}
