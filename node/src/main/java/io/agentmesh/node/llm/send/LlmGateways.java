package io.agentmesh.node.llm.send;

import io.agentmesh.node.llm.config.ApiKey;
import io.agentmesh.node.llm.config.LlmConfig;
import io.agentmesh.node.llm.config.ProviderConfig;
import io.agentmesh.node.llm.config.ProviderKeys;
import io.agentmesh.node.llm.gateway.LedgerAccess;
import io.agentmesh.node.llm.gateway.LlmGateway;
import io.agentmesh.node.llm.provider.LlmProvider;
import io.agentmesh.node.llm.provider.Providers;
import io.agentmesh.node.port.Scheduler;
import io.agentmesh.protocol.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/** Builds the production gateway: real providers on a bounded pool of attempt threads. */
public final class LlmGateways {
    private static final Logger log = LoggerFactory.getLogger(LlmGateways.class);

    private LlmGateways() {
    }

    /**
     * A gateway with a provider instance for each configured provider this node has a key for (or that needs none),
     * the watchdog's timer thread and a bounded pool of two attempt threads per call in flight (an attempt and its hedge); closing the
     * gateway releases them all. Call {@link LlmGateway#start} on the node thread before the first call.
     */
    public static LlmGateway create(String nodeId, LlmConfig config, ProviderKeys keys, LedgerAccess ledger,
                                    Scheduler scheduler, Clock clock, int maxCallsInFlight) {
        if (maxCallsInFlight < 1) {
            throw new IllegalArgumentException("maxCallsInFlight is at least 1, got " + maxCallsInFlight);
        }
        String shortId = nodeId.length() > 12 ? nodeId.substring(0, 12) : nodeId;
        ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("llm-watchdog-" + shortId).daemon().factory());
        Providers factory = new Providers(clock, watchdog);
        Map<String, LlmProvider> providers = new LinkedHashMap<>();
        try {
            for (ProviderConfig p : config.providers()) {
                switch (keys.byProvider().get(p.id())) {
                    case ProviderKeys.KeyStatus.Present present ->
                            providers.put(p.id(), factory.create(p, Optional.of(present.key())));
                    case ProviderKeys.KeyStatus.NoKeyNeeded none ->
                            providers.put(p.id(), factory.create(p, Optional.<ApiKey>empty()));
                    case ProviderKeys.KeyStatus.Missing missing ->
                            log.warn("node {} llm: provider \"{}\" has no key on this node, routing passes over it:"
                                    + " {}", nodeId, p.id(), missing.reason());
                    case null -> log.warn("node {} llm: provider \"{}\" has no key status", nodeId, p.id());
                }
            }
        } catch (RuntimeException e) {
            providers.values().forEach(LlmProvider::close);
            watchdog.shutdownNow();
            throw e;
        }
        // Two threads a call: an attempt and its hedge may both be on the wire.
        int attemptThreads = 2 * maxCallsInFlight;
        ThreadPoolExecutor pool = new ThreadPoolExecutor(attemptThreads, attemptThreads, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(attemptThreads),
                Thread.ofPlatform().name("llm-attempt-" + shortId + "-", 0).daemon().factory());
        pool.allowCoreThreadTimeOut(true);
        if (!config.providers().isEmpty()) {
            log.info("node {} llm: {} provider(s) from {}, {} callable here; at most {} calls in flight", nodeId,
                    config.providers().size(), config.source().map(Object::toString).orElse("settings"),
                    providers.size(), maxCallsInFlight);
        }
        ProviderThreads sender = new ProviderThreads(nodeId, providers, pool, clock, List.of(watchdog::shutdownNow));
        return new LlmGateway(nodeId, config, keys, sender, ledger, scheduler, clock, maxCallsInFlight);
    }
}
