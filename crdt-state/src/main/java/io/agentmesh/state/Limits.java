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
}
