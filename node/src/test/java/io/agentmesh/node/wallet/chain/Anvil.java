package io.agentmesh.node.wallet.chain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A local anvil chain for tests: installed by {@code scripts/ensure-anvil}, its platform binary started directly on a
 * free loopback port (parsed from "Listening on"), stopped by PID in {@link #close()}. Chain id 31337 unless told,
 * ten funded accounts from the standard test mnemonic. {@link #rpc} reaches anvil's fault-injection methods, which
 * the production {@link ChainClient} deliberately lacks.
 */
public final class Anvil implements AutoCloseable {
    /** anvil's first funded account and its well-known key (public test mnemonic). */
    public static final String KEY0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
    public static final EthAddress ADDRESS0 = EthAddress.parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    public static final String KEY1 = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
    public static final EthAddress ADDRESS1 = EthAddress.parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
    public static final EthAddress ADDRESS2 = EthAddress.parse("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");
    private static final Pattern LISTENING = Pattern.compile("Listening on (127\\.0\\.0\\.1:\\d+)");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final URI url;
    private final HttpClient http = HttpClient.newHttpClient();
    private final Deque<String> lastLines = new ArrayDeque<>();

    private Anvil(Process process, URI url) {
        this.process = process;
        this.url = url;
    }

    /** Starts anvil with {@code extraArgs} (e.g. "--chain-id", "5") and waits until it listens (at most 30 s). */
    public static Anvil start(String... extraArgs) throws Exception {
        Path bin = install();
        List<String> cmd = new java.util.ArrayList<>(List.of(bin.toString(), "--host", "127.0.0.1", "--port", "0"));
        cmd.addAll(List.of(extraArgs));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        StringBuilder seen = new StringBuilder();
        String line;
        while ((line = out.readLine()) != null) {
            Matcher m = LISTENING.matcher(line);
            if (m.find()) {
                Anvil a = new Anvil(p, URI.create("http://" + m.group(1)));
                Thread drain = new Thread(() -> a.drain(out), "anvil-out-" + p.pid());
                drain.setDaemon(true);
                drain.start();
                return a;
            }
            if (seen.length() < 4000) {
                seen.append(line).append('\n');
            }
            if (System.nanoTime() > deadline) {
                break;
            }
        }
        p.destroyForcibly();
        throw new AssertionError("anvil did not say \"Listening on\"; it printed:\n" + seen);
    }

    /** Runs scripts/ensure-anvil (installing anvil with npm when missing) and returns the binary. */
    public static Path install() throws Exception {
        Path script = repoRoot().resolve("scripts/ensure-anvil");
        Process p = new ProcessBuilder(script.toString()).redirectErrorStream(true).start();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("scripts/ensure-anvil did not finish within 300 s");
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (p.exitValue() != 0) {
            // Like the npm clients' tests: a machine without npm skips, saying why; any other failure fails.
            org.junit.jupiter.api.Assumptions.assumeFalse(out.contains("npm is not installed"), out);
            throw new AssertionError("scripts/ensure-anvil failed: " + out);
        }
        Path bin = Path.of(out.lines().reduce((a, b) -> b).orElse(""));
        if (!Files.isExecutable(bin)) {
            throw new AssertionError("scripts/ensure-anvil printed " + bin + ", which is not executable");
        }
        return bin;
    }

    private static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("scripts/ensure-anvil"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new AssertionError("scripts/ensure-anvil not found above " + Path.of("").toAbsolutePath());
        }
        return p;
    }

    private void drain(BufferedReader out) {
        try {
            String line;
            while ((line = out.readLine()) != null) {
                synchronized (lastLines) {
                    lastLines.addLast(line);
                    if (lastLines.size() > 200) {
                        lastLines.removeFirst();
                    }
                }
            }
        } catch (IOException e) {
            // The process ended.
        }
    }

    public URI url() {
        return url;
    }

    public long pid() {
        return process.pid();
    }

    /** A production client on this chain. */
    public JsonRpcChainClient client() {
        return new JsonRpcChainClient(url, 2_000, 10_000, 4 << 20);
    }

    /** Any JSON-RPC call (anvil's fault injection); fails the test on an error answer. */
    public JsonNode rpc(String method, Object... params) throws Exception {
        ObjectNode body = JSON.createObjectNode();
        body.put("jsonrpc", "2.0").put("id", 1).put("method", method);
        var ps = body.putArray("params");
        for (Object p : params) {
            ps.add(JSON.valueToTree(p));
        }
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                .build(), HttpResponse.BodyHandlers.ofString());
        JsonNode answer = JSON.readTree(r.body());
        if (answer.has("error")) {
            throw new AssertionError(method + " failed: " + answer.get("error"));
        }
        return answer.get("result");
    }

    public void automine(boolean on) throws Exception {
        rpc("evm_setAutomine", on);
    }

    public void mine() throws Exception {
        rpc("evm_mine");
    }

    public String lastOutput() {
        synchronized (lastLines) {
            return String.join("\n", lastLines);
        }
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }
}
