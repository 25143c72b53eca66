package io.agentmesh.node.llm.provider;

import dev.langchain4j.http.client.HttpClient;
import dev.langchain4j.http.client.HttpClientBuilder;
import dev.langchain4j.http.client.HttpRequest;
import dev.langchain4j.http.client.SuccessfulHttpResponse;
import dev.langchain4j.http.client.jdk.JdkHttpClient;
import dev.langchain4j.http.client.jdk.JdkHttpClientBuilder;
import dev.langchain4j.http.client.sse.CancellationUnsupportedHandle;
import dev.langchain4j.http.client.sse.ServerSentEvent;
import dev.langchain4j.http.client.sse.ServerSentEventContext;
import dev.langchain4j.http.client.sse.ServerSentEventListener;
import dev.langchain4j.http.client.sse.ServerSentEventParser;
import io.agentmesh.node.llm.ErrorClass;
import io.agentmesh.node.llm.provider.ErrorClassifier.Classified;

import java.time.Duration;
import java.util.concurrent.Executor;

/**
 * LangChain4j's HTTP client for one attempt: its {@code JdkHttpClient} on a {@link TrackingJdkClient}, decorated to
 * keep the 2xx body of a plain call (agentmesh reads usage from it) and to show every raw stream event to the
 * attempt's {@link Wire.StreamWatch} before LangChain4j parses it. A failure the watch finds ends the attempt at once
 * and stops the parsing. A stream whose connection closes before the format's terminal event is a cut stream,
 * whatever LangChain4j then reports.
 *
 * <p>Deadlines are not set here: the connect timeout is the shared JDK client's, and the rest belong to the attempt's
 * watchdog, so the connect and read timeouts LangChain4j's model builders pass in are ignored.
 */
final class AttemptHttpClient implements HttpClient {
    private final HttpClient delegate;
    private final Attempt attempt;

    private AttemptHttpClient(java.net.http.HttpClient shared, Attempt attempt, Executor callbacks) {
        TrackingJdkClient tracking = new TrackingJdkClient(shared, attempt, callbacks);
        this.delegate = new JdkHttpClient(new JdkHttpClientBuilder()
                .httpClientBuilder(new TrackingJdkClient.Builder(tracking)));
        this.attempt = attempt;
    }

    @Override
    public SuccessfulHttpResponse execute(HttpRequest request) {
        SuccessfulHttpResponse response = delegate.execute(request);
        attempt.markSuccessBody(response.body());
        return response;
    }

    @Override
    public void execute(HttpRequest request, ServerSentEventParser parser, ServerSentEventListener listener) {
        delegate.execute(request, parser, new Watching(listener, attempt));
    }

    private static final class Watching implements ServerSentEventListener {
        private final ServerSentEventListener delegate;
        private final Attempt attempt;

        Watching(ServerSentEventListener delegate, Attempt attempt) {
            this.delegate = delegate;
            this.attempt = attempt;
        }

        @Override
        public void onOpen(SuccessfulHttpResponse response) {
            delegate.onOpen(response);
        }

        @Override
        public void onEvent(ServerSentEvent event) {
            onEvent(event, new ServerSentEventContext(new CancellationUnsupportedHandle()));
        }

        @Override
        public void onEvent(ServerSentEvent event, ServerSentEventContext context) {
            if (attempt.done()) {
                context.parsingHandle().cancel();
                return;
            }
            attempt.markEvent();
            Wire.StreamWatch watch = attempt.watch;
            Classified failure = watch == null ? null : watch.onEvent(event.event(), event.data() == null ? ""
                    : event.data());
            if (failure != null) {
                attempt.fail(failure.error(), failure.retryAfterMs(), null, failure.message());
                context.parsingHandle().cancel();
                return;
            }
            if (watch != null && watch.lastHadContent()) {
                attempt.markFirstToken();
            }
            delegate.onEvent(event, context);
        }

        @Override
        public void onError(Throwable throwable) {
            delegate.onError(throwable);
        }

        @Override
        public void onClose() {
            delegate.onClose();
            if (!attempt.done()) {
                Wire.StreamWatch watch = attempt.watch;
                attempt.fail(ErrorClass.STREAM_CUT, "the stream closed without "
                        + (watch == null ? "its terminal event" : watch.missing()));
            }
        }
    }

    /** What the LangChain4j model builders take: each build is a client bound to this attempt. */
    static final class Builder implements HttpClientBuilder {
        private final java.net.http.HttpClient shared;
        private final Attempt attempt;
        private final Executor callbacks;
        private Duration connectTimeout;
        private Duration readTimeout;

        Builder(java.net.http.HttpClient shared, Attempt attempt, Executor callbacks) {
            this.shared = shared;
            this.attempt = attempt;
            this.callbacks = callbacks;
        }

        @Override
        public Duration connectTimeout() {
            return connectTimeout;
        }

        @Override
        public HttpClientBuilder connectTimeout(Duration timeout) {
            this.connectTimeout = timeout;
            return this;
        }

        @Override
        public Duration readTimeout() {
            return readTimeout;
        }

        @Override
        public HttpClientBuilder readTimeout(Duration timeout) {
            this.readTimeout = timeout;
            return this;
        }

        @Override
        public HttpClient build() {
            return new AttemptHttpClient(shared, attempt, callbacks);
        }
    }
}
