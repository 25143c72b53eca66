package io.agentmesh.node.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.node.backup.target.LoopbackS3;
import io.agentmesh.node.llm.config.LlmConfig;
import io.agentmesh.node.replication.Durability;
import io.agentmesh.node.runtime.LoneNode;
import io.agentmesh.node.runtime.NodeRuntime;
import io.agentmesh.protocol.identity.IdentityDirectory;
import io.agentmesh.protocol.identity.RecoveryPhrase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Backing up to a directory and an S3 server on loopback at once (s3proxy in this JVM, as S3TargetTest starts it), and
 * restoring from the S3 one with the phrase.
 */
class BackupS3Test {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY_ID = "backup-test-key";
    private static final String SECRET = "backup-test-secret-never-printed";

    @TempDir
    static Path storeDir;
    private static LoopbackS3 server;
    private static String endpoint;

    @BeforeAll
    static void startS3Server() throws Exception {
        server = LoopbackS3.start(storeDir, KEY_ID, SECRET);
        endpoint = server.endpoint();
        server.store().createContainerInLocation(null, "backups");
    }

    @AfterAll
    static void stopS3Server() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    private static NodeRuntime start(Path home) throws Exception {
        return LoneNode.start(home, LlmConfig.none(), NodeCommand.Run.backupConfig(home));
    }

    private static String[] cli(String stdin, String... args) {
        CliRun r = CliRun.withInput(stdin, args);
        return new String[] {String.valueOf(r.exit()), r.out()};
    }

    @Test
    void eachTargetGetsItsOwnIncrementalBackupAndTheS3OneRestoresWithThePhrase(@TempDir Path dir) throws Exception {
        Path home = dir.resolve("a");
        Path nas = Files.createDirectories(dir.resolve("nas"));
        Path creds = dir.resolve("s3.credentials");
        Files.writeString(creds, "access_key_id=" + KEY_ID + "\nsecret_access_key=" + SECRET + "\n");
        Files.setPosixFilePermissions(creds, PosixFilePermissions.fromString("rw-------"));
        String s3 = "s3://backups/agent-a?endpoint=" + endpoint + "&region=us-east-1";
        assertEquals("0", cli("", "init", "--home", home.toString(), "--quiet-phrase")[0]);
        String phrase = RecoveryPhrase.of(IdentityDirectory.of(home.resolve("identity")).readAgentRoot(Optional.empty()))
                .words();
        Files.writeString(home.resolve("backup.json"), "{\"targets\": ["
                + "{\"id\": \"nas\", \"uri\": \"file://" + nas.toAbsolutePath() + "\"},"
                + "{\"id\": \"offsite\", \"uri\": \"" + s3 + "\", \"credentialsFile\": \"" + creds + "\"}]}");
        Object before;
        try (NodeRuntime node = start(home)) {
            await().atMost(Duration.ofSeconds(20)).until(node::isLeader);
            node.appendMemory("note", "one", List.of()).join();
            String[] first = cli("", "backup", "create", "--http", node.httpAddress());
            assertEquals("0", first[0], first[1]);
            assertTrue(first[1].contains("nas: ok, manifest 1") && first[1].contains("offsite: ok, manifest 1"), first[1]);
            node.appendMemory("note", "two", List.of()).join();
            node.replaceNotes("offsite notes", Durability.LOCAL).join();
            String[] only = cli("", "backup", "create", "--http", node.httpAddress(), "--target", "offsite");
            assertEquals("0", only[0], only[1]);
            // Only the S3 target moved on; each target's cursor is its own newest manifest.
            assertTrue(only[1].contains("offsite: ok, manifest 2") && !only[1].contains("nas:"), only[1]);
            before = JSON.convertValue(node.state().get(), Map.class);
        }
        String[] verify = cli("", "backup", "verify", "--home", home.toString());
        assertEquals("0", verify[0], verify[1]);
        assertTrue(verify[1].contains("nas: ok, manifest 1") && verify[1].contains("offsite: ok, manifest 2"), verify[1]);

        Path restored = dir.resolve("b");
        String[] restore = cli(phrase + "\n", "restore", "--phrase-stdin", "--from", s3, "--credentials-file",
                creds.toString(), "--home", restored.toString());
        assertEquals("0", restore[0], restore[1]);
        assertTrue(restore[1].contains("verified manifest 2"), restore[1]);
        assertTrue(!restore[1].contains(SECRET), "a secret was printed");
        try (NodeRuntime node = start(restored)) {
            assertEquals(before, JSON.convertValue(node.state().get(), Map.class));
        }
    }

    @Test
    void pruneOnS3KeepsTheNewestBackupRemovesItsLeaseAndTheKeptBackupStillRestores(@TempDir Path dir) throws Exception {
        Path home = dir.resolve("a");
        Path creds = dir.resolve("s3.credentials");
        Files.writeString(creds, "access_key_id=" + KEY_ID + "\nsecret_access_key=" + SECRET + "\n");
        Files.setPosixFilePermissions(creds, PosixFilePermissions.fromString("rw-------"));
        String s3 = "s3://backups/agent-prune?endpoint=" + endpoint + "&region=us-east-1";
        assertEquals("0", cli("", "init", "--home", home.toString(), "--quiet-phrase")[0]);
        String phrase = RecoveryPhrase.of(IdentityDirectory.of(home.resolve("identity")).readAgentRoot(Optional.empty()))
                .words();
        Files.writeString(home.resolve("backup.json"), "{\"targets\": [{\"id\": \"offsite\", \"uri\": \"" + s3
                + "\", \"credentialsFile\": \"" + creds + "\"}], \"retention\": {\"keepLast\": 1}}");
        try (NodeRuntime node = start(home)) {
            await().atMost(Duration.ofSeconds(20)).until(node::isLeader);
            for (String text : List.of("one", "two", "three")) {
                node.appendMemory("note", text, List.of()).join();
                String[] run = cli("", "backup", "create", "--http", node.httpAddress());
                assertEquals("0", run[0], run[1]);
            }
        }
        // The policy comes from backup.json's "retention".
        String[] prune = cli("", "backup", "prune", "--home", home.toString());
        assertEquals("0", prune[0], prune[1]);
        assertTrue(prune[1].contains("offsite: kept 1 backups [3], deleted 2 backups [1, 2]"), prune[1]);
        var blobs = server.store().list("backups",
                org.jclouds.blobstore.options.ListContainerOptions.Builder.prefix("agent-prune/").recursive());
        List<String> names = blobs.stream().map(m -> m.getName()).toList();
        assertEquals(1, names.stream().filter(n -> n.startsWith("agent-prune/man/") && n.endsWith(".age")).count(), names.toString());
        assertTrue(names.stream().noneMatch(n -> n.contains("lock/")), "the lease is gone: " + names);

        String[] restore = cli(phrase + "\n", "restore", "--phrase-stdin", "--from", s3, "--credentials-file",
                creds.toString(), "--home", dir.resolve("b").toString());
        assertEquals("0", restore[0], restore[1]);
        // Three memory entries and the default drill schedule the leader wrote from backup.json (drillEveryHours 24).
        assertTrue(restore[1].contains("verified manifest 3") && restore[1].contains("4 changes"), restore[1]);
    }
}
