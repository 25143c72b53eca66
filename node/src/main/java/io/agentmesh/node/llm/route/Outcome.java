package io.agentmesh.node.llm.route;

/** One attempt's end in a circuit's window: when, and whether it was the provider's fault. */
public record Outcome(long atMillis, boolean failure) {
}
