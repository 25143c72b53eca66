package io.agentmesh.node.metrics;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

class NodeThreadMetersTest {
    @Test
    void theScrapeShowsTheNodeThreadsLongestTaskAndItsP99() {
        TaskDurations d = new TaskDurations();
        for (int i = 0; i < 99; i++) {
            d.record(1_000_000);
        }
        d.record(250_000_000);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new NodeThreadMeters(registry, d::snapshot);
        String scrape = registry.scrape();
        assertTrue(scrape.contains("agentmesh_node_thread_tasks_total 100.0"), scrape);
        assertTrue(scrape.contains("agentmesh_node_thread_task_max_seconds 0.25"), scrape);
        assertTrue(scrape.contains("agentmesh_node_thread_task_p99_seconds 0.001"), scrape);
        assertTrue(scrape.contains("agentmesh_node_thread_busy_seconds_total 0.349"), scrape);
    }
}
