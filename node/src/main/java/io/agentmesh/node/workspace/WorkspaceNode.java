package io.agentmesh.node.workspace;

import io.agentmesh.state.AgentState;
import io.agentmesh.state.LocalChange;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * What the workspace needs of its node: reads and writes of the document, each run on the node thread (the one
 * thread that owns the document) and answered through a future, so the mirror's file IO never runs there.
 */
public interface WorkspaceNode {
    /** Runs {@code read} on the node thread; completes with its result. */
    <T> CompletableFuture<T> read(Function<AgentState, T> read);

    /**
     * Runs {@code mutation} on the node thread. Completes with true once its change is durable, with false at once
     * when it made no change (empty), and fails, changing nothing, when it threw (IllegalArgumentException: bad
     * input).
     */
    CompletableFuture<Boolean> write(Function<AgentState, Optional<LocalChange>> mutation);

    /** This node's short id, for log lines. */
    String nodeName();
}
