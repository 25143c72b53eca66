package io.agentmesh.node.limits;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LimitsTest {
    @Test
    void limitsRefuseZeroOrNegativeValuesNamingThem() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new PeerLimits(0, 1, 1));
        assertTrue(e.getMessage().contains("maxChangesPerSecond"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ClientLimits(1, 1, 1, -1, 1));
        assertTrue(e.getMessage().contains("loopbackMaxConcurrentRequests"), e.getMessage());
    }
}
