package io.agentmesh.node.replication;

import io.agentmesh.protocol.bytes.BoundedReader;
import io.agentmesh.protocol.bytes.BoundedWriter;
import io.agentmesh.protocol.bytes.MalformedException;
import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.protocol.wire.WireMessage;
import io.agentmesh.state.store.VersionVector;

import java.util.Map;
import java.util.TreeMap;

/**
 * The on-disk form of a peer cursor (the peer's last known version vector): an i32 count, then (16-byte actor, i64
 * seq) pairs. A cursor that does not decode is treated as empty: the peer's next digest rebuilds it.
 */
final class CursorCodec {
    private static final int ENTRY_BYTES = ActorId.LENGTH + Long.BYTES;
    /** A cursor is a peer's last digest, so it holds no more actors than a digest may. */
    static final int MAX_ACTORS = WireMessage.MAX_ACTORS;

    private CursorCodec() {
    }

    static byte[] encode(VersionVector vector) {
        BoundedWriter w = new BoundedWriter(Integer.BYTES + vector.seqs().size() * ENTRY_BYTES)
                .i32(vector.seqs().size());
        vector.seqs().forEach((actor, seq) -> w.fixed(actor.bytes()).i64(seq));
        return w.toByteArray();
    }

    static VersionVector decode(byte[] bytes) {
        try {
            BoundedReader r = new BoundedReader(bytes);
            int count = r.count32("actor count", MAX_ACTORS, ENTRY_BYTES);
            Map<ActorId, Long> seqs = new TreeMap<>();
            for (int i = 0; i < count; i++) {
                ActorId actor = new ActorId(r.fixed("actor", ActorId.LENGTH));
                seqs.put(actor, r.nonNegativeI64("seq"));
            }
            r.end();
            return new VersionVector(seqs);
        } catch (MalformedException e) {
            return VersionVector.EMPTY;
        }
    }
}
