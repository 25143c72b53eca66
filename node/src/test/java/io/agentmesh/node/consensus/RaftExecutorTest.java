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

/** Time dilation, the executor contract, and the transport adapter. */
class RaftExecutorTest {

    @Test
    void dilatedClockRunsKTimesFasterFromALargeEpoch() {
        VirtualTime time = new VirtualTime();
        time.runFor(1234);
        Clock node = time.clock(0);
        DilatedClock raft = new DilatedClock(node, 10);
        assertEquals(DilatedClock.EPOCH_MILLIS, raft.millis());
        time.runFor(300);
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
    void timersFireAfterTheDilatedDelayAndTasksNeverRunInline() {
        VirtualTime time = new VirtualTime();
        VirtualTime.NodeScheduler scheduler = time.newScheduler("n");
        RaftExecutor executor = new RaftExecutor(scheduler, 10);
        List<String> log = new ArrayList<>();
        executor.schedule(() -> log.add("heartbeat@" + time.nowMs()), 1, TimeUnit.SECONDS);
        executor.schedule(() -> log.add("backoff@" + time.nowMs()), 250, TimeUnit.MILLISECONDS);
        executor.execute(() -> {
            executor.submit(() -> log.add("inner"));
            log.add("outer");
        });
        assertTrue(log.isEmpty(), "nothing runs inline");
        time.runFor(1_000);
        assertEquals(List.of("outer", "inner", "backoff@25", "heartbeat@100"), log);
        assertEquals(0, executor.pendingTimers());
    }

    @Test
    void electionJitterLeavesOtherTimersAlone() {
        VirtualTime time = new VirtualTime();
        RaftExecutor executor = new RaftExecutor(time.newScheduler("n"), 10, 50, new java.util.Random(1));
        List<String> log = new ArrayList<>();
        executor.schedule(() -> log.add("heartbeat@" + time.nowMs()), 1, TimeUnit.SECONDS);
        executor.schedule(() -> log.add("backoff@" + time.nowMs()), 250, TimeUnit.MILLISECONDS);
        time.runFor(1_000);
        assertEquals(List.of("backoff@25", "heartbeat@100"), log);
    }

    @Test
    void haltDropsQueuedTasksAndTimers() {
        VirtualTime time = new VirtualTime();
        RaftExecutor executor = new RaftExecutor(time.newScheduler("n"), 10);
        List<String> log = new ArrayList<>();
        executor.execute(() -> log.add("queued"));
        executor.schedule(() -> log.add("timer"), 1, TimeUnit.SECONDS);
        assertEquals(1, executor.pendingTimers());
        executor.halt();
        executor.execute(() -> log.add("late"));
        time.runFor(1_000);
        assertTrue(log.isEmpty());
        assertEquals(0, executor.pendingTimers());
        assertTrue(executor.halted());
    }

    @Test
    void aFailingTaskDoesNotStopTheOthers() {
        VirtualTime time = new VirtualTime();
        RaftExecutor executor = new RaftExecutor(time.newScheduler("n"), 10);
        List<String> log = new ArrayList<>();
        executor.execute(() -> {
            throw new IllegalStateException("bug");
        });
        executor.execute(() -> log.add("next"));
        time.runFor(1);
        assertEquals(List.of("next"), log);
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
