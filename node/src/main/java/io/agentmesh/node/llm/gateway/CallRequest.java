package io.agentmesh.node.llm.gateway;

import dev.langchain4j.model.chat.request.ChatRequest;
import io.agentmesh.node.llm.ledger.LedgerOp;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * One LLM call as the gateway takes it, from an agent's request on an endpoint (OpenAI or Anthropic format) or from
 * an {@code llm} intent.
 *
 * @param callId         unique per call: the ledger refuses a second call with the same id
 * @param origin         where it came from (an intent's call may be retried by a later leader; an endpoint's may not)
 * @param modelOrAlias   what the client asked for: a configured model, an alias, or {@code provider/model}
 * @param chat           the request in LangChain4j's model; its own model name is ignored
 * @param maxOutputTokens the most output the client asked for, or the gateway's default when it asked for none:
 *                       the worst case reserved against the budgets is priced from it
 * @param stream         whether the client streams: text goes to the call's sink as it arrives
 * @param deadlineMillis absolute wall-clock deadline of the whole call, when the client set one
 */
public record CallRequest(String callId, LedgerOp.Origin origin, String modelOrAlias, ChatRequest chat,
                          long maxOutputTokens, boolean stream, OptionalLong deadlineMillis) {
    public CallRequest {
        Objects.requireNonNull(callId, "callId");
        Objects.requireNonNull(origin, "origin");
        Objects.requireNonNull(modelOrAlias, "modelOrAlias");
        Objects.requireNonNull(chat, "chat");
        Objects.requireNonNull(deadlineMillis, "deadlineMillis");
        if (callId.isEmpty() || callId.length() > LedgerOp.MAX_CALL_ID_CHARS) {
            throw new IllegalArgumentException("callId has 1 to " + LedgerOp.MAX_CALL_ID_CHARS + " characters");
        }
        if (modelOrAlias.isBlank()) {
            throw new IllegalArgumentException("a call names a model or an alias");
        }
        if (maxOutputTokens < 1) {
            throw new IllegalArgumentException("maxOutputTokens is at least 1, got " + maxOutputTokens);
        }
    }

    /** Whether the request offers tools: an in-doubt call with tools is never retried by a later leader. */
    public boolean hasTools() {
        return chat.parameters().toolSpecifications() != null && !chat.parameters().toolSpecifications().isEmpty();
    }
}
