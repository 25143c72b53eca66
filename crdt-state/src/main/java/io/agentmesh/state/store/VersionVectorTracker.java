package io.agentmesh.state.store;

import io.agentmesh.protocol.change.ActorId;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * Keeps, per actor, the highest seq such that 1..seq are all present, as changes are added one at a time in any
 * order. A change that arrives ahead of a gap is remembered until the gap fills, so the vector never claims a
 * change the store does not hold (a peer would then never send it).
 *
 * <p>Not thread-safe; the owner publishes {@link #vector()} snapshots.
 */
public final class VersionVectorTracker {
    private final Map<ActorId, Progress> progress = new HashMap<>();
    private VersionVector cached = VersionVector.EMPTY;
    private boolean dirty;

    private static final class Progress {
        long contiguous;
        // Seqs above contiguous + 1. Gaps are rare (a peer's changes normally arrive in seq order), so a boxed set
        // costs nothing in the common case.
        TreeSet<Long> ahead;
    }

    /** Records that (actor, seq) is present. Adding a seq twice is harmless. */
    public void add(ActorId actor, long seq) {
        if (seq < 1) {
            throw new IllegalArgumentException("seq starts at 1, got " + seq);
        }
        Progress p = progress.computeIfAbsent(actor, a -> new Progress());
        if (seq <= p.contiguous) {
            return;
        }
        if (seq == p.contiguous + 1) {
            p.contiguous = seq;
            if (p.ahead != null) {
                while (!p.ahead.isEmpty() && p.ahead.first() == p.contiguous + 1) {
                    p.contiguous = p.ahead.pollFirst();
                }
                if (p.ahead.isEmpty()) {
                    p.ahead = null;
                }
            }
            dirty = true;
        } else {
            if (p.ahead == null) {
                p.ahead = new TreeSet<>();
            }
            p.ahead.add(seq);
        }
    }

    /** Highest contiguous seq of {@code actor}, 0 when it has no seq 1. */
    public long contiguous(ActorId actor) {
        Progress p = progress.get(actor);
        return p == null ? 0 : p.contiguous;
    }

    /** Immutable view; actors that only have changes beyond a gap at seq 1 are left out. */
    public VersionVector vector() {
        if (dirty) {
            Map<ActorId, Long> seqs = new HashMap<>();
            progress.forEach((actor, p) -> {
                if (p.contiguous > 0) {
                    seqs.put(actor, p.contiguous);
                }
            });
            cached = new VersionVector(seqs);
            dirty = false;
        }
        return cached;
    }
}
