package io.agentmesh.node.llm.provider;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.exception.HttpException;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import io.agentmesh.node.llm.config.ApiKey;
import io.agentmesh.node.llm.config.ProviderConfig;
import io.agentmesh.node.llm.AttemptResult;
import io.agentmesh.node.llm.ErrorClass;
import io.agentmesh.node.llm.ProviderKind;
import io.agentmesh.node.llm.Usage;
import io.agentmesh.node.llm.provider.ErrorClassifier.Classified;
import io.agentmesh.protocol.time.Clock;

import javax.net.ssl.SSLHandshakeException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What every provider shares: per attempt, a LangChain4j model built on that attempt's HTTP client (so status,
 * headers and raw events are the attempt's own, with no state shared between attempts), the watchdog, and the
 * classification of whatever ends the attempt. Subclasses only build the LangChain4j models of their format.
 */
abstract class LangChainProvider implements LlmProvider {
    final ProviderConfig endpoint;
    final Optional<ApiKey> key;
    private final Clock clock;
    private final ScheduledExecutorService timers;
    private final HttpClient http;
    private final ExecutorService callbacks;
    private final ErrorClassifier classifier;
    private final Wire wire;

    LangChainProvider(ProviderConfig endpoint, Optional<ApiKey> key, Clock clock, ScheduledExecutorService timers,
                      ObjectMapper json, Wire wire) {
        this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
        this.key = Objects.requireNonNull(key, "key");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.timers = Objects.requireNonNull(timers, "timers");
        this.classifier = new ErrorClassifier(json);
        this.wire = wire;
        // HTTP/1.1: an aborted attempt closes its own connection, which a provider reads as "stop generating"; and
        // the JDK resends an HTTP/2 request it believes unprocessed, which this rules out.
        this.http = HttpClient.newBuilder()
                .connectTimeout(Duration.ofMillis(endpoint.timeouts().connectMs()))
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        this.callbacks = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("llm-" + endpoint.id() + "-", 0)
                .factory());
    }

    @Override
    public String id() {
        return endpoint.id();
    }

    /** The base URL with exactly one trailing slash, as LangChain4j joins paths. */
    final String baseUrlText() {
        String s = endpoint.endpointUrl().toString();
        return s.endsWith("/") ? s : s + "/";
    }

    @Override
    public ProviderKind kind() {
        return endpoint.kind();
    }

    /** The format's blocking model for one attempt: {@code maxRetries(0)}, on {@code httpClient}. */
    abstract ChatModel chatModel(String model, AttemptHttpClient.Builder httpClient);

    /** The format's streaming model for one attempt, on {@code httpClient}. */
    abstract StreamingChatModel streamingModel(String model, AttemptHttpClient.Builder httpClient);

    @Override
    public AttemptResult call(LlmRequest request, AttemptCancel cancel) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(cancel, "cancel");
        Attempt attempt = newAttempt(request, cancel, false);
        if (attempt.done()) {
            return attempt.await();
        }
        try {
            ChatModel model = chatModel(request.model(), builder(attempt));
            ChatResponse response = model.chat(request.forModel());
            answered(attempt, response);
        } catch (RuntimeException e) {
            failWith(attempt, e);
        }
        return attempt.await();
    }

    @Override
    public AttemptResult stream(LlmRequest request, StreamSink sink, AttemptCancel cancel) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(sink, "sink");
        Objects.requireNonNull(cancel, "cancel");
        Attempt attempt = newAttempt(request, cancel, true);
        attempt.onFirstToken = sink::firstToken;
        if (attempt.done()) {
            return attempt.await();
        }
        try {
            StreamingChatModel model = streamingModel(request.model(), builder(attempt));
            model.chat(request.forModel(), new Handler(attempt, sink));
        } catch (RuntimeException e) {
            failWith(attempt, e);
        }
        return attempt.await();
    }

    @Override
    public void close() {
        http.shutdownNow();
        callbacks.shutdownNow();
    }

    private Attempt newAttempt(LlmRequest request, AttemptCancel cancel, boolean streaming) {
        Attempt attempt = new Attempt(endpoint.id(), request.model(), clock, timers, endpoint.timeouts(), key);
        if (streaming) {
            attempt.watch = wire.newStreamWatch();
        }
        attempt.start(streaming);
        cancel.onCancel(() -> attempt.fail(ErrorClass.CANCELLED, "cancelled by the caller: "
                + cancel.reason().orElse("cancelled")));
        return attempt;
    }

    private AttemptHttpClient.Builder builder(Attempt attempt) {
        return new AttemptHttpClient.Builder(http, attempt, callbacks);
    }

    /** A non-streamed 2xx answer that LangChain4j read: agentmesh checks the raw body itself. */
    private void answered(Attempt attempt, ChatResponse response) {
        String body = attempt.successBody();
        if (body == null) {
            attempt.fail(ErrorClass.MALFORMED_RESPONSE, "the answer's body was not captured");
            return;
        }
        try {
            Wire.Facts facts = wire.readAnswer(body);
            finish(attempt, facts.usage(), facts.finishReason(), facts.responseId(), response);
        } catch (BadAnswer bad) {
            attempt.fail(bad.error, OptionalLong.empty(), bad.usage, bad.getMessage());
        }
    }

    /** A stream LangChain4j reports complete: complete only if its terminal events and usage came. */
    private void streamEnded(Attempt attempt, ChatResponse response) {
        Wire.StreamWatch watch = attempt.watch;
        if (!watch.ended()) {
            attempt.fail(ErrorClass.STREAM_CUT, "the stream ended without " + watch.missing());
            return;
        }
        try {
            finish(attempt, watch.finalUsage(), watch.finishReason(), watch.responseId(), response);
        } catch (BadAnswer bad) {
            attempt.fail(bad.error, OptionalLong.empty(), null, bad.getMessage());
        }
    }

    private void finish(Attempt attempt, Usage usage, String finishReason, String responseId, ChatResponse answer) {
        if (wire.isPolicyStop(finishReason)) {
            attempt.fail(ErrorClass.CONTENT_POLICY, OptionalLong.empty(), usage,
                    "the provider withheld the answer: finish reason " + finishReason);
            return;
        }
        String requestId = attempt.requestIdHeader();
        attempt.complete(usage, finishReason, requestId.isEmpty() ? responseId : requestId, answer);
    }

    /** Classifies whatever LangChain4j or the JDK threw or reported. */
    private void failWith(Attempt attempt, Throwable error) {
        if (attempt.done()) {
            return;
        }
        HttpException http = find(error, HttpException.class);
        if (http != null) {
            Classified c = classifier.classifyHttp(http.statusCode(), attempt.headers(), http.getMessage(),
                    clock.nowMillis());
            attempt.fail(c.error(), c.retryAfterMs(), Usage.NONE, c.message());
            return;
        }
        if (!attempt.requestSent()) {
            attempt.fail(ErrorClass.BAD_REQUEST, "refused before sending: " + describe(error));
            return;
        }
        boolean responded = attempt.status() != 0;
        if (!responded && isConnectFailure(error)) {
            attempt.fail(ErrorClass.CONNECT, "no connection: " + describe(error));
            return;
        }
        String body = attempt.successBody();
        if (body != null) {
            // The whole 2xx body arrived and LangChain4j could not use it (no choices, not JSON, an error object in
            // a 200): our own reading of it says why.
            try {
                wire.readAnswer(body);
                attempt.fail(ErrorClass.MALFORMED_RESPONSE, "the answer could not be read: " + describe(error));
            } catch (BadAnswer bad) {
                attempt.fail(bad.error, OptionalLong.empty(), bad.usage, bad.getMessage());
            }
            return;
        }
        if (find(error, JacksonException.class) != null) {
            // Jackson's exceptions are IOExceptions: a parse failure is not a lost connection.
            attempt.fail(ErrorClass.MALFORMED_RESPONSE, "the answer could not be read: " + describe(error));
            return;
        }
        if (find(error, HttpTimeoutException.class) != null) {
            attempt.fail(ErrorClass.TIMEOUT, "the HTTP client timed out: " + describe(error));
            return;
        }
        if (find(error, IOException.class) != null) {
            attempt.fail(ErrorClass.STREAM_CUT, (responded ? "the connection was lost mid-answer: "
                    : "the connection was lost before an answer: ") + describe(error));
            return;
        }
        if (responded && attempt.status() / 100 == 2) {
            attempt.fail(ErrorClass.MALFORMED_RESPONSE, "the answer could not be read: " + describe(error));
            return;
        }
        // Sent, and failed in a way nothing above names: the provider may have processed it.
        attempt.fail(ErrorClass.STREAM_CUT, "the attempt failed after sending: " + describe(error));
    }

    private static boolean isConnectFailure(Throwable error) {
        return find(error, ConnectException.class) != null || find(error, HttpConnectTimeoutException.class) != null
                || find(error, UnresolvedAddressException.class) != null
                || find(error, UnknownHostException.class) != null
                || find(error, NoRouteToHostException.class) != null
                || find(error, SSLHandshakeException.class) != null;
    }

    private static <T extends Throwable> T find(Throwable error, Class<T> type) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    /** The innermost cause's class and message, on one line. */
    private static String describe(Throwable error) {
        Throwable root = error;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        return ErrorClassifier.clip(root.getClass().getSimpleName() + (message == null ? "" : ": " + message));
    }

    /**
     * LangChain4j's streaming callbacks for one attempt. The first-token and idle clocks are driven from the raw events
     * ({@link AttemptHttpClient}), not from here.
     */
    private final class Handler implements StreamingChatResponseHandler {
        private final Attempt attempt;
        private final StreamSink sink;

        Handler(Attempt attempt, StreamSink sink) {
            this.attempt = attempt;
            this.sink = sink;
        }

        @Override
        public void onPartialResponse(String partialResponse) {
            if (attempt.done()) {
                return;
            }
            if (!sink.offer(partialResponse)) {
                attempt.fail(ErrorClass.CANCELLED, "the stream's consumer refused text (gone, or over its bound)");
            }
        }

        @Override
        public void onCompleteResponse(ChatResponse completeResponse) {
            if (!attempt.done()) {
                streamEnded(attempt, completeResponse);
            }
        }

        @Override
        public void onError(Throwable error) {
            failWith(attempt, error);
        }
    }
}
