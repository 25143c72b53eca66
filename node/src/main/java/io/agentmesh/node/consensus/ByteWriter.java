package io.agentmesh.node.consensus;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Big-endian fixed-width numbers, length-prefixed UTF-8 and byte strings; the encoding half of {@link ByteReader}. */
final class ByteWriter {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
    private final DataOutputStream out = new DataOutputStream(bytes);

    ByteWriter u8(int v) {
        try {
            out.writeByte(v);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    ByteWriter bool(boolean v) {
        return u8(v ? 1 : 0);
    }

    ByteWriter i32(int v) {
        try {
            out.writeInt(v);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    ByteWriter i64(long v) {
        try {
            out.writeLong(v);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    ByteWriter bytes(byte[] v) {
        i32(v.length);
        try {
            out.write(v);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    ByteWriter text(String v) {
        return bytes(v.getBytes(StandardCharsets.UTF_8));
    }

    byte[] toByteArray() {
        return bytes.toByteArray();
    }
}
