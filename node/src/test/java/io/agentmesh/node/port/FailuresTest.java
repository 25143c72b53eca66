package io.agentmesh.node.port;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class FailuresTest {
    @Test
    void aDependentStagesFailureIsTheOriginalOneHoweverDeeplyWrapped() {
        IllegalStateException original = new IllegalStateException("the store is overloaded");
        CompletableFuture<Void> failed = CompletableFuture.failedFuture(original);
        CompletableFuture<Void> dependent = failed.thenRun(() -> { }).thenRun(() -> { });
        CompletionException joined = assertThrows(CompletionException.class, dependent::join);
        assertSame(original, Failures.cause(joined));
        ExecutionException got = assertThrows(ExecutionException.class, dependent::get);
        assertSame(original, Failures.cause(got));
        assertSame(original, Failures.cause(new CompletionException(new ExecutionException(original))));
        assertSame(original, Failures.cause(original));
    }

    @Test
    void aWrapperWithoutACauseIsTheFailureItself() {
        CompletionException bare = new CompletionException("no cause", null);
        assertSame(bare, Failures.cause(bare));
    }

    @Test
    void theMessageIsTheCausesOrItsClassNameWhenItHasNone() {
        assertEquals("disk full", Failures.message(new CompletionException(new RuntimeException("disk full"))));
        assertEquals("NullPointerException", Failures.message(new CompletionException(new NullPointerException())));
        assertEquals("IllegalStateException", Failures.message(new IllegalStateException(" ")));
    }
}
