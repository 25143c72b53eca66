package io.agentmesh.state.automerge;

import io.agentmesh.state.automerge.AutomergeFormatException.Reason;

/**
 * A bounds-checked cursor over a byte range. Every read that would run past the end, and every LEB128 number that
 * is overlong or too large, throws {@link AutomergeFormatException} ({@link Reason#MALFORMED}) naming {@code what}
 * was being read, so no malformed input can surface as an index or arithmetic exception. The LEB128 rules are the ones
 * Automerge 0.5 applies to chunk headers (storage/parse/leb128.rs): at most 64 bits, no redundant trailing groups.
 */
final class ByteReader {
    private final byte[] bytes;
    private final int end;
    private int pos;

    ByteReader(byte[] bytes, int from, int to) {
        if (from < 0 || to > bytes.length || from > to) {
            throw new IllegalArgumentException("range " + from + ".." + to + " outside 0.." + bytes.length);
        }
        this.bytes = bytes;
        this.pos = from;
        this.end = to;
    }

    int position() {
        return pos;
    }

    int remaining() {
        return end - pos;
    }

    boolean done() {
        return pos >= end;
    }

    int u8(String what) {
        if (pos >= end) {
            throw malformed("ends before " + what);
        }
        return bytes[pos++] & 0xff;
    }

    /** Skips {@code n} bytes and returns the offset where they start. */
    int skip(long n, String what) {
        if (n < 0 || n > remaining()) {
            throw malformed(what + " needs " + n + " bytes but only " + remaining() + " remain");
        }
        int at = pos;
        pos += (int) n;
        return at;
    }

    byte[] take(long n, String what) {
        int at = skip(n, what);
        byte[] out = new byte[(int) n];
        System.arraycopy(bytes, at, out, 0, (int) n);
        return out;
    }

    /** Unsigned LEB128 as a raw 64-bit pattern (may be "negative" for values >= 2^63). */
    long uleb(String what) {
        long result = 0;
        int shift = 0;
        while (true) {
            int b = u8(what);
            if (shift == 63 && (b & 0x7e) != 0) {
                throw malformed(what + " is larger than 64 bits");
            }
            result |= (long) (b & 0x7f) << shift;
            shift += 7;
            if ((b & 0x80) == 0) {
                if (shift > 7 && b == 0) {
                    throw malformed(what + " is an overlong LEB128 number");
                }
                return result;
            }
            if (shift > 63) {
                throw malformed(what + " is larger than 64 bits");
            }
        }
    }

    /** Unsigned LEB128 that must fit in {@code 0..max}. */
    long uleb(String what, long max) {
        long v = uleb(what);
        if (v < 0 || v > max) {
            throw malformed(what + " is " + Long.toUnsignedString(v) + ", more than the limit " + max);
        }
        return v;
    }

    /** Signed LEB128, 64 bits. */
    long sleb(String what) {
        long result = 0;
        int shift = 0;
        int prev = 0;
        while (true) {
            int b = u8(what);
            if (shift == 63 && b != 0 && b != 0x7f) {
                throw malformed(what + " is larger than 64 bits");
            }
            result |= (long) (b & 0x7f) << shift;
            shift += 7;
            if ((b & 0x80) == 0) {
                if (shift > 7 && ((b == 0 && (prev & 0x40) == 0) || (b == 0x7f && (prev & 0x40) != 0))) {
                    throw malformed(what + " is an overlong LEB128 number");
                }
                if (shift < 64 && (b & 0x40) != 0) {
                    result |= -1L << shift;
                }
                return result;
            }
            if (shift > 63) {
                throw malformed(what + " is larger than 64 bits");
            }
            prev = b;
        }
    }

    static AutomergeFormatException malformed(String message) {
        return new AutomergeFormatException(Reason.MALFORMED, "malformed Automerge bytes: " + message);
    }
}
