package io.agentmesh.node.llm.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The official OpenAI and Anthropic npm clients, installed with npm into {@code target/npm-clients} (pinned versions,
 * installed once per build directory), and the script that points them at a node ({@code llm-clients/clients.mjs}).
 */
public final class NpmClients {
    /** openai 7 requires Node 22; the machines have Node 20, which 6.x supports. */
    static final String OPENAI = "openai@6.49.0";
    static final String ANTHROPIC = "@anthropic-ai/sdk@1.10.0";
    static final long INSTALL_TIMEOUT_S = 300;
    static final long SCRIPT_TIMEOUT_S = 120;

    private NpmClients() {
    }

    /** The directory with the clients installed and the script; aborts the test (skipped) only when npm is missing. */
    public static Path install() throws Exception {
        Assumptions.assumeTrue(onPath("npm") && onPath("node"), "npm and node are needed to run the real OpenAI and"
                + " Anthropic clients; install Node.js (with npm) to run this test");
        Path dir = Path.of("target", "npm-clients").toAbsolutePath();
        Files.createDirectories(dir);
        String pins = OPENAI + " " + ANTHROPIC;
        Path marker = dir.resolve("installed.txt");
        if (!Files.exists(marker) || !Files.readString(marker).equals(pins)) {
            Files.writeString(dir.resolve("package.json"), "{\"name\": \"agentmesh-llm-clients\", \"private\": true,"
                    + " \"type\": \"module\"}\n");
            Result r = run(dir, INSTALL_TIMEOUT_S, Map.of(), "npm", "install", "--no-audit", "--no-fund",
                    "--loglevel=error", OPENAI, ANTHROPIC);
            if (r.exit() != 0) {
                throw new AssertionError("npm install " + pins + " failed (exit " + r.exit() + "):\n" + r.stderr()
                        + r.stdout());
            }
            Files.writeString(marker, pins);
        }
        try (InputStream in = NpmClients.class.getResourceAsStream("/llm-clients/clients.mjs")) {
            Files.write(dir.resolve("clients.mjs"), in.readAllBytes());
        }
        return dir;
    }

    /** Runs the script against {@code baseUrl} and returns what the clients parsed, one entry per scenario. */
    public static JsonNode runScript(Path dir, String baseUrl, Map<String, String> env) throws Exception {
        Result r = run(dir, SCRIPT_TIMEOUT_S, env, "node", "clients.mjs", baseUrl);
        if (r.exit() != 0) {
            throw new AssertionError("node clients.mjs failed (exit " + r.exit() + "):\n" + r.stderr() + r.stdout());
        }
        String last = r.stdout().strip().lines().reduce((a, b) -> b).orElse("");
        return new ObjectMapper().readTree(last);
    }

    record Result(int exit, String stdout, String stderr) {
    }

    private static boolean onPath(String command) {
        try {
            return run(Path.of("."), 30, Map.of(), command, "--version").exit() == 0;
        } catch (IOException e) {
            return false;
        } catch (Exception e) {
            throw new AssertionError(command + " --version failed: " + e, e);
        }
    }

    private static Result run(Path dir, long timeoutS, Map<String, String> env, String... command) throws Exception {
        Path stdout = Files.createTempFile("npm-clients", ".out");
        Path stderr = Files.createTempFile("npm-clients", ".err");
        try {
            ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(List.of(command))).directory(dir.toFile())
                    .redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
            pb.environment().putAll(env);
            Process p = pb.start();
            if (!p.waitFor(timeoutS, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError(String.join(" ", command) + " did not finish within " + timeoutS + " s:\n"
                        + Files.readString(stderr, StandardCharsets.UTF_8));
            }
            return new Result(p.exitValue(), Files.readString(stdout, StandardCharsets.UTF_8),
                    Files.readString(stderr, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(stdout);
            Files.deleteIfExists(stderr);
        }
    }
}
