package io.agentmesh.node.llm.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import io.agentmesh.node.actions.ActionContext;
import io.agentmesh.node.actions.ActionExecutor;
import io.agentmesh.node.actions.ActionResult;
import io.agentmesh.node.actions.IntentPayload;
import io.agentmesh.node.llm.AttemptResult;
import io.agentmesh.node.llm.Usage;
import io.agentmesh.node.llm.ledger.LedgerOp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Performs intents of kind {@code llm}: one chat call through the gateway, on the leader that holds the intent's
 * claim. Payload: {@code {"model": "...", "messages": [{"role": "system|user|assistant", "content": "..."}],
 * "maxTokens": N}} ({@code maxTokens} optional, default {@value #DEFAULT_MAX_TOKENS}); any other key or a bad value
 * fails the intent as "not performed", with nothing sent. The outcome's result is JSON: {@code text}, {@code model},
 * {@code provider}, {@code finishReason}, {@code usage}, {@code costUsd} and {@code attempts}; a failed call gives
 * {@code error}, {@code message} and {@code attempts}.
 *
 * <p>Before the call, a start mark is committed through the journal ({@link ActionContext#prepare}): the safe point
 * where a leader that lost its claim stops with nothing sent. The call's id in the ledger is
 * {@code <intent id>@<term>:<index>} of the claim, so a later leader's retry is a call of its own.
 *
 * <p>A later leader that finds the claim with a start mark (its holder died or stayed out of reach, so its call may
 * have reached a provider and been billed) retries a call without tools once, and says so in the result ("retried
 * after an in-doubt attempt by an earlier leader"); a call with tools (whose answer may have led the agent to act)
 * and a retry that was itself left in doubt fail, "in doubt, possibly billed, not retried". The ledger's settlement
 * charges the lost attempts as in doubt either way.
 */
public final class LlmIntentExecutor implements ActionExecutor {
    private static final Logger log = LoggerFactory.getLogger(LlmIntentExecutor.class);
    public static final String KIND = "llm";
    public static final int DEFAULT_MAX_TOKENS = 4096;
    public static final int MAX_TOKENS = 1_000_000;
    public static final int MAX_MESSAGES = 1_000;
    private static final Set<String> KEYS = Set.of("model", "messages", "maxTokens");
    private static final Set<String> MESSAGE_KEYS = Set.of("role", "content");
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final String RETRIED = "retried after an in-doubt attempt by an earlier leader";
    /** The one retry of an in-doubt call {@code C} is call {@code C/retry}. */
    public static final String RETRY_SUFFIX = "/retry";

    private final LlmCalls gateway;
    private final String nodeId;

    public LlmIntentExecutor(LlmCalls gateway, String nodeId) {
        this.gateway = Objects.requireNonNull(gateway, "gateway");
        this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
    }

    @Override
    public String kind() {
        return KIND;
    }

    /** A checked payload. */
    record Request(String model, List<ChatMessage> messages, int maxTokens) {
    }

    @Override
    public CompletionStage<ActionResult> perform(ActionContext ctx) {
        return run(ctx);
    }

    @Override
    public CompletionStage<ActionResult> reconcile(ActionContext ctx, Optional<byte[]> prepared) {
        if (prepared.isEmpty()) {
            return perform(ctx); // the earlier holder never passed its safe point: nothing was sent
        }
        boolean tools = true;
        boolean retry = true;
        String earlierCall = "?";
        try {
            JsonNode mark = JSON.readTree(prepared.get());
            tools = mark.path("tools").asBoolean(true);
            retry = mark.path("retry").asBoolean(true);
            earlierCall = mark.path("callId").asText("?");
        } catch (java.io.IOException e) {
            // An unreadable mark says nothing safe: treat it as a call that must not be repeated.
        }
        if (tools || retry) {
            String why = tools ? "it offered tools" : "it was already a retry of an in-doubt call";
            return CompletableFuture.completedFuture(notRetried(ctx, earlierCall, why));
        }
        log.info("node {} retries llm intent {} under {}: call {} of an earlier leader is in doubt", nodeId,
                ctx.intentId(), ctx.token(), earlierCall);
        return retry(ctx, earlierCall);
    }

    private ActionResult notRetried(ActionContext ctx, String earlierCall, String why) {
        log.info("node {} does not retry llm intent {}: call {} of an earlier leader is in doubt and {}",
                nodeId, ctx.intentId(), earlierCall, why);
        ObjectNode r = JSON.createObjectNode();
        r.put("error", "IN_DOUBT");
        r.put("message", "in doubt, possibly billed, not retried: call " + earlierCall + " of an earlier leader"
                + " may have reached a provider, and " + why);
        return ActionResult.failed(r.toString());
    }

    /**
     * The one retry of an in-doubt call. The journal keeps the first holder's start mark (a claim is prepared once),
     * so the retry cannot mark itself there; its call id is derived from the marked call's instead,
     * {@code <call>/retry}, and the call ledger opens an id only once: a later leader that finds the same mark
     * (this retry was lost too) has its Open refused before anything is sent, and reports the intent in doubt.
     */
    private CompletionStage<ActionResult> retry(ActionContext ctx, String earlierCall) {
        Request request;
        CallRequest call;
        try {
            request = parse(ctx.payloadJson());
            call = new CallRequest(earlierCall + RETRY_SUFFIX, LedgerOp.Origin.INTENT, request.model(),
                    ChatRequest.builder().messages(request.messages()).build(), request.maxTokens(), false,
                    OptionalLong.empty());
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(notRetried(ctx, earlierCall, "its retry cannot be made: "
                    + e.getMessage()));
        }
        return gateway.call(call, text -> true).thenApply(result -> {
            if (result instanceof CallResult.Failed f && f.failure() == CallResult.Failure.REQUEST_REJECTED
                    && f.attempts().isEmpty()) {
                // Nothing was sent: the ledger refused to open the retry (an earlier leader opened it already).
                return notRetried(ctx, earlierCall, "its one retry, call " + call.callId() + ", was already made"
                        + " or could not be opened (" + f.message() + ")");
            }
            return outcome(result, true);
        });
    }

    private CompletionStage<ActionResult> run(ActionContext ctx) {
        Request request;
        try {
            request = parse(ctx.payloadJson());
        } catch (IllegalArgumentException e) {
            log.info("node {} refuses llm intent {}: {}", nodeId, ctx.intentId(), e.getMessage());
            return CompletableFuture.completedFuture(ActionResult.failed("not performed: " + e.getMessage()));
        }
        String callId = callId(ctx);
        ChatRequest chat = ChatRequest.builder().messages(request.messages()).build();
        CallRequest call = new CallRequest(callId, LedgerOp.Origin.INTENT, request.model(), chat,
                request.maxTokens(), false, OptionalLong.empty());
        byte[] mark = JSON.createObjectNode().put("callId", callId).put("tools", call.hasTools()).put("retry", false)
                .toString().getBytes(StandardCharsets.UTF_8);
        return ctx.prepare(mark)
                .thenCompose(committed -> gateway.call(call, text -> true))
                .thenApply(result -> outcome(result, false));
    }

    /** The claim's own call id: a later leader's retry, under its own claim, is another call. */
    static String callId(ActionContext ctx) {
        return ctx.intentId() + "@" + ctx.token().term() + ":" + ctx.token().index();
    }

    private ActionResult outcome(CallResult result, boolean retry) {
        ObjectNode r = JSON.createObjectNode();
        switch (result) {
            case CallResult.Answered a -> {
                r.put("text", a.answer().answer() instanceof ChatResponse response && response.aiMessage() != null
                        && response.aiMessage().text() != null ? response.aiMessage().text() : "");
                r.put("model", a.answer().model());
                r.put("provider", a.answer().providerId());
                r.put("finishReason", a.answer().finishReason());
                Usage u = a.answer().usage();
                ObjectNode usage = r.putObject("usage");
                usage.put("inputTokens", u.inputTokens());
                usage.put("cachedInputTokens", u.cachedInputTokens());
                usage.put("cacheWriteTokens", u.cacheWriteTokens());
                usage.put("outputTokens", u.outputTokens());
                usage.put("reasoningTokens", u.reasoningTokens());
                r.put("costUsd", BigDecimal.valueOf(a.costNanoUsd()).movePointLeft(9));
                attempts(r, a.attempts());
                if (retry) {
                    r.put("note", RETRIED);
                }
                return ActionResult.succeeded(r.toString());
            }
            case CallResult.Failed f -> {
                r.put("error", f.failure().name());
                r.put("message", f.message());
                attempts(r, f.attempts());
                if (retry) {
                    r.put("note", RETRIED);
                }
                return ActionResult.failed(r.toString());
            }
        }
    }

    private static void attempts(ObjectNode r, List<AttemptResult> attempts) {
        ArrayNode list = r.putArray("attempts");
        for (AttemptResult a : attempts) {
            ObjectNode o = list.addObject();
            o.put("target", a.providerId() + "/" + a.model());
            o.put("elapsedMs", a.elapsedMs());
            if (a instanceof AttemptResult.Failed f) {
                o.put("error", f.error().name());
                if (f.httpStatus() > 0) {
                    o.put("httpStatus", f.httpStatus());
                }
                o.put("message", f.message());
            } else {
                o.put("outcome", "answered");
            }
        }
    }

    /** Checks the payload: nothing unknown, every value of the right kind and size. */
    static Request parse(String payloadJson) {
        JsonNode payload = IntentPayload.object(payloadJson, "an llm payload is a JSON object {\"model\": \"...\","
                + " \"messages\": [{\"role\": \"user\", \"content\": \"...\"}], \"maxTokens\": N}", "the llm payload",
                KEYS);
        JsonNode model = payload.get("model");
        if (model == null || !model.isTextual() || model.asText().isBlank()
                || model.asText().length() > LedgerOp.MAX_NAME_CHARS) {
            throw new IllegalArgumentException("\"model\" is required: a configured model, an alias, or"
                    + " provider/model (1.." + LedgerOp.MAX_NAME_CHARS + " characters)");
        }
        JsonNode messages = payload.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty() || messages.size() > MAX_MESSAGES) {
            throw new IllegalArgumentException("\"messages\" is required: an array of 1.." + MAX_MESSAGES
                    + " objects {\"role\": \"system|user|assistant\", \"content\": \"...\"}");
        }
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            String where = "messages[" + i + "]";
            if (!m.isObject()) {
                throw new IllegalArgumentException(where + " is not an object {\"role\": ..., \"content\": ...}");
            }
            IntentPayload.unknownKeys(m, MESSAGE_KEYS, where);
            JsonNode role = m.get("role");
            JsonNode content = m.get("content");
            if (content == null || !content.isTextual()) {
                throw new IllegalArgumentException(where + ".content is required and is a string");
            }
            String text = content.asText();
            String roleText = role != null && role.isTextual() ? role.asText() : "";
            out.add(switch (roleText) {
                case "system" -> SystemMessage.from(nonBlank(text, where));
                case "user" -> UserMessage.from(nonBlank(text, where));
                case "assistant" -> AiMessage.from(nonBlank(text, where));
                default -> throw new IllegalArgumentException(where + ".role must be \"system\", \"user\" or"
                        + " \"assistant\"" + (role == null ? " (it is missing)" : ", got " + role));
            });
        }
        int maxTokens = DEFAULT_MAX_TOKENS;
        JsonNode max = payload.get("maxTokens");
        if (max != null) {
            if (!max.isIntegralNumber() || !max.canConvertToInt() || max.asInt() < 1 || max.asInt() > MAX_TOKENS) {
                throw new IllegalArgumentException("\"maxTokens\" must be an integer 1.." + MAX_TOKENS + ", got "
                        + max);
            }
            maxTokens = max.asInt();
        }
        return new Request(model.asText(), List.copyOf(out), maxTokens);
    }

    private static String nonBlank(String text, String where) {
        if (text.isBlank()) {
            throw new IllegalArgumentException(where + ".content is empty");
        }
        return text;
    }

}
