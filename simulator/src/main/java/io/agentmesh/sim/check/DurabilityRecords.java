package io.agentmesh.sim.check;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Majority-durable writes and catch-ups from a majority, kept in {@link History#record} under these types. Nodes are
 * named as in {@link History#nodes()}. What a node holds is read from its disk (what is fsynced there), never from
 * what the node core says about itself.
 */
public final class DurabilityRecords {
    private DurabilityRecords() {
    }

    /**
     * A write {@code node} acknowledged as majority-durable (History's write {@code writeId}, change (actor hex,
     * seq)), with the Raft voters that node counted over at that moment and the nodes whose disks held the change
     * durably at that moment.
     */
    public record MajorityAck(String writeId, String node, long ackedMs, String actor, long seq, List<String> voters,
                              List<String> holders) {
        public MajorityAck {
            voters = List.copyOf(voters);
            holders = List.copyOf(holders);
        }
    }

    /**
     * A catch-up from a majority that {@code node} started at {@code askedMs} completed at {@code doneMs}; {@code
     * vector} is what its disk held durably then (actor hex -> highest contiguous seq).
     */
    public record CatchUpDone(String node, long askedMs, long doneMs, Map<String, Long> vector) {
        public CatchUpDone {
            vector = java.util.Collections.unmodifiableMap(new TreeMap<>(vector));
        }
    }

    /** A catch-up from a majority that failed (timed out, or the node stopped), and why: allowed, but counted. */
    public record CatchUpFailed(String node, long askedMs, long failedMs, String reason) {
    }
}
