package io.agentmesh.node.metrics;

import io.agentmesh.node.agent.AgentRunner;
import io.agentmesh.node.api.MetricsSource;
import io.agentmesh.node.core.NodeCore;
import io.agentmesh.node.net.NetworkStats;
import io.agentmesh.node.port.Scheduler;
import io.agentmesh.protocol.time.Clock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Every meter of one node on the registry {@code runtime.NodeRuntime} created, and the {@code /metrics} scrape.
 *
 * <p>How a scrape reads the node thread's state without blocking it: {@link #scrape()} (on an HTTP handler thread)
 * refreshes the snapshots readable from any thread (transport counters, backup status), queues one task on the node
 * thread that copies the core's state into a {@link CoreSample} ({@link CoreMeters#sample()}), and waits for it at
 * most {@value #SAMPLE_TIMEOUT_MS} ms. A node thread that does not answer in time is counted
 * ({@code agentmesh_metrics_sample_timeouts_total}) and the scrape renders the previous sample, so a stuck node still
 * answers its scraper.
 *
 * <p>A later feature registers its meters on {@link #registry()} (a binder class in this package, constructed here),
 * reading only thread-safe state or a sample of its own.
 */
public final class NodeMeters implements MetricsSource, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NodeMeters.class);
    public static final long SAMPLE_TIMEOUT_MS = 2_000;

    private final PrometheusMeterRegistry registry;
    private final Scheduler nodeThread;
    private final String nodeName;
    private final WriteMeters writes;
    private final TransportMeters transport;
    private final CoreMeters core;
    private final Optional<BackupMeters> backups;
    private final JvmMeters jvm;
    private final Counter sampleTimeouts;

    /**
     * @param registry     the node's one registry
     * @param nodeThread   the node thread, where {@code core} is sampled
     * @param network      the transport's counters (any thread)
     * @param httpRefusals API requests refused by the access rule, by reason (any thread)
     * @param agent        the agent runner once it exists; empty on a node that hosts no agent
     * @param backups      the backup meters' status sources; empty on a node that keeps no backups
     */
    public NodeMeters(PrometheusMeterRegistry registry, Scheduler nodeThread, String nodeName, NodeCore core,
                      Supplier<NetworkStats> network, Supplier<Map<String, Long>> httpRefusals,
                      Supplier<Optional<AgentRunner>> agent, Optional<BackupSources> backups, Clock clock) {
        this.registry = registry;
        this.nodeThread = nodeThread;
        this.nodeName = nodeName;
        this.writes = new WriteMeters(registry);
        this.transport = new TransportMeters(registry, network, httpRefusals);
        this.core = new CoreMeters(registry, core, agent);
        this.backups = backups.map(b -> new BackupMeters(registry, b.targets(), b.freshness(), clock));
        this.jvm = new JvmMeters(registry);
        this.sampleTimeouts = Counter.builder("agentmesh.metrics.sample.timeouts")
                .description("scrapes that rendered the previous sample because the node thread did not answer in "
                        + SAMPLE_TIMEOUT_MS + " ms").register(registry);
        nodeThread.execute(this.core::watchLeaderChanges);
    }

    /**
     * Where the backup meters read: the configured targets, and their freshness now (a supplier that may wait for the
     * node thread; called from the scrape thread only).
     */
    public record BackupSources(List<String> targets,
                                Supplier<List<io.agentmesh.node.backup.run.BackupFreshness>> freshness) {
        public BackupSources {
            targets = List.copyOf(targets);
        }
    }

    /** The registry, for a feature that adds its own meters. */
    public MeterRegistry registry() {
        return registry;
    }

    /** Writes through the API, recorded by whoever completes them. */
    public WriteMeters writes() {
        return writes;
    }

    @Override
    public String scrape() throws InterruptedException {
        transport.refresh();
        backups.ifPresent(BackupMeters::refresh);
        CompletableFuture<Void> sampled = new CompletableFuture<>();
        try {
            nodeThread.execute(() -> {
                try {
                    core.sample();
                    sampled.complete(null);
                } catch (RuntimeException e) {
                    sampled.completeExceptionally(e);
                }
            });
            sampled.get(SAMPLE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            sampleTimeouts.increment();
            log.warn("node {} metrics: the node thread did not answer within {} ms; serving the previous sample",
                    nodeName, SAMPLE_TIMEOUT_MS);
        } catch (ExecutionException | RejectedExecutionException e) {
            log.warn("node {} metrics: sampling the node failed ({}); serving the previous sample", nodeName,
                    e instanceof ExecutionException ? e.getCause() : e);
        }
        return registry.scrape();
    }

    @Override
    public void close() {
        jvm.close();
        registry.close();
    }
}
