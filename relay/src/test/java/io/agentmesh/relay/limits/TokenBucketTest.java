package io.agentmesh.relay.limits;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenBucketTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void aBurstUpToTheCapacityPassesAndTheNextTakeWaitsForTheRate() {
        TokenBucket b = new TokenBucket(10, 20, 0);
        for (int i = 0; i < 20; i++) {
            assertEquals(0, b.take(1, 0), "take " + i);
        }
        assertEquals(SECOND / 10, b.take(1, 0), "one token of debt at 10/s is 100 ms");
        assertEquals(SECOND / 10 * 2, b.take(1, 0));
    }

    @Test
    void tokensComeBackAtTheRateUpToTheCapacityOnly() {
        TokenBucket b = new TokenBucket(10, 20, 0);
        b.take(20, 0);
        assertFalse(b.isFull(SECOND));
        assertEquals(0, b.take(10, SECOND), "10 tokens back after one second");
        assertTrue(b.isFull(100 * SECOND));
        assertEquals(0, b.take(20, 100 * SECOND));
        assertTrue(b.take(1, 100 * SECOND) > 0, "never more than the capacity saved up");
    }

    @Test
    void aBucketWithoutARateOrCapacityIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new TokenBucket(0, 10, 0));
        assertThrows(IllegalArgumentException.class, () -> new TokenBucket(10, 0, 0));
    }

    @Test
    void anEpisodeStartsOnceContinuesWhileInputsKeepComingAndPersistsAfterItsLimit() {
        Episode e = new Episode(2 * SECOND, 5 * SECOND);
        assertEquals(Episode.Verdict.STARTED, e.over(0));
        assertEquals(Episode.Verdict.CONTINUES, e.over(SECOND));
        assertEquals(Episode.Verdict.CONTINUES, e.over(3 * SECOND));
        assertEquals(Episode.Verdict.CONTINUES, e.over(4 * SECOND));
        assertEquals(Episode.Verdict.PERSISTS, e.over(5 * SECOND));
        assertEquals(5, e.inputsOver());
        assertFalse(e.quiet(6 * SECOND));
        assertTrue(e.quiet(8 * SECOND));
        assertEquals(Episode.Verdict.STARTED, e.over(8 * SECOND), "a quiet gap ends the episode");
    }
}
