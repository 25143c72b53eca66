package io.agentmesh.node.net;

import io.agentmesh.protocol.identity.NodeId;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FaultInjectorTest {
    private final NodeId peer = NodeId.of(TestAgent.newNodeKey().verifyingKey());

    @Test
    void rulesCombineAndUnblockKeepsTheDelay() {
        FaultInjector f = new FaultInjector();
        assertFalse(f.rule(peer).dropsFrames());
        f.block(peer);
        f.delay(peer, 50);
        assertEquals(new FaultInjector.Rule(false, true, 50), f.rule(peer));
        assertTrue(f.rule(peer).dropsFrames());
        f.unblock(peer);
        assertEquals(Map.of(peer, new FaultInjector.Rule(false, false, 50)), f.snapshot());
        f.delay(peer, 0);
        assertTrue(f.snapshot().isEmpty(), "a rule that does nothing is removed");
    }

    @Test
    void dropDropsFramesWithoutBlockingConnects() {
        FaultInjector f = new FaultInjector();
        f.drop(peer);
        assertTrue(f.rule(peer).dropsFrames());
        assertFalse(f.rule(peer).block());
        f.clear();
        assertTrue(f.snapshot().isEmpty());
    }

    @Test
    void blockDirectCutsOnlyDirectConnections() {
        FaultInjector f = new FaultInjector();
        f.blockDirect(peer);
        FaultInjector.Rule r = f.rule(peer);
        assertTrue(r.refusesConnections(false));
        assertFalse(r.refusesConnections(true));
        assertTrue(r.dropsFrames(false));
        assertFalse(r.dropsFrames(true));
        assertFalse(r.dropsFrames(), "not a full drop");
        f.block(peer);
        assertTrue(f.rule(peer).refusesConnections(true), "a full block cuts relayed connections too");
        f.unblock(peer);
        assertTrue(f.rule(peer).blockDirect(), "unblock keeps the direct-only cut");
        f.unblockDirect(peer);
        assertTrue(f.snapshot().isEmpty());
    }

    @Test
    void aNegativeDelayIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new FaultInjector().delay(peer, -1));
    }
}
