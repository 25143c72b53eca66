package io.agentmesh.state;

import java.util.List;
import java.util.Objects;

/**
 * What {@link AgentState#commitBatch} made of a batch of local writes: the changes, in commit order (usually one),
 * and for each write, in the order given, the change holding it or the error it failed with (and changed nothing).
 */
public record LocalBatch(List<LocalChange> changes, List<Write> writes) {
    public LocalBatch {
        changes = List.copyOf(changes);
        writes = List.copyOf(writes);
    }

    /**
     * One write's outcome.
     *
     * @param change the index in {@link #changes()} of the change holding the write; -1 when it failed
     * @param error  why the write failed (it changed nothing); null when it is in a change
     */
    public record Write(int change, RuntimeException error) {
        public Write {
            if ((error == null) == (change < 0)) {
                throw new IllegalArgumentException("a write is either in a change or failed, not both or neither");
            }
        }

        static Write in(int change) {
            return new Write(change, null);
        }

        static Write failed(RuntimeException error) {
            return new Write(-1, Objects.requireNonNull(error, "error"));
        }

        public boolean ok() {
            return error == null;
        }
    }

    /**
     * How big one change of a batch may grow before the next write goes into a new change, measured before each
     * write is applied ({@code TxOps}: ops, and an upper bound of their bytes). A single write bigger than this is a
     * change of its own (the per-write limits in {@link Limits} keep it under what peers accept). The bytes bound is
     * also what one change may insert into one workspace file, so it must stay at or under
     * {@link Limits#MAX_WORKSPACE_FILE_BYTES}, which peers enforce.
     *
     * @param maxOps   ops in one change of several writes
     * @param maxBytes bytes (upper bound) of one change of several writes
     */
    public record ChangeLimits(long maxOps, long maxBytes) {
        /** About 700 small writes (a memory entry is ~8 ops and ~350 bytes by this count). */
        public static final ChangeLimits DEFAULT = new ChangeLimits(16_384, 256L * 1024);

        public ChangeLimits {
            if (maxOps < 1 || maxBytes < 1) {
                throw new IllegalArgumentException("maxOps and maxBytes must be >= 1, got " + maxOps + " and "
                        + maxBytes);
            }
            if (maxOps > io.agentmesh.state.automerge.ChangeHeader.MAX_OPS) {
                throw new IllegalArgumentException("maxOps may be at most "
                        + io.agentmesh.state.automerge.ChangeHeader.MAX_OPS + " (what peers accept in one change), got "
                        + maxOps);
            }
            if (maxBytes > Limits.MAX_WORKSPACE_FILE_BYTES) {
                throw new IllegalArgumentException("maxBytes may be at most " + Limits.MAX_WORKSPACE_FILE_BYTES
                        + " (what peers accept inserted into one workspace file by one change), got " + maxBytes);
            }
        }
    }
}
