package io.agentmesh.state.store;

import io.agentmesh.protocol.change.ActorId;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/** actor -> highest contiguous seq. Sorted by actor so iteration order is deterministic. */
public record VersionVector(Map<ActorId, Long> seqs) {
    public static final VersionVector EMPTY = new VersionVector(Map.of());

    public VersionVector {
        TreeMap<ActorId, Long> copy = new TreeMap<>();
        seqs.forEach((actor, seq) -> {
            if (seq < 0) {
                throw new IllegalArgumentException("seq of " + actor + " is negative: " + seq);
            }
            copy.put(actor, seq);
        });
        seqs = Collections.unmodifiableMap(copy);
    }

    public long get(ActorId actor) {
        return seqs.getOrDefault(actor, 0L);
    }

    /** Total number of changes this vector covers. */
    public long total() {
        return seqs.values().stream().mapToLong(Long::longValue).sum();
    }
}
