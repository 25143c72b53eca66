package io.agentmesh.node.backup.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.node.backup.target.BackupConfig;
import io.agentmesh.node.backup.target.LoopbackS3;
import io.agentmesh.node.cli.AgentmeshCommand;
import io.agentmesh.node.llm.config.LlmConfig;
import io.agentmesh.node.replication.Durability;
import io.agentmesh.node.runtime.LoneNode;
import io.agentmesh.node.runtime.NodeRuntime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Figures, not a check (docs/backup.md, "Figures"): the restore drill's recovery time for a store of N changes from a
 * directory and from S3 on loopback (s3proxy over its filesystem store, in this JVM: a test-scope dependency, which is
 * why this lives here and not in {@code agentmesh bench backup}). Skipped unless {@code AGENTMESH_BENCH_S3=1}:
 *
 * <pre>AGENTMESH_BENCH_S3=1 AGENTMESH_BENCH_CHANGES=100000 ./mvnw -B -o -q test -pl node -am \
 *     -Dtest=DrillS3FiguresTest -Dsurefire.failIfNoSpecifiedTests=false</pre>
 *
 * It prints one JSON line starting {@code DRILL-FIGURES }.
 */
@EnabledIfEnvironmentVariable(named = "AGENTMESH_BENCH_S3", matches = "1")
class DrillS3FiguresTest {
    private static final String KEY_ID = "bench-key";
    private static final String SECRET = "bench-secret-never-printed";
    private static final int WINDOW = 1_000;

    @SuppressWarnings("unchecked")
    private static Map<String, Object> drill(NodeRuntime node, String target) throws Exception {
        long t0 = System.nanoTime();
        Map<String, Object> signed = node.drillNow(Optional.of(target)).get(30, TimeUnit.MINUTES).orElseThrow();
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        Map<String, Object> report = (Map<String, Object>) signed.get("report");
        assertEquals(true, report.get("ok"), String.valueOf(signed));
        Map<String, Object> a = ((List<Map<String, Object>>) report.get("attempts")).get(0);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("where", a.get("where"));
        m.put("requestMs", ms);
        m.put("changes", a.get("changes"));
        m.put("bytesFetched", a.get("bytesFetched"));
        m.put("recoveryMs", a.get("recoveryMs"));
        return m;
    }

    @Test
    void drillRecoveryTimeFromADirectoryAndFromS3OnLoopback(@TempDir Path dir) throws Exception {
        int changes = Integer.parseInt(System.getenv().getOrDefault("AGENTMESH_BENCH_CHANGES", "100000"));
        try (LoopbackS3 s3 = LoopbackS3.start(Files.createDirectories(dir.resolve("s3store")), KEY_ID, SECRET)) {
            s3.store().createContainerInLocation(null, "backups");
            Path home = dir.resolve("a");
            Path nas = Files.createDirectories(dir.resolve("nas"));
            Path creds = dir.resolve("s3.credentials");
            Files.writeString(creds, "access_key_id=" + KEY_ID + "\nsecret_access_key=" + SECRET + "\n");
            Files.setPosixFilePermissions(creds, PosixFilePermissions.fromString("rw-------"));
            assertEquals(0, AgentmeshCommand.execute("init", "--home", home.toString(), "--quiet-phrase"));
            Files.writeString(home.resolve("backup.json"), "{\"targets\": ["
                    + "{\"id\": \"nas\", \"uri\": \"file://" + nas.toAbsolutePath() + "\"},"
                    + "{\"id\": \"s3\", \"uri\": \"s3://backups/agent?endpoint=" + s3.endpoint()
                    + "&region=us-east-1\", \"credentialsFile\": \"" + creds + "\"}], \"drillEveryHours\": 0}");
            try (NodeRuntime node = LoneNode.start(home, LlmConfig.none(),
                    io.agentmesh.node.backup.target.BackupConfig.read(home.resolve("backup.json")))) {
                await().atMost(Duration.ofSeconds(30)).until(node::isLeader);
                long t0 = System.nanoTime();
                List<CompletableFuture<Object>> pending = new ArrayList<>();
                for (int i = 0; i < changes; i++) {
                    pending.add(node.appendMemory("note", "entry " + i + " with some text about the world",
                            List.of("bench"), Durability.LOCAL));
                    if (pending.size() == WINDOW) {
                        CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(10, TimeUnit.MINUTES);
                        pending.clear();
                    }
                }
                CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(10, TimeUnit.MINUTES);
                long fillMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                long tb = System.nanoTime();
                Map<String, Object> backup = node.backupNow(Optional.empty()).get(30, TimeUnit.MINUTES).orElseThrow();
                long backupMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - tb);
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("changes", changes);
                out.put("fillMs", fillMs);
                out.put("backupBothTargetsMs", backupMs);
                out.put("backup", backup.get("targets"));
                out.put("drillFromDirectory", drill(node, "nas"));
                out.put("drillFromS3", drill(node, "s3"));
                out.put("goalMs", 60_000);
                System.out.println("DRILL-FIGURES " + new ObjectMapper().writeValueAsString(out));
            }
        }
    }
}
