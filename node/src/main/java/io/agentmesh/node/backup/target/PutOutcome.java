package io.agentmesh.node.backup.target;

/** What a successful {@link BackupTarget#put} did. */
public enum PutOutcome {
    /** The object was written by this call. */
    CREATED,
    /** An object of that name with exactly these bytes was already there: nothing was written. */
    ALREADY_PRESENT
}
