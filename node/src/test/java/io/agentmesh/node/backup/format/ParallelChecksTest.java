package io.agentmesh.node.backup.format;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ParallelChecksTest {
    private static final int ITEMS = 20 * ParallelChecks.BATCH_ITEMS + 7;

    @Test
    void resultsComeBackInTheListsOrder() {
        List<Integer> items = IntStream.range(0, ITEMS).boxed().toList();
        try (ParallelChecks checks = new ParallelChecks(4)) {
            assertEquals(items.stream().map(i -> i * 2).toList(), checks.map(items, i -> i * 2));
        }
    }

    @Test
    void theFirstFailingItemInListOrderIsReportedEvenWhenALaterOneFailsSooner() {
        int first = ParallelChecks.BATCH_ITEMS + 3;
        int later = 3 * ParallelChecks.BATCH_ITEMS + 1;
        List<Integer> items = IntStream.range(0, ITEMS).boxed().toList();
        try (ParallelChecks checks = new ParallelChecks(4)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> checks.map(items, i -> {
                if (i == first) {
                    sleep(300); // the later item's batch fails while this one is still being checked
                    throw new IllegalStateException("bad item " + i);
                }
                if (i == later) {
                    throw new IllegalStateException("bad item " + i);
                }
                return i;
            }));
            assertEquals("bad item " + first, e.getMessage());
        }
    }

    @Test
    void aPoolOfOneThreadChecksEveryItem() {
        List<Integer> items = IntStream.range(0, ITEMS).boxed().toList();
        try (ParallelChecks checks = new ParallelChecks(1)) {
            assertEquals(items, checks.map(items, i -> i));
        }
        assertThrows(IllegalArgumentException.class, () -> new ParallelChecks(0));
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
