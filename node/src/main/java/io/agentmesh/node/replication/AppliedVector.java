package io.agentmesh.node.replication;

import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.state.store.VersionVector;

import java.util.Map;
import java.util.NavigableSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What the document holds, per actor: the highest seq such that 1..seq have all been applied, plus the seqs
 * applied beyond a gap. It runs ahead of the store's durable vector by the appends still in flight, and is what
 * this node advertises, so peers do not resend what is already on its way to disk. After a restart it starts again
 * from the durable vector. Node thread only.
 */
final class AppliedVector {
    /** Out-of-order seqs remembered per actor; past this a peer is sending nonsense and the rest is refetched. */
    static final int MAX_AHEAD_PER_ACTOR = 100_000;

    private final Map<ActorId, Long> contiguous = new TreeMap<>();
    private final Map<ActorId, NavigableSet<Long>> ahead = new TreeMap<>();

    AppliedVector(VersionVector durable) {
        contiguous.putAll(durable.seqs());
    }

    boolean has(ActorId actor, long seq) {
        if (contiguous.getOrDefault(actor, 0L) >= seq) {
            return true;
        }
        NavigableSet<Long> gaps = ahead.get(actor);
        return gaps != null && gaps.contains(seq);
    }

    /** Whether there is room to remember {@code seq} of {@code actor}. */
    boolean canRecord(ActorId actor, long seq) {
        if (seq == contiguous.getOrDefault(actor, 0L) + 1) {
            return true;
        }
        NavigableSet<Long> gaps = ahead.get(actor);
        return gaps == null || gaps.size() < MAX_AHEAD_PER_ACTOR;
    }

    void record(ActorId actor, long seq) {
        long have = contiguous.getOrDefault(actor, 0L);
        if (seq <= have) {
            return;
        }
        if (seq != have + 1) {
            ahead.computeIfAbsent(actor, a -> new TreeSet<>()).add(seq);
            return;
        }
        long top = seq;
        NavigableSet<Long> gaps = ahead.get(actor);
        if (gaps != null) {
            while (gaps.remove(top + 1)) {
                top++;
            }
            if (gaps.isEmpty()) {
                ahead.remove(actor);
            }
        }
        contiguous.put(actor, top);
    }

    long get(ActorId actor) {
        return contiguous.getOrDefault(actor, 0L);
    }

    VersionVector toVector() {
        return new VersionVector(contiguous);
    }
}
