package io.agentmesh.node.membership;

import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.SigningKey;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClockOffsetsTest {
    private final NodeId peer = NodeId.of(SigningKey.fromSeed(new byte[32]).verifyingKey());

    @Test
    void offsetIsPeerTimeMinusTheMidpointOfTheRoundTripWithHalfOfItAsTheError() {
        ClockOffsets offsets = new ClockOffsets();
        // Sent at 10_000, received at 10_040 (40 ms round trip); the peer, 750 ms ahead, read 10_770 at the midpoint.
        ClockOffsets.Estimate e = offsets.sample(peer, 10_770, 10_040, 40_000_000L);
        assertEquals(new ClockOffsets.Estimate(750, 20), e);
        assertEquals(e, offsets.of(peer).orElseThrow());
    }

    @Test
    void aPeerBehindGivesANegativeOffsetAndTheErrorRoundsUp() {
        ClockOffsets offsets = new ClockOffsets();
        ClockOffsets.Estimate e = offsets.sample(peer, 4_000, 10_001, 3_000_000L);
        assertEquals(4_000 - (10_001 - 1), e.offsetMs());
        assertEquals(2, e.errorMs(), "half of 3 ms, rounded up: the bound must not understate");
    }

    @Test
    void theNewestSampleReplacesTheOlderAndAForgottenPeerHasNone() {
        ClockOffsets offsets = new ClockOffsets();
        offsets.sample(peer, 20_000, 10_000, 0);
        offsets.sample(peer, 10_100, 10_000, 0);
        assertEquals(100, offsets.of(peer).orElseThrow().offsetMs());
        offsets.forget(peer);
        assertTrue(offsets.of(peer).isEmpty());
    }

    @Test
    void aNegativeRoundTripIsRefusedAndChangesNothing() {
        ClockOffsets offsets = new ClockOffsets();
        assertThrows(IllegalArgumentException.class, () -> offsets.sample(peer, 1, 1, -1));
        assertTrue(offsets.of(peer).isEmpty());
    }
}
