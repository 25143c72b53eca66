package io.agentmesh.node.runtime;

import io.agentmesh.node.api.ApiToken;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * API tokens through the real command line, in child processes: `init` makes and prints the token, `node run`
 * refuses a non-loopback API without one (exit 2, nothing written), a node started with --require-token answers 401
 * without it and 200 with it, the CLI sends it from the environment or the home, and the node's log never holds it.
 */
class ApiTokenLiveTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void aNodeRequiringItsTokenRefusesOthersAndNeverLogsIt(@TempDir Path dir) throws Exception {
        Path home = dir.resolve("home");
        Path initLog = dir.resolve("init.log");
        assertEquals(0, NodeProcess.runCli(initLog, "init", "--home", home.toString(), "--quiet-phrase"));
        String token = ApiToken.read(home.resolve(ApiToken.FILE_NAME)).orElseThrow().reveal();
        assertTrue(NodeProcess.read(initLog).contains(token), "init prints the token once");

        Path log = dir.resolve("node.log");
        try (NodeProcess node = NodeProcess.start(home, KillNineRestartTest.freePort(), KillNineRestartTest.freePort(),
                log, Map.of("AGENTMESH_LOG_LEVEL", "debug"), "--require-token")) {
            await().atMost(Duration.ofSeconds(60)).until(node::ready); // readiness needs no token
            String base = "http://127.0.0.1:" + node.httpPort;
            HttpResponse<String> refused = node.get("/v1/status");
            assertEquals(401, refused.statusCode());
            assertTrue(refused.body().contains("\"error\""), refused.body());
            assertEquals(401, send(base + "/v1/status", "Bearer wrong-" + token).statusCode());
            assertEquals(401, send(base + "/metrics", null).statusCode(), "/metrics is under the same rule");
            assertEquals(200, send(base + "/v1/status", "Bearer " + token).statusCode());
            HttpResponse<String> metrics = send(base + "/metrics", "Bearer " + token);
            assertEquals(200, metrics.statusCode());
            assertTrue(metrics.body().contains("agentmesh_rejected_inputs_total{reason=\"unauthorized\","
                    + "source=\"http\"} 3.0"), metrics.body());

            Path cli = dir.resolve("cli.log");
            assertEquals(1, NodeProcess.runCli(cli, Map.of("AGENTMESH_HOME", dir.resolve("elsewhere").toString()),
                    "status", "--http", "127.0.0.1:" + node.httpPort), "no token: refused");
            assertTrue(NodeProcess.read(cli).contains("401"), NodeProcess.read(cli));
            assertEquals(0, NodeProcess.runCli(cli, Map.of("AGENTMESH_HOME", home.toString()),
                    "status", "--http", "127.0.0.1:" + node.httpPort), NodeProcess.read(cli));
            assertEquals(0, NodeProcess.runCli(cli, Map.of("AGENTMESH_API_TOKEN", token,
                            "AGENTMESH_HOME", dir.resolve("elsewhere").toString()), "act", "--http",
                    "127.0.0.1:" + node.httpPort, "--wait-seconds", "30"), NodeProcess.read(cli));
            assertEquals(0, node.terminate());
        }
        String written = NodeProcess.read(log); // every line down to debug
        assertTrue(written.contains("http refused"), "the refusal is logged once, without the token: " + written);
        assertFalse(written.contains(token), "the node's log never holds the token");
        assertFalse(written.contains(token.substring(4, 20)), "not even a part of it");
    }

    @Test
    void aNonLoopbackApiWithoutATokenStopsNodeRunWithExitCode2AndWritesNothing(@TempDir Path dir) throws Exception {
        Path home = dir.resolve("home");
        assertEquals(0, NodeProcess.runCli(dir.resolve("init.log"), "init", "--home", home.toString(),
                "--quiet-phrase"));
        Files.delete(home.resolve(ApiToken.FILE_NAME));
        Path log = dir.resolve("run.log");
        assertEquals(2, NodeProcess.runCli(log, "node", "run", "--home", home.toString(), "--listen",
                "127.0.0.1:" + KillNineRestartTest.freePort(), "--http", "0.0.0.0:" + KillNineRestartTest.freePort()));
        assertTrue(NodeProcess.read(log).contains("needs an API token"), NodeProcess.read(log));
        assertFalse(Files.exists(home.resolve("state")), "the node opened nothing");
    }

    @Test
    void theAgentGetsTheTokenWhenTheApiNeedsItAndItsStateShowsInTheMetrics(@TempDir Path dir) throws Exception {
        Path home = dir.resolve("home");
        assertEquals(0, NodeProcess.runCli(dir.resolve("init.log"), "init", "--home", home.toString(),
                "--quiet-phrase"));
        String token = ApiToken.read(home.resolve(ApiToken.FILE_NAME)).orElseThrow().reveal();
        Path workspace = Files.createDirectories(dir.resolve("workspace"));
        Path seen = dir.resolve("seen-token"); // outside the workspace: nothing the agent writes there is replicated
        Path log = dir.resolve("node.log");
        try (NodeProcess node = NodeProcess.start(home, KillNineRestartTest.freePort(), KillNineRestartTest.freePort(),
                log, Map.of("AGENTMESH_LOG_LEVEL", "debug"), "--require-token", "--workspace", workspace.toString(),
                "--", "sh", "-c", "printf %s \"$AGENTMESH_API_TOKEN\" > " + seen + "; exec sleep 600")) {
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(seen) && Files.size(seen) > 0);
            assertEquals(token, Files.readString(seen));
            String base = "http://127.0.0.1:" + node.httpPort;
            await().atMost(Duration.ofSeconds(30)).until(() -> io.agentmesh.node.metrics.PrometheusText.parse(
                    send(base + "/metrics", "Bearer " + token).body()).value("agentmesh_agent_process_state",
                    "state", "running") == 1.0);
            assertEquals(0.0, io.agentmesh.node.metrics.PrometheusText.parse(send(base + "/metrics",
                    "Bearer " + token).body()).value("agentmesh_agent_process_restarts_total"));
            assertEquals(0, node.terminate());
        }
        assertFalse(NodeProcess.read(log).contains(token), "the node's log never holds the token");
    }

    private static HttpResponse<String> send(String url, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
