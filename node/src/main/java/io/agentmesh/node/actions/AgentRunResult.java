package io.agentmesh.node.actions;

import java.util.Optional;

/** What applying a {@link JournalOp.AgentRun} returned; the leader that asked gets it through its replicate future. */
public sealed interface AgentRunResult {

    /**
     * Granted: {@code fence} is the new run's fence. {@code previousOrNull} is the newest run before it, if any:
     * the one whose process the new leader must outwait (its node's stop grace is part of the start bound).
     */
    record Started(AgentFence fence, AgentFence previousOrNull) implements AgentRunResult {
        public Optional<AgentFence> previous() {
            return Optional.ofNullable(previousOrNull);
        }
    }

    /**
     * Refused, nothing changed: the journal already holds {@code current} (null: no run), a run of a newer term, or
     * not the run the request meant to supersede.
     */
    record Refused(AgentFence current) implements AgentRunResult {
    }
}
