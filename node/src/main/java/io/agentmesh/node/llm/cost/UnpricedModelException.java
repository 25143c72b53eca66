package io.agentmesh.node.llm.cost;

/**
 * A model with no price: not in the table, no price in llm.json, and no ceiling configured. The call is refused
 * rather than counted at $0 (LiteLLM PR #35913: a silent $0 under-reported one route about 150 times).
 */
public final class UnpricedModelException extends RuntimeException {
    public UnpricedModelException(String message) {
        super(message);
    }
}
