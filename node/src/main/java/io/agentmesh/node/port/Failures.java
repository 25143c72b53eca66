package io.agentmesh.node.port;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The failure behind a future's wrappers. Work in the node hands results on as {@code CompletableFuture}s across its
 * threads (node thread, signer, store writer, executors), and a stage that depends on another sees that stage's
 * failure wrapped in a {@link CompletionException} (or an {@link ExecutionException} from {@code get}). Decisions
 * (is the store overloaded? was the claim lost?) and messages for operators are about the failure itself.
 */
public final class Failures {
    private Failures() {
    }

    /** {@code error} without its {@code CompletionException} and {@code ExecutionException} wrappers. */
    public static Throwable cause(Throwable error) {
        Throwable t = error;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** The message of {@link #cause}, or its class name when it has none (a bare exception says nothing). */
    public static String message(Throwable error) {
        Throwable t = cause(error);
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
    }
}
