package io.agentmesh.node.core;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SnapshotPolicyTest {
    @Test
    void aFixedCadenceIgnoresTheSizeOfTheStore() {
        SnapshotPolicy every = SnapshotPolicy.every(20_000);
        assertFalse(every.due(19_999, 5_000_000));
        assertTrue(every.due(20_000, 5_000_000));
    }

    @Test
    void aProportionalPolicyWaitsForAFractionOfTheStoreOnceThatIsMoreThanItsMinimum() {
        SnapshotPolicy policy = new SnapshotPolicy(20, 8);
        assertTrue(policy.due(20, 100), "small store: the minimum applies");
        assertFalse(policy.due(20, 800), "800 changes stored: wait for 100");
        assertTrue(policy.due(100, 800));
    }

    @Test
    void nonsenseSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> SnapshotPolicy.every(0));
        assertThrows(IllegalArgumentException.class, () -> new SnapshotPolicy(10, -1));
    }
}
