package io.agentmesh.state;

/**
 * A task in the {@code tasks} map, keyed by id. Each field is its own map key, so concurrent updates of different
 * fields of an existing task merge; concurrent updates of one field keep one of them (Automerge's deterministic
 * choice).
 *
 * @param detail free text, or {@code null} for none
 */
public record Task(String id, String title, Status status, long updatedMillis, String detail) {
    public enum Status { TODO, DOING, DONE, CANCELLED }
}
