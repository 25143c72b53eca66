package io.agentmesh.node.llm.provider;

import io.agentmesh.node.llm.config.ApiKey;
import io.agentmesh.node.llm.config.Timeouts;
import io.agentmesh.node.llm.AttemptResult;
import io.agentmesh.node.llm.ErrorClass;
import io.agentmesh.node.llm.Usage;
import io.agentmesh.protocol.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.http.HttpHeaders;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The state of one attempt, shared by the thread that waits for it, the HTTP client's threads and the watchdog's
 * timers. The first terminal signal wins (a result, an error, a timer, a cancellation); it completes {@link #result}
 * once, and a failure then aborts the HTTP exchange so the provider sees the connection close. Nothing here is
 * static: each attempt has its own instance, and the HTTP decorators hold only theirs.
 */
final class Attempt {
    private static final Logger log = LoggerFactory.getLogger(Attempt.class);
    private static final HttpHeaders NO_HEADERS = HttpHeaders.of(Map.of(), (a, b) -> true);
    /** How long past its total deadline a waiter waits for the watchdog before failing the attempt itself. */
    private static final long AWAIT_GRACE_MS = 2_000;

    final String providerId;
    final String model;
    private final Clock clock;
    private final ScheduledExecutorService timers;
    private final Timeouts timeouts;
    private final Optional<ApiKey> key;
    private final long startNanos;
    private final CompletableFuture<AttemptResult> result = new CompletableFuture<>();
    private final List<Runnable> aborts = new ArrayList<>();
    private final List<ScheduledFuture<?>> scheduled = new ArrayList<>();
    private boolean aborting;

    /** Set when the request was handed to the JDK client: from then on the provider may have seen it. */
    private volatile boolean requestSent;
    private volatile int status;
    private volatile HttpHeaders headers = NO_HEADERS;
    private volatile String successBody;
    private volatile long firstTokenNanos = -1;
    private volatile long lastEventNanos;
    /** Told once when the first content arrives (the stream's sink); null for a non-streamed call. */
    volatile Runnable onFirstToken;
    /** The stream's watch, for usage seen before a failure; null for a non-streamed call. */
    volatile Wire.StreamWatch watch;

    Attempt(String providerId, String model, Clock clock, ScheduledExecutorService timers, Timeouts timeouts,
            Optional<ApiKey> key) {
        this.providerId = providerId;
        this.model = model;
        this.clock = clock;
        this.timers = timers;
        this.timeouts = timeouts;
        this.key = key;
        this.startNanos = clock.monotonicNanos();
        this.lastEventNanos = startNanos;
    }

    /** Arms the total deadline, and for a stream the first-token deadline. */
    void start(boolean streaming) {
        schedule(timeouts.totalMs(), () -> fail(ErrorClass.TIMEOUT,
                "no complete answer within totalMs=" + timeouts.totalMs()));
        if (streaming) {
            schedule(timeouts.firstTokenMs(), () -> {
                if (firstTokenNanos < 0) {
                    fail(ErrorClass.FIRST_TOKEN_TIMEOUT, "no first token within firstTokenMs="
                            + timeouts.firstTokenMs());
                }
            });
        }
    }

    long elapsedMs() {
        return TimeUnit.NANOSECONDS.toMillis(clock.monotonicNanos() - startNanos);
    }

    boolean done() {
        return result.isDone();
    }

    void markRequestSent() {
        requestSent = true;
    }

    boolean requestSent() {
        return requestSent;
    }

    void markResponse(int statusCode, HttpHeaders responseHeaders) {
        status = statusCode;
        headers = responseHeaders;
    }

    int status() {
        return status;
    }

    HttpHeaders headers() {
        return headers;
    }

    void markSuccessBody(String body) {
        successBody = body;
    }

    String successBody() {
        return successBody;
    }

    /** A stream event arrived: the stream is not idle. */
    void markEvent() {
        lastEventNanos = clock.monotonicNanos();
    }

    /** Content arrived (text, reasoning, a tool call): the first one stops the first-token deadline and arms idle. */
    void markFirstToken() {
        long now = clock.monotonicNanos();
        lastEventNanos = now;
        if (firstTokenNanos < 0) {
            firstTokenNanos = now;
            scheduleIdleCheck(timeouts.streamIdleMs());
            Runnable first = onFirstToken;
            if (first != null && !done()) {
                first.run();
            }
        }
    }

    long firstTokenMs() {
        long first = firstTokenNanos;
        return first < 0 ? elapsedMs() : TimeUnit.NANOSECONDS.toMillis(first - startNanos);
    }

    /** Registers what aborts the HTTP exchange; run at once when the attempt has already failed. */
    void onAbort(Runnable abort) {
        synchronized (this) {
            if (!aborting) {
                aborts.add(abort);
                return;
            }
        }
        abort.run();
    }

    /** The request id the provider gave in its headers (OpenAI, Anthropic, Azure), or empty. */
    String requestIdHeader() {
        for (String name : new String[]{"x-request-id", "request-id", "apim-request-id"}) {
            Optional<String> value = headers.firstValue(name);
            if (value.isPresent()) {
                return value.get();
            }
        }
        return "";
    }

    boolean complete(Usage usage, String finishReason, String providerRequestId, Object answer) {
        AttemptResult.Completed completed = new AttemptResult.Completed(providerId, model, elapsedMs(),
                firstTokenMs(), usage, finishReason, providerRequestId, answer);
        if (!result.complete(completed)) {
            return false;
        }
        cancelTimers();
        log.debug("llm attempt completed: provider={} model={} elapsedMs={} firstTokenMs={} finish={}", providerId,
                model, completed.elapsedMs(), completed.firstTokenMs(), finishReason);
        return true;
    }

    boolean fail(ErrorClass error, String message) {
        return fail(error, OptionalLong.empty(), null, message);
    }

    /**
     * Ends the attempt as failed, unless it has already ended, and aborts its HTTP exchange.
     *
     * @param usage what the provider stated despite the failure; null for what the stream's watch saw
     */
    boolean fail(ErrorClass error, OptionalLong retryAfterMs, Usage usage, String message) {
        Usage stated = usage != null ? usage : watch != null ? watch.usageSoFar() : Usage.NONE;
        String safe = key.map(k -> k.redact(message)).orElse(message);
        AttemptResult.Failed failed = new AttemptResult.Failed(providerId, model, elapsedMs(), error, status,
                retryAfterMs, stated, safe);
        if (!result.complete(failed)) {
            return false;
        }
        cancelTimers();
        List<Runnable> toRun;
        synchronized (this) {
            aborting = true;
            toRun = List.copyOf(aborts);
            aborts.clear();
        }
        for (Runnable abort : toRun) {
            try {
                abort.run();
            } catch (RuntimeException e) {
                log.debug("llm attempt abort step failed: provider={} reason={}", providerId, e.toString());
            }
        }
        log.info("llm attempt failed: provider={} model={} class={} status={} elapsedMs={} reason={}", providerId,
                model, error, status, failed.elapsedMs(), safe);
        return true;
    }

    /** Blocks until the attempt ends; the watchdog ends it by its total deadline at the latest. */
    AttemptResult await() {
        try {
            return result.get(timeouts.totalMs() + AWAIT_GRACE_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail(ErrorClass.CANCELLED, "the waiting thread was interrupted");
        } catch (TimeoutException e) {
            fail(ErrorClass.TIMEOUT, "no complete answer within totalMs=" + timeouts.totalMs()
                    + " (the watchdog did not fire)");
        } catch (ExecutionException e) {
            fail(ErrorClass.MALFORMED_RESPONSE, "internal: " + e.getCause());
        }
        return result.join();
    }

    private void schedule(long delayMs, Runnable task) {
        try {
            ScheduledFuture<?> future = timers.schedule(task, delayMs, TimeUnit.MILLISECONDS);
            synchronized (this) {
                scheduled.removeIf(ScheduledFuture::isDone);
                scheduled.add(future);
            }
        } catch (RejectedExecutionException e) {
            fail(ErrorClass.CANCELLED, "the gateway's timer is shut down");
        }
    }

    private void scheduleIdleCheck(long delayMs) {
        schedule(delayMs, () -> {
            long silentMs = TimeUnit.NANOSECONDS.toMillis(clock.monotonicNanos() - lastEventNanos);
            if (silentMs >= timeouts.streamIdleMs()) {
                fail(ErrorClass.STREAM_IDLE, "the stream was silent for streamIdleMs=" + timeouts.streamIdleMs());
            } else if (!done()) {
                scheduleIdleCheck(timeouts.streamIdleMs() - silentMs);
            }
        });
    }

    private void cancelTimers() {
        List<ScheduledFuture<?>> toCancel;
        synchronized (this) {
            toCancel = List.copyOf(scheduled);
            scheduled.clear();
        }
        toCancel.forEach(f -> f.cancel(false));
    }
}
