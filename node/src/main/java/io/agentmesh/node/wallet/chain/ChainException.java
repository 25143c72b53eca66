package io.agentmesh.node.wallet.chain;

/**
 * A chain request that did not give an answer. Two kinds, because the spend driver must treat them oppositely:
 * {@link Definite} means the request as sent can never succeed (retrying it is pointless, and for a chain id mismatch
 * the wallet freezes); {@link LookAgain} means nothing is known (the node may or may not have seen a transaction,
 * or the answer did not arrive), so the caller looks again later and never concludes that something failed.
 * The message is the node's own words when it gave some; correctness never branches on them (they differ per node).
 */
public abstract sealed class ChainException extends Exception {
    private final String method;
    private final Integer rpcCode;

    private ChainException(String method, Integer rpcCode, String message, Throwable cause) {
        super(method + ": " + message, cause);
        this.method = method;
        this.rpcCode = rpcCode;
    }

    /** The JSON-RPC method that failed. */
    public String method() {
        return method;
    }

    /** The JSON-RPC error code, when the node answered with an error object; null otherwise. */
    public Integer rpcCode() {
        return rpcCode;
    }

    /** The request as sent can never succeed. */
    public static final class Definite extends ChainException {
        public Definite(String method, Integer rpcCode, String message) {
            super(method, rpcCode, message, null);
        }
    }

    /** Nothing is known: look again later. Never a failure of what was asked. */
    public static final class LookAgain extends ChainException {
        public LookAgain(String method, Integer rpcCode, String message, Throwable cause) {
            super(method, rpcCode, message, cause);
        }
    }
}
