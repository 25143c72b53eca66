package io.agentmesh.sim.bench;

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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The local chain of the wallet benchmark: anvil, installed by {@code scripts/ensure-anvil} (found above the working
 * directory), its binary started on a free loopback port (parsed from "Listening on") and stopped by PID.
 */
final class AnvilChain implements AutoCloseable {
    /** anvil's first funded account's well-known key (the public test mnemonic): the benchmark's wallet. */
    static final String KEY0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
    static final String ADDRESS2 = "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc";
    private static final Pattern LISTENING = Pattern.compile("Listening on (127\\.0\\.0\\.1:\\d+)");

    private final Process process;
    private final URI url;
    private final HttpClient http = HttpClient.newHttpClient();

    private AnvilChain(Process process, URI url) {
        this.process = process;
        this.url = url;
    }

    static AnvilChain start() throws IOException, InterruptedException {
        Path root = Path.of("").toAbsolutePath();
        while (root != null && !Files.exists(root.resolve("scripts/ensure-anvil"))) {
            root = root.getParent();
        }
        if (root == null) {
            throw new IOException("scripts/ensure-anvil not found above " + Path.of("").toAbsolutePath()
                    + "; run the wallet benchmark from the project's checkout");
        }
        Process ensure = new ProcessBuilder(root.resolve("scripts/ensure-anvil").toString()).redirectErrorStream(true)
                .start();
        if (!ensure.waitFor(300, TimeUnit.SECONDS)) {
            ensure.destroyForcibly();
            throw new IOException("scripts/ensure-anvil did not finish within 300 s");
        }
        String out = new String(ensure.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (ensure.exitValue() != 0) {
            throw new IOException("scripts/ensure-anvil failed: " + out);
        }
        List<String> cmd = new ArrayList<>(List.of(out.lines().reduce((a, b) -> b).orElse(""), "--host",
                "127.0.0.1", "--port", "0"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        BufferedReader lines = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = lines.readLine()) != null) {
            Matcher m = LISTENING.matcher(line);
            if (m.find()) {
                AnvilChain a = new AnvilChain(p, URI.create("http://" + m.group(1)));
                Thread drain = new Thread(() -> {
                    try {
                        while (lines.readLine() != null) {
                            // discard: anvil logs every request
                        }
                    } catch (IOException e) {
                        // ended
                    }
                }, "anvil-out");
                drain.setDaemon(true);
                drain.start();
                return a;
            }
        }
        p.destroyForcibly();
        throw new IOException("anvil ended without listening");
    }

    URI url() {
        return url;
    }

    /** One JSON-RPC call (anvil's own methods); the answer's text. */
    String rpc(String method, String paramsJson) throws IOException, InterruptedException {
        String body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + method + "\",\"params\":" + paramsJson + "}";
        return http.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }
}
