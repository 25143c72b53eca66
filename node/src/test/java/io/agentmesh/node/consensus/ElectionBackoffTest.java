package io.agentmesh.node.consensus;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Election jitter: base bound for a normal election, doubling while rounds fail, capped, reset by a leader. */
class ElectionBackoffTest {

    @Test
    void aNormalElectionUsesTheBaseBoundForItsPreVoteAndItsVote() {
        ElectionBackoff backoff = new ElectionBackoff(50, new Random(1));
        assertEquals(50, backoff.boundMs());
        backoff.nextRoundJitterMs();
        assertEquals(50, backoff.boundMs());
        backoff.nextRoundJitterMs();
        assertEquals(100, backoff.boundMs(), "the third round without a leader follows a collision");
    }

    @Test
    void theBoundDoublesPerFailedRoundUpToEightTimesTheBase() {
        ElectionBackoff backoff = new ElectionBackoff(50, new Random(1));
        long[] bounds = new long[8];
        for (int i = 0; i < bounds.length; i++) {
            bounds[i] = backoff.boundMs();
            long jitter = backoff.nextRoundJitterMs();
            assertTrue(jitter >= 0 && jitter <= bounds[i], "jitter " + jitter + " within " + bounds[i]);
        }
        assertEquals("[50, 50, 100, 200, 400, 400, 400, 400]", java.util.Arrays.toString(bounds));
    }

    @Test
    void aKnownLeaderResetsTheBound() {
        ElectionBackoff backoff = new ElectionBackoff(50, new Random(1));
        for (int i = 0; i < 5; i++) {
            backoff.nextRoundJitterMs();
        }
        backoff.leaderKnown();
        assertEquals(50, backoff.boundMs());
    }

    @Test
    void theJitterSpreadsOverTheWholeBound() {
        ElectionBackoff backoff = new ElectionBackoff(50, new Random(7));
        for (int i = 0; i < 5; i++) {
            backoff.nextRoundJitterMs();
        }
        long max = 0;
        long min = Long.MAX_VALUE;
        for (int i = 0; i < 1_000; i++) {
            long j = backoff.nextRoundJitterMs();
            max = Math.max(max, j);
            min = Math.min(min, j);
        }
        assertTrue(max > 350 && min < 50, "spread " + min + ".." + max + " over 0..400");
    }

    @Test
    void zeroJitterAddsNothingAndNeedsNoRandom() {
        ElectionBackoff backoff = new ElectionBackoff(0, null);
        for (int i = 0; i < 5; i++) {
            assertEquals(0, backoff.nextRoundJitterMs());
        }
        assertThrows(IllegalArgumentException.class, () -> new ElectionBackoff(50, null));
        assertThrows(IllegalArgumentException.class, () -> new ElectionBackoff(-1, new Random(1)));
    }
}
