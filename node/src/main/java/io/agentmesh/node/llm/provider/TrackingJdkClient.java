package io.agentmesh.node.llm.provider;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import java.io.IOException;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The JDK HTTP client as one attempt sees it: LangChain4j's {@code JdkHttpClient} is built on this decorator of the
 * provider's shared client, which
 * <ul>
 *   <li>records the status and headers of every response, errors included, when they arrive (LangChain4j's
 *       {@code HttpException} keeps only the status and the body, so Retry-After would be lost);</li>
 *   <li>records that the request left, so a failure before that is known to have cost nothing;</li>
 *   <li>registers an abort with the attempt: before the response it cancels the exchange, after it fails the body
 *       subscriber (a blocked stream read then ends at once) and cancels the body, which closes the connection;</li>
 *   <li>completes the exchange on {@code callbacks} (virtual threads): {@code JdkHttpClient} parses a stream inside a
 *       callback of this future, which the JDK would otherwise run on the common fork-join pool, blocking one of its
 *       few threads for the length of every stream.</li>
 * </ul>
 * The JDK client itself retries only what never reached the server: one reconnect after a refused connection, and on
 * HTTP/2 a stream the server reports unprocessed; the provider's client is pinned to HTTP/1.1. A POST is never resent.
 */
final class TrackingJdkClient extends HttpClient {
    private final HttpClient shared;
    private final Attempt attempt;
    private final Executor callbacks;

    TrackingJdkClient(HttpClient shared, Attempt attempt, Executor callbacks) {
        this.shared = shared;
        this.attempt = attempt;
        this.callbacks = callbacks;
    }

    @Override
    public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
            throws IOException, InterruptedException {
        CompletableFuture<HttpResponse<T>> response = sendAsync(request, handler);
        try {
            return response.get();
        } catch (InterruptedException e) {
            response.cancel(true);
            throw e;
        } catch (CancellationException e) {
            throw new IOException("the attempt was aborted", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof CancellationException) {
                throw new IOException("the attempt was aborted", cause);
            }
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            throw new IOException(cause);
        }
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request,
                                                            HttpResponse.BodyHandler<T> handler) {
        return sendAsync(request, handler, null);
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler,
                                                            HttpResponse.PushPromiseHandler<T> pushPromiseHandler) {
        if (attempt.done()) {
            return CompletableFuture.failedFuture(new IOException("the attempt has already ended"));
        }
        CompletableFuture<HttpResponse<T>> exchange = shared.sendAsync(request, info -> {
            attempt.markResponse(info.statusCode(), info.headers());
            GuardedSubscriber<T> subscriber = new GuardedSubscriber<>(handler.apply(info));
            attempt.onAbort(subscriber::abort);
            return subscriber;
        }, pushPromiseHandler);
        // From here on the provider may see the request (a failure thrown by sendAsync itself sent nothing).
        attempt.markRequestSent();
        attempt.onAbort(() -> exchange.cancel(true));
        return exchange.whenCompleteAsync((response, error) -> {
        }, callbacks);
    }

    /**
     * Passes the body through until the attempt aborts it; then fails the reader's subscriber, cancels the body and
     * drops whatever the JDK still delivers.
     */
    private static final class GuardedSubscriber<T> implements HttpResponse.BodySubscriber<T> {
        private final HttpResponse.BodySubscriber<T> delegate;
        private final AtomicBoolean finished = new AtomicBoolean();
        private volatile Flow.Subscription subscription;

        GuardedSubscriber(HttpResponse.BodySubscriber<T> delegate) {
            this.delegate = delegate;
        }

        @Override
        public CompletionStage<T> getBody() {
            return delegate.getBody();
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            delegate.onSubscribe(s);
            if (finished.get()) {
                s.cancel();
            }
        }

        @Override
        public void onNext(List<ByteBuffer> item) {
            if (!finished.get()) {
                delegate.onNext(item);
            }
        }

        @Override
        public void onError(Throwable throwable) {
            if (finished.compareAndSet(false, true)) {
                delegate.onError(throwable);
            }
        }

        @Override
        public void onComplete() {
            if (finished.compareAndSet(false, true)) {
                delegate.onComplete();
            }
        }

        void abort() {
            if (finished.compareAndSet(false, true)) {
                Flow.Subscription s = subscription;
                if (s != null) {
                    s.cancel();
                }
                delegate.onError(new IOException("the attempt was aborted"));
            }
        }
    }

    /** Hands {@code JdkHttpClient} this attempt's client; the settings it asks for are the shared client's already. */
    static final class Builder implements HttpClient.Builder {
        private final TrackingJdkClient client;

        Builder(TrackingJdkClient client) {
            this.client = client;
        }

        @Override
        public HttpClient.Builder cookieHandler(CookieHandler cookieHandler) {
            return this;
        }

        @Override
        public HttpClient.Builder connectTimeout(Duration duration) {
            return this;
        }

        @Override
        public HttpClient.Builder sslContext(SSLContext sslContext) {
            return this;
        }

        @Override
        public HttpClient.Builder sslParameters(SSLParameters sslParameters) {
            return this;
        }

        @Override
        public HttpClient.Builder executor(Executor executor) {
            return this;
        }

        @Override
        public HttpClient.Builder followRedirects(Redirect policy) {
            return this;
        }

        @Override
        public HttpClient.Builder version(Version version) {
            return this;
        }

        @Override
        public HttpClient.Builder priority(int priority) {
            return this;
        }

        @Override
        public HttpClient.Builder proxy(ProxySelector proxySelector) {
            return this;
        }

        @Override
        public HttpClient.Builder authenticator(Authenticator authenticator) {
            return this;
        }

        @Override
        public HttpClient build() {
            return client;
        }
    }

    @Override
    public Optional<CookieHandler> cookieHandler() {
        return shared.cookieHandler();
    }

    @Override
    public Optional<Duration> connectTimeout() {
        return shared.connectTimeout();
    }

    @Override
    public Redirect followRedirects() {
        return shared.followRedirects();
    }

    @Override
    public Optional<ProxySelector> proxy() {
        return shared.proxy();
    }

    @Override
    public SSLContext sslContext() {
        return shared.sslContext();
    }

    @Override
    public SSLParameters sslParameters() {
        return shared.sslParameters();
    }

    @Override
    public Optional<Authenticator> authenticator() {
        return shared.authenticator();
    }

    @Override
    public Version version() {
        return shared.version();
    }

    @Override
    public Optional<Executor> executor() {
        return shared.executor();
    }
}
