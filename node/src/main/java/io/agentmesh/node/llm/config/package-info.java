/**
 * The node-local LLM gateway config, {@code <home>/llm.json} (docs/llm.md, "Configuration"): providers in routing
 * order with their models, timeouts, routing, circuit breaker, cooldowns, probe budget, budgets and price overrides;
 * and {@link io.agentmesh.node.llm.config.ProviderKeys}, which finds each provider's key in the environment or a key
 * file. Keys are named in the file, never written there, and never printed: {@link
 * io.agentmesh.node.llm.config.ApiKey#toString()} shows a fingerprint. Reads only the files the operator names.
 */
package io.agentmesh.node.llm.config;
