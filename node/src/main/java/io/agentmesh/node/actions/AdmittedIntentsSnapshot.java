package io.agentmesh.node.actions;

import java.util.List;
import java.util.Objects;

/**
 * The chunk of an {@link ActionJournal} snapshot that lists the intents of superseded agent runs that a newer run
 * carried over and that are not claimed yet, oldest first. A snapshot has it only when there are some.
 */
public record AdmittedIntentsSnapshot(List<String> intentIds) {
    public AdmittedIntentsSnapshot {
        Objects.requireNonNull(intentIds, "intentIds");
        if (intentIds.isEmpty() || intentIds.size() > ActionJournal.MAX_ADMITTED) {
            throw new IllegalArgumentException("a snapshot carries 1 to " + ActionJournal.MAX_ADMITTED
                    + " carried intents, got " + intentIds.size());
        }
        intentIds = List.copyOf(intentIds);
        if (new java.util.HashSet<>(intentIds).size() != intentIds.size()) {
            throw new IllegalArgumentException("a snapshot lists a carried intent twice");
        }
    }
}
