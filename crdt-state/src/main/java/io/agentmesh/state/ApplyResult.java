package io.agentmesh.state;

import io.agentmesh.state.automerge.ChangeHeader;

import java.util.List;

/**
 * What {@link AgentState#applyChange} did with a change that passed its checks.
 *
 * @param header           the parsed change (actor, seq, deps, hash)
 * @param status           what happened to it
 * @param released         changes that were waiting for this one and are now applied, in the order applied
 * @param releasedRejected changes that were waiting for this one and turned out to be invalid against the document
 *                         now that their dependencies are there; they were dropped and changed nothing
 */
public record ApplyResult(ChangeHeader header, Status status, List<ChangeHeader> released,
                          List<StateException> releasedRejected) {
    public enum Status {
        /** Applied to the document. */
        APPLIED,
        /** The document already had it; nothing changed. */
        DUPLICATE,
        /** Held (in memory) until the changes it depends on are applied; then it is checked and applied. */
        WAITING_FOR_DEPENDENCIES
    }

    public ApplyResult {
        released = List.copyOf(released);
        releasedRejected = List.copyOf(releasedRejected);
    }
}
