package io.agentmesh.node.mesh;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.node.backup.format.RecipientGrant;
import io.agentmesh.node.backup.run.BackupGrants;
import io.agentmesh.node.backup.target.BackupConfig;
import io.agentmesh.node.cli.AgentmeshCommand;
import io.agentmesh.node.schedules.ScheduleExpander;
import io.agentmesh.state.Intent;
import io.agentmesh.state.Outcome;
import io.agentmesh.state.StateView;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A scheduled backup (backup.json's {@code everyMinutes: 1}, the default schedule {@code * * * * *}) in a three-node
 * mesh fires once per minute across a leader stopped in the middle of a backup: the next leader runs that firing's
 * backup again (idempotent), the next firing runs once, and every backup verifies. Takes two to three minutes (cron has
 * minute resolution).
 */
class ScheduledBackupFailoverTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static int leader(LocalMesh mesh) {
        for (int i = 0; i < mesh.nodes.length; i++) {
            if (mesh.nodes[i] != null && mesh.nodes[i].isLeader()) {
                return i;
            }
        }
        return -1;
    }

    private static StateView state(LocalMesh mesh, int node) throws Exception {
        return (StateView) mesh.nodes[node].state().get();
    }

    /** The intents the backup schedule made, by fire time, each with its outcome if it has one. */
    private static TreeMap<Long, Outcome> firings(StateView state) {
        TreeMap<Long, Outcome> out = new TreeMap<>();
        for (Intent i : state.intents()) {
            if (i.requestedBy().equals("schedule:backup-default")) {
                assertEquals(ScheduleExpander.intentId("backup-default", i.requestedMillis()), i.id(),
                        "the intent id derives from the fire time");
                out.put(i.requestedMillis(), state.outcomes().stream().filter(o -> o.intentId().equals(i.id()))
                        .findFirst().orElse(null));
            }
        }
        return out;
    }

    private static long manifests(Path nas) throws Exception {
        if (!Files.isDirectory(nas.resolve("man"))) {
            return 0;
        }
        try (Stream<Path> s = Files.list(nas.resolve("man"))) {
            return s.filter(p -> p.getFileName().toString().endsWith(".age")).count();
        }
    }

    @Test
    void aScheduledBackupRunsOncePerPeriodAndTheNextLeaderRunsAgainTheOneItsPredecessorDiedIn(@TempDir Path dir)
            throws Exception {
        Path nas = Files.createDirectories(dir.resolve("nas"));
        try (LocalMesh mesh = new LocalMesh(dir, 3)) {
            String json = "{\"targets\": [{\"id\": \"nas\", \"uri\": \"file://" + nas.toAbsolutePath()
                    + "\"}], \"everyMinutes\": 1, \"drillEveryHours\": 0}";
            mesh.backup = BackupConfig.parse(JSON.readTree(json), "test");
            BackupGrants.writePhraseGrant(mesh.home(0).resolve("identity"), RecipientGrant.phrase(mesh.root));
            mesh.startAll();
            await().atMost(Duration.ofSeconds(30)).until(() -> leader(mesh) >= 0);
            // About 6 MB of memory, so a backup takes long enough to stop its leader in the middle of it.
            String text = "x".repeat(4000);
            List<CompletableFuture<Object>> writes = new ArrayList<>();
            for (int i = 0; i < 1500; i++) {
                writes.add(mesh.nodes[0].appendMemory("note", i + text, List.of()));
            }
            CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).join();
            await().atMost(Duration.ofSeconds(30)).until(() -> state(mesh, 0).schedules().stream()
                    .anyMatch(s -> s.id().equals("backup-default") && s.cron().equals("* * * * *")));

            // The first firing: stop the leader while its backup runs.
            int[] running = {-1};
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(2)).until(() -> {
                for (int i = 0; i < 3; i++) {
                    if (Boolean.TRUE.equals(mesh.nodes[i].backupStatus().join().orElseThrow().get("running"))) {
                        running[0] = i;
                        return true;
                    }
                }
                return false;
            });
            int first = running[0];
            long manifestsAtStop = manifests(nas);
            mesh.stop(first);
            assertEquals(0, manifestsAtStop, "stopped before its backup wrote the manifest");

            await().atMost(Duration.ofSeconds(30)).until(() -> leader(mesh) >= 0);
            int other = (first + 1) % 3;
            await().atMost(Duration.ofSeconds(90)).until(() -> {
                TreeMap<Long, Outcome> f = firings(state(mesh, other));
                return !f.isEmpty() && f.firstEntry().getValue() != null;
            });
            Outcome firstFiring = firings(state(mesh, other)).firstEntry().getValue();
            assertEquals("succeeded", firstFiring.status(), firstFiring.toString());
            assertNotEquals(mesh.ids.get(first).toString(), firstFiring.performedBy());
            JsonNode result = JSON.readTree(firstFiring.result());
            assertTrue(result.path("ranAgain").asBoolean(), result.toString());
            assertEquals(1, result.path("targets").get(0).path("manifest").asLong(), result.toString());

            // New writes, then the next firing runs once and adds manifest 2.
            mesh.nodes[other].appendMemory("note", "after failover", List.of()).join();
            await().atMost(Duration.ofSeconds(90)).until(() -> {
                TreeMap<Long, Outcome> f = firings(state(mesh, other));
                return f.size() >= 2 && f.higherEntry(f.firstKey()).getValue() != null;
            });
            TreeMap<Long, Outcome> f = firings(state(mesh, other));
            long fire1 = f.firstKey();
            long fire2 = f.higherKey(fire1);
            assertEquals(60_000, fire2 - fire1, "consecutive minutes, no firing doubled or skipped: " + f.keySet());
            Outcome second = f.get(fire2);
            assertEquals("succeeded", second.status(), second.toString());
            JsonNode result2 = JSON.readTree(second.result());
            assertTrue(!result2.path("ranAgain").asBoolean(), result2.toString());
            assertEquals(2, result2.path("targets").get(0).path("manifest").asLong(), result2.toString());
            for (Outcome o : f.values()) {
                assertTrue(o == null || o.status().equals("succeeded"), "every firing succeeded: " + o);
            }
            Files.writeString(mesh.home(other).resolve("backup.json"), json);
            assertEquals(0, AgentmeshCommand.execute("backup", "verify", "--home", mesh.home(other).toString()));
        }
    }
}
