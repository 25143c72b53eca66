package io.agentmesh.node.agent.process;

import io.agentmesh.node.agent.AgentHost;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/**
 * The agent's process on this machine, through {@link AgentProcessControl}: one thread carries out starts and stops
 * in order (they block: fork, exec, the stop grace), so the node thread never waits for them. At creation it first
 * stops a group an earlier run of this node left behind, so nothing it starts can overlap one. Before each start it
 * runs {@code beforeStart} on that thread (the workspace mirror writing every file the document holds to disk, so
 * the agent resumes from what the mesh has, not from what this disk had); if that throws, the start fails.
 */
public final class ProcessAgentHost implements AgentHost, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProcessAgentHost.class);
    /** Starts and stops waiting their turn; the supervisor asks for at most a few at a time. */
    private static final int MAX_QUEUED = 64;

    private final AgentProcessControl control;
    private final AgentOutput output;
    private final ExecutorService worker;
    private final Runnable beforeStart;
    /** Variables the process gets besides the runner's: secrets (the API token) that stay out of the core. */
    private final Map<String, String> secretEnv;
    private AgentProcessControl.Running running; // worker thread only

    public ProcessAgentHost(AgentProcessControl control, AgentOutput output, String nodeName, Runnable beforeStart) {
        this(control, output, nodeName, beforeStart, Map.of());
    }

    /** @param secretEnv added to every start's environment (never logged) */
    public ProcessAgentHost(AgentProcessControl control, AgentOutput output, String nodeName, Runnable beforeStart,
                            Map<String, String> secretEnv) {
        this.secretEnv = Map.copyOf(secretEnv);
        this.control = control;
        this.output = output;
        this.beforeStart = beforeStart;
        this.worker = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(MAX_QUEUED),
                r -> {
                    Thread t = new Thread(r, "agent-host-" + nodeName);
                    t.setDaemon(true);
                    return t;
                });
        worker.execute(() -> {
            try {
                control.stopOrphans();
            } catch (RuntimeException e) {
                log.warn("node {} could not look for an orphaned agent process: {}", nodeName, e.toString());
            }
        });
    }

    @Override
    public CompletableFuture<Long> start(Map<String, String> env, IntConsumer onGone) {
        CompletableFuture<Long> started = new CompletableFuture<>();
        submit(started, () -> {
            if (running != null && !running.gone().isDone()) {
                started.completeExceptionally(new IllegalStateException("agent[" + running.pid()
                        + "] is still running"));
                return;
            }
            try {
                beforeStart.run();
                Map<String, String> all = new java.util.HashMap<>(env);
                all.putAll(secretEnv);
                AgentProcessControl.Running r = control.start(all);
                running = r;
                r.gone().thenAccept(onGone::accept);
                started.complete(r.pid());
            } catch (IOException | RuntimeException e) {
                started.completeExceptionally(e);
            }
        });
        return started;
    }

    @Override
    public CompletableFuture<Void> stop(String reason) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        submit(done, () -> {
            try {
                if (running != null) {
                    control.stop(running, reason);
                }
            } finally {
                done.complete(null);
            }
        });
        return done;
    }

    private void submit(CompletableFuture<?> result, Runnable work) {
        try {
            worker.execute(work);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            result.completeExceptionally(new IllegalStateException("the agent host is closed or has "
                    + MAX_QUEUED + " operations waiting", e));
        }
    }

    @Override
    public List<String> lastLines() {
        return output.lastLines();
    }

    /** Stops the worker; call after {@link #stop} has completed. */
    @Override
    public void close() {
        worker.shutdown();
    }
}
