package io.agentmesh.node.llm.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.model.chat.response.ChatResponse;
import io.agentmesh.node.llm.AttemptResult;
import io.agentmesh.node.llm.Usage;
import io.agentmesh.node.llm.gateway.CallResult;

import java.math.BigDecimal;
import java.util.List;
import java.util.Locale;

/**
 * What both formats write of an answered call, read once from the provider layer's result: whichever provider
 * answered, an OpenAI-format client may get Claude's answer and the other way round, so the finish reason is
 * normalised here and each format names it its own way.
 *
 * @param text      the answer's text, empty when it has none (a tool call only)
 * @param toolCalls the tools the model asked to call; arguments are JSON text
 * @param model     the model that answered (the provider's name for it)
 */
record Answer(String text, List<ToolExecutionRequest> toolCalls, Usage usage, Finish finish, String model,
              String providerId, long costNanoUsd, int attempts) {

    /** Why the answer ended, in terms both formats have. */
    enum Finish {
        STOP("stop", "end_turn"),
        STOP_SEQUENCE("stop", "stop_sequence"),
        LENGTH("length", "max_tokens"),
        TOOL_CALLS("tool_calls", "tool_use"),
        CONTENT_FILTER("content_filter", "refusal");

        final String openAi;
        final String anthropic;

        Finish(String openAi, String anthropic) {
            this.openAi = openAi;
            this.anthropic = anthropic;
        }
    }

    /** What agentmesh adds (SDKs keep unknown fields): the call's id in the ledger, who answered, what it cost. */
    ObjectNode extension(ObjectMapper json, String callId) {
        ObjectNode ext = json.createObjectNode();
        ext.put("call_id", callId);
        ext.put("provider", providerId);
        ext.put("attempts", attempts);
        ext.put("cost_usd", BigDecimal.valueOf(costNanoUsd, 9).stripTrailingZeros().toPlainString());
        return ext;
    }

    /** A tool call's arguments as JSON text; none at all is the empty object. */
    static String arguments(ToolExecutionRequest t) {
        return t.arguments() == null || t.arguments().isBlank() ? "{}" : t.arguments();
    }

    static Answer of(CallResult.Answered answered) {
        AttemptResult.Completed c = answered.answer();
        if (!(c.answer() instanceof ChatResponse response)) {
            throw new IllegalStateException("the provider layer's answer is not a LangChain4j ChatResponse: "
                    + (c.answer() == null ? "null" : c.answer().getClass().getName()));
        }
        AiMessage ai = response.aiMessage();
        String text = ai == null || ai.text() == null ? "" : ai.text();
        List<ToolExecutionRequest> tools = ai == null || !ai.hasToolExecutionRequests() ? List.of()
                : List.copyOf(ai.toolExecutionRequests());
        Finish finish = finish(c.finishReason(), response);
        if (!tools.isEmpty() && (finish == Finish.STOP || finish == Finish.STOP_SEQUENCE)) {
            finish = Finish.TOOL_CALLS;
        }
        return new Answer(text, tools, c.usage(), finish, c.model(), c.providerId(), answered.costNanoUsd(),
                answered.attempts().size());
    }

    private static Finish finish(String raw, ChatResponse response) {
        String r = raw == null ? "" : raw.toLowerCase(Locale.ROOT);
        switch (r) {
            case "stop", "end_turn", "pause_turn" -> {
                return Finish.STOP;
            }
            case "stop_sequence" -> {
                return Finish.STOP_SEQUENCE;
            }
            case "length", "max_tokens", "model_context_window_exceeded" -> {
                return Finish.LENGTH;
            }
            case "tool_calls", "function_call", "tool_use" -> {
                return Finish.TOOL_CALLS;
            }
            case "content_filter", "refusal" -> {
                return Finish.CONTENT_FILTER;
            }
            default -> {
                // An unnamed reason: LangChain4j's reading of it, else a plain stop.
                if (response.finishReason() == null) {
                    return Finish.STOP;
                }
                return switch (response.finishReason()) {
                    case LENGTH -> Finish.LENGTH;
                    case TOOL_EXECUTION -> Finish.TOOL_CALLS;
                    case CONTENT_FILTER -> Finish.CONTENT_FILTER;
                    default -> Finish.STOP;
                };
            }
        }
    }
}
