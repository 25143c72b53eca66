package io.agentmesh.node.consensus;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Who led, term by term, as this node saw it: one entry per change of (term, leader), a leaderless stretch (an
 * election) included, for the operator's timeline (the dashboard, {@code /v1/status} {@code consensus.leaderHistory}).
 * Times are this node's clock, taken when it learned of the change, so they tell when this node knew, not when the
 * election ended elsewhere; a restarted node starts an empty history.
 *
 * <p>Bounded: the newest {@code capacity} entries are kept. Node thread only, like the role reports that feed it.
 */
public final class LeaderHistory {
    /** A term's leader as seen here from {@code sinceMillis}; {@code leader} is null while none is known. */
    public record Entry(long term, String leader, long sinceMillis) {
    }

    private final int capacity;
    private final ArrayDeque<Entry> kept;

    public LeaderHistory(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive, got " + capacity);
        }
        this.capacity = capacity;
        this.kept = new ArrayDeque<>(capacity);
    }

    /**
     * Notes that this node now sees {@code leader} (null: none) in {@code term}. A report that changes neither (a
     * role change of this node alone) adds nothing.
     */
    public void observe(long nowMillis, long term, String leader) {
        Entry last = kept.peekLast();
        if (last != null && last.term() == term && Objects.equals(last.leader(), leader)) {
            return;
        }
        if (kept.size() == capacity) {
            kept.removeFirst();
        }
        kept.addLast(new Entry(term, leader, nowMillis));
    }

    /** The kept entries, oldest first. */
    public List<Entry> entries() {
        return List.copyOf(new ArrayList<>(kept));
    }
}
