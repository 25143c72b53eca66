package io.agentmesh.node.agent;

import io.agentmesh.node.actions.AgentFence;
import io.agentmesh.node.actions.FencingToken;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Whether a side-effecting call that carries an agent fence ({@code Agentmesh-Fence}) may go ahead: refused when the
 * journal here knows a newer agent run than the one that sent it. A call without a fence (the CLI, people) and a fence
 * this node has not heard of yet (it lags behind the leader) go ahead: a node refuses only what it knows to be stale.
 */
public final class FenceCheck {
    /** The HTTP header a fenced call carries, with the text of {@code AGENTMESH_FENCE}. */
    public static final String HEADER = "Agentmesh-Fence";

    private FenceCheck() {
    }

    /** The body of the 409 answer when {@code presented} is older than {@code newest}; empty when it may go ahead. */
    public static Optional<Map<String, Object>> refusal(Optional<AgentFence> newest, FencingToken presented) {
        if (newest.isEmpty() || presented.compareTo(newest.get().token()) >= 0) {
            return Optional.empty();
        }
        AgentFence current = newest.get();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", "stale agent fence " + AgentFence.text(presented) + ": the current agent run is "
                + current.tokenText() + ", started by node " + current.nodeId() + "; this call comes from an older run"
                + " of the agent, which is being stopped, so it is refused and changes nothing");
        body.put("presentedFence", AgentFence.text(presented));
        body.put("currentFence", current.tokenText());
        body.put("currentFenceNode", current.nodeId());
        return Optional.of(body);
    }
}
