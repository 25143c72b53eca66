package io.agentmesh.node.agent;

import io.agentmesh.node.actions.AgentFence;
import io.agentmesh.node.actions.FencingToken;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FenceCheckTest {
    private static final AgentFence CURRENT = new AgentFence("node1b", new FencingToken(7, 1042), 500);

    @Test
    void anOlderFenceIsRefusedSayingWhichIsCurrent() {
        Map<String, Object> body = FenceCheck.refusal(Optional.of(CURRENT), new FencingToken(6, 2000)).orElseThrow();
        assertEquals("7.1042", body.get("currentFence"));
        assertEquals("node1b", body.get("currentFenceNode"));
        assertEquals("6.2000", body.get("presentedFence"));
        assertTrue(((String) body.get("error")).contains("stale agent fence 6.2000"), body.toString());
        assertTrue(FenceCheck.refusal(Optional.of(CURRENT), new FencingToken(7, 1041)).isPresent());
    }

    @Test
    void theCurrentANewerOrAnyFenceWithoutAKnownRunGoesAhead() {
        assertTrue(FenceCheck.refusal(Optional.of(CURRENT), new FencingToken(7, 1042)).isEmpty());
        assertTrue(FenceCheck.refusal(Optional.of(CURRENT), new FencingToken(8, 1)).isEmpty(),
                "a node that lags behind refuses only what it knows to be stale");
        assertTrue(FenceCheck.refusal(Optional.empty(), new FencingToken(1, 1)).isEmpty());
    }
}
