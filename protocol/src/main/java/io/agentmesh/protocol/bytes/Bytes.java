package io.agentmesh.protocol.bytes;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * An immutable run of bytes that is a value: equal to another with the same bytes, ordered byte by byte as unsigned
 * numbers, printed as hex. A record over a bare {@code byte[]} compares array identities and lets callers change its
 * contents; the ids and keys of agentmesh ({@code NodeId}, {@code AgentId}, {@code ActorId}, {@code VerifyingKey})
 * hold one of these instead, so they work as map keys and cannot be changed after their checks have passed.
 *
 * <p>Jackson reads and writes it as the bare byte string, exactly as it did the {@code byte[]} it replaced, so a
 * record that travels as CBOR ({@code ActorId} inside a signed change) keeps its wire encoding.
 */
public final class Bytes implements Comparable<Bytes> {
    private final byte[] bytes;

    private Bytes(byte[] bytes) {
        this.bytes = bytes;
    }

    /** A copy of {@code bytes}: later writes to the array do not reach it. */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static Bytes copyOf(byte[] bytes) {
        if (bytes == null) {
            throw new IllegalArgumentException("no bytes given (null)");
        }
        return new Bytes(bytes.clone());
    }

    /**
     * {@code value} when it holds exactly {@code length} bytes.
     *
     * @param what names the value for the message, with its article: "a node id"
     * @throws IllegalArgumentException "a node id is 20 bytes, got 19" otherwise
     */
    public static Bytes requireLength(Bytes value, int length, String what) {
        if (value == null || value.bytes.length != length) {
            throw new IllegalArgumentException(what + " is " + length + " bytes, got "
                    + (value == null ? "none" : value.bytes.length));
        }
        return value;
    }

    public int length() {
        return bytes.length;
    }

    /** A fresh copy of the bytes. */
    @JsonValue
    public byte[] toByteArray() {
        return bytes.clone();
    }

    /** Whether {@code other} holds exactly these bytes, without copying. */
    public boolean contentEquals(byte[] other) {
        return Arrays.equals(bytes, other);
    }

    public String hex() {
        return HexFormat.of().formatHex(bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Bytes other && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public int compareTo(Bytes o) {
        return Arrays.compareUnsigned(bytes, o.bytes);
    }

    /** The hex form. */
    @Override
    public String toString() {
        return hex();
    }
}
