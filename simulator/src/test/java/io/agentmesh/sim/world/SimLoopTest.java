package io.agentmesh.sim.world;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SimLoopTest {
    private final Trace trace = new Trace(true, null);
    private final SimLoop loop = new SimLoop(trace);

    @Test
    void eventsRunInTimeOrderThenInTheOrderTheyWereQueued() {
        List<String> ran = new ArrayList<>();
        loop.world(20, "c", () -> ran.add("c"));
        loop.world(10, "a", () -> ran.add("a"));
        loop.world(10, "b", () -> ran.add("b"));
        loop.world(5, "first", () -> loop.world(10, "d", () -> ran.add("d")));
        loop.runUntil(100);
        assertEquals(List.of("a", "b", "d", "c"), ran);
        assertEquals(100, loop.nowNanos());
    }

    @Test
    void aBlockedNodeRunsItsLaterEventsWhenTheBlockEndsInOrderWhileOthersCarryOn() {
        SimScheduler node = new SimScheduler(loop, "n1", 0);
        SimScheduler other = new SimScheduler(loop, "n2", 0);
        List<String> ran = new ArrayList<>();
        node.execute(() -> {
            node.execute(() -> ran.add("queued before the block at " + loop.nowNanos()));
            node.block(1_000);
            node.block(500); // a second blocking call in the same event adds up
            node.schedule(() -> ran.add("timer set after the block at " + loop.nowNanos()), 0);
        });
        node.postAfter(10, "message", () -> ran.add("message due at 10 at " + loop.nowNanos()));
        other.postAfter(20, "other", () -> ran.add("other node at " + loop.nowNanos()));
        loop.world(30, "world", () -> ran.add("world at " + loop.nowNanos() + ", n1 busy " + node.busy()));
        loop.runUntil(2_000);
        assertEquals(List.of("other node at 20", "world at 30, n1 busy true", "queued before the block at 1500",
                "message due at 10 at 1500", "timer set after the block at 1500"), ran);
    }

    @Test
    void aBlockedNodeRunsItsUrgentEventsFirstWhenTheBlockEnds() {
        SimScheduler node = new SimScheduler(loop, "n1", 0);
        List<String> ran = new ArrayList<>();
        node.execute(() -> {
            node.execute(() -> ran.add("ordinary queued in the block at " + loop.nowNanos()));
            node.block(1_000);
            node.scheduleUrgent(() -> ran.add("urgent timer at " + loop.nowNanos()), 0);
        });
        node.postAfter(10, "message", () -> ran.add("ordinary due at 10 at " + loop.nowNanos()));
        loop.world(20, "vote request", () -> node.executeUrgent(() -> ran.add("urgent due at 20 at "
                + loop.nowNanos())));
        loop.world(30, "later", () -> node.executeUrgent(() -> ran.add("urgent due at 30 at " + loop.nowNanos())));
        loop.runUntil(2_000);
        // The urgent ones in the order they were due, then the ordinary ones in theirs.
        assertEquals(List.of("urgent due at 20 at 1000", "urgent due at 30 at 1000", "urgent timer at 1000",
                "ordinary queued in the block at 1000", "ordinary due at 10 at 1000"), ran);
    }

    @Test
    void runUntilStopsAtItsDeadlineEvenWhenABlockPushesAnEventPastIt() {
        SimScheduler node = new SimScheduler(loop, "n1", 0);
        List<String> ran = new ArrayList<>();
        node.execute(() -> node.block(1_000));
        node.postAfter(10, "late", () -> ran.add("late at " + loop.nowNanos()));
        loop.runUntil(500);
        assertEquals(List.of(), ran);
        assertEquals(500, loop.nowNanos());
        loop.runUntil(2_000);
        assertEquals(List.of("late at 1000"), ran);
    }

    @Test
    void aCancelledEventDoesNotRun() {
        List<String> ran = new ArrayList<>();
        loop.world(10, "x", () -> ran.add("x")).cancel();
        loop.runUntil(100);
        assertTrue(ran.isEmpty());
    }

    @Test
    void theEventsOfAKilledSchedulerAreDropped() {
        SimScheduler node = new SimScheduler(loop, "n1", 0);
        List<String> ran = new ArrayList<>();
        node.execute(() -> ran.add("now"));
        node.schedule(() -> ran.add("later"), 5);
        loop.step();
        node.kill();
        loop.runUntil(10_000_000_000L);
        assertEquals(List.of("now"), ran);
    }

    @Test
    void aSchedulerOnAFastClockFiresTimersEarlyInTrueTime() {
        SimScheduler fast = new SimScheduler(loop, "n1", 100_000); // 10% fast
        long[] firedAt = new long[1];
        fast.schedule(() -> firedAt[0] = loop.nowNanos(), 1_100);
        loop.runUntil(2_000_000_000L);
        assertEquals(1_000_000_000L, firedAt[0]);
    }

    @Test
    void runUntilAConditionStopsAsSoonAsItHoldsOrAtTheDeadline() {
        int[] count = new int[1];
        for (int i = 1; i <= 10; i++) {
            loop.world(i * 10L, "tick", () -> count[0]++);
        }
        assertTrue(loop.runUntil(() -> count[0] == 3, 1_000));
        assertEquals(30, loop.nowNanos());
        assertFalse(loop.runUntil(() -> count[0] == 99, 60));
        assertEquals(60, loop.nowNanos());
    }

    @Test
    void aThrowingTaskIsReportedAndTheLoopCarriesOn() {
        List<SimLoop.Failure> failures = new ArrayList<>();
        loop.onTaskFailure(failures::add);
        List<String> ran = new ArrayList<>();
        loop.world(1, "boom", () -> {
            throw new IllegalStateException("bad");
        });
        loop.world(2, "after", () -> ran.add("after"));
        loop.runUntil(10);
        assertEquals(1, failures.size());
        assertEquals("boom", failures.getFirst().label());
        assertEquals(List.of("after"), ran);
    }

    @Test
    void theTraceHashCoversEveryEventInOrder() {
        loop.world(1, "a", () -> { });
        loop.world(2, "b", () -> { });
        loop.runUntil(10);
        assertEquals(List.of("0000.000000s world a", "0000.000000s world b"), trace.lines());
        Trace other = new Trace(false, null);
        other.record(1, "world", "a");
        other.record(2, "world", "b");
        assertEquals(trace.finish(), other.finish());
        Trace reordered = new Trace(false, null);
        reordered.record(2, "world", "b");
        reordered.record(1, "world", "a");
        assertFalse(trace.finish().equals(reordered.finish()));
    }
}
