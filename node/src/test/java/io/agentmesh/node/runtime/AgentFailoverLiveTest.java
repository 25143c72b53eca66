package io.agentmesh.node.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.protocol.identity.IdentityDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three real `node run` processes, each with a workspace and the same small shell agent, which appends "start", "beat"
 * and "stop" lines (node, time in ms, fence) with one clock to a file outside the mesh. The node running the agent is
 * killed with -9 again and again (and restarted); from the file: a new instance starts after every kill, under a new
 * fence, and no two instances ever overlap (the start bound leaves none with healthy node threads, docs/agents.md).
 * This is issue 11's live test: 20 kills by default ({@code -Dagentmesh.agentKills=N} runs another number). Each exec
 * action performed once is not checked here (the agent requests none); {@code bench agent} measures the same kills'
 * downtime over 30 rounds (docs/benchmarks.md).
 */
class AgentFailoverLiveTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(60);
    /** The overlap the start bound allows between two instances when no node thread pauses: none. */
    static final long OVERLAP_BOUND_MS = 0;

    private record Member(String name, Path home, String id, int mesh, int http, Path workspace) {
        String peer() {
            return id + "@127.0.0.1:" + mesh;
        }
    }

    /** One line of the agents' file. */
    record Event(String kind, String node, long ms, String fence) {
        static Event parse(String line) {
            String[] p = line.trim().split(" ");
            if (p.length != 4) {
                throw new IllegalArgumentException("malformed line '" + line + "'");
            }
            return new Event(p[0], p[1], Long.parseLong(p[2]), p[3]);
        }
    }

    /** An agent instance as the file shows it: its first and last line. */
    record Instance(String fence, String node, long startMs, long lastMs, boolean stopped) {
    }

    static final String AGENT = String.join("\n",
            "events=\"$1\"",
            "n=\"$AGENTMESH_NODE_ID\"; f=\"$AGENTMESH_FENCE\"",
            "echo \"start $n $(date +%s%3N) $f\" >> \"$events\"",
            "trap 'echo \"stop $n $(date +%s%3N) $f\" >> \"$events\"; exit 0' TERM",
            "while :; do echo \"beat $n $(date +%s%3N) $f\" >> \"$events\"; sleep 0.05; done",
            "");

    @Test
    void killingTheLeadersNodeRepeatedlyStartsANewInstanceElsewhereEachTimeAndNeverTwoAtOnce(@TempDir Path dir)
            throws Exception {
        int kills = Integer.getInteger("agentmesh.agentKills", 20);
        Path log = dir.resolve("cli.log");
        Path events = dir.resolve("events");
        Path script = dir.resolve("agent.sh");
        Files.writeString(script, AGENT);
        Path rootHome = dir.resolve("a");
        assertEquals(0, NodeProcess.runCli(log, "init", "--home", rootHome.toString(), "--quiet-phrase"),
                NodeProcess.read(log));
        List<Member> members = new ArrayList<>(List.of(member(dir, "a", rootHome), enroll(dir, log, rootHome, "b"),
                enroll(dir, log, rootHome, "c")));
        Map<Member, NodeProcess> running = new LinkedHashMap<>();
        List<Long> downtimesMs = new ArrayList<>();
        java.util.Set<String> stopReasons = new java.util.LinkedHashSet<>();
        try {
            for (Member m : members) {
                running.put(m, start(m, dir, script, events, members));
            }
            await().atMost(WAIT).until(() -> instances(events).size() == 1);
            for (int k = 0; k < kills; k++) {
                Member victim = awaitRunner(running);
                running.forEach((m, p) -> stopReasons.add(m.name() + ": " + status(p).path("agentProcess")
                        .path("lastStopReason").asText("-")));
                int before = instances(events).size();
                long killedAt = System.currentTimeMillis();
                running.remove(victim).kill9();
                awaitUntil("a new instance after kill " + (k + 1) + " of " + victim.name(),
                        () -> instances(events).size() > before, running);
                Instance next = instances(events).get(before);
                downtimesMs.add(next.startMs() - killedAt);
                assertTrue(!next.node().equals(victim.id()), "the new instance runs elsewhere");
                // Back to three nodes, the restarted one following with the leader's log.
                NodeProcess restarted = start(victim, dir, script, events, members);
                running.put(victim, restarted);
                awaitUntil("the restarted node " + victim.name() + " follows", () -> {
                    JsonNode c = consensus(restarted);
                    return c.path("role").asText().equals("follower") && c.path("leader").isTextual();
                }, running);
            }
            List<Instance> all = instances(events);
            System.out.println("agent failover: " + kills + " kills of the agent's node; kill -9 to the new instance's"
                    + " start (ms): " + downtimesMs + "; instances: " + all + "; stop reasons seen: " + stopReasons);
            // At least one per kill plus the first; an election under CPU load may move the agent once more.
            assertTrue(all.size() >= kills + 1, "one instance per kill, plus the first: " + all);
            for (int i = 0; i + 1 < all.size(); i++) {
                Instance old = all.get(i);
                Instance next = all.get(i + 1);
                assertTrue(old.lastMs() <= next.startMs() + OVERLAP_BOUND_MS, "instance " + old + " wrote "
                        + (old.lastMs() - next.startMs()) + " ms after " + next + " started");
                assertTrue(next.fence().compareTo(old.fence()) != 0, "every run has its own fence");
            }
            for (long d : downtimesMs) {
                assertTrue(d > 0 && d < 20_000, "downtime " + d + " ms");
            }
        } finally {
            for (NodeProcess p : running.values()) {
                p.kill9();
            }
        }
    }

    /** The member whose node runs the agent now. */
    private static Member awaitRunner(Map<Member, NodeProcess> running) {
        Member[] found = new Member[1];
        awaitUntil("a node runs the agent", () -> {
            for (Map.Entry<Member, NodeProcess> e : running.entrySet()) {
                if (agentState(e.getValue()).equals("running")) {
                    found[0] = e.getKey();
                    return true;
                }
            }
            return false;
        }, running);
        return found[0];
    }

    /** Instances in start order, from the file (a partly written last line is left for the next read). */
    static List<Instance> instances(Path events) throws IOException {
        Map<String, Instance> byFence = new LinkedHashMap<>();
        if (!Files.exists(events)) {
            return List.of();
        }
        String text = Files.readString(events);
        int end = text.lastIndexOf('\n');
        if (end < 0) {
            return List.of();
        }
        for (String line : text.substring(0, end).split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            Event e = Event.parse(line);
            Instance i = byFence.get(e.fence());
            if (i == null) {
                if (!e.kind().equals("start")) {
                    throw new AssertionError("instance " + e.fence() + " wrote '" + line + "' before its start line");
                }
                byFence.put(e.fence(), new Instance(e.fence(), e.node(), e.ms(), e.ms(), false));
            } else {
                byFence.put(e.fence(), new Instance(i.fence(), i.node(), i.startMs(), Math.max(i.lastMs(), e.ms()),
                        i.stopped() || e.kind().equals("stop")));
            }
        }
        List<Instance> out = new ArrayList<>(byFence.values());
        out.sort(java.util.Comparator.comparingLong(Instance::startMs));
        return out;
    }

    private static NodeProcess start(Member m, Path dir, Path script, Path events, List<Member> members)
            throws IOException {
        List<String> args = new ArrayList<>();
        for (Member p : members) {
            if (!p.equals(m)) {
                args.add("--peer");
                args.add(p.peer());
            }
        }
        args.addAll(List.of("--workspace", m.workspace().toString(), "--", "sh", script.toString(),
                events.toString()));
        return NodeProcess.start(m.home(), m.mesh(), m.http(), dir.resolve(m.name() + ".log"),
                args.toArray(String[]::new));
    }

    private static Member enroll(Path dir, Path log, Path rootHome, String name) throws Exception {
        Path home = dir.resolve(name);
        assertEquals(0, NodeProcess.runCli(log, "node", "keygen", "--home", home.toString()), NodeProcess.read(log));
        IdentityDirectory ids = IdentityDirectory.of(home.resolve("identity"));
        Path cert = dir.resolve(name + "-cert.json");
        assertEquals(0, NodeProcess.runCli(log, "node", "enroll", "--home", rootHome.toString(), "--public-key",
                ids.nodePublicKey().hex(), "--role", "voter", "--out", cert.toString()), NodeProcess.read(log));
        assertEquals(0, NodeProcess.runCli(log, "node", "join", "--home", home.toString(), "--certificate",
                cert.toString()), NodeProcess.read(log));
        return member(dir, name, home);
    }

    private static Member member(Path dir, String name, Path home) throws Exception {
        return new Member(name, home, IdentityDirectory.of(home.resolve("identity")).nodeId().toString(),
                KillNineRestartTest.freePort(), KillNineRestartTest.freePort(),
                Files.createDirectories(dir.resolve(name + "-workspace")));
    }

    private static JsonNode status(NodeProcess p) {
        try {
            return JSON.readTree(p.get("/v1/status").body());
        } catch (IOException | InterruptedException e) {
            return JSON.createObjectNode();
        }
    }

    private static JsonNode consensus(NodeProcess p) {
        return status(p).path("consensus");
    }

    private static String agentState(NodeProcess p) {
        return status(p).path("agentProcess").path("state").asText("");
    }

    private static void awaitUntil(String what, java.util.concurrent.Callable<Boolean> condition,
                                   Map<Member, NodeProcess> running) {
        try {
            await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).until(condition);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            StringBuilder b = new StringBuilder("timed out waiting until " + what + "; status:");
            running.forEach((m, p) -> b.append("\n  ").append(m.name()).append(": consensus ").append(consensus(p))
                    .append(" agent ").append(status(p).path("agentProcess")));
            throw new AssertionError(b.toString(), e);
        }
    }
}
