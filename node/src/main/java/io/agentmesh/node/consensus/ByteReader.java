package io.agentmesh.node.consensus;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Reads what {@link ByteWriter} wrote, refusing anything out of shape with a {@link CodecException}: reads past the
 * end, lengths over their limit or over what is left, booleans other than 0/1, malformed UTF-8, trailing bytes.
 */
final class ByteReader {
    private final ByteBuffer in;

    ByteReader(byte[] data) {
        this.in = ByteBuffer.wrap(data);
    }

    int u8() {
        try {
            return in.get() & 0xff;
        } catch (BufferUnderflowException e) {
            throw truncated();
        }
    }

    boolean bool(String field) {
        int v = u8();
        if (v > 1) {
            throw new CodecException(field + ": a boolean is 0 or 1, got " + v);
        }
        return v == 1;
    }

    int i32() {
        try {
            return in.getInt();
        } catch (BufferUnderflowException e) {
            throw truncated();
        }
    }

    long i64() {
        try {
            return in.getLong();
        } catch (BufferUnderflowException e) {
            throw truncated();
        }
    }

    int nonNegativeInt(String field) {
        int v = i32();
        if (v < 0) {
            throw new CodecException(field + " must be >= 0, got " + v);
        }
        return v;
    }

    long nonNegativeLong(String field) {
        long v = i64();
        if (v < 0) {
            throw new CodecException(field + " must be >= 0, got " + v);
        }
        return v;
    }

    /** A count of items that each take at least {@code minItemBytes}, so a forged count cannot allocate much. */
    int count(String field, int max, int minItemBytes) {
        int n = nonNegativeInt(field);
        if (n > max) {
            throw new CodecException(field + ": at most " + max + " items, got " + n);
        }
        if ((long) n * minItemBytes > in.remaining()) {
            throw new CodecException(field + ": " + n + " items cannot fit in the " + in.remaining()
                    + " bytes left");
        }
        return n;
    }

    byte[] bytes(String field, int maxBytes) {
        int n = nonNegativeInt(field + " length");
        if (n > maxBytes) {
            throw new CodecException(field + " is at most " + maxBytes + " bytes, got " + n);
        }
        if (n > in.remaining()) {
            throw truncated();
        }
        byte[] out = new byte[n];
        in.get(out);
        return out;
    }

    String text(String field, int maxBytes) {
        byte[] raw = bytes(field, maxBytes);
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(raw));
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw new CodecException(field + " is not valid UTF-8");
        }
    }

    void expectEnd() {
        if (in.hasRemaining()) {
            throw new CodecException(in.remaining() + " unexpected trailing bytes");
        }
    }

    private CodecException truncated() {
        return new CodecException("truncated: ended at byte " + in.position() + " of " + in.limit());
    }
}
