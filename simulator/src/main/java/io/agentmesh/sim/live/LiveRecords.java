package io.agentmesh.sim.live;

import java.util.Map;

/**
 * What only a live run records, kept in {@link io.agentmesh.sim.check.History#record} under these types beside the
 * shared vocabulary ({@link io.agentmesh.sim.check.ConsensusRecords}): the harness's status samples and view of the
 * network (read by {@link LeaderLivenessChecker} and the report), and the raw intent requests and performed lines the
 * report lists. Times are milliseconds since the start of the run.
 */
public final class LiveRecords {
    private LiveRecords() {
    }

    /**
     * One answer to GET /v1/status (or its absence: {@code up} false).
     *
     * @param role     consensus role, lower case ("leader", "follower", "candidate"...), or null
     * @param leader   node id of the leader this node knows of, or null
     * @param vector   actor hex to highest durable seq
     * @param rejected changes this process rejected so far (resets when the process restarts)
     * @param incarnationStart when the process that answered was started (ms), to tell restarts apart
     * @param appliedIndex     highest Raft log index the node applied, -1 when unknown
     */
    public record StatusSample(long atMs, String node, boolean up, String role, String leader, long term,
                               long changes, Map<String, Long> vector, long rejected, long completed, int pending,
                               int inFlight, long incarnationStart, long appliedIndex) {
        public StatusSample {
            vector = vector == null ? Map.of() : Map.copyOf(vector);
        }

        public boolean isLeader() {
            return "leader".equals(role);
        }
    }

    /**
     * The peers {@code node}'s status listed without a live link ("link" other than "up": its failure detector gave
     * up on them, or they were not dialed back yet), in the status round of {@code roundAtMs}, answered at
     * {@code answeredAtMs}. Recorded only when some are down. The node's action coordinator treats exactly these as
     * out of reach when it decides whether to wait for a deposed holder.
     */
    public record LinksDown(long roundAtMs, long answeredAtMs, String node, java.util.Set<String> down) {
        public LinksDown {
            down = java.util.Set.copyOf(down);
        }
    }

    /**
     * An intent the workload asked a node for. {@code id} is null when the node did not acknowledge it (then
     * {@code error} says why); {@code seq} is in the payload, so a performed line can be traced back even then.
     */
    public record IntentRequest(long seq, String node, long invokedMs, long ackedMs, String id, String error) {
        public boolean acknowledged() {
            return id != null;
        }
    }

    /** One line of a node's performed.jsonl: the outside world's record of a job. */
    public record Performed(String intent, String node, long term, long index, long timeMillis, String payload,
                            String file) {
    }

    /**
     * The harness's own view of the network from {@code atMs} on (until the next one): which nodes were up (their
     * process ready and not stopped), which links were cut, and which had only their direct path cut (relays may
     * still carry them), as "n1-n2" pairs.
     */
    public record Topology(long atMs, java.util.Set<String> up, java.util.Set<String> cuts,
                           java.util.Set<String> directCuts) {
        public Topology {
            up = java.util.Set.copyOf(up);
            cuts = java.util.Set.copyOf(cuts);
            directCuts = java.util.Set.copyOf(directCuts);
        }

        public static String link(String a, String b) {
            return a.compareTo(b) < 0 ? a + "-" + b : b + "-" + a;
        }
    }
}
