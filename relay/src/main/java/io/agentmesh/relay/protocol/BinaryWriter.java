package io.agentmesh.relay.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Big-endian writes into a growing byte array. */
final class BinaryWriter {
    private final ByteArrayOutputStream out;

    BinaryWriter(int sizeHint) {
        out = new ByteArrayOutputStream(sizeHint);
    }

    BinaryWriter u8(int v) {
        if (v < 0 || v > 0xFF) {
            throw new IllegalArgumentException("u8 out of range: " + v);
        }
        out.write(v);
        return this;
    }

    BinaryWriter u16(int v) {
        if (v < 0 || v > 0xFFFF) {
            throw new IllegalArgumentException("u16 out of range: " + v);
        }
        out.write(v >>> 8);
        out.write(v);
        return this;
    }

    BinaryWriter i32(int v) {
        out.write(v >>> 24);
        out.write(v >>> 16);
        out.write(v >>> 8);
        out.write(v);
        return this;
    }

    BinaryWriter i64(long v) {
        i32((int) (v >>> 32));
        i32((int) v);
        return this;
    }

    BinaryWriter bytes(byte[] b) {
        out.writeBytes(b);
        return this;
    }

    BinaryWriter blob16(byte[] b) {
        u16(b.length);
        return bytes(b);
    }

    BinaryWriter text16(String s) {
        return blob16(s.getBytes(StandardCharsets.UTF_8));
    }

    byte[] toBytes() {
        return out.toByteArray();
    }
}
