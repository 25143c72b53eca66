package io.agentmesh.node.runtime;

import com.exceptionfactory.jagged.RecipientStanzaReader;
import com.exceptionfactory.jagged.framework.stream.StandardDecryptingChannelFactory;
import com.exceptionfactory.jagged.x25519.X25519RecipientStanzaReaderFactory;
import io.agentmesh.node.api.ApiToken;
import io.agentmesh.node.backup.format.BackupKeys;
import io.agentmesh.protocol.identity.IdentityDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DESIGN.md invariant 7 through the real command line: a node (a child JVM from `node run`) with an LLM key from the
 * environment, an encrypted identity (node passphrase), a wallet keystore (its private key, encrypted with that
 * passphrase) and an API token it requires, runs a workload (writes, an
 * LLM call to the example's fake provider, a backup to a directory), and then none of those secrets, nor a 16-character
 * piece of one, appears in the state (its JSON, the raw Automerge export, the Markdown export), the backup objects
 * (raw and decrypted with the node's operational key), the state directory, the node's log (down to debug),
 * /v1/status, /metrics, /v1/llm/status, or the dashboard's files. Then a leak is planted through the API (the LLM
 * key written into memory) and the same search must find it, so the search itself is shown to work.
 */
class SecretsNeverLeakLiveTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final Path FAKE = Path.of("..", "examples", "fake-llm", "FakeLlm.java").toAbsolutePath()
            .normalize();
    private static final String KEY_ENV = "SECRETS_TEST_LLM_KEY";

    @Test
    void noConfiguredSecretReachesStateExportsBackupsLogsStatusMetricsOrTheDashboard(@TempDir Path dir)
            throws Exception {
        assertTrue(Files.isRegularFile(FAKE), "run from the node module");
        SecureRandom random = new SecureRandom();
        String llmKey = "sk-proj-" + HexFormat.of().formatHex(random.generateSeed(24));
        String passphrase = "harbor-violet-" + HexFormat.of().formatHex(random.generateSeed(12));
        Path home = dir.resolve("home");
        Path nas = Files.createDirectories(dir.resolve("nas"));
        Path log = dir.resolve("node.log");
        Map<String, String> env = Map.of("AGENTMESH_PASSPHRASE", passphrase, KEY_ENV, llmKey,
                "AGENTMESH_LOG_LEVEL", "debug");
        Path initLog = dir.resolve("init.log"); // where init and api-token show the token once: not searched
        assertEquals(0, NodeProcess.runCli(initLog, env, "init", "--home", home.toString(), "--quiet-phrase"),
                NodeProcess.read(initLog));
        assertEquals(0, NodeProcess.runCli(initLog, env, "api-token", "new", "--force", "--home", home.toString()),
                NodeProcess.read(initLog));
        String token = ApiToken.read(home.resolve(ApiToken.FILE_NAME)).orElseThrow().reveal();
        // The wallet's private key, imported into its keystore (encrypted with the node passphrase, which is the
        // keystore's passphrase too).
        String walletKey = HexFormat.of().formatHex(random.generateSeed(32));
        assertEquals(0, NodeProcess.runCliWithInput(initLog, env, walletKey + "\n", "wallet", "import", "--home",
                home.toString()), NodeProcess.read(initLog));
        Map<String, String> secrets = Map.of("LLM key", llmKey, "node passphrase", passphrase, "API token", token,
                "wallet private key", walletKey);

        Process fake = startFake(dir);
        try {
            Path portFile = dir.resolve("fake.port");
            await("the fake LLM listens").atMost(Duration.ofSeconds(60)).until(() -> Files.exists(portFile)
                    && !Files.readString(portFile).isBlank());
            int fakePort = Integer.parseInt(Files.readString(portFile).trim());
            Files.writeString(home.resolve("llm.json"), """
                    {"providers": [{"id": "fake", "kind": "openai-compatible", "baseUrl": "http://127.0.0.1:%d/v1",
                                    "keyEnv": "%s",
                                    "models": [{"name": "fake-small", "contextTokens": 8192, "maxOutputTokens": 256,
                                                "price": {"inputPerMTok": 1, "outputPerMTok": 2}}]}],
                     "routing": {"maxWaitMs": 1000}}
                    """.formatted(fakePort, KEY_ENV));
            // A chain nobody answers on: the node unlocks the keystore at start and serves its wallet status.
            Files.writeString(home.resolve("wallet.json"), """
                    {"rpcUrl": "http://127.0.0.1:%d", "chainId": 31337,
                     "policy": {"perTxCapEther": "0.5", "dailyBudgetEther": "2"}}
                    """.formatted(KillNineRestartTest.freePort()));
            Files.writeString(home.resolve("backup.json"),
                    "{\"targets\": [{\"id\": \"nas\", \"uri\": \"file://" + nas.toAbsolutePath() + "\"}]}");
            Path markdown = dir.resolve("markdown");
            Path automerge = dir.resolve("state.automerge");
            try (NodeProcess node = NodeProcess.start(home, KillNineRestartTest.freePort(),
                    KillNineRestartTest.freePort(), log, env, "--require-token")) {
                Api api = new Api(node.httpPort, token);
                await("the node leads and serves LLM calls").atMost(Duration.ofSeconds(90))
                        .pollInterval(Duration.ofMillis(200)).until(() -> serving(api));
                for (int i = 0; i < 20; i++) {
                    HttpResponse<String> w = api.send("POST", "/v1/memory", "{\"text\": \"workload entry " + i
                            + "\", \"tags\": [\"work\"]}");
                    assertEquals(201, w.statusCode(), w.body());
                }
                assertEquals(204, api.send("PUT", "/v1/notes", "{\"text\": \"long-term notes\"}").statusCode());
                HttpResponse<String> chat = api.send("POST", "/llm/openai/v1/chat/completions",
                        "{\"model\": \"fake-small\", \"messages\": [{\"role\": \"user\", \"content\": \"hello\"}]}");
                assertEquals(200, chat.statusCode(), chat.body());
                HttpResponse<String> backup = api.send("POST", "/v1/backup", "");
                assertEquals(200, backup.statusCode(), backup.body());

                Map<String, byte[]> places = collect(api, home, nas, passphrase, log, env, node.httpPort, markdown,
                        automerge);
                List<String> hits = search(places, secrets);
                assertEquals(List.of(), hits, "no secret anywhere it could leak to");
                assertTrue(places.size() > 10, "searched " + places.keySet());

                // The search can fail: a secret written into memory through the API is found.
                assertEquals(201, api.send("POST", "/v1/memory", "{\"text\": \"planted " + llmKey + "\"}")
                        .statusCode());
                assertEquals(200, api.send("POST", "/v1/backup", "").statusCode());
                List<String> planted = search(collect(api, home, nas, passphrase, log, env, node.httpPort,
                        markdown, automerge), Map.of("LLM key", llmKey));
                assertTrue(planted.stream().anyMatch(h -> h.contains("GET /v1/state:")), planted.toString());
                assertTrue(planted.stream().anyMatch(h -> h.contains("markdown/")), planted.toString());
                assertTrue(planted.stream().anyMatch(h -> h.contains("decrypted seg/")), planted.toString());
                assertEquals(0, node.terminate(), NodeProcess.read(log));
            }
            assertFalse(NodeProcess.read(log).contains(llmKey.substring(8, 24)), "nor in the log of the shutdown");
        } finally {
            fake.destroyForcibly();
            fake.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Every place a secret could leak to, by name: HTTP answers, exports, backup objects, the state dir, the log. */
    private static Map<String, byte[]> collect(Api api, Path home, Path nas, String passphrase, Path log,
                                               Map<String, String> env, int httpPort, Path markdown, Path automerge)
            throws Exception {
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (String path : List.of("/v1/state", "/v1/state/export", "/v1/status", "/metrics", "/v1/llm/status",
                "/v1/llm/costs", "/v1/backup", "/v1/intents", "/v1/wallet", "/ui/", "/ui/dashboard.js", "/ui/dashboard.css",
                "/ui/favicon.svg")) {
            HttpResponse<byte[]> r = api.bytes(path);
            if (path.equals("/v1/wallet")) { // its chain never answers: whatever it says is searched
                assertTrue(r.statusCode() != 404, "the node runs its wallet: " + new String(r.body(),
                        StandardCharsets.UTF_8));
            } else {
                assertEquals(200, r.statusCode(), path + ": " + new String(r.body(), StandardCharsets.UTF_8));
            }
            out.put("GET " + path, r.body());
        }
        Path cliLog = markdown.resolveSibling("export.log");
        Map<String, String> cliEnv = new LinkedHashMap<>(env);
        cliEnv.put(ApiToken.ENV, api.token());
        assertEquals(0, NodeProcess.runCli(cliLog, cliEnv, "state", "export", "--home", home.toString(), "--http",
                "127.0.0.1:" + httpPort, "--markdown", markdown.toString(), "--automerge", automerge.toString()),
                NodeProcess.read(cliLog));
        addFiles(out, "markdown/", markdown);
        out.put("automerge export", Files.readAllBytes(automerge));
        addFiles(out, "backup raw ", nas);
        List<RecipientStanzaReader> readers = List.of(X25519RecipientStanzaReaderFactory.newRecipientStanzaReader(
                BackupKeys.operationalIdentity(IdentityDirectory.of(home.resolve("identity"))
                        .readBackupKey(Optional.of(passphrase.toCharArray()))).secretKeyText()));
        try (Stream<Path> files = Files.walk(nas)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                byte[] raw = Files.readAllBytes(f);
                if (!new String(raw, 0, Math.min(raw.length, 21), StandardCharsets.US_ASCII)
                        .equals("age-encryption.org/v1")) {
                    continue; // a lease or a grant: already searched raw
                }
                try (InputStream in = Channels.newInputStream(new StandardDecryptingChannelFactory()
                        .newDecryptingChannel(Channels.newChannel(new ByteArrayInputStream(raw)), readers))) {
                    out.put("decrypted " + nas.relativize(f), in.readAllBytes());
                }
            }
        }
        addFiles(out, "state dir ", home.resolve("state"));
        out.put("node log", Files.readAllBytes(log));
        return out;
    }

    private static void addFiles(Map<String, byte[]> out, String label, Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                out.put(label + root.relativize(f), Files.readAllBytes(f));
            }
        }
    }

    /** "secret in place" for each secret (whole, or any 16-character piece of it) found in a place. */
    private static List<String> search(Map<String, byte[]> places, Map<String, String> secrets) {
        List<String> hits = new ArrayList<>();
        places.forEach((place, bytes) -> {
            String text = new String(bytes, StandardCharsets.ISO_8859_1); // byte for byte
            secrets.forEach((name, secret) -> {
                for (int i = 0; i + 16 <= secret.length(); i += 4) {
                    if (text.contains(secret.substring(i, i + 16))) {
                        hits.add(name + " in " + place + ": (at piece " + i + ")");
                        return;
                    }
                }
            });
        });
        return hits;
    }

    private static Process startFake(Path dir) throws IOException {
        return new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(), FAKE.toString(),
                "--port", "0", "--port-file", dir.resolve("fake.port").toString(), "--exit-on-stdin-eof")
                .redirectErrorStream(true).redirectOutput(dir.resolve("fake.log").toFile()).start();
    }

    private static boolean serving(Api api) {
        try {
            HttpResponse<String> r = api.send("GET", "/v1/llm/status", null);
            return r.statusCode() == 200 && r.body().contains("\"serving\":true");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private record Api(int port, String token) {
        HttpResponse<String> send(String method, String path, String body) throws IOException, InterruptedException {
            return HTTP.send(request(path).method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        }

        HttpResponse<byte[]> bytes(String path) throws IOException, InterruptedException {
            return HTTP.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        }

        private HttpRequest.Builder request(String path) {
            return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + token);
        }
    }
}
