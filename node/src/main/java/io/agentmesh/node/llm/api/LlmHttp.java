package io.agentmesh.node.llm.api;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import io.agentmesh.node.llm.gateway.CallRequest;
import io.agentmesh.node.llm.gateway.CallResult;
import io.agentmesh.node.llm.gateway.LlmCalls;
import io.agentmesh.node.llm.gateway.LlmModels;
import io.agentmesh.node.llm.ledger.LedgerOp;
import io.agentmesh.node.llm.provider.StreamSink;
import io.agentmesh.protocol.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The agent's LLM endpoints on the node's HTTP server (docs/llm.md, "Endpoints for the agent"):
 *
 * <pre>
 * POST /llm/openai/v1/chat/completions   OpenAI chat completions, JSON or SSE   (SDK baseURL .../llm/openai/v1)
 * GET  /llm/openai/v1/models             the names a call may ask for
 * POST /llm/anthropic/v1/messages        Anthropic messages, JSON or SSE        (SDK baseURL .../llm/anthropic)
 * GET  /llm/anthropic/v1/models          the same names, in Anthropic's shape
 * </pre>
 *
 * <p>Each call gets a new id (a random UUID, answered as {@code x-request-id}): an endpoint call is never deduplicated,
 * because whether to retry it is the client's choice and a client's retry is a new call (the gateway already retried
 * and failed over inside the call). An {@code Idempotency-Key} or {@code x-request-id} sent by the client is ignored.
 *
 * <p>Threads: {@link #handle} returns at once; each call is served on {@code exchanges} (a call may stream for
 * minutes, and must not hold one of the API's handler threads), at most {@code maxOpenCalls} at a time. A stream's
 * text is handed from the provider's thread to the exchange's through a queue bounded by
 * {@link #MAX_PENDING_TEXT_CHARS}: the sink never blocks; it refuses text (which cancels the call) when the client
 * has gone or does not keep up.
 *
 * <p>Nothing here logs or answers a header of the request (the SDKs send an API key, which the node ignores: the
 * providers' keys are the node's own and never leave the provider layer).
 */
public final class LlmHttp {
    private static final Logger log = LoggerFactory.getLogger(LlmHttp.class);
    public static final String PREFIX = "/llm/";
    static final String OPENAI_CHAT = "/llm/openai/v1/chat/completions";
    static final String OPENAI_MODELS = "/llm/openai/v1/models";
    static final String ANTHROPIC_MESSAGES = "/llm/anthropic/v1/messages";
    static final String ANTHROPIC_MODELS = "/llm/anthropic/v1/models";
    /** The largest request body (a long conversation with images): larger ones are answered 413. */
    public static final int MAX_BODY_BYTES = 8 * 1024 * 1024;
    /** How much of a refused oversized body is still read, so the client sees the 413 rather than a reset. */
    static final long MAX_DRAINED_BYTES = 4L * MAX_BODY_BYTES;
    /** Streamed text the client has not taken yet, in characters; more cancels the call. */
    public static final int MAX_PENDING_TEXT_CHARS = 1024 * 1024;
    /** The output limit of a call that sets none, for a name the model list does not know. */
    public static final long DEFAULT_MAX_OUTPUT_TOKENS = 4096;
    /** The SDKs' own timeout header (seconds), read as the call's deadline. */
    static final String TIMEOUT_HEADER = "X-Stainless-Timeout";
    static final long MAX_TIMEOUT_HEADER_S = 86_400;

    private final LlmCalls calls;
    private final LlmModels models;
    private final Clock clock;
    private final Supplier<String> callIds;
    private final Executor exchanges;
    private final Semaphore open;
    private final long maxCallMs;
    private final String nodeName;
    private final ObjectMapper json = new ObjectMapper();
    private final OpenAiChatFormat openAi = new OpenAiChatFormat(json);
    private final AnthropicMessagesFormat anthropic = new AnthropicMessagesFormat(json);

    /**
     * @param callIds      a new call id per request (production: random UUIDs)
     * @param exchanges    where calls are served; one task per call, which may block for the whole call
     * @param maxOpenCalls calls served at once; more are answered 503 (retryable) at once
     * @param maxCallMs    the longest this endpoint waits for a call's end; the gateway's own deadlines end calls
     *                     sooner, this bounds an exchange whatever happens
     */
    public LlmHttp(LlmCalls calls, LlmModels models, Clock clock, Supplier<String> callIds, Executor exchanges,
                   int maxOpenCalls, long maxCallMs, String nodeName) {
        this.calls = Objects.requireNonNull(calls, "calls");
        this.models = Objects.requireNonNull(models, "models");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.callIds = Objects.requireNonNull(callIds, "callIds");
        this.exchanges = Objects.requireNonNull(exchanges, "exchanges");
        if (maxOpenCalls < 1 || maxCallMs < 1) {
            throw new IllegalArgumentException("maxOpenCalls and maxCallMs are at least 1");
        }
        this.open = new Semaphore(maxOpenCalls);
        this.maxCallMs = maxCallMs;
        this.nodeName = Objects.requireNonNull(nodeName, "nodeName");
    }

    /** Whether a request path is one of these endpoints' (HttpApi hands those over whole). */
    public static boolean owns(String path) {
        return path.startsWith(PREFIX);
    }

    /**
     * Takes over one exchange under {@link #PREFIX}: answers it (at once, or on the executor for a call) and closes
     * it. Never throws.
     */
    public void handle(HttpExchange ex) {
        String path = ex.getRequestURI().getPath();
        String method = ex.getRequestMethod();
        ChatFormat format = path.startsWith("/llm/anthropic/") ? anthropic : openAi;
        try {
            switch (path) {
                case OPENAI_CHAT, ANTHROPIC_MESSAGES -> {
                    if (!method.equals("POST")) {
                        throw new EndpointError(EndpointError.Kind.METHOD_NOT_ALLOWED, "method_not_allowed", null,
                                "use POST on " + path);
                    }
                    startCall(ex, format);
                    return;
                }
                case OPENAI_MODELS, ANTHROPIC_MODELS -> {
                    if (!method.equals("GET")) {
                        throw new EndpointError(EndpointError.Kind.METHOD_NOT_ALLOWED, "method_not_allowed", null,
                                "use GET on " + path);
                    }
                    sendJson(ex, 200, json.writeValueAsBytes(format.models(models)), null);
                }
                default -> throw new EndpointError(EndpointError.Kind.NOT_FOUND, "unknown_url", null, "no such"
                        + " endpoint: " + method + " " + path + " (the OpenAI SDK's base URL is"
                        + " http://<node>/llm/openai/v1, the Anthropic SDK's http://<node>/llm/anthropic)");
            }
        } catch (EndpointError e) {
            sendError(ex, format, e, null);
        } catch (IOException | RuntimeException e) {
            log.warn("node {} llm endpoint {} {} failed: {}", nodeName, method, path, e.toString());
        }
        ex.close();
    }

    /**
     * Answers an exchange under {@link #PREFIX} on a node that serves no LLM endpoints (a witness, or a node built
     * without a gateway), in the format its path names, and closes it.
     */
    public static void refuse(HttpExchange ex, String message) {
        ObjectMapper json = new ObjectMapper();
        ChatFormat format = ex.getRequestURI().getPath().startsWith("/llm/anthropic/")
                ? new AnthropicMessagesFormat(json) : new OpenAiChatFormat(json);
        EndpointError e = new EndpointError(EndpointError.Kind.NOT_CONFIGURED, "not_configured", null, message);
        try (ex) {
            send(ex, e.status(), json.writeValueAsBytes(format.error(e)), "application/json", e, null);
        } catch (IOException ignored) {
            // the client went away: nothing to answer
        }
    }

    private void startCall(HttpExchange ex, ChatFormat format) {
        if (!open.tryAcquire()) {
            throw new EndpointError(EndpointError.Kind.OVERLOADED, "overloaded", null, "this node is serving its"
                    + " limit of LLM calls at once; retry shortly");
        }
        try {
            exchanges.execute(() -> {
                try {
                    serve(ex, format);
                } finally {
                    open.release();
                    ex.close();
                }
            });
        } catch (RejectedExecutionException e) {
            open.release();
            throw new EndpointError(EndpointError.Kind.OVERLOADED, "overloaded", null, "this node is shutting down"
                    + " or at its limit of LLM calls; retry shortly");
        }
    }

    /** One call, on its own thread: read, parse, call, answer. */
    private void serve(HttpExchange ex, ChatFormat format) {
        String callId = callIds.get();
        try {
            JsonNode body = readBody(ex);
            ParsedCall call = format.parse(body);
            long maxOutput = call.maxOutputTokens().isPresent() ? call.maxOutputTokens().getAsLong()
                    : models.find(call.modelOrAlias()).map(LlmModels.Entry::maxOutputTokens)
                    .orElse(DEFAULT_MAX_OUTPUT_TOKENS);
            CallRequest request = new CallRequest(callId, LedgerOp.Origin.ENDPOINT, call.modelOrAlias(), call.chat(),
                    maxOutput, call.stream(), deadline(ex));
            if (call.stream()) {
                new StreamedCall(ex, format, call, callId).run(request);
            } else {
                nonStreamed(ex, format, call, request);
            }
        } catch (EndpointError e) {
            log.info("node {} llm {} call {} refused: {} {}", nodeName, format.name(), callId, e.status(),
                    e.getMessage());
            sendError(ex, format, e, callId);
        } catch (IOException e) {
            log.info("node {} llm {} call {}: the client went away: {}", nodeName, format.name(), callId,
                    e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            sendError(ex, format, new EndpointError(EndpointError.Kind.CANCELLED, "cancelled", null,
                    "the node is shutting down"), callId);
        } catch (RuntimeException e) {
            log.warn("node {} llm {} call {} failed inside the endpoint: {}", nodeName, format.name(), callId,
                    e.toString());
            sendError(ex, format, new EndpointError(EndpointError.Kind.INTERNAL, "internal_error", null,
                    "the node failed to serve the call " + callId + "; its log has the reason"), callId);
        }
    }

    private JsonNode readBody(HttpExchange ex) throws IOException {
        byte[] bytes;
        try (InputStream in = ex.getRequestBody()) {
            bytes = in.readNBytes(MAX_BODY_BYTES + 1);
            if (bytes.length > MAX_BODY_BYTES) {
                // Read (and drop) a bounded rest, so that the client reads the 413 instead of a reset connection.
                long drained = 0;
                byte[] sink = new byte[64 * 1024];
                int n;
                while (drained < MAX_DRAINED_BYTES && (n = in.read(sink)) > 0) {
                    drained += n;
                }
                throw new EndpointError(EndpointError.Kind.TOO_LARGE, "request_too_large", null, "the request"
                        + " body is larger than " + MAX_BODY_BYTES + " bytes (8 MiB), the endpoints' limit");
            }
        }
        return parseBody(json, bytes);
    }

    /**
     * A request body as a JSON object, or an {@link EndpointError} (invalid_json). Jackson detects the encoding
     * (UTF-8/16/32) itself, and a body it takes for UTF-32 with an impossible character fails with a plain
     * {@code CharConversionException}, not a {@link JacksonException}: both are the client's bad body (the bytes are
     * already in memory, so no IOException here means the client went away).
     */
    static JsonNode parseBody(ObjectMapper json, byte[] bytes) {
        try {
            JsonNode node = json.readTree(bytes);
            if (node == null || node.isMissingNode()) {
                throw EndpointError.invalid(null, "invalid_json", "the request body is empty: send a JSON object");
            }
            if (!node.isObject()) {
                throw EndpointError.invalid(null, "invalid_json", "the request body is " + Fields.typeName(node)
                        + ": send a JSON object");
            }
            return node;
        } catch (JacksonException e) {
            throw EndpointError.invalid(null, "invalid_json", "We could not parse the JSON body of your request: "
                    + e.getOriginalMessage());
        } catch (IOException e) {
            throw EndpointError.invalid(null, "invalid_json", "We could not parse the JSON body of your request: "
                    + e.getMessage());
        }
    }

    /** The SDKs send their timeout: the call need not go on after the client has given up on it. */
    private OptionalLong deadline(HttpExchange ex) {
        String header = ex.getRequestHeaders().getFirst(TIMEOUT_HEADER);
        if (header == null) {
            return OptionalLong.empty();
        }
        try {
            long seconds = Long.parseLong(header.trim());
            if (seconds < 1 || seconds > MAX_TIMEOUT_HEADER_S) {
                return OptionalLong.empty();
            }
            return OptionalLong.of(clock.nowMillis() + seconds * 1000);
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    private void nonStreamed(HttpExchange ex, ChatFormat format, ParsedCall call, CallRequest request)
            throws IOException, InterruptedException {
        CompletionStage<CallResult> stage = calls.call(request, text -> true);
        LinkedBlockingQueue<Object> done = new LinkedBlockingQueue<>();
        stage.whenComplete((r, t) -> done.add(r != null ? r : failure(t)));
        Object end = done.poll(maxCallMs, TimeUnit.MILLISECONDS);
        CallResult result = resultOf(end, request.callId());
        logEnd(format, call, result);
        switch (result) {
            case CallResult.Answered a -> sendJson(ex, 200, json.writeValueAsBytes(
                    format.answer(request.callId(), call, a, clock.nowMillis() / 1000)), request.callId());
            case CallResult.Failed f -> sendError(ex, format, EndpointError.of(f), request.callId());
        }
    }

    /** What ended a wait for a call: its result, or a failure the client can read. */
    private CallResult resultOf(Object end, String callId) {
        return switch (end) {
            case CallResult r -> r;
            case Throwable t -> {
                log.warn("node {} llm call {}: the gateway failed: {}", nodeName, callId, t.toString());
                yield new CallResult.Failed(callId, CallResult.Failure.UPSTREAM_UNAVAILABLE, "the gateway failed"
                        + " on this call; the node's log has the reason", java.util.Optional.empty(), List.of());
            }
            case null -> new CallResult.Failed(callId, CallResult.Failure.DEADLINE_PASSED, "no end of the call"
                    + " within " + maxCallMs + " ms", java.util.Optional.empty(), List.of());
            default -> throw new IllegalStateException("unexpected end " + end);
        };
    }

    private static Throwable failure(Throwable t) {
        return t == null ? new IllegalStateException("the call ended with neither a result nor an error") : t;
    }

    private void logEnd(ChatFormat format, ParsedCall call, CallResult result) {
        switch (result) {
            case CallResult.Answered a -> log.info("node {} llm {} call {} \"{}\"{}: answered by {}/{} after {}"
                            + " attempt(s), {} in, {} out", nodeName, format.name(), a.callId(), call.modelOrAlias(),
                    call.stream() ? " (stream)" : "", a.answer().providerId(), a.answer().model(),
                    a.attempts().size(), a.answer().usage().totalInputTokens(), a.answer().usage().outputTokens());
            case CallResult.Failed f -> log.info("node {} llm {} call {} \"{}\"{}: {}: {}", nodeName, format.name(),
                    f.callId(), call.modelOrAlias(), call.stream() ? " (stream)" : "", f.failure(), f.message());
        }
    }

    /**
     * One streamed call: text from the provider's thread goes through a bounded queue to this exchange's thread, which
     * sends the 200 and the first events with the first text. A call that fails before any text was sent is
     * answered with an HTTP error like a non-streamed one; after, with the format's error event and never its
     * terminal success event, so the client sees a failure, never a truncated success.
     */
    private final class StreamedCall implements StreamSink {
        private final HttpExchange ex;
        private final ChatFormat format;
        private final ParsedCall call;
        private final String callId;
        private final LinkedBlockingQueue<Object> events = new LinkedBlockingQueue<>();
        private final AtomicLong pendingChars = new AtomicLong();
        /** Whether the sink refuses text: the client went away or fell behind, or the wait's bound passed. */
        private volatile boolean refusing;
        /** Whether writing to the client failed: nothing more is written. */
        private boolean broken;
        private ChatFormat.StreamRenderer renderer;
        private OutputStream out;

        StreamedCall(HttpExchange ex, ChatFormat format, ParsedCall call, String callId) {
            this.ex = ex;
            this.format = format;
            this.call = call;
            this.callId = callId;
        }

        /** On the provider's thread: never blocks. */
        @Override
        public boolean offer(String delta) {
            if (refusing) {
                return false;
            }
            if (delta == null || delta.isEmpty()) {
                return true;
            }
            if (pendingChars.addAndGet(delta.length()) > MAX_PENDING_TEXT_CHARS) {
                refusing = true;
                return false;
            }
            events.add(delta);
            return true;
        }

        void run(CallRequest request) throws IOException, InterruptedException {
            renderer = format.stream(callId, call, clock.nowMillis() / 1000);
            calls.call(request, this).whenComplete((r, t) -> events.add(r != null ? r : failure(t)));
            long deadline = clock.monotonicNanos() + TimeUnit.MILLISECONDS.toNanos(maxCallMs);
            while (true) {
                long leftNanos = deadline - clock.monotonicNanos();
                Object e = leftNanos <= 0 ? null : events.poll(leftNanos, TimeUnit.NANOSECONDS);
                if (e instanceof String delta) {
                    pendingChars.addAndGet(-delta.length());
                    if (!refusing) {
                        if (out == null) {
                            begin();
                        }
                        write(renderer.text(delta));
                    }
                    continue;
                }
                if (e == null) {
                    // Past this endpoint's bound: the next text the gateway offers cancels the call.
                    refusing = true;
                }
                CallResult result = resultOf(e, callId);
                logEnd(format, call, result);
                switch (result) {
                    case CallResult.Answered a -> {
                        if (out == null) {
                            begin();
                        }
                        write(renderer.end(a));
                    }
                    case CallResult.Failed f -> {
                        EndpointError error = EndpointError.of(f);
                        if (out == null) {
                            sendError(ex, format, error, callId);
                        } else {
                            write(renderer.error(error));
                        }
                    }
                }
                return;
            }
        }

        private void begin() {
            try {
                ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
                ex.getResponseHeaders().set("Cache-Control", "no-cache");
                ex.getResponseHeaders().set("x-request-id", callId);
                ex.sendResponseHeaders(200, 0);
                out = ex.getResponseBody();
                write(renderer.start());
            } catch (IOException e) {
                clientGone(e);
                out = OutputStream.nullOutputStream();
            }
        }

        private void write(List<SseEvent> frames) {
            if (broken) {
                return;
            }
            try {
                for (SseEvent f : frames) {
                    out.write(f.frame());
                }
                out.flush();
            } catch (IOException e) {
                clientGone(e);
            }
        }

        private void clientGone(IOException e) {
            if (!broken) {
                broken = true;
                refusing = true;
                log.info("node {} llm {} call {}: the client went away mid-stream ({}); the call is cancelled at its"
                        + " next text", nodeName, format.name(), callId, e.toString());
            }
        }
    }

    private void sendJson(HttpExchange ex, int status, byte[] body, String callId) throws IOException {
        send(ex, status, body, "application/json", null, callId);
    }

    private void sendError(HttpExchange ex, ChatFormat format, EndpointError e, String callId) {
        try {
            send(ex, e.status(), json.writeValueAsBytes(format.error(e)), "application/json", e, callId);
        } catch (IOException io) {
            log.info("node {} llm {} call {}: could not answer {}: {}", nodeName, format.name(), callId, e.status(),
                    io.toString());
        }
    }

    private static void send(HttpExchange ex, int status, byte[] body, String type, EndpointError error, String callId)
            throws IOException {
        ex.getResponseHeaders().set("Content-Type", type + "; charset=utf-8");
        if (callId != null) {
            ex.getResponseHeaders().set("x-request-id", callId);
        }
        if (error != null) {
            // The SDKs retry 429 and 5xx by themselves unless told not to: agentmesh is the only retry loop.
            ex.getResponseHeaders().set("x-should-retry", Boolean.toString(error.kind.retryable));
            if (error.kind == EndpointError.Kind.OVERLOADED) {
                ex.getResponseHeaders().set("Retry-After", Integer.toString(EndpointError.OVERLOADED_RETRY_AFTER_S));
            }
        }
        ex.sendResponseHeaders(status, body.length);
        ex.getResponseBody().write(body);
    }

}
