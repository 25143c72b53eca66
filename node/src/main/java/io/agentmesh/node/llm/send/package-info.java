/**
 * The runtime side of the LLM gateway: the provider instances of this node and the bounded pool of threads their
 * blocking attempts run on ({@link io.agentmesh.node.llm.send.ProviderThreads}, the production
 * {@link io.agentmesh.node.llm.gateway.AttemptSender}), and {@link io.agentmesh.node.llm.send.LlmGateways}, which
 * builds a gateway over them. Kept out of {@code llm.gateway} so that the call loop starts no thread and a seeded
 * simulation can replay it with its own sender.
 */
package io.agentmesh.node.llm.send;
