package io.agentmesh.node.llm.send;

import io.agentmesh.node.llm.AttemptResult;
import io.agentmesh.node.llm.ErrorClass;
import io.agentmesh.node.llm.Usage;
import io.agentmesh.node.llm.gateway.AttemptSender;
import io.agentmesh.node.llm.provider.AttemptCancel;
import io.agentmesh.node.llm.provider.LlmProvider;
import io.agentmesh.node.llm.provider.StreamSink;
import io.agentmesh.protocol.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * The production {@link AttemptSender}: each attempt blocks one thread of a bounded pool while its provider instance
 * performs it ({@link LlmProvider#call} or {@link LlmProvider#stream}), and its result goes to {@code onEnd} from
 * that thread. A provider without an instance here (no key on this node), a full pool or a stopping node end the
 * attempt at once as {@code CANCELLED}, with nothing sent.
 */
public final class ProviderThreads implements AttemptSender {
    private static final Logger log = LoggerFactory.getLogger(ProviderThreads.class);

    private final String nodeId;
    private final Map<String, LlmProvider> providers;
    private final ExecutorService threads;
    private final Clock clock;
    private final List<AutoCloseable> owned;
    private volatile boolean closed;

    /**
     * @param providers one instance per provider this node can call
     * @param threads   where blocking attempts run; as many threads as the gateway's calls in flight
     * @param owned     closed after the providers (the providers' watchdog)
     */
    public ProviderThreads(String nodeId, Map<String, LlmProvider> providers, ExecutorService threads, Clock clock,
                           List<AutoCloseable> owned) {
        this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
        this.providers = Map.copyOf(providers);
        this.threads = Objects.requireNonNull(threads, "threads");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.owned = List.copyOf(owned);
    }

    @Override
    public void send(Attempt attempt, StreamSink sink, AttemptCancel cancel, Consumer<AttemptResult> onEnd) {
        String providerId = attempt.target().providerId();
        String model = attempt.target().model();
        LlmProvider provider = providers.get(providerId);
        if (provider == null) {
            // The router passes over a provider without a key, so only a defect gets here.
            onEnd.accept(cancelled(providerId, model, 0, "no provider instance for \"" + providerId + "\" on node "
                    + nodeId));
            return;
        }
        long startedNanos = clock.monotonicNanos();
        try {
            threads.execute(() -> {
                AttemptResult r;
                try {
                    r = attempt.stream() ? provider.stream(attempt.request(), sink, cancel)
                            : provider.call(attempt.request(), cancel);
                } catch (RuntimeException e) {
                    r = cancelled(providerId, model, (clock.monotonicNanos() - startedNanos) / 1_000_000,
                            "the provider layer failed: " + e);
                }
                onEnd.accept(r);
            });
        } catch (RejectedExecutionException e) {
            onEnd.accept(cancelled(providerId, model, 0, "no attempt thread free on node " + nodeId
                    + (closed ? " (stopping)" : "")));
        }
    }

    private static AttemptResult.Failed cancelled(String providerId, String model, long elapsedMs, String message) {
        return new AttemptResult.Failed(providerId, model, elapsedMs, ErrorClass.CANCELLED, 0, OptionalLong.empty(),
                Usage.NONE, message);
    }

    /** Aborts attempts in flight (their threads are interrupted) and releases the providers' clients. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        threads.shutdownNow();
        providers.values().forEach(p -> {
            try {
                p.close();
            } catch (RuntimeException e) {
                log.warn("node {} llm: provider {} did not close cleanly: {}", nodeId, p.id(), e.toString());
            }
        });
        for (AutoCloseable o : owned) {
            try {
                o.close();
            } catch (Exception e) {
                log.warn("node {} llm: {} did not close cleanly: {}", nodeId, o, e.toString());
            }
        }
    }
}
