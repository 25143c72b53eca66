package io.agentmesh.node.actions;

/**
 * Names one committed claim on an intent: the Raft term of the leader that claimed it and the log index at which the
 * claim committed. Unique per claim (indices are), and increasing along the log, so an outside system that remembers
 * the highest token it saw per intent can refuse a stale leader's late request.
 */
public record FencingToken(long term, long index) implements Comparable<FencingToken> {
    public FencingToken {
        if (term < 0 || index < 1) {
            throw new IllegalArgumentException("a fencing token has term >= 0 and index >= 1, got (" + term + ", "
                    + index + ")");
        }
    }

    @Override
    public int compareTo(FencingToken o) {
        int c = Long.compare(term, o.term);
        return c != 0 ? c : Long.compare(index, o.index);
    }

    @Override
    public String toString() {
        return "(" + term + ", " + index + ")";
    }
}
