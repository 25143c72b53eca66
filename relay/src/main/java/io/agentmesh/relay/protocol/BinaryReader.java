package io.agentmesh.relay.protocol;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Bounds-checked big-endian reads over a byte array; every shortfall is a {@link ProtocolException}. */
final class BinaryReader {
    private final byte[] data;
    private final String what;
    private int pos;

    BinaryReader(byte[] data, String what) {
        this.data = data;
        this.what = what;
    }

    private void need(int n, String field) throws ProtocolException {
        if (n < 0 || data.length - pos < n) {
            throw new ProtocolException(what + " truncated: " + field + " needs " + n + " bytes at offset " + pos
                    + ", " + (data.length - pos) + " left");
        }
    }

    int u8(String field) throws ProtocolException {
        need(1, field);
        return data[pos++] & 0xFF;
    }

    int u16(String field) throws ProtocolException {
        need(2, field);
        int v = ((data[pos] & 0xFF) << 8) | (data[pos + 1] & 0xFF);
        pos += 2;
        return v;
    }

    int i32(String field) throws ProtocolException {
        need(4, field);
        int v = ((data[pos] & 0xFF) << 24) | ((data[pos + 1] & 0xFF) << 16) | ((data[pos + 2] & 0xFF) << 8)
                | (data[pos + 3] & 0xFF);
        pos += 4;
        return v;
    }

    long i64(String field) throws ProtocolException {
        long hi = i32(field) & 0xFFFFFFFFL;
        long lo = i32(field) & 0xFFFFFFFFL;
        return (hi << 32) | lo;
    }

    byte[] bytes(int n, String field) throws ProtocolException {
        need(n, field);
        byte[] out = new byte[n];
        System.arraycopy(data, pos, out, 0, n);
        pos += n;
        return out;
    }

    /** A u16 length then that many bytes, at most {@code max}. */
    byte[] blob16(int max, String field) throws ProtocolException {
        int n = u16(field + " length");
        if (n > max) {
            throw new ProtocolException(what + ": " + field + " of " + n + " bytes exceeds " + max);
        }
        return bytes(n, field);
    }

    /** A u16 length then UTF-8 text, at most {@code maxBytes}; malformed UTF-8 is refused. */
    String text16(int maxBytes, String field) throws ProtocolException {
        byte[] raw = blob16(maxBytes, field);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(raw)).toString();
        } catch (CharacterCodingException e) {
            throw new ProtocolException(what + ": " + field + " is not valid UTF-8");
        }
    }

    int position() {
        return pos;
    }

    void end() throws ProtocolException {
        if (pos != data.length) {
            throw new ProtocolException(what + " has " + (data.length - pos) + " unexpected trailing bytes");
        }
    }
}
