/**
 * The LLM gateway (issue 12, docs/llm.md): the agent calls LLMs through its node, which routes each call to the best
 * healthy provider, fails over within a second, counts costs and keeps budgets, with agentmesh as the only retry loop.
 *
 * <p>This package holds the value types the parts share. The parts, each in its own package:
 * <ul>
 *   <li>{@code llm.provider}: one {@code LlmProvider} per configured provider, through
 *       LangChain4j with its retries off; classifies every failure into an {@link io.agentmesh.node.llm.ErrorClass};
 *       connect, first-token, stream-idle and overall timeouts; a streamed result counts only after its terminal
 *       event. Blocking IO: never called on the node thread.</li>
 *   <li>{@code llm.config}: the node-local provider file ({@code <home>/llm.json}); keys are named there (an
 *       environment variable or a file), never stored in it, and never reach the replicated state.</li>
 *   <li>{@code llm.cost}: the shipped price table, usage normalisation and the cost of an attempt.</li>
 *   <li>{@code llm.route}: the routing decision (ordered fallback, cooldowns, circuits, Retry-After deadlines as
 *       absolute times) as a pure function of the health state and the clock, so a simulation can replay it and a
 *       new leader can inherit the state.</li>
 * </ul>
 */
package io.agentmesh.node.llm;
