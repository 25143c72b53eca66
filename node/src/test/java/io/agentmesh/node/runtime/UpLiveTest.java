package io.agentmesh.node.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.node.cli.AgentmeshCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
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
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's first command as a newcomer runs it: `agentmesh up` starts three node processes and the example agent
 * on the leader; kill -9 of the leader's node moves the agent to another node, which resumes the counter from the
 * mirrored files; the agent's LLM calls go through its node to the fake LLM `up` started; `up` restarts the killed
 * node; SIGTERM to `up` stops every node and the fake LLM.
 */
class UpLiveTest {
    private static final Pattern LEADER = Pattern.compile(
            "leader: (node\\d) \\(pid (\\d+)\\), term (\\d+); agent running \\(pid (\\d+)\\)");

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @Test
    void theExampleAgentMovesToAnotherNodeWhenTheLeadersNodeIsKilledAndResumesFromItsFiles() throws Exception {
        Path examples = Path.of("..", "examples").toAbsolutePath().normalize();
        assertTrue(Files.isRegularFile(examples.resolve("counter-agent/agent.sh")), "run from the node module");
        int base = freeBase();
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                AgentmeshCommand.class.getName(), "up", "--dir", dir.resolve("mesh").toString(),
                "--mesh-port", Integer.toString(base), "--http-port", Integer.toString(base + 10),
                "--relays", "0", "--restart-after-ms", "1000"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("AGENTMESH_EXAMPLES", examples.toString());
        pb.environment().put("BEAT_SECONDS", "1");
        Process up = pb.start();
        List<String> lines = new CopyOnWriteArrayList<>();
        Thread reader = Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(up.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    lines.add(line);
                }
            } catch (IOException e) {
                lines.add("(reader: " + e + ")");
            }
        });
        List<Long> nodePids = new ArrayList<>();
        try {
            Matcher first = await("the agent running on a leader").atMost(Duration.ofSeconds(120))
                    .pollInterval(Duration.ofMillis(200)).until(() -> lastLeader(lines), Optional::isPresent).get();
            for (String l : lines) {
                Matcher m = Pattern.compile("^  node\\d  pid (\\d+) ").matcher(l);
                if (m.find()) {
                    nodePids.add(Long.parseLong(m.group(1)));
                }
            }
            assertEquals(3, nodePids.size(), String.join("\n", lines));
            String oldLeader = first.group(1);
            Path oldCounter = dir.resolve("mesh").resolve(oldLeader).resolve("workspace/counter.txt");
            await("the agent counts").atMost(Duration.ofSeconds(30)).until(() -> counter(oldCounter) >= 3);
            Path memory = dir.resolve("mesh").resolve(oldLeader).resolve("workspace/memory");
            await("the agent's LLM call through its node answered by the fake LLM").atMost(Duration.ofSeconds(60))
                    .until(() -> memoryText(memory).contains("LLM fake-small said: Fake reply to \"Beat "));
            // A follower's replica of the call ledger shows the call and its cost; it serves no calls itself.
            int follower = oldLeader.equals("node1") ? 2 : 1;
            String followerApi = "http://127.0.0.1:" + (base + 10 + follower - 1);
            await("a follower counts the agent's LLM call").atMost(Duration.ofSeconds(30))
                    .until(() -> json(followerApi + "/v1/llm/costs?days=1").path("totals").path("callsAnswered")
                            .asLong() >= 1);
            JsonNode followerStatus = json(followerApi + "/v1/llm/status");
            assertFalse(followerStatus.path("serving").asBoolean(), followerStatus.toString());
            assertTrue(followerStatus.path("today").path("chargedNanoUsd").asLong() > 0, followerStatus.toString());
            assertTrue(followerStatus.path("targets").get(0).path("recent").path("attempts").asLong() >= 1,
                    followerStatus.toString());

            ProcessHandle.of(Long.parseLong(first.group(2))).orElseThrow().destroyForcibly();

            Matcher next = await("the agent running on another node").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> lastLeader(lines), m -> m.isPresent() && !m.get().group(1).equals(oldLeader)).get();
            Path newCounter = dir.resolve("mesh").resolve(next.group(1)).resolve("workspace/counter.txt");
            long resumedFrom = counter(newCounter);
            assertTrue(resumedFrom >= 3, "the new instance starts from the mirrored counter, not from 0: "
                    + resumedFrom);
            await("the agent counts on").atMost(Duration.ofSeconds(30)).until(() -> counter(newCounter) > resumedFrom);
            String agentLog = Files.readString(dir.resolve("mesh").resolve(next.group(1)).resolve("node.log"));
            assertFalse(agentLog.contains("resuming at beat 0"), agentLog);
            await("up restarts the killed node").atMost(Duration.ofSeconds(60))
                    .until(() -> lines.stream().anyMatch(l -> l.startsWith(oldLeader + " restarted, pid ")));
        } finally {
            up.destroy();
            boolean stopped = up.waitFor(60, TimeUnit.SECONDS);
            if (!stopped) {
                up.destroyForcibly();
            }
            reader.join(5_000);
            for (String l : lines) {
                Matcher fake = Pattern.compile("^  fake LLM  pid (\\d+) ").matcher(l);
                if (fake.find()) {
                    nodePids.add(Long.parseLong(fake.group(1)));
                }
                Matcher m = Pattern.compile(" restarted, pid (\\d+)").matcher(l);
                if (m.find()) {
                    nodePids.add(Long.parseLong(m.group(1)));
                }
            }
            List<Long> alive = nodePids.stream().filter(p -> ProcessHandle.of(p).map(ProcessHandle::isAlive)
                    .orElse(false)).toList();
            alive.forEach(p -> ProcessHandle.of(p).ifPresent(ProcessHandle::destroyForcibly));
            assertTrue(stopped, "up stops within 60 s of SIGTERM");
            assertEquals(List.of(), alive, "SIGTERM to up stops every node it started, and the fake LLM");
        }
    }

    private static Optional<Matcher> lastLeader(List<String> lines) {
        for (int i = lines.size() - 1; i >= 0; i--) {
            Matcher m = LEADER.matcher(lines.get(i));
            if (m.find()) {
                return Optional.of(m);
            }
            if (lines.get(i).startsWith("leader: ")) {
                return Optional.empty(); // the newest leader line has no running agent yet
            }
        }
        return Optional.empty();
    }

    private static JsonNode json(String url) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                .build(), HttpResponse.BodyHandlers.ofString());
        return new ObjectMapper().readTree(r.body());
    }

    private static String memoryText(Path memoryDir) {
        try (var files = Files.list(memoryDir)) {
            StringBuilder b = new StringBuilder();
            for (Path f : files.toList()) {
                b.append(Files.readString(f));
            }
            return b.toString();
        } catch (IOException e) {
            return "";
        }
    }

    private static long counter(Path file) {
        try {
            String digits = Files.readString(file).replaceAll("[^0-9]", "");
            return digits.isEmpty() ? 0 : Long.parseLong(digits);
        } catch (IOException e) {
            return 0;
        }
    }

    /** A base port with the 3 mesh ports and the 3 HTTP ports 10 above free now. */
    private static int freeBase() throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            int base = ThreadLocalRandom.current().nextInt(20_000, 60_000);
            if (free(base, 3) && free(base + 10, 3)) {
                return base;
            }
        }
        throw new IOException("no free ports found for the local mesh");
    }

    private static boolean free(int first, int count) {
        for (int p = first; p < first + count; p++) {
            try (ServerSocket s = new ServerSocket(p, 1, java.net.InetAddress.getLoopbackAddress())) {
                s.setReuseAddress(true);
            } catch (IOException e) {
                return false;
            }
        }
        return true;
    }
}
