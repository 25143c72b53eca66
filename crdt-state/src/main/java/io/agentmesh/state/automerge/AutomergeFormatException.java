package io.agentmesh.state.automerge;

/**
 * Automerge bytes that the parsers in this package refuse: the only exception they throw for bad input, so nothing
 * malformed surfaces as an index or arithmetic exception.
 *
 * <p>This package sits below {@code io.agentmesh.state} and knows nothing of it. The state layer turns this into a
 * {@code StateException} with the same message and the reason of the same name at each place it calls a parser, so
 * callers of the state API still see one exception type for bad input (DESIGN.md invariant 8).
 */
public class AutomergeFormatException extends RuntimeException {

    /** Why the bytes were refused; each has a {@code StateException.Reason} of the same name. */
    public enum Reason {
        /** Larger than the limit. */
        TOO_LARGE,
        /** Not an Automerge chunk at all, or cut short, or with an impossible field. */
        MALFORMED,
        /** The chunk's checksum does not match its contents. */
        BAD_CHECKSUM,
        /** A chunk of the wrong kind (a document where one change was expected, two changes, a bundle...). */
        WRONG_CHUNK
    }

    private final Reason reason;

    public AutomergeFormatException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
