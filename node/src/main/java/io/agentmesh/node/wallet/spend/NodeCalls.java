package io.agentmesh.node.wallet.spend;

import io.agentmesh.node.port.Failures;
import io.agentmesh.node.port.Scheduler;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * How a thread other than the node thread (the spend driver's, an HTTP handler's) reads the wallet ledger and submits
 * operations: the work runs on the node thread ({@link Scheduler#execute}) and the caller waits, at most
 * {@code timeoutMs}, for its answer.
 */
public final class NodeCalls {
    private final Scheduler scheduler;
    private final WalletLedgerAccess access;
    private final long timeoutMs;

    public NodeCalls(Scheduler scheduler, WalletLedgerAccess access, long timeoutMs) {
        this.scheduler = scheduler;
        this.access = access;
        this.timeoutMs = timeoutMs;
    }

    /** Failure of a call to the node thread: not the leader, not committed in time, or the node stopping. */
    public static final class NodeCallException extends Exception {
        public NodeCallException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Reads on the node thread. */
    public <T> T read(Function<WalletLedgerAccess, T> reader) throws NodeCallException {
        return await(() -> CompletableFuture.completedFuture(reader.apply(access)), "read");
    }

    /** Submits on the node thread and waits for the committed result. */
    public io.agentmesh.node.wallet.ledger.WalletResult submit(io.agentmesh.node.wallet.ledger.WalletOp op)
            throws NodeCallException {
        return await(() -> access.submit(op), op.getClass().getSimpleName());
    }

    /** Waits until this node's term has an entry committed (see {@link WalletLedgerAccess#termCaughtUp}). */
    public void termCaughtUp() throws NodeCallException {
        await(access::termCaughtUp, "term barrier");
    }

    private <T> T await(Supplier<CompletableFuture<T>> work, String what) throws NodeCallException {
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            scheduler.execute(() -> {
                try {
                    work.get().whenComplete((v, e) -> {
                        if (e != null) {
                            result.completeExceptionally(e);
                        } else {
                            result.complete(v);
                        }
                    });
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                }
            });
            return result.get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable c = Failures.cause(e);
            throw new NodeCallException(what + " failed: " + c, c);
        } catch (TimeoutException e) {
            throw new NodeCallException(what + " got no answer from the node within " + timeoutMs + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NodeCallException(what + " interrupted", e);
        } catch (RuntimeException e) {
            throw new NodeCallException(what + " could not reach the node thread: " + e, e);
        }
    }
}
