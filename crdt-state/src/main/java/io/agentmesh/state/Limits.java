package io.agentmesh.state;

/**
 * Input limits of {@link AgentState}'s writes. They keep one change well under the replication limit
 * ({@code SignedChange.MAX_CHANGE_BYTES}, 4 MiB) and stop one runaway caller from bloating a document every node
 * must hold. Sizes of free text are UTF-8 bytes; ids and names are UTF-16 chars.
 */
public final class Limits {
    private Limits() {
    }

    /** Ids (memory entry, task, schedule, intent): non-empty, no control characters, at most this many chars. */
    public static final int MAX_ID_LENGTH = 128;
    /** Short names (author, kind, status, zone, counter name, catch-up policy, cron expression). */
    public static final int MAX_NAME_LENGTH = 128;
    public static final int MAX_MEMORY_TEXT_BYTES = 64 * 1024;
    public static final int MAX_TAGS = 32;
    public static final int MAX_TAG_LENGTH = 64;
    /** The whole long-term notes text after an edit. */
    public static final int MAX_NOTES_BYTES = 256 * 1024;
    public static final int MAX_TITLE_LENGTH = 512;
    public static final int MAX_TASK_DETAIL_BYTES = 16 * 1024;
    /** Intent and schedule payloads (JSON text). */
    public static final int MAX_PAYLOAD_BYTES = 64 * 1024;
    public static final int MAX_RESULT_BYTES = 64 * 1024;
    public static final int MAX_AGENT_ID_BYTES = 64;
    /** Largest number (time, term, index) the document holds exactly: 2^53 - 1, JavaScript's safe integer. */
    public static final long MAX_NUMBER = (1L << 53) - 1;

    /** A workspace file's content, UTF-8 bytes, on a local write. */
    public static final int MAX_WORKSPACE_FILE_BYTES = 1024 * 1024;
    /**
     * Workspace paths this node creates. A deleted path keeps its entry (re-creating it reuses the entry), so this
     * counts every path ever created.
     */
    public static final int MAX_WORKSPACE_FILES = 10_000;
    /**
     * Characters one workspace write may insert plus delete: one change carries at most
     * {@code ChangeHeader.MAX_OPS} ops (one per character, plus a few), and every peer refuses a bigger one. So a new
     * file of up to about 1 Mi characters, or a rewrite of up to half of a 1 MiB file, fits in one write; a bigger
     * rewrite is refused with the reason (make it in smaller edits).
     */
    public static final int MAX_WORKSPACE_WRITE_CHARS = (1 << 20) - 64;
    /** A workspace path: UTF-16 chars, and '/'-separated segments. */
    public static final int MAX_WORKSPACE_PATH_LENGTH = 512;
    public static final int MAX_WORKSPACE_PATH_SEGMENTS = 32;
    /**
     * What a remote change may bring: honest nodes each keep to the local limits, but their concurrent writes merge
     * (two nodes appending 600 KiB each to one file at the same time make 1.2 MiB), and refusing an honest change
     * would stall that node's later changes everywhere. So a peer's change is refused only past these: a file of more
     * than 4 MiB (counted in characters, which are never more than its UTF-8 bytes), more than
     * {@link #MAX_WORKSPACE_FILE_BYTES} inserted by one change into one file, or more than 2x the file count.
     */
    public static final int MAX_REMOTE_WORKSPACE_FILE_CHARS = 4 * MAX_WORKSPACE_FILE_BYTES;
    public static final int MAX_REMOTE_WORKSPACE_FILES = 2 * MAX_WORKSPACE_FILES;
}
