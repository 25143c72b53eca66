/**
 * The node's Prometheus meters (docs/operations.md, "Metrics"): binders that register meters on the one
 * {@link io.micrometer.core.instrument.MeterRegistry} {@code runtime.NodeRuntime} creates and passes in.
 *
 * <ul>
 *   <li>{@link io.agentmesh.node.metrics.NodeMeters}: the entry point; binds everything below and is what the HTTP
 *       API's {@code /metrics} samples and renders;</li>
 *   <li>{@link io.agentmesh.node.metrics.WriteMeters}: acknowledged writes and their latency;</li>
 *   <li>{@link io.agentmesh.node.metrics.TransportMeters}: connections, frames, replication counters and rejected
 *       inputs by reason, read from the thread-safe {@code NetworkStats} and {@code ReplicationStats};</li>
 *   <li>{@link io.agentmesh.node.metrics.CoreMeters}: what only the node thread may read (Raft, peers' lag, the
 *       action journal, the agent process, the LLM ledger), copied into an immutable {@link
 *       io.agentmesh.node.metrics.CoreSample} by one task on the node thread per scrape; its gauges read the sample,
 *       never the core;</li>
 *   <li>{@link io.agentmesh.node.metrics.BackupMeters}: backup and drill freshness per target;</li>
 *   <li>{@link io.agentmesh.node.metrics.JvmMeters}: memory, GC, threads, CPU, uptime.</li>
 * </ul>
 *
 * A later feature adds its meters the same way: a small binder class here, constructed with the registry (and the
 * thread-safe view it reads), registered in {@code NodeMeters}; names start {@code agentmesh.} in Micrometer's dotted
 * form, with a base unit, and the Prometheus registry renders them as {@code agentmesh_..._total},
 * {@code _seconds}, {@code _bytes}.
 */
package io.agentmesh.node.metrics;
