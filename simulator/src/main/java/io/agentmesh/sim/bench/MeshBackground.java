package io.agentmesh.sim.bench;

import io.agentmesh.node.core.CoreConfig;
import io.agentmesh.protocol.wire.WireCodec;
import io.agentmesh.protocol.wire.WireMessage;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a full mesh of {@code n} nodes sends with no writes, by kind, from the node's default timings and the
 * encoded sizes of its messages: every node sends every connected peer a heartbeat each heartbeat interval (and
 * gets an ack), and its whole version vector (a digest) each anti-entropy round. Both grow as n(n-1): the price of
 * every node being connected to every other. What the measured background has beyond these is Raft's traffic.
 */
final class MeshBackground {
    /** The 4-byte length prefix of every frame. */
    private static final int FRAME_PREFIX_BYTES = 4;
    /** A monotonic reading of a host up for a day, and a wall clock of 2026: their CBOR sizes are the usual ones. */
    private static final long TYPICAL_NANOS = 86_400_000_000_000L;
    private static final long TYPICAL_WALL_MILLIS = 1_790_000_000_000L;

    private MeshBackground() {
    }

    /**
     * @param n            nodes, all connected to each other
     * @param actors       actors in the version vector (one per node incarnation that wrote)
     * @param typicalSeq   a typical highest seq per actor (its CBOR size grows with it)
     */
    static Map<String, Object> expected(int n, int actors, long typicalSeq) {
        CoreConfig config = CoreConfig.defaults(Optional.empty());
        WireCodec codec = new WireCodec();
        long links = (long) n * (n - 1);
        int heartbeatBytes = codec.encode(new WireMessage.Heartbeat(TYPICAL_NANOS)).length + FRAME_PREFIX_BYTES;
        int ackBytes = codec.encode(new WireMessage.HeartbeatAck(TYPICAL_NANOS, TYPICAL_WALL_MILLIS)).length
                + FRAME_PREFIX_BYTES;
        List<WireMessage.VectorEntry> vector = new ArrayList<>();
        for (int i = 0; i < actors; i++) {
            byte[] actor = new byte[16];
            actor[0] = (byte) i;
            actor[15] = (byte) (31 * i + 7);
            vector.add(new WireMessage.VectorEntry(actor, typicalSeq));
        }
        int digestBytes = codec.encode(new WireMessage.Digest(vector, false)).length + FRAME_PREFIX_BYTES;
        double heartbeatsPerSecond = links * 1000.0 / config.heartbeatIntervalMs();
        double digestsPerSecond = links * 1000.0 / config.replication().antiEntropyIntervalMs();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("heartbeatIntervalMs", config.heartbeatIntervalMs());
        r.put("antiEntropyIntervalMs", config.replication().antiEntropyIntervalMs());
        r.put("heartbeatAndAckFramesPerSecond", Math.round(2 * heartbeatsPerSecond));
        r.put("heartbeatAndAckBytesPerSecond", Math.round(heartbeatsPerSecond * (heartbeatBytes + ackBytes)));
        r.put("digestFramesPerSecond", Math.round(digestsPerSecond));
        r.put("digestBytes", digestBytes);
        r.put("digestBytesPerSecond", Math.round(digestsPerSecond * digestBytes));
        return r;
    }
}
