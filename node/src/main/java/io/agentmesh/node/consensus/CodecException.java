package io.agentmesh.node.consensus;

/**
 * Consensus bytes that cannot be decoded (truncated, trailing bytes, unknown type, out-of-range field, bad UTF-8), or
 * a value the codec cannot encode. Decoding either returns a whole, valid object or throws this; never a half-built
 * one (DESIGN.md invariant 8).
 */
public final class CodecException extends RuntimeException {
    public CodecException(String message) {
        super(message);
    }

    public CodecException(String message, Throwable cause) {
        super(message, cause);
    }
}
