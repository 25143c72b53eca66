package io.agentmesh.node.replication;

import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.state.store.VersionVector;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.TreeMap;

/**
 * The on-disk form of a peer cursor (the peer's last known version vector): a count, then (16-byte actor, 8-byte
 * seq) pairs. A cursor that does not decode is treated as empty: the peer's next digest rebuilds it.
 */
final class CursorCodec {
    private static final int ENTRY_BYTES = ActorId.LENGTH + Long.BYTES;

    private CursorCodec() {
    }

    static byte[] encode(VersionVector vector) {
        ByteBuffer buf = ByteBuffer.allocate(Integer.BYTES + vector.seqs().size() * ENTRY_BYTES);
        buf.putInt(vector.seqs().size());
        vector.seqs().forEach((actor, seq) -> buf.put(actor.bytes()).putLong(seq));
        return buf.array();
    }

    static VersionVector decode(byte[] bytes) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        if (bytes.length < Integer.BYTES) {
            return VersionVector.EMPTY;
        }
        int count = buf.getInt();
        if (count < 0 || (long) count * ENTRY_BYTES != bytes.length - Integer.BYTES) {
            return VersionVector.EMPTY;
        }
        Map<ActorId, Long> seqs = new TreeMap<>();
        for (int i = 0; i < count; i++) {
            byte[] actor = new byte[ActorId.LENGTH];
            buf.get(actor);
            long seq = buf.getLong();
            if (seq < 0) {
                return VersionVector.EMPTY;
            }
            seqs.put(new ActorId(actor), seq);
        }
        return new VersionVector(seqs);
    }
}
