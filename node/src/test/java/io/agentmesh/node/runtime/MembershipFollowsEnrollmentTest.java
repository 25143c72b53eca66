package io.agentmesh.node.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.protocol.identity.IdentityDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Enrolling a node into a running agent makes it a voter, as a user would do it: separate `node run` processes, the
 * CLI's keygen / enroll / join, and a new node given only one peer. Then the old leader is killed and the group, now
 * three voters, still elects a leader and performs an action: the new node's vote counts.
 */
class MembershipFollowsEnrollmentTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(60);

    private record Member(String name, Path home, String id, int mesh, int http) {
        String peer() {
            return id + "@127.0.0.1:" + mesh;
        }
    }

    @Test
    void aNodeEnrolledIntoARunningTwoNodeAgentBecomesAVoterAndTheGroupSurvivesLosingTheOldLeader(@TempDir Path dir)
            throws Exception {
        Path log = dir.resolve("cli.log");
        Path rootHome = dir.resolve("a");
        assertEquals(0, NodeProcess.runCli(log, "init", "--home", rootHome.toString(), "--quiet-phrase"),
                NodeProcess.read(log));
        Member a = member("a", rootHome);
        Member b = enroll(dir, log, rootHome, "b");
        Member c = enroll(dir, log, rootHome, "c");
        List<NodeProcess> running = new ArrayList<>();
        try {
            NodeProcess pa = NodeProcess.start(a.home(), a.mesh(), a.http(), dir.resolve("a.log"), "--peer", b.peer());
            running.add(pa);
            NodeProcess pb = NodeProcess.start(b.home(), b.mesh(), b.http(), dir.resolve("b.log"), "--peer", a.peer());
            running.add(pb);
            await().atMost(WAIT).until(() -> voters(pa).equals(Set.of(a.id(), b.id()))
                    && voters(pb).equals(Set.of(a.id(), b.id())) && leader(pa) != null);

            // The new node knows one peer only: it must join the group, not found one of its own with that peer.
            NodeProcess pc = NodeProcess.start(c.home(), c.mesh(), c.http(), dir.resolve("c.log"), "--peer", a.peer());
            running.add(pc);
            Set<String> all = Set.of(a.id(), b.id(), c.id());
            await().atMost(WAIT).until(() -> voters(pa).equals(all) && voters(pb).equals(all)
                    && voters(pc).equals(all));

            String leader = leader(pa);
            NodeProcess killed = leader.equals(a.id()) ? pa : leader.equals(b.id()) ? pb : pc;
            killed.kill9();
            List<NodeProcess> survivors = new ArrayList<>(List.of(pa, pb, pc));
            survivors.remove(killed);
            await().atMost(WAIT).until(() -> {
                String l = leader(survivors.get(0));
                return l != null && !l.equals(leader) && l.equals(leader(survivors.get(1)));
            });
            var posted = survivors.get(0).post("/v1/intents", "{\"kind\":\"job\",\"payload\":{\"n\":1}}");
            assertEquals(201, posted.statusCode(), posted.body());
            String intent = JSON.readTree(posted.body()).path("id").asText();
            await().atMost(WAIT).until(() -> !JSON.readTree(survivors.get(1).get("/v1/intents/" + intent).body())
                    .path("outcome").isNull());
        } finally {
            for (NodeProcess p : running) {
                p.kill9();
            }
        }
    }

    private static Member enroll(Path dir, Path log, Path rootHome, String name) throws Exception {
        Path home = dir.resolve(name);
        assertEquals(0, NodeProcess.runCli(log, "node", "keygen", "--home", home.toString()), NodeProcess.read(log));
        IdentityDirectory ids = IdentityDirectory.of(home.resolve("identity"));
        Path cert = dir.resolve(name + "-cert.json");
        assertEquals(0, NodeProcess.runCli(log, "node", "enroll", "--home", rootHome.toString(), "--public-key",
                ids.nodePublicKey().hex(), "--out", cert.toString()), NodeProcess.read(log));
        assertEquals(0, NodeProcess.runCli(log, "node", "join", "--home", home.toString(), "--certificate",
                cert.toString()), NodeProcess.read(log));
        return member(name, home);
    }

    private static Member member(String name, Path home) throws Exception {
        return new Member(name, home, IdentityDirectory.of(home.resolve("identity")).nodeId().toString(),
                KillNineRestartTest.freePort(), KillNineRestartTest.freePort());
    }

    private static Set<String> voters(NodeProcess p) {
        try {
            JsonNode c = JSON.readTree(p.get("/v1/status").body()).path("consensus");
            Set<String> out = new TreeSet<>();
            c.path("voters").forEach(v -> out.add(v.asText()));
            return out;
        } catch (IOException | InterruptedException e) {
            return Set.of();
        }
    }

    private static String leader(NodeProcess p) {
        try {
            JsonNode l = JSON.readTree(p.get("/v1/status").body()).path("consensus").path("leader");
            return l.isTextual() ? l.asText() : null;
        } catch (IOException | InterruptedException e) {
            return null;
        }
    }
}
