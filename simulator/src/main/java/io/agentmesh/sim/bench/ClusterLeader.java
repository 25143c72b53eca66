package io.agentmesh.sim.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentmesh.sim.live.LiveCluster;
import io.agentmesh.sim.live.NodeClient;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The leader a live cluster agrees on, read from every node's {@code /v1/status}: the failover and step-down rounds
 * start only from a cluster whose running nodes all name one leader in one term, so a round never measures the tail
 * of the previous one.
 *
 * @param index the leader's index in the cluster
 * @param id    its node id, as the nodes name it
 * @param term  the term every node reported
 */
record ClusterLeader(int index, String id, long term) {
    private static final Duration STATUS_TIMEOUT = Duration.ofSeconds(5);

    /** The {@code consensus} block of {@code n}'s status, or null when it does not answer (down, busy, no consensus). */
    static JsonNode consensus(LiveCluster.Node n, Duration timeout) {
        try {
            NodeClient.Response r = n.client().get("/v1/status", timeout);
            if (!r.ok() || !r.body().has("consensus")) {
                return null;
            }
            return r.body().get("consensus");
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Whether the consensus block names a leader that is not {@code formerLeaderId}. */
    static boolean namesLeaderOtherThan(JsonNode consensus, String formerLeaderId) {
        JsonNode leader = consensus.path("leader");
        return leader.isTextual() && !leader.asText().equals(formerLeaderId);
    }

    /** Whether the consensus block says its node leads. */
    static boolean leads(JsonNode consensus) {
        return "leader".equals(consensus.path("role").asText());
    }

    /** Every node's consensus block (null: no answer), asked all at once so the answers describe one moment. */
    private static List<JsonNode> sweep(List<LiveCluster.Node> nodes) throws InterruptedException {
        JsonNode[] out = new JsonNode[nodes.size()];
        List<Thread> asks = new ArrayList<>();
        for (LiveCluster.Node n : nodes) {
            asks.add(Thread.ofVirtual().start(() -> out[n.index()] = consensus(n, STATUS_TIMEOUT)));
        }
        for (Thread t : asks) {
            t.join();
        }
        return Arrays.asList(out);
    }

    /**
     * The leader every running node names, with one term (and, in a cluster with a witness, every node at the same
     * applied log index); waits until they agree or {@code timeout} passes. A witness that every node names as leader
     * is an error, not a leader to measure.
     */
    static ClusterLeader awaitAgreed(LiveCluster c, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer yet";
        while (System.nanoTime() < deadline) {
            Set<String> leaders = new HashSet<>();
            Set<Long> terms = new HashSet<>();
            Set<Long> applied = new HashSet<>();
            int selfLeader = -1;
            boolean all = true;
            StringBuilder seen = new StringBuilder();
            List<JsonNode> sweep = sweep(c.nodes());
            for (LiveCluster.Node n : c.nodes()) {
                JsonNode cons = sweep.get(n.index());
                if (cons == null) {
                    all = false;
                    seen.append(n.name()).append(": no answer; ");
                    continue;
                }
                leaders.add(cons.path("leader").asText(""));
                terms.add(cons.path("term").asLong());
                applied.add(cons.path("appliedIndex").asLong(-1));
                seen.append(n.name()).append(": ").append(cons.path("role").asText()).append(" term ")
                        .append(cons.path("term").asLong()).append(" applied ")
                        .append(cons.path("appliedIndex").asLong(-1)).append("; ");
                if (leads(cons)) {
                    selfLeader = n.index();
                }
            }
            last = seen.toString();
            // With a witness, a server that names the leader may still lack entries the witness holds (a restarted
            // server catching up): the witness would refuse it its vote, so a round starting then would measure the
            // catch-up, not the failover. Such a cluster has settled once every node applied the same index.
            boolean caughtUp = c.witnesses().isEmpty() || applied.size() == 1;
            if (all && selfLeader >= 0 && leaders.size() == 1 && terms.size() == 1 && caughtUp
                    && c.node(selfLeader).id().toString().equals(leaders.iterator().next())) {
                if (!c.node(selfLeader).holdsState()) {
                    // A witness never leads (docs/consensus.md): no round may start from, or measure, that.
                    throw new IllegalStateException("the witness " + c.node(selfLeader).name() + " leads term "
                            + terms.iterator().next() + "; a witness must never lead (" + last + ")");
                }
                return new ClusterLeader(selfLeader, leaders.iterator().next(), terms.iterator().next());
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("the nodes did not agree on a leader within " + timeout.toSeconds()
                + " s; last seen: " + last);
    }
}
