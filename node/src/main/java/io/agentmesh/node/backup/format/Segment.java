package io.agentmesh.node.backup.format;

import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.protocol.change.SignedChange;

import java.util.List;

/**
 * The signed changes of one actor with consecutive sequence numbers {@code from..to}, exactly as the store holds them
 * (so their signatures verify after a restore).
 */
public record Segment(ActorId actor, List<SignedChange> changes) {
    public static final int MAX_CHANGES = 1_000_000;

    public Segment {
        if (actor == null || changes == null || changes.isEmpty() || changes.size() > MAX_CHANGES) {
            throw new IllegalArgumentException("a segment holds 1.." + MAX_CHANGES + " changes of one actor");
        }
        changes = List.copyOf(changes);
        long expect = changes.get(0).seq();
        for (SignedChange c : changes) {
            if (!c.actor().equals(actor)) {
                throw new IllegalArgumentException("segment of actor " + actor + " holds a change of actor "
                        + c.actor());
            }
            if (c.seq() != expect) {
                throw new IllegalArgumentException("segment of actor " + actor + " has seq " + c.seq()
                        + " where " + expect + " was next: a segment's changes are consecutive");
            }
            expect++;
        }
    }

    public long from() {
        return changes.get(0).seq();
    }

    public long to() {
        return changes.get(changes.size() - 1).seq();
    }
}
