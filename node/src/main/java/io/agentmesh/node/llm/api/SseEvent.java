package io.agentmesh.node.llm.api;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * One server-sent event: an optional event name (Anthropic names each event, OpenAI names none) and one line of data
 * (JSON never holds a raw line break, so one {@code data:} line is enough).
 */
record SseEvent(String event, String data) {
    SseEvent {
        Objects.requireNonNull(data, "data");
        if (data.indexOf('\n') >= 0 || data.indexOf('\r') >= 0 || (event != null && (event.indexOf('\n') >= 0
                || event.indexOf('\r') >= 0))) {
            throw new IllegalArgumentException("an event's name and data are one line each");
        }
    }

    static SseEvent data(String data) {
        return new SseEvent(null, data);
    }

    /** The event as it goes on the wire, ending with the blank line that dispatches it. */
    byte[] frame() {
        String text = (event == null ? "" : "event: " + event + "\n") + "data: " + data + "\n\n";
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
