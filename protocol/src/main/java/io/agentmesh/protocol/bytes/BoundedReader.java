package io.agentmesh.protocol.bytes;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A bounds-checked, big-endian cursor over a byte array: the one reader of every fixed-layout binary format in
 * agentmesh (relay messages and records, node certificates, consensus messages and the Raft log, stored cursors).
 *
 * <p>Every read names its field. Anything out of shape is a {@link MalformedException} naming that field: a read past
 * the end, a length or count over its limit or over the bytes left, a boolean other than 0 or 1, malformed UTF-8,
 * trailing bytes at {@link #end()}. A length is checked before anything is allocated for it, so a forged length
 * cannot make a decoder allocate more than the input it was given. Not thread-safe; one per decode.
 */
public final class BoundedReader {
    private final byte[] data;
    private final int limit;
    private int pos;

    public BoundedReader(byte[] data) {
        this(data, 0, data.length);
    }

    /** Reads {@code data[offset, offset + length)}. */
    public BoundedReader(byte[] data, int offset, int length) {
        if (offset < 0 || length < 0 || offset > data.length - length) {
            throw new IllegalArgumentException("range " + offset + "+" + length + " is outside " + data.length
                    + " bytes");
        }
        this.data = data;
        this.pos = offset;
        this.limit = offset + length;
    }

    /** Bytes not read yet. */
    public int remaining() {
        return limit - pos;
    }

    private void need(String field, long n) {
        if (n > remaining()) {
            throw new MalformedException(field, "truncated: needs " + n + " bytes at offset " + pos + ", "
                    + remaining() + " left");
        }
    }

    public int u8(String field) {
        need(field, 1);
        return data[pos++] & 0xFF;
    }

    public int u16(String field) {
        need(field, 2);
        int v = ((data[pos] & 0xFF) << 8) | (data[pos + 1] & 0xFF);
        pos += 2;
        return v;
    }

    public int i32(String field) {
        need(field, 4);
        int v = ((data[pos] & 0xFF) << 24) | ((data[pos + 1] & 0xFF) << 16) | ((data[pos + 2] & 0xFF) << 8)
                | (data[pos + 3] & 0xFF);
        pos += 4;
        return v;
    }

    public long i64(String field) {
        need(field, 8);
        long hi = i32(field) & 0xFFFF_FFFFL;
        long lo = i32(field) & 0xFFFF_FFFFL;
        return (hi << 32) | lo;
    }

    public int nonNegativeI32(String field) {
        int v = i32(field);
        if (v < 0) {
            throw new MalformedException(field, "must be >= 0, got " + v);
        }
        return v;
    }

    public long nonNegativeI64(String field) {
        long v = i64(field);
        if (v < 0) {
            throw new MalformedException(field, "must be >= 0, got " + v);
        }
        return v;
    }

    /** One byte, 0 or 1. */
    public boolean bool(String field) {
        int v = u8(field);
        if (v > 1) {
            throw new MalformedException(field, "a boolean is 0 or 1, got " + v);
        }
        return v == 1;
    }

    /** Exactly {@code length} bytes, with no length prefix (keys, ids, signatures, nonces). */
    public byte[] fixed(String field, int length) {
        if (length < 0) {
            throw new IllegalArgumentException(field + ": negative length " + length);
        }
        need(field, length);
        byte[] out = new byte[length];
        System.arraycopy(data, pos, out, 0, length);
        pos += length;
        return out;
    }

    /** A u8 length, then that many bytes, at most {@code maxBytes}. */
    public byte[] bytes8(String field, int maxBytes) {
        return sized(field, u8(field + " length"), maxBytes);
    }

    /** A u16 length, then that many bytes, at most {@code maxBytes}. */
    public byte[] bytes16(String field, int maxBytes) {
        return sized(field, u16(field + " length"), maxBytes);
    }

    /** An i32 length (negative refused), then that many bytes, at most {@code maxBytes}. */
    public byte[] bytes32(String field, int maxBytes) {
        return sized(field, nonNegativeI32(field + " length"), maxBytes);
    }

    /** A u16 length, then that many bytes of UTF-8 (at most {@code maxBytes}); malformed UTF-8 is refused. */
    public String text16(String field, int maxBytes) {
        return utf8(field, bytes16(field, maxBytes));
    }

    /** An i32 length, then that many bytes of UTF-8 (at most {@code maxBytes}); malformed UTF-8 is refused. */
    public String text32(String field, int maxBytes) {
        return utf8(field, bytes32(field, maxBytes));
    }

    /** A u8 count of items, each at least {@code minItemBytes} long; see {@link #count32}. */
    public int count8(String field, int max, int minItemBytes) {
        return checkCount(field, u8(field), max, minItemBytes);
    }

    /** A u16 count of items, each at least {@code minItemBytes} long; see {@link #count32}. */
    public int count16(String field, int max, int minItemBytes) {
        return checkCount(field, u16(field), max, minItemBytes);
    }

    /**
     * An i32 count of items that each take at least {@code minItemBytes}: refused when negative, over {@code max},
     * or more than the bytes left can hold, so a forged count cannot make the caller allocate or loop much.
     */
    public int count32(String field, int max, int minItemBytes) {
        return checkCount(field, nonNegativeI32(field), max, minItemBytes);
    }

    /** Every byte was read; anything left over is refused. */
    public void end() {
        if (pos != limit) {
            throw new MalformedException("end", remaining() + " unexpected trailing bytes at offset " + pos);
        }
    }

    private byte[] sized(String field, int n, int maxBytes) {
        if (n > maxBytes) {
            throw new MalformedException(field, "is at most " + maxBytes + " bytes, got " + n);
        }
        return fixed(field, n);
    }

    private int checkCount(String field, int n, int max, int minItemBytes) {
        if (n > max) {
            throw new MalformedException(field, "at most " + max + " items, got " + n);
        }
        if ((long) n * minItemBytes > remaining()) {
            throw new MalformedException(field, n + " items of at least " + minItemBytes + " bytes cannot fit in"
                    + " the " + remaining() + " bytes left");
        }
        return n;
    }

    private static String utf8(String field, byte[] raw) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(raw)).toString();
        } catch (CharacterCodingException e) {
            throw new MalformedException(field, "is not valid UTF-8");
        }
    }
}
