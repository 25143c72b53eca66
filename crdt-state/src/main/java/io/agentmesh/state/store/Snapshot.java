package io.agentmesh.state.store;

/**
 * A saved Automerge document together with the store position of the last change it contains, so a restart loads
 * the document and replays only changes appended after {@code lastPosition}.
 */
public record Snapshot(long lastPosition, byte[] document) {
    public Snapshot {
        if (lastPosition < 0) {
            throw new IllegalArgumentException("lastPosition must be >= 0");
        }
        document = document.clone();
    }

    @Override
    public byte[] document() {
        return document.clone();
    }
}
