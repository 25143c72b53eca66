package io.agentmesh.state.automerge;

import java.util.Arrays;

/**
 * The framing of one Automerge chunk: magic, 4-byte checksum, type byte, uLEB body length, body. Reading it checks
 * only that the frame fits in the input; what the body means is for {@link ChangeHeader} and {@link DocumentCheck}.
 *
 * @param start      offset of the magic bytes
 * @param checksum   the 4 checksum bytes as stored
 * @param type       chunk type: 0 document, 1 change, 2 compressed change, 3/4 bundles
 * @param typeOffset offset of the type byte; the chunk hash covers typeOffset..end
 * @param bodyStart  offset of the body
 * @param end        offset just after the body
 */
record Chunk(int start, byte[] checksum, int type, int typeOffset, int bodyStart, int end) {

    static Chunk read(byte[] bytes, int from) {
        ByteReader r = new ByteReader(bytes, from, bytes.length);
        if (r.remaining() < 4) {
            throw ByteReader.malformed("too short for an Automerge chunk (" + r.remaining() + " bytes)");
        }
        if (!Arrays.equals(bytes, from, from + 4, ChangeHeader.MAGIC, 0, 4)) {
            throw ByteReader.malformed("not an Automerge chunk (the magic bytes 856f4a83 are missing at offset "
                    + from + ")");
        }
        r.skip(4, "magic");
        byte[] checksum = r.take(4, "checksum");
        int typeOffset = r.position();
        int type = r.u8("chunk type");
        long length = r.uleb("chunk length");
        if (length < 0 || length > r.remaining()) {
            throw ByteReader.malformed("chunk claims " + Long.toUnsignedString(length) + " bytes but only "
                    + r.remaining() + " follow");
        }
        int bodyStart = r.position();
        return new Chunk(from, checksum, type, typeOffset, bodyStart, bodyStart + (int) length);
    }
}
