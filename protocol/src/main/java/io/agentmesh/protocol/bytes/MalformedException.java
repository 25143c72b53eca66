package io.agentmesh.protocol.bytes;

/**
 * Bytes that do not decode: too short, a length or count over its limit or over what is left, a value out of range,
 * malformed UTF-8, trailing bytes. Names the field and, for reads, the offset, so the log line of whoever refused the
 * input says where it went wrong. Unchecked: each format wraps it in its own error type at its decode boundary.
 */
public final class MalformedException extends RuntimeException {
    private final String field;

    public MalformedException(String field, String problem) {
        super(field + ": " + problem);
        this.field = field;
    }

    /** The field that could not be read, as the caller named it. */
    public String field() {
        return field;
    }
}
