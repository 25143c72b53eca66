package io.agentmesh.node.replication;

/**
 * A majority-durable write was not confirmed by a majority of the voters within its bound. The write itself is not
 * undone: it is durable on the node that made it and replicates as every write does; only the promise that a
 * majority holds it could not be given in time. The HTTP API answers 503 with this message.
 */
public final class MajorityTimeoutException extends RuntimeException {
    private final long timeoutMs;

    public MajorityTimeoutException(long timeoutMs, String detail) {
        super("durable on this node, not yet acknowledged by a majority: the write is durable here and will"
                + " replicate, but a majority of the voters did not confirm it within " + timeoutMs + " ms ("
                + detail + ")");
        this.timeoutMs = timeoutMs;
    }

    public long timeoutMs() {
        return timeoutMs;
    }
}
