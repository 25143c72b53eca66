package io.agentmesh.node.agent;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntConsumer;

/**
 * Where the agent's process runs: the operating system in production ({@code process.ProcessAgentHost}), a fake in
 * tests and simulations. Every method returns at once; the work happens off the node thread, one operation at a time
 * in the order asked, and results come back through the futures and callbacks on any thread (the caller hops back to
 * its node thread).
 */
public interface AgentHost {

    /**
     * Starts the agent with these extra environment variables. The future completes with the process id once it
     * runs, or fails if it could not be started (nothing is left running then). {@code onGone} is called once with
     * the exit code (-1 for none) when the process and its whole group are gone, whether it exited or was stopped.
     */
    CompletableFuture<Long> start(Map<String, String> env, IntConsumer onGone);

    /**
     * Stops the running process, if any (SIGTERM to its group, the grace, SIGKILL); completes once it is gone or
     * there was none. A start asked for before is carried out first, then stopped.
     */
    CompletableFuture<Void> stop(String reason);

    /** The last lines the process wrote, oldest first (bounded). */
    List<String> lastLines();
}
