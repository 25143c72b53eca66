package io.agentmesh.node.replication;

import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.state.store.VersionVector;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CatchUpProgressTest {
    private final ActorId a = new ActorId(new byte[16]);
    private final ActorId b = new ActorId(new byte[] {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});

    private VersionVector v(long seqA, long seqB) {
        return new VersionVector(Map.of(a, seqA, b, seqB));
    }

    @Test
    void missingCountsWhatTheMostAdvancedPeerHoldsPerActor() {
        assertEquals(5 + 7, CatchUpProgress.missing(v(10, 3), List.of(v(15, 0), v(12, 10))));
        assertEquals(0, CatchUpProgress.missing(v(10, 3), List.of(v(9, 3))));
    }

    @Test
    void aLargeGapIsReportedThenPeriodicallyThenCaughtUp() {
        CatchUpProgress p = new CatchUpProgress();
        Optional<String> start = p.tick(0, v(0, 0), List.of(v(3_000, 0)));
        assertTrue(start.orElseThrow().contains("3000 change(s) missing"), start.toString());
        assertTrue(p.tick(1_000, v(1_000, 0), List.of(v(3_000, 0))).isEmpty(), "one line per period");
        Optional<String> mid = p.tick(5_000, v(2_000, 0), List.of(v(3_000, 0)));
        assertTrue(mid.orElseThrow().contains("received 2000, 1000 still missing (66%)"), mid.toString());
        Optional<String> done = p.tick(6_000, v(3_000, 0), List.of(v(3_000, 0)));
        assertTrue(done.orElseThrow().contains("caught up with 1 peer(s): received 3000 change(s) in 6.0 s"),
                done.toString());
        assertTrue(p.tick(7_000, v(3_000, 0), List.of(v(3_000, 0))).isEmpty());
    }

    @Test
    void theNormalTrickleOfAFewChangesIsNotACatchUp() {
        CatchUpProgress p = new CatchUpProgress();
        assertTrue(p.tick(0, v(10, 0), List.of(v(12, 0))).isEmpty());
        assertTrue(p.tick(500, v(12, 0), List.of(v(12, 0))).isEmpty(), "closed within the grace: nothing to say");
        assertTrue(p.tick(1_000, v(12, 0), List.of(v(14, 0))).isEmpty());
        Optional<String> lasting = p.tick(3_100, v(12, 0), List.of(v(14, 0)));
        assertTrue(lasting.orElseThrow().startsWith("catching up: 2 change(s) missing"), lasting.toString());
    }
}
