package io.agentmesh.node.backup.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.node.actions.exec.ExecCommands;
import io.agentmesh.node.agent.AgentSettings;
import io.agentmesh.node.cli.AgentmeshCommand;
import io.agentmesh.node.llm.config.LlmConfig;
import io.agentmesh.node.replication.Durability;
import io.agentmesh.node.runtime.NodeRuntime;
import io.agentmesh.node.runtime.NodeSettings;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
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
        Properties props = new Properties();
        props.setProperty("jclouds.filesystem.basedir", Files.createDirectories(dir.resolve("s3store")).toString());
        try (BlobStoreContext context = ContextBuilder.newBuilder("filesystem").credentials("unused", "unused")
                .overrides(props).build(BlobStoreContext.class)) {
            S3Proxy proxy = S3Proxy.builder().blobStore(context.getBlobStore()).endpoint(URI.create("http://127.0.0.1:0"))
                    .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, KEY_ID, SECRET)
                    .v4MaxNonChunkedRequestSize(128L * 1024 * 1024).build();
            proxy.start();
            try {
                await().atMost(Duration.ofSeconds(30)).until(() -> "STARTED".equals(proxy.getState()));
                context.getBlobStore().createContainerInLocation(null, "backups");
                Path home = dir.resolve("a");
                Path nas = Files.createDirectories(dir.resolve("nas"));
                Path creds = dir.resolve("s3.credentials");
                Files.writeString(creds, "access_key_id=" + KEY_ID + "\nsecret_access_key=" + SECRET + "\n");
                Files.setPosixFilePermissions(creds, PosixFilePermissions.fromString("rw-------"));
                assertEquals(0, AgentmeshCommand.execute("init", "--home", home.toString(), "--quiet-phrase"));
                Files.writeString(home.resolve("backup.json"), "{\"targets\": ["
                        + "{\"id\": \"nas\", \"uri\": \"file://" + nas.toAbsolutePath() + "\"},"
                        + "{\"id\": \"s3\", \"uri\": \"s3://backups/agent?endpoint=http://127.0.0.1:" + proxy.getPort()
                        + "&region=us-east-1\", \"credentialsFile\": \"" + creds + "\"}], \"drillEveryHours\": 0}");
                int port;
                try (ServerSocket s = new ServerSocket(0)) {
                    port = s.getLocalPort();
                }
                try (NodeRuntime node = NodeRuntime.start(new NodeSettings(home.resolve("identity"),
                        home.resolve("state"), Optional.empty(), new InetSocketAddress("127.0.0.1", port),
                        Optional.empty(), new InetSocketAddress("127.0.0.1", 0), List.of(), List.of(), 20_000, false,
                        AgentSettings.none(), ExecCommands.none(), LlmConfig.none(),
                        io.agentmesh.node.backup.target.BackupConfig.read(home.resolve("backup.json"))))) {
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
            } finally {
                proxy.stop();
            }
        }
    }
}
