package io.agentmesh.state;

import java.util.List;

/**
 * One entry of the agent's memory log, which only grows. Stored as a map in the {@code memory} list.
 *
 * @param id         unique id the writer chose (e.g. a UUID), so an entry can be referred to
 * @param timeMillis when it happened, milliseconds since the epoch (the writer's clock)
 * @param author     who wrote it: a node id, "user", an executor name...
 * @param kind       what it is: "observation", "reflection", "chat"...
 * @param text       the content, at most {@link Limits#MAX_MEMORY_TEXT_BYTES} UTF-8 bytes
 * @param tags       at most {@link Limits#MAX_TAGS} tags
 */
public record MemoryEntry(String id, long timeMillis, String author, String kind, String text, List<String> tags) {
    public MemoryEntry {
        tags = tags == null ? List.of() : List.copyOf(tags);
    }
}
