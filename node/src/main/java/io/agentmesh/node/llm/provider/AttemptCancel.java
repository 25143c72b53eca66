package io.agentmesh.node.llm.provider;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Lets the caller of a blocking attempt abandon it from another thread: the agent's client went away, or the node is
 * no longer the leader (a side effect must not outlive its fencing token). The attempt then ends promptly as
 * {@code CANCELLED} and its HTTP request is cancelled. One token per attempt.
 */
public final class AttemptCancel {
    private final List<Runnable> listeners = new ArrayList<>();
    private String reason;

    /** Cancels the attempt; later calls change nothing. */
    public void cancel(String why) {
        List<Runnable> toRun;
        synchronized (this) {
            if (reason != null) {
                return;
            }
            reason = why == null || why.isBlank() ? "cancelled" : why;
            toRun = List.copyOf(listeners);
            listeners.clear();
        }
        toRun.forEach(Runnable::run);
    }

    public synchronized Optional<String> reason() {
        return Optional.ofNullable(reason);
    }

    /** Runs {@code listener} on cancellation, at once if already cancelled. */
    void onCancel(Runnable listener) {
        synchronized (this) {
            if (reason == null) {
                listeners.add(listener);
                return;
            }
        }
        listener.run();
    }
}
