package io.agentmesh.node.consensus;

import io.agentmesh.protocol.time.Clock;
import io.agentmesh.protocol.identity.NodeId;
import io.microraft.model.message.RaftMessage;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Time dilation and the transport adapter. (The executor's timers and tasks run on a scheduler, so their tests live
 * with the simulator's world: sim.consensus.RaftExecutorTest.)
 */
class RaftExecutorTest {

    @Test
    void dilatedClockRunsKTimesFasterFromALargeEpoch() {
        long[] nodeNanos = {1_234_000_000L};
        Clock node = new Clock() {
            @Override
            public long nowMillis() {
                return 1_700_000_000_000L + nodeNanos[0] / 1_000_000L;
            }

            @Override
            public long monotonicNanos() {
                return nodeNanos[0];
            }
        };
        DilatedClock raft = new DilatedClock(node, 10);
        assertEquals(DilatedClock.EPOCH_MILLIS, raft.millis());
        nodeNanos[0] += 300_000_000L;
        assertEquals(DilatedClock.EPOCH_MILLIS + 3000, raft.millis());
        assertEquals(raft.millis(), raft.instant().toEpochMilli());
    }

    @Test
    void delaysShrinkByKRoundedUpToAMillisecond() {
        assertEquals(100, DilatedClock.toNodeMillis(TimeUnit.SECONDS.toNanos(1), 10));
        assertEquals(300, DilatedClock.toNodeMillis(TimeUnit.SECONDS.toNanos(3), 10));
        assertEquals(25, DilatedClock.toNodeMillis(TimeUnit.MILLISECONDS.toNanos(250), 10));
        assertEquals(101, DilatedClock.toNodeMillis(TimeUnit.MILLISECONDS.toNanos(1001), 10));
        assertEquals(1, DilatedClock.toNodeMillis(5, 10));
        assertEquals(0, DilatedClock.toNodeMillis(0, 10));
        assertEquals(1000, DilatedClock.toNodeMillis(TimeUnit.SECONDS.toNanos(1), 1));
    }

    @Test
    void transportEncodesToTheRightPeerAndNeverThrows() {
        byte[] raw = new byte[NodeId.LENGTH];
        Arrays.fill(raw, (byte) 7);
        NodeId peer = new NodeId(raw);
        RaftCodec codec = new RaftCodec();
        List<Object[]> sent = new ArrayList<>();
        MeshTransport t = new MeshTransport(codec, (to, bytes) -> sent.add(new Object[] {to, bytes}),
                id -> id.equals(peer));
        RaftMessage m = codec.modelFactory().createPreVoteRequestBuilder().setGroupId("g")
                .setSender(new MeshEndpoint("node-a")).setTerm(4).setLastLogTerm(3).setLastLogIndex(99).build();
        t.send(MeshEndpoint.of(peer), m);
        assertEquals(1, sent.size());
        assertEquals(peer, sent.get(0)[0]);
        RaftCodecTest.assertSameModel(m, codec.decodeMessage((byte[]) sent.get(0)[1]), "PreVoteRequest");
        assertTrue(t.isReachable(MeshEndpoint.of(peer)));
        assertFalse(t.isReachable(new MeshEndpoint("not-a-node-id")));

        MeshTransport failing = new MeshTransport(codec, (to, bytes) -> {
            throw new IllegalStateException("connection gone");
        }, id -> true);
        failing.send(MeshEndpoint.of(peer), m); // logged, not thrown
        failing.send(new MeshEndpoint("not-a-node-id"), m);
        assertEquals(2, failing.sendFailures());
    }
}
