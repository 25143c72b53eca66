package io.agentmesh.node.core;

import io.agentmesh.protocol.bytes.MalformedException;
import io.agentmesh.protocol.identity.NodeRevocation;
import io.agentmesh.protocol.identity.SigningKey;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How a node keeps its revocations on disk: a version, a count, then each revocation's own bytes behind a length.
 * Each revocation's bytes are pinned in protocol's NodeRevocationBytesTest; this pins how the list puts them together.
 */
class StoredRevocationsTest {
    private static final SigningKey ROOT = SigningKey.generate(new SecureRandom());
    private static final NodeRevocation FIRST = NodeRevocation.issue(ROOT,
            SigningKey.generate(new SecureRandom()).verifyingKey(), 1_767_225_600_000L, "lost",
            List.of(new NodeRevocation.Cut(new byte[16], 3)));
    private static final NodeRevocation SECOND = NodeRevocation.issue(ROOT,
            SigningKey.generate(new SecureRandom()).verifyingKey(), 1_767_225_600_001L, "", List.of());

    @Test
    void aListIsAVersionACountAndEachRevocationBehindItsLength() {
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.write(1);
        expected.writeBytes(new byte[] {0, 2});
        for (NodeRevocation r : List.of(FIRST, SECOND)) {
            byte[] b = r.toBytes();
            expected.writeBytes(new byte[] {(byte) (b.length >>> 8), (byte) b.length});
            expected.writeBytes(b);
        }
        byte[] stored = StoredRevocations.encode(List.of(FIRST, SECOND));
        assertArrayEquals(expected.toByteArray(), stored);
        List<byte[]> back = StoredRevocations.decode(stored);
        assertEquals(FIRST, NodeRevocation.fromBytes(back.get(0)));
        assertEquals(SECOND, NodeRevocation.fromBytes(back.get(1)));
    }

    @Test
    void nothingStoredIsAnEmptyList() {
        assertEquals(List.of(), StoredRevocations.decode(new byte[0]));
        assertEquals(List.of(), StoredRevocations.decode(StoredRevocations.encode(List.of())));
    }

    @Test
    void aDamagedListIsRefusedNamingWhere() {
        byte[] stored = StoredRevocations.encode(List.of(FIRST, SECOND));
        MalformedException truncated = assertThrows(MalformedException.class,
                () -> StoredRevocations.decode(Arrays.copyOf(stored, stored.length - 1)));
        assertTrue(truncated.getMessage().contains("revocation 1"), truncated.getMessage());
        byte[] version = stored.clone();
        version[0] = 9;
        assertTrue(assertThrows(MalformedException.class, () -> StoredRevocations.decode(version)).getMessage()
                .contains("version 9"));
        assertThrows(MalformedException.class,
                () -> StoredRevocations.decode(Arrays.copyOf(stored, stored.length + 1)));
    }
}
