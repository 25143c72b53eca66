package io.agentmesh.node.actions;

import java.util.Objects;

/**
 * The chunk of an {@link ActionJournal} snapshot that carries the newest agent fence. A snapshot has it only when the
 * journal holds a fence, so a snapshot written before agent runs existed reads as "no fence".
 */
public record AgentFenceSnapshot(AgentFence fence) {
    public AgentFenceSnapshot {
        Objects.requireNonNull(fence, "fence");
    }
}
