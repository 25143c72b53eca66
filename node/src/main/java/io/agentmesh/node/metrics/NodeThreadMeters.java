package io.agentmesh.node.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.function.Supplier;

/**
 * The node-thread stall meter ({@link TaskDurations}), since the node started:
 *
 * <pre>
 * agentmesh_node_thread_tasks_total          tasks the node thread ran
 * agentmesh_node_thread_busy_seconds_total   time it spent running them
 * agentmesh_node_thread_task_max_seconds     the longest one
 * agentmesh_node_thread_task_p99_seconds     99% of them took no longer than this (within 6%)
 * </pre>
 *
 * A long task held up everything queued behind it (peer messages, timers, API calls): the figures to watch when
 * the node answers late.
 */
public final class NodeThreadMeters {
    public NodeThreadMeters(MeterRegistry registry, Supplier<TaskDurations.Snapshot> durations) {
        FunctionCounter.builder("agentmesh.node.thread.tasks", durations, d -> d.get().tasks())
                .description("tasks the node thread ran").register(registry);
        FunctionCounter.builder("agentmesh.node.thread.busy", durations, d -> d.get().totalNanos() / 1e9)
                .description("seconds the node thread spent running tasks").baseUnit("seconds").register(registry);
        Gauge.builder("agentmesh.node.thread.task.max", durations, d -> d.get().maxNanos() / 1e9)
                .description("the longest task the node thread ran, in seconds: everything queued behind it waited"
                        + " that long").baseUnit("seconds").register(registry);
        Gauge.builder("agentmesh.node.thread.task.p99", durations, d -> d.get().quantileNanos(0.99) / 1e9)
                .description("99% of the node thread's tasks took no longer than this, in seconds (within 6%)")
                .baseUnit("seconds").register(registry);
    }
}
