package io.agentmesh.node.actions;

import java.util.List;
import java.util.Objects;

/**
 * One chunk of an {@link ActionJournal} snapshot: some entries and some tombstones, each list sorted. Chunks are cut
 * deterministically from the journal's sorted state, because MicroRaft may fetch different chunks of one snapshot
 * from different members.
 */
public record JournalSnapshotChunk(List<JournalEntry> entries, List<String> tombstones) {
    public JournalSnapshotChunk {
        entries = List.copyOf(Objects.requireNonNull(entries, "entries"));
        tombstones = List.copyOf(Objects.requireNonNull(tombstones, "tombstones"));
    }
}
