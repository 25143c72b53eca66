package io.agentmesh.node.metrics;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TaskDurationsTest {
    private static final long MS = 1_000_000;

    @Test
    void theP99AndTheLongestTaskShowOneStallAmongManyShortTasks() {
        TaskDurations d = new TaskDurations();
        for (int i = 0; i < 990; i++) {
            d.record(20_000); // 20 us
        }
        for (int i = 0; i < 10; i++) {
            d.record(12 * MS);
        }
        d.record(250 * MS);
        TaskDurations.Snapshot s = d.snapshot();
        assertEquals(1001, s.tasks());
        assertEquals(250 * MS, s.maxNanos(), "the longest task is exact");
        assertEquals(20_999, s.quantileNanos(0.5), "20 us, the top of its bucket");
        long p99 = s.quantileNanos(0.99);
        assertTrue(p99 >= 12 * MS && p99 <= 12 * MS * 17 / 16, "p99 within 1/16 above 12 ms: " + p99);
    }

    @Test
    void theDifferenceOfTwoSnapshotsHoldsOnlyTheTasksBetweenThem() {
        TaskDurations d = new TaskDurations();
        d.record(500 * MS);
        TaskDurations.Snapshot before = d.snapshot();
        for (int i = 0; i < 100; i++) {
            d.record(3 * MS);
        }
        TaskDurations.Snapshot window = d.snapshot().since(before);
        assertEquals(100, window.tasks());
        assertEquals(300 * MS, window.totalNanos());
        assertTrue(window.maxNanos() >= 3 * MS && window.maxNanos() <= 3 * MS * 17 / 16,
                "the window's longest is its own, not the earlier 500 ms: " + window.maxNanos());
        assertEquals(window.maxNanos(), window.quantileNanos(0.99));
    }

    @Test
    void bucketsCoverEveryDurationWithoutGapsAndWithinASixteenth() {
        long previousUpper = -1;
        for (int b = 0; b < TaskDurations.BUCKETS - 1; b++) {
            long upper = TaskDurations.upperMicros(b);
            assertEquals(b, TaskDurations.bucketOf(upper), "upper edge of bucket " + b);
            assertEquals(b, TaskDurations.bucketOf(previousUpper + 1), "lower edge of bucket " + b);
            long lower = previousUpper + 1;
            assertTrue(upper - lower <= Math.max(0, lower / 16), "bucket " + b + " spans " + lower + ".." + upper);
            previousUpper = upper;
        }
        assertEquals(TaskDurations.BUCKETS - 1, TaskDurations.bucketOf(Long.MAX_VALUE / 1_000));
    }

    @Test
    void anEmptyMeterReadsZeroAndABadQuantileIsRefused() {
        TaskDurations.Snapshot s = new TaskDurations().snapshot();
        assertEquals(0, s.quantileNanos(0.99));
        assertEquals(0, s.maxNanos());
        assertThrows(IllegalArgumentException.class, () -> s.quantileNanos(0));
        assertThrows(IllegalArgumentException.class, () -> s.quantileNanos(1.5));
    }
}
