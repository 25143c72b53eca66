package io.agentmesh.node.consensus;

import io.microraft.RaftEndpoint;
import io.microraft.model.RaftModelFactory;
import io.microraft.model.log.LogEntry;
import io.microraft.model.log.RaftGroupMembersView;
import io.microraft.model.log.SnapshotChunk;
import io.microraft.model.log.SnapshotEntry;
import io.microraft.model.persistence.RaftEndpointPersistentState;
import io.microraft.model.persistence.RaftTermPersistentState;
import io.microraft.persistence.RestoredRaftState;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.SortedMap;

/**
 * Builds a {@link RestoredRaftState} from what a store read back, with the checks MicroRaft does not do itself:
 * only a complete snapshot counts (all its chunks present, counts agreeing), and the log after it must be contiguous
 * from snapshot index + 1 (MicroRaft's RaftLog would accept a gap and misplace entries). Shared by the stores so both
 * restore the same way.
 */
public final class RestoredStateAssembler {
    private RestoredStateAssembler() {
    }

    public static RestoredRaftState assemble(RaftModelFactory factory, RaftEndpoint local, boolean voting,
                                      RaftGroupMembersView initialMembers, int term, RaftEndpoint votedFor,
                                      NavigableMap<Long, ? extends SortedMap<Integer, SnapshotChunk>> chunksByIndex,
                                      NavigableMap<Long, LogEntry> log, String where) throws IOException {
        if (initialMembers == null) {
            throw new IOException(where + ": the local endpoint is stored but the initial members are not");
        }
        SnapshotEntry snapshot = newestCompleteSnapshot(factory, chunksByIndex, where);
        long snapshotIndex = snapshot == null ? 0 : snapshot.getIndex();
        List<LogEntry> entries = new ArrayList<>();
        long expected = snapshotIndex + 1;
        for (Map.Entry<Long, LogEntry> e : log.tailMap(snapshotIndex, false).entrySet()) {
            if (e.getKey() != expected || e.getValue().getIndex() != expected) {
                throw new IOException(where + ": the Raft log has a gap: expected index " + expected + ", found "
                        + e.getKey() + (snapshot == null ? "" : " (snapshot at " + snapshotIndex + ")"));
            }
            entries.add(e.getValue());
            expected++;
        }
        RaftEndpointPersistentState endpointState = factory.createRaftEndpointPersistentStateBuilder()
                .setLocalEndpoint(local).setVoting(voting).build();
        RaftTermPersistentState termState = factory.createRaftTermPersistentStateBuilder().setTerm(term)
                .setVotedFor(votedFor).build();
        return new RestoredRaftState(endpointState, initialMembers, termState, snapshot, entries);
    }

    private static SnapshotEntry newestCompleteSnapshot(
            RaftModelFactory factory, NavigableMap<Long, ? extends SortedMap<Integer, SnapshotChunk>> chunksByIndex,
            String where) throws IOException {
        for (Map.Entry<Long, ? extends SortedMap<Integer, SnapshotChunk>> e : chunksByIndex.descendingMap()
                .entrySet()) {
            SortedMap<Integer, SnapshotChunk> chunks = e.getValue();
            if (chunks.isEmpty()) {
                continue;
            }
            SnapshotChunk first = chunks.get(chunks.firstKey());
            int count = first.getSnapshotChunkCount();
            if (chunks.size() != count) {
                continue; // partially installed; an older complete one (or none) stands
            }
            List<SnapshotChunk> ordered = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                SnapshotChunk c = chunks.get(i);
                if (c == null || c.getSnapshotChunkCount() != count || c.getIndex() != e.getKey()
                        || c.getTerm() != first.getTerm()) {
                    throw new IOException(where + ": snapshot at index " + e.getKey() + " has inconsistent chunks");
                }
                ordered.add(c);
            }
            return factory.createSnapshotEntryBuilder().setIndex(e.getKey()).setTerm(first.getTerm())
                    .setSnapshotChunks(ordered).setGroupMembersView(first.getGroupMembersView()).build();
        }
        return null;
    }
}
