package io.agentmesh.sim.live;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code agentmesh mcp} driven by MCP clients nobody on agentmesh wrote, over stdio, against a real node process: the
 * official Java SDK's client and the official TypeScript SDK's client (npm {@code @modelcontextprotocol/sdk}, pinned
 * in src/test/resources/mcp-js, installed by this test into target/mcp-js). The workspace tools are left out here:
 * their endpoints come with the workspace mirror (McpToolsTest checks them against the contract).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class McpClientsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> TOOLS = List.of("memory_append", "memory_search", "memory_list", "notes_read",
            "notes_replace", "tasks_upsert", "tasks_list", "workspace_list", "workspace_read", "workspace_write",
            "workspace_delete", "act", "intent_status", "status", "wallet_spend", "wallet_status");
    private static LiveCluster cluster;

    @TempDir
    static Path dir;

    @BeforeAll
    static void startNode() throws Exception {
        // The node reads its exec commands from <home>/exec.json.
        Files.createDirectories(dir.resolve("n1"));
        Files.writeString(dir.resolve("n1").resolve("exec.json"), JSON.writeValueAsString(Map.of("commands",
                Map.of("echo-args", Map.of("argv", List.of("/bin/sh", "-c",
                        "cat; echo \"key=$AGENTMESH_IDEMPOTENCY_KEY\""))))));
        cluster = LiveCluster.start(LiveCluster.Options.of(1, 0).withDir(dir, false));
        System.err.println("McpClientsTest: agentmesh mcp runs from "
                + (McpLaunch.usesJar() ? "the runnable jar " + McpLaunch.NODE_JAR : "the test class path"));
    }

    @AfterAll
    static void stopNode() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static Set<Long> childPids() {
        Set<Long> pids = new HashSet<>();
        ProcessHandle.current().children().forEach(h -> pids.add(h.pid()));
        return pids;
    }

    /** Starts the SDK's client, which spawns {@code agentmesh mcp}; returns it with the server's PID. */
    private static McpSyncClient javaClient(List<String> cmd, List<Long> serverPid, List<String> stderr) {
        Set<Long> before = childPids();
        StdioClientTransport transport = new StdioClientTransport(ServerParameters.builder(cmd.get(0))
                .args(cmd.subList(1, cmd.size())).build(), new JacksonMcpJsonMapper(new ObjectMapper()));
        transport.setStdErrorHandler(stderr::add);
        McpSyncClient client = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(150))
                .initializationTimeout(Duration.ofSeconds(90)).build();
        client.initialize();
        ProcessHandle.current().children().filter(h -> !before.contains(h.pid())).forEach(h -> serverPid.add(h.pid()));
        return client;
    }

    private static void stop(McpSyncClient client, List<Long> serverPid) throws Exception {
        client.closeGracefully();
        for (long pid : serverPid) {
            ProcessHandle.of(pid).ifPresent(h -> {
                try {
                    h.onExit().get(20, TimeUnit.SECONDS);
                } catch (Exception e) {
                    h.destroyForcibly();
                    throw new AssertionError("agentmesh mcp (pid " + pid + ") did not exit when its client closed");
                }
            });
        }
    }

    private static String text(CallToolResult r) {
        StringBuilder b = new StringBuilder();
        r.content().forEach(c -> b.append(((McpSchema.TextContent) c).text()));
        return b.toString();
    }

    private static CallToolResult call(McpSyncClient client, String tool, Map<String, Object> args) {
        return client.callTool(McpSchema.CallToolRequest.builder(tool).arguments(args).build());
    }

    private static CallToolResult ok(McpSyncClient client, String tool, Map<String, Object> args) {
        CallToolResult r = call(client, tool, args);
        assertFalse(Boolean.TRUE.equals(r.isError()), tool + " failed: " + text(r));
        return r;
    }

    @Test
    @Order(1)
    void theJavaSdkClientUsesTheToolsOfARunningNode() throws Exception {
        List<Long> pid = new ArrayList<>();
        List<String> stderr = new ArrayList<>();
        McpSyncClient client = javaClient(McpLaunch.command(cluster.node(0).httpPort()), pid,
                stderr);
        try {
            assertEquals("agentmesh", client.getServerInfo().name());
            List<String> names = client.listTools().tools().stream().map(McpSchema.Tool::name).toList();
            assertEquals(TOOLS, names);

            ok(client, "memory_append", Map.of("text", "met the java sdk client", "tags", List.of("mcp")));
            assertTrue(text(ok(client, "memory_search", Map.of("query", "JAVA sdk"))).contains("met the java sdk"));
            assertTrue(text(ok(client, "memory_list", Map.of("limit", 5))).contains("met the java sdk client"));

            ok(client, "notes_replace", Map.of("text", "# Notes\nkeep the fence"));
            assertEquals("# Notes\nkeep the fence", text(ok(client, "notes_read", Map.of())));

            ok(client, "tasks_upsert", Map.of("id", "t1", "title", "try mcp", "status", "DOING"));
            assertTrue(text(ok(client, "tasks_list", Map.of("status", "DOING"))).contains("t1: try mcp"));

            CallToolResult job = ok(client, "act", Map.of("kind", "job", "payload", Map.of("n", 1),
                    "waitSeconds", 90));
            assertTrue(text(job).startsWith("succeeded (intent "), text(job));
            String intent = (String) ((Map<?, ?>) job.structuredContent()).get("intent");
            assertTrue(text(ok(client, "intent_status", Map.of("id", intent))).startsWith("succeeded"));

            CallToolResult echo = ok(client, "act", Map.of("kind", "exec", "payload", Map.of("command", "echo-args",
                    "args", Map.of("x", 1)), "waitSeconds", 60));
            String echoed = (String) ((Map<?, ?>) echo.structuredContent()).get("intent");
            assertTrue(text(echo).startsWith("succeeded (intent " + echoed + "): "), text(echo));
            JsonNode run = JSON.readTree(text(echo).substring(text(echo).indexOf("): ") + 3));
            assertEquals("{\"x\":1}\nkey=" + echoed + "\n", run.path("stdout").asText(), run.toString());

            CallToolResult exec = ok(client, "act", Map.of("kind", "exec", "payload", Map.of("command", "nope"),
                    "waitSeconds", 60));
            assertTrue(text(exec).startsWith("failed (intent "), text(exec));
            assertTrue(text(exec).contains("not performed: no command \"nope\""), text(exec));

            assertTrue(text(ok(client, "status", Map.of())).contains(cluster.node(0).id().toString()));

            CallToolResult missing = call(client, "memory_append", Map.of("kind", "note"));
            assertTrue(Boolean.TRUE.equals(missing.isError()), "missing text is refused: " + text(missing));
            assertTrue(text(missing).contains("text"), text(missing));
            CallToolResult wrongType = call(client, "memory_list", Map.of("limit", "ten"));
            assertTrue(Boolean.TRUE.equals(wrongType.isError()), text(wrongType));
        } finally {
            stop(client, pid);
        }
    }

    @Test
    @Order(2)
    void theTypeScriptSdkClientListsAndCallsTheTools() throws Exception {
        assumeTrue(McpLaunch.onPath("node") && McpLaunch.onPath("npm"),
                "node and npm are not on the PATH: the TypeScript MCP client test is skipped");
        Path work = installJsClient();
        List<String> cmd = McpLaunch.command(cluster.node(0).httpPort(), "--durability", "local");
        Map<String, Object> spec = Map.of("command", cmd.get(0), "args", cmd.subList(1, cmd.size()), "calls", List.of(
                Map.of("name", "memory_append", "arguments", Map.of("text", "met the typescript client")),
                Map.of("name", "memory_search", "arguments", Map.of("query", "typescript")),
                Map.of("name", "act", "arguments", Map.of("kind", "job", "payload", Map.of(), "waitSeconds", 90)),
                Map.of("name", "status", "arguments", Map.of()),
                Map.of("name", "tasks_upsert", "arguments", Map.of("id", "t2", "title", "x", "status", "SOON"))));
        Path out = work.resolve("out.json");
        Path err = work.resolve("err.log");
        Process p = new ProcessBuilder("node", "client.mjs", JSON.writeValueAsString(spec)).directory(work.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try {
            assertTrue(p.waitFor(240, TimeUnit.SECONDS), "the TypeScript client finished");
        } finally {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        assertEquals(0, p.exitValue(), "client failed: " + Files.readString(err, StandardCharsets.UTF_8));
        JsonNode seen = JSON.readTree(Files.readString(out, StandardCharsets.UTF_8));
        assertEquals("agentmesh", seen.path("server").path("name").asText());
        List<String> names = new ArrayList<>();
        seen.path("tools").forEach(t -> names.add(t.path("name").asText()));
        assertEquals(TOOLS, names);
        JsonNode results = seen.path("results");
        assertFalse(results.get(0).path("isError").asBoolean(), results.get(0).toString());
        assertTrue(results.get(1).path("text").asText().contains("met the typescript client"), results.toString());
        assertTrue(results.get(2).path("text").asText().startsWith("succeeded"), results.get(2).toString());
        assertEquals("succeeded", results.get(2).path("structured").path("status").asText());
        assertFalse(results.get(3).path("isError").asBoolean(), results.get(3).toString());
        assertTrue(results.get(4).path("isError").asBoolean(), "a status outside the enum is refused: " + results);
    }

    @Test
    @Order(3)
    void aNodeThatGoesDownIsAClearToolErrorWithinTheTimeout() throws Exception {
        List<Long> pid = new ArrayList<>();
        McpSyncClient client = javaClient(McpLaunch.command(cluster.node(0).httpPort(), "--timeout-seconds", "5"),
                pid, new ArrayList<>());
        try {
            ok(client, "status", Map.of());
            cluster.kill9(0);
            long t0 = System.nanoTime();
            CallToolResult down = call(client, "memory_append", Map.of("text", "nobody hears this"));
            long tookMs = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(Boolean.TRUE.equals(down.isError()), text(down));
            assertTrue(text(down).contains("not reachable"), text(down));
            assertTrue(tookMs < 10_000, "answered in " + tookMs + " ms");
        } finally {
            stop(client, pid);
        }
    }

    /** Copies the pinned client to target/mcp-js and installs its packages there once (npm ci, no global install). */
    private static Path installJsClient() throws Exception {
        Path src = Path.of("src", "test", "resources", "mcp-js");
        Path work = Path.of("target", "mcp-js");
        Files.createDirectories(work);
        for (String f : List.of("package.json", "package-lock.json", "client.mjs")) {
            Files.copy(src.resolve(f), work.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        if (!Files.isDirectory(work.resolve("node_modules/@modelcontextprotocol/sdk"))) {
            Path log = work.resolve("npm.log");
            Process npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
                    .directory(work.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                if (!npm.waitFor(300, TimeUnit.SECONDS)) {
                    throw new IOException("npm ci took longer than 300 s");
                }
            } finally {
                npm.descendants().forEach(ProcessHandle::destroyForcibly);
                npm.destroyForcibly();
            }
            if (npm.exitValue() != 0) {
                throw new IOException("npm ci failed: " + Files.readString(log));
            }
        }
        return work;
    }
}
