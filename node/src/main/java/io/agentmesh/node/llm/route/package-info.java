/**
 * Routing and health (docs/llm.md, "Routing and health"): {@link io.agentmesh.node.llm.route.ProviderHealth} per
 * target (circuit, cooldown, Retry-After deadline, refused key, spend-limit alarm, probe budget, latency) as immutable
 * records with absolute times; {@link io.agentmesh.node.llm.route.HealthBook}, the one action per error class; and
 * {@link io.agentmesh.node.llm.route.Router}, the deterministic choice of a call's next attempt, explained in one
 * line. Sans-IO: time comes from the injected clock or the caller, so a seeded simulation replays it and the state
 * can be replicated as is.
 */
package io.agentmesh.node.llm.route;
