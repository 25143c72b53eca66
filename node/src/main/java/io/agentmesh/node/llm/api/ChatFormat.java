package io.agentmesh.node.llm.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentmesh.node.llm.gateway.CallResult;
import io.agentmesh.node.llm.gateway.LlmModels;

import java.util.List;

/**
 * One wire format of the agent's endpoints (OpenAI chat completions, Anthropic messages): how its request body becomes
 * a call, and how a call's answer, stream and errors are written back. Pure: no IO, no clock, no threads.
 */
interface ChatFormat {
    /** {@code openai} or {@code anthropic}, for logs. */
    String name();

    /** Reads a request body (a JSON object); an {@link EndpointError} names the field at fault. */
    ParsedCall parse(JsonNode body);

    /** A non-streamed answer. */
    ObjectNode answer(String callId, ParsedCall call, CallResult.Answered answered, long createdSeconds);

    /** A new renderer of one streamed answer. */
    StreamRenderer stream(String callId, ParsedCall call, long createdSeconds);

    /** The body of an error answered before any of the answer was sent. */
    ObjectNode error(EndpointError error);

    /** The list of models. */
    ObjectNode models(LlmModels models);

    /** The events of one streamed answer, in order: {@code start} once, with the first text or at the end. */
    interface StreamRenderer {
        List<SseEvent> start();

        List<SseEvent> text(String delta);

        /** The end of a complete answer: tool calls, finish, usage, the format's terminal event. */
        List<SseEvent> end(CallResult.Answered answered);

        /** The end of a failed one, after some of it was sent: an error event and no terminal success event. */
        List<SseEvent> error(EndpointError error);
    }
}
