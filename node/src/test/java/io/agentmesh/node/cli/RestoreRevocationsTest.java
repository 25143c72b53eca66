package io.agentmesh.node.cli;

import io.agentmesh.node.backup.run.BackupRunner;
import io.agentmesh.node.backup.run.RememberedManifests;
import io.agentmesh.node.backup.target.DirectoryTarget;
import io.agentmesh.node.runtime.LoneNode;
import io.agentmesh.node.runtime.NodeRuntime;
import io.agentmesh.protocol.identity.IdentityDirectory;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.NodeRevocation;
import io.agentmesh.protocol.identity.RecoveryPhrase;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.protocol.time.SystemClock;
import io.agentmesh.state.store.SqliteChangeStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A restored node enforces the revocations its backup holds, with no revocation posted again. */
class RestoreRevocationsTest {
    private static NodeRuntime start(Path home) throws Exception {
        return LoneNode.start(home);
    }

    private static int cli(String stdin, String... args) {
        return CliRun.withInput(stdin, args).exit();
    }

    @Test
    @SuppressWarnings("unchecked")
    void aRestoredNodeEnforcesTheRevocationsInItsBackup(@TempDir Path dir) throws Exception {
        Path home = dir.resolve("a");
        Path target = Files.createDirectories(dir.resolve("nas"));
        assertEquals(0, cli("", "init", "--home", home.toString(), "--quiet-phrase"));
        try (NodeRuntime node = start(home)) {
            node.memoryCount().join();
        }
        IdentityDirectory ids = IdentityDirectory.of(home.resolve("identity"));
        SigningKey root = ids.readAgentRoot(Optional.empty());
        long now = System.currentTimeMillis();
        SigningKey removedKey = SigningKey.generate(new SecureRandom());
        NodeCertificate removedCert = NodeCertificate.issue(root, removedKey.verifyingKey(), Role.VOTER, now - 60_000,
                now + 86_400_000L);
        NodeRevocation revocation = NodeRevocation.issue(root, removedKey.verifyingKey(), now, "laptop stolen",
                List.of());
        NodeCertificate cert = ids.readCertificate();
        try (SqliteChangeStore store = SqliteChangeStore.open(home.resolve("state").resolve("changes.db"));
             BackupRunner runner = new BackupRunner("test", new BackupRunner.Keys(ids.readNodeKey(Optional.empty()),
                     cert, ids.readBackupKey(Optional.empty()), ids.path(), Optional.empty()), store,
                     () -> List.of(cert, removedCert), () -> List.of(revocation),
                     Map.of("nas", DirectoryTarget.open(target, new SystemClock())),
                     new RememberedManifests(home.resolve("state")), new SystemClock())) {
            assertTrue(runner.run(Optional.empty()).join().getFirst().ok());
        }

        Path restored = dir.resolve("b");
        assertEquals(0, cli(RecoveryPhrase.of(root).words() + "\n", "restore", "--phrase-stdin", "--from",
                "file://" + target, "--home", restored.toString()));
        try (NodeRuntime node = start(restored)) {
            Map<String, Object> revs = node.revocations().get();
            List<Map<String, Object>> records = (List<Map<String, Object>>) revs.get("revocations");
            assertEquals(1, records.size(), revs.toString());
            assertEquals(NodeId.of(removedKey.verifyingKey()).toString(), records.getFirst().get("node"));
            assertEquals(true, records.getFirst().get("removed"));
        }
    }
}
