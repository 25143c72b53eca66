package io.agentmesh.node.runtime;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The node thread's priority lane: consensus work runs after the task running now, never after the backlog. */
class NodeThreadTest {
    private final NodeThread thread = new NodeThread("test");
    private final List<String> ran = Collections.synchronizedList(new ArrayList<>());

    @AfterEach
    void close() {
        thread.close();
    }

    @Test
    void urgentTasksRunBeforeTheOrdinaryBacklogInTheOrderTheyCame() throws Exception {
        CountDownLatch release = busy();
        thread.execute(() -> ran.add("write 1"));
        thread.execute(() -> ran.add("write 2"));
        thread.executeUrgent(() -> ran.add("vote request"));
        thread.executeUrgent(() -> ran.add("heartbeat"));
        release.countDown();
        awaitIdle();
        assertEquals(List.of("vote request", "heartbeat", "write 1", "write 2"), ran);
    }

    @Test
    void aDueUrgentTimerDoesNotWaitForTheBacklogButAnOrdinaryOneDoes() throws Exception {
        CountDownLatch release = busy();
        thread.schedule(() -> ran.add("ordinary timer"), 5);
        thread.scheduleUrgent(() -> ran.add("election timer"), 5);
        Thread.sleep(50); // both timers are due while the thread is busy
        thread.execute(() -> ran.add("write queued after both were due"));
        release.countDown();
        awaitIdle();
        assertEquals("election timer", ran.getFirst());
        assertTrue(ran.indexOf("ordinary timer") > 0, ran.toString());
    }

    @Test
    void aCancelledUrgentTimerDoesNotRunEvenWhenAlreadyDue() throws Exception {
        CountDownLatch release = busy();
        var timer = thread.scheduleUrgent(() -> ran.add("cancelled"), 1);
        Thread.sleep(30); // due and handed to the lane, not run: the thread is busy
        timer.cancel();
        release.countDown();
        awaitIdle();
        assertEquals(List.of(), ran);
    }

    @Test
    void aFloodOfUrgentTasksCannotStarveTheOrdinaryOnes() throws Exception {
        CountDownLatch release = busy();
        thread.execute(() -> ran.add("write"));
        for (int i = 0; i < 3 * NodeThread.MAX_URGENT_PER_TASK; i++) {
            thread.executeUrgent(() -> ran.add("raft"));
        }
        release.countDown();
        awaitIdle();
        assertEquals(NodeThread.MAX_URGENT_PER_TASK, ran.indexOf("write"),
                "the ordinary task runs after one batch of urgent ones");
        assertEquals(3 * NodeThread.MAX_URGENT_PER_TASK + 1, ran.size());
    }

    @Test
    void urgentTasksRunOnTheNodeThread() throws Exception {
        List<Boolean> onThread = Collections.synchronizedList(new ArrayList<>());
        thread.executeUrgent(() -> onThread.add(thread.onNodeThread()));
        awaitIdle();
        assertEquals(List.of(true), onThread);
    }

    /** Occupies the thread until the returned latch opens. */
    private CountDownLatch busy() throws InterruptedException {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        thread.execute(() -> {
            started.countDown();
            try {
                release.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(started.await(5, TimeUnit.SECONDS));
        return release;
    }

    /** Waits until everything queued so far (both lanes) has run. */
    private void awaitIdle() throws Exception {
        for (int i = 0; i < 5; i++) {
            thread.call(() -> java.util.concurrent.CompletableFuture.completedFuture(null)).get(5, TimeUnit.SECONDS);
        }
    }
}
