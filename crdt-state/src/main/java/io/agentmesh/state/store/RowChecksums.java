package io.agentmesh.state.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * CRC32C over every column of a stored row. SQLite's checks ({@code integrity_check}) prove the b-trees are well
 * formed but never look inside a value, so a flipped bit in a change, a snapshot or a metadata value would otherwise
 * be returned as good data. Lengths are hashed before variable-size fields so that moving bytes from one field to
 * the next changes the sum.
 */
final class RowChecksums {
    private RowChecksums() {
    }

    static long change(long position, byte[] actor, long seq, byte[] signer, long incarnation, byte[] signature,
                       byte[] bytes) {
        CRC32C crc = new CRC32C();
        ByteBuffer fixed = ByteBuffer.allocate(8 * 3 + 4 * 4);
        fixed.putLong(position).putLong(seq).putLong(incarnation)
                .putInt(actor.length).putInt(signer.length).putInt(signature.length).putInt(bytes.length);
        crc.update(fixed.array());
        crc.update(actor);
        crc.update(signer);
        crc.update(signature);
        crc.update(bytes);
        return crc.getValue();
    }

    static long snapshot(long lastPosition, byte[] document) {
        CRC32C crc = new CRC32C();
        crc.update(ByteBuffer.allocate(12).putLong(lastPosition).putInt(document.length).array());
        crc.update(document);
        return crc.getValue();
    }

    static long meta(String key, byte[] value) {
        CRC32C crc = new CRC32C();
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        crc.update(ByteBuffer.allocate(8).putInt(k.length).putInt(value.length).array());
        crc.update(k);
        crc.update(value);
        return crc.getValue();
    }
}
