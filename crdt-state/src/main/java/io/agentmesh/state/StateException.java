package io.agentmesh.state;

import io.agentmesh.state.automerge.AutomergeFormatException;

/**
 * Bytes from outside (a peer's change, a saved document, an imported file) were rejected. Nothing was changed.
 *
 * <p>This is the only exception the parsing and loading code throws for bad input (DESIGN.md invariant 8): the
 * caller counts {@link #reason()} in a metric, logs {@link #getMessage()} once and, for a peer, closes the
 * connection. Unchecked, like {@code StoreException}, because the node's event loop handles it at one place.
 */
public class StateException extends RuntimeException {

    /** Why the input was rejected; stable names for metric labels. */
    public enum Reason {
        /** Larger than the configured limit. */
        TOO_LARGE,
        /** Not an Automerge chunk at all, or cut short, or with an impossible field. */
        MALFORMED,
        /** The chunk's checksum does not match its contents. */
        BAD_CHECKSUM,
        /** A chunk of the wrong kind (a document where one change was expected, two changes, a bundle...). */
        WRONG_CHUNK,
        /** Well-formed, but against this document's rules (writes the root, comes from the genesis actor...). */
        FORBIDDEN,
        /** A document that is not this agent's, or lacks the genesis structure. */
        WRONG_DOCUMENT,
        /** By a removed node's actor, past the last seq its revocation keeps. */
        REVOKED,
        /** The Automerge library refused the bytes. */
        REJECTED_BY_AUTOMERGE,
        /** The Automerge library crashed its process on the bytes (seen only through the isolated loader). */
        CRASHED_AUTOMERGE,
        /** The isolated loader could not run or took too long. */
        LOADER_FAILED
    }

    private final Reason reason;

    public StateException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public StateException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    /** The state layer's form of a parser's refusal: same message, the reason of the same name. */
    public static StateException of(AutomergeFormatException e) {
        Reason reason = switch (e.reason()) {
            case TOO_LARGE -> Reason.TOO_LARGE;
            case MALFORMED -> Reason.MALFORMED;
            case BAD_CHECKSUM -> Reason.BAD_CHECKSUM;
            case WRONG_CHUNK -> Reason.WRONG_CHUNK;
        };
        return new StateException(reason, e.getMessage(), e);
    }

    public Reason reason() {
        return reason;
    }
}
