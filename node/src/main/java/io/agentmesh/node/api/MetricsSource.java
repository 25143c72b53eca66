package io.agentmesh.node.api;

/** What {@code GET /metrics} renders: the node's meters in the Prometheus text format. */
public interface MetricsSource {
    /** The content type of {@link #scrape()}. */
    String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    /**
     * Samples what needs sampling and renders every meter. Called on an HTTP handler thread; may wait a bounded time
     * for the node thread, never blocks it.
     */
    String scrape() throws InterruptedException;
}
