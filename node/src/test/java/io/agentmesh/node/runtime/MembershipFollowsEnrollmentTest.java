package io.agentmesh.node.runtime;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static io.agentmesh.node.runtime.CliAgent.leader;
import static io.agentmesh.node.runtime.CliAgent.voters;
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

    @Test
    void aNodeEnrolledIntoARunningTwoNodeAgentBecomesAVoterAndTheGroupSurvivesLosingTheOldLeader(@TempDir Path dir)
            throws Exception {
        try (CliAgent agent = new CliAgent(dir, "a")) {
            CliAgent.Member a = agent.founder;
            CliAgent.Member b = agent.enroll("b", "voter");
            CliAgent.Member c = agent.enroll("c", "voter");
            NodeProcess pa = agent.start(a, b);
            NodeProcess pb = agent.start(b, a);
            await().atMost(WAIT).until(() -> voters(pa).equals(Set.of(a.id(), b.id()))
                    && voters(pb).equals(Set.of(a.id(), b.id())) && leader(pa) != null);

            // The new node knows one peer only: it must join the group, not found one of its own with that peer.
            NodeProcess pc = agent.start(c, a);
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
        }
    }
}
