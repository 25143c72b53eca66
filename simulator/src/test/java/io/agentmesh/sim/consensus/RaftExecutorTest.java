package io.agentmesh.sim.consensus;

import io.agentmesh.node.consensus.RaftExecutor;
import io.agentmesh.sim.world.SimLoop;
import io.agentmesh.sim.world.SimScheduler;
import io.agentmesh.sim.world.Trace;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MicroRaft's executor on a node's thread: dilated timers, tasks never inline, halt, failures contained. */
class RaftExecutorTest {
    private static final long MS = 1_000_000L;

    private final SimLoop loop = new SimLoop(Trace.hashOnly());
    private final SimScheduler node = new SimScheduler(loop, "n1", 0);

    private String at(String what) {
        return what + "@" + loop.nowMillis();
    }

    @Test
    void timersFireAfterTheDilatedDelayAndTasksNeverRunInline() {
        RaftExecutor executor = new RaftExecutor(node, 10);
        List<String> log = new ArrayList<>();
        executor.schedule(() -> log.add(at("heartbeat")), 1, TimeUnit.SECONDS);
        executor.schedule(() -> log.add(at("backoff")), 250, TimeUnit.MILLISECONDS);
        executor.execute(() -> {
            executor.submit(() -> log.add("inner"));
            log.add("outer");
        });
        assertTrue(log.isEmpty(), "nothing runs inline");
        loop.runUntil(1_000 * MS);
        assertEquals(List.of("outer", "inner", "backoff@25", "heartbeat@100"), log);
        assertEquals(0, executor.pendingTimers());
    }

    @Test
    void electionJitterLeavesOtherTimersAlone() {
        RaftExecutor executor = new RaftExecutor(node, 10, 50, new Random(1));
        List<String> log = new ArrayList<>();
        executor.schedule(() -> log.add(at("heartbeat")), 1, TimeUnit.SECONDS);
        executor.schedule(() -> log.add(at("backoff")), 250, TimeUnit.MILLISECONDS);
        loop.runUntil(1_000 * MS);
        assertEquals(List.of("backoff@25", "heartbeat@100"), log);
    }

    @Test
    void haltDropsQueuedTasksAndTimers() {
        RaftExecutor executor = new RaftExecutor(node, 10);
        List<String> log = new ArrayList<>();
        executor.execute(() -> log.add("queued"));
        executor.schedule(() -> log.add("timer"), 1, TimeUnit.SECONDS);
        assertEquals(1, executor.pendingTimers());
        executor.halt();
        executor.execute(() -> log.add("late"));
        loop.runUntil(1_000 * MS);
        assertTrue(log.isEmpty());
        assertEquals(0, executor.pendingTimers());
        assertTrue(executor.halted());
    }

    @Test
    void aFailingTaskDoesNotStopTheOthers() {
        RaftExecutor executor = new RaftExecutor(node, 10);
        List<String> log = new ArrayList<>();
        executor.execute(() -> {
            throw new IllegalStateException("bug");
        });
        executor.execute(() -> log.add("next"));
        loop.runUntil(MS);
        assertEquals(List.of("next"), log);
    }
}
