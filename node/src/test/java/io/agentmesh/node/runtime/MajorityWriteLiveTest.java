package io.agentmesh.node.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.protocol.identity.IdentityDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Majority-durable writes with real processes on loopback: three voters; a write with {@code ?durability=majority}
 * at a is answered, then b and c are killed with kill -9 at once, and so is a; b and c restart alone (a stays down)
 * and hold the write. In between, a write a makes alone is answered 503 with what became of it, and replicates once
 * the others are back.
 */
class MajorityWriteLiveTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(60);

    private record Member(String name, Path home, String id, int mesh, int http) {
        String peer() {
            return id + "@127.0.0.1:" + mesh;
        }
    }

    @Test
    void aMajorityAcknowledgedWriteSurvivesKillNineOfTheOtherTwoAndOfTheWriter(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("cli.log");
        Path rootHome = dir.resolve("a");
        assertEquals(0, NodeProcess.runCli(log, "init", "--home", rootHome.toString(), "--quiet-phrase"),
                NodeProcess.read(log));
        Member a = member("a", rootHome);
        Member b = enroll(dir, log, rootHome, "b");
        Member c = enroll(dir, log, rootHome, "c");
        List<NodeProcess> running = new ArrayList<>();
        try {
            NodeProcess pa = start(a, dir, running, b, c);
            NodeProcess pb = start(b, dir, running, a, c);
            NodeProcess pc = start(c, dir, running, a, b);
            Set<String> all = Set.of(a.id(), b.id(), c.id());
            await().atMost(WAIT).until(() -> voters(pa).equals(all) && voters(pb).equals(all)
                    && voters(pc).equals(all));

            HttpResponse<String> unknown = pa.post("/v1/memory?durability=quorum", "{\"text\":\"never\"}");
            assertEquals(400, unknown.statusCode(), unknown.body());
            assertTrue(unknown.body().contains("durability must be 'local' or 'majority'"), unknown.body());
            assertEquals(0, JSON.readTree(pa.get("/v1/status").body()).path("memoryEntries").asLong());

            HttpResponse<String> acknowledged = pa.post("/v1/memory?durability=majority",
                    "{\"text\":\"on a majority\"}");
            pb.kill9();
            pc.kill9();
            running.remove(pb);
            running.remove(pc);
            assertEquals(201, acknowledged.statusCode(), acknowledged.body());
            String kept = JSON.readTree(acknowledged.body()).path("id").asText();

            long t0 = System.nanoTime();
            HttpResponse<String> alone = pa.post("/v1/memory?durability=majority", "{\"text\":\"alone\"}");
            long waitedMs = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(503, alone.statusCode(), alone.body());
            assertTrue(alone.body().contains("durable on this node, not yet acknowledged by a majority"),
                    alone.body());
            assertTrue(waitedMs >= 4_900, "answered after " + waitedMs + " ms");
            JsonNode aloneEntries = JSON.readTree(pa.get("/v1/memory").body()).path("entries");
            String aloneId = null;
            for (JsonNode e : aloneEntries) {
                if (e.path("text").asText().equals("alone")) {
                    aloneId = e.path("id").asText();
                }
            }
            assertTrue(aloneId != null, "the timed-out write is durable on the writer: " + aloneEntries);

            pa.kill9();
            running.remove(pa);
            NodeProcess pb2 = start(b, dir, running, a, c);
            NodeProcess pc2 = start(c, dir, running, a, b);
            await().atMost(WAIT).until(() -> memoryIds(pb2).contains(kept) && memoryIds(pc2).contains(kept));

            NodeProcess pa2 = start(a, dir, running, b, c);
            String lateId = aloneId;
            await().atMost(WAIT).until(() -> memoryIds(pb2).contains(lateId) && memoryIds(pc2).contains(lateId)
                    && memoryIds(pa2).contains(kept));
        } finally {
            for (NodeProcess p : running) {
                p.kill9();
            }
        }
    }

    private static Set<String> memoryIds(NodeProcess p) {
        Set<String> out = new TreeSet<>();
        try {
            HttpResponse<String> r = p.get("/v1/memory?limit=1000");
            if (r.statusCode() == 200) {
                JSON.readTree(r.body()).path("entries").forEach(e -> out.add(e.path("id").asText()));
            }
        } catch (IOException | InterruptedException e) {
            // not serving yet
        }
        return out;
    }

    private static NodeProcess start(Member m, Path dir, List<NodeProcess> running, Member... peers)
            throws IOException {
        List<String> args = new ArrayList<>();
        for (Member p : peers) {
            args.add("--peer");
            args.add(p.peer());
        }
        NodeProcess p = NodeProcess.start(m.home(), m.mesh(), m.http(), dir.resolve(m.name() + ".log"),
                args.toArray(String[]::new));
        running.add(p);
        return p;
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
        return member(name, home);
    }

    private static Member member(String name, Path home) throws Exception {
        return new Member(name, home, IdentityDirectory.of(home.resolve("identity")).nodeId().toString(),
                KillNineRestartTest.freePort(), KillNineRestartTest.freePort());
    }

    private static Set<String> voters(NodeProcess p) {
        Set<String> out = new TreeSet<>();
        try {
            JSON.readTree(p.get("/v1/status").body()).path("consensus").path("voters")
                    .forEach(v -> out.add(v.asText()));
        } catch (IOException | InterruptedException e) {
            // not serving yet
        }
        return out;
    }
}
