package io.agentmesh.protocol.bytes;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Big-endian fixed-width numbers, fixed and length-prefixed byte strings and UTF-8 text, into a buffer that never
 * grows past the {@code maxBytes} it was given: the encoding half of {@link BoundedReader}. A value that does not fit
 * its field (a u8 over 255, 70,000 bytes behind a u16 length) or an encoding over the limit is refused with an
 * {@link IllegalArgumentException}, never truncated. Not thread-safe; one per encode.
 */
public final class BoundedWriter {
    private static final int INITIAL_BYTES = 128;

    private final int maxBytes;
    private byte[] buf;
    private int size;

    public BoundedWriter(int maxBytes) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes must be >= 0, got " + maxBytes);
        }
        this.maxBytes = maxBytes;
        this.buf = new byte[Math.min(INITIAL_BYTES, maxBytes)];
    }

    private void ensure(int n) {
        if (n > maxBytes - size) {
            throw new IllegalArgumentException("encoding exceeds its limit of " + maxBytes + " bytes");
        }
        if (size + n > buf.length) {
            buf = Arrays.copyOf(buf, (int) Math.min(maxBytes, Math.max(size + n, 2L * buf.length)));
        }
    }

    public BoundedWriter u8(int v) {
        if (v < 0 || v > 0xFF) {
            throw new IllegalArgumentException("u8 out of range: " + v);
        }
        ensure(1);
        buf[size++] = (byte) v;
        return this;
    }

    public BoundedWriter u16(int v) {
        if (v < 0 || v > 0xFFFF) {
            throw new IllegalArgumentException("u16 out of range: " + v);
        }
        ensure(2);
        buf[size++] = (byte) (v >>> 8);
        buf[size++] = (byte) v;
        return this;
    }

    public BoundedWriter i32(int v) {
        ensure(4);
        buf[size++] = (byte) (v >>> 24);
        buf[size++] = (byte) (v >>> 16);
        buf[size++] = (byte) (v >>> 8);
        buf[size++] = (byte) v;
        return this;
    }

    public BoundedWriter i64(long v) {
        ensure(8);
        i32((int) (v >>> 32));
        return i32((int) v);
    }

    public BoundedWriter bool(boolean v) {
        return u8(v ? 1 : 0);
    }

    /** The bytes as they are, with no length prefix (keys, ids, signatures, nonces). */
    public BoundedWriter fixed(byte[] v) {
        ensure(v.length);
        System.arraycopy(v, 0, buf, size, v.length);
        size += v.length;
        return this;
    }

    /** A u8 length, then the bytes. */
    public BoundedWriter bytes8(byte[] v) {
        return u8(prefix(v.length, 0xFF, "u8")).fixed(v);
    }

    /** A u16 length, then the bytes. */
    public BoundedWriter bytes16(byte[] v) {
        return u16(prefix(v.length, 0xFFFF, "u16")).fixed(v);
    }

    /** An i32 length, then the bytes. */
    public BoundedWriter bytes32(byte[] v) {
        return i32(v.length).fixed(v);
    }

    /** A u16 length, then the text as UTF-8. */
    public BoundedWriter text16(String v) {
        return bytes16(v.getBytes(StandardCharsets.UTF_8));
    }

    /** An i32 length, then the text as UTF-8. */
    public BoundedWriter text32(String v) {
        return bytes32(v.getBytes(StandardCharsets.UTF_8));
    }

    /** Bytes written so far. */
    public int size() {
        return size;
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(buf, size);
    }

    private static int prefix(int length, int max, String width) {
        if (length > max) {
            throw new IllegalArgumentException(length + " bytes do not fit a " + width + " length prefix");
        }
        return length;
    }
}
