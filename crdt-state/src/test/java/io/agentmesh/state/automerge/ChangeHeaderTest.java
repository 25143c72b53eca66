package io.agentmesh.state.automerge;

import io.agentmesh.state.AgentState;
import io.agentmesh.state.Fixtures;
import io.agentmesh.state.automerge.AutomergeFormatException.Reason;
import org.automerge.ChangeHash;
import org.automerge.Document;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.Deflater;

import static io.agentmesh.state.Fixtures.A;
import static io.agentmesh.state.Fixtures.AGENT;
import static io.agentmesh.state.Fixtures.B;
import static io.agentmesh.state.Fixtures.memory;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChangeHeaderTest {
    /** A change made by automerge-java 0.0.7 under actor 0909..09, seq 1 (from the design brief). */
    static final byte[] EXAMPLE = HexFormat.of().parseHex(
            "856f4a836815911101af010139f62c07d6c1c7ae27731f109b7df41b5d188358921d46974e1ec1d33fea7b6710090909"
            + "090909090909090909090909090104000001100100000000000000000000000000000009010402041304151234034204"
            + "5607572670027f0103007f0103047f00000300017d0474657874046b696e640474696d650001037f0003017c00a60346"
            + "850168656c6c6f20776f726c6420656e747279206e756d62657220306e6f746500008056febc78420400");

    @Test
    void parsesTheExampleChange() throws Exception {
        ChangeHeader h = ChangeHeader.parse(EXAMPLE);
        assertEquals("09".repeat(16), h.actorHex());
        assertEquals(1, h.seq());
        assertEquals(1, h.depCount());
        assertEquals(4, h.startOp());
        assertEquals(0, h.timeMillis());
        assertEquals("", h.message());
        assertEquals(List.of("01" + "00".repeat(15)), h.otherActors().stream().map(HexFormat.of()::formatHex).toList());
        assertFalse(h.compressed());
        byte[] expected = MessageDigest.getInstance("SHA-256").digest(Arrays.copyOfRange(EXAMPLE, 8, EXAMPLE.length));
        assertArrayEquals(expected, h.hash());
        assertArrayEquals(Arrays.copyOf(expected, 4), Arrays.copyOfRange(EXAMPLE, 4, 8), "the stored checksum");
    }

    @Test
    void hashIsTheHeadAutomergeReports() {
        try (AgentState s = AgentState.create(AGENT, A)) {
            byte[] change = s.appendMemory(memory(1)).changeBytes();
            assertEquals(List.of(ChangeHeader.parse(change).hashHex()), s.heads());
        }
    }

    @Test
    void aCompressedChangeParsesLikeTheUncompressedOneAndAutomergeAgrees() {
        try (AgentState s = AgentState.create(AGENT, A)) {
            byte[] plain = s.appendMemory(new io.agentmesh.state.MemoryEntry("m", 1, "a", "k", "long ".repeat(200),
                    List.of())).changeBytes();
            byte[] compressed = compress(plain);
            assertTrue(compressed.length < plain.length);
            ChangeHeader p = ChangeHeader.parse(plain);
            ChangeHeader c = ChangeHeader.parse(compressed);
            assertTrue(c.compressed());
            assertArrayEquals(p.hash(), c.hash());
            assertEquals(p.seq(), c.seq());
            assertArrayEquals(p.actor(), c.actor());
            try (AgentState peer = AgentState.create(AGENT, B)) {
                assertEquals(io.agentmesh.state.ApplyResult.Status.APPLIED, peer.applyChange(compressed).status());
                assertEquals(s.heads(), peer.heads());
                assertEquals(s.view(), peer.view());
            }
        }
    }

    @Test
    void aDeflateBombIsStoppedAtTheInflateCap() {
        byte[] zeros = new byte[ChangeHeader.MAX_INFLATED_BYTES + 1024];
        byte[] bomb = ChangeSurgery.chunk(ChangeHeader.CHUNK_COMPRESSED_CHANGE, deflate(zeros));
        AutomergeFormatException e = assertThrows(AutomergeFormatException.class, () -> ChangeHeader.parse(bomb));
        assertEquals(Reason.TOO_LARGE, e.reason());
    }

    @Test
    void everyTruncationIsRefusedCleanly() {
        for (int n = 0; n < EXAMPLE.length; n++) {
            byte[] cut = Arrays.copyOf(EXAMPLE, n);
            AutomergeFormatException e = assertThrows(AutomergeFormatException.class, () -> ChangeHeader.parse(cut),
                    "length " + n);
            assertFalse(e.getMessage().isBlank());
        }
    }

    @Test
    void refusesOtherChunkKindsAndBadChecksums() {
        byte[] bad = EXAMPLE.clone();
        bad[20] ^= 1;
        assertEquals(Reason.BAD_CHECKSUM,
                assertThrows(AutomergeFormatException.class, () -> ChangeHeader.parse(bad)).reason());
        byte[] body = Arrays.copyOfRange(EXAMPLE, 11, EXAMPLE.length);
        for (int type : new int[]{0, 3, 4, 9}) {
            AutomergeFormatException e = assertThrows(AutomergeFormatException.class,
                    () -> ChangeHeader.parse(ChangeSurgery.chunk(type, body)));
            assertEquals(Reason.WRONG_CHUNK, e.reason(), "type " + type);
        }
    }

    @Test
    void reportsWritesToTheRootAndToProtectedObjects() {
        try (AgentState s = AgentState.create(AGENT, A)) {
            byte[] root = Fixtures.rawPeerChange(s, B, (doc, tx) -> tx.set(org.automerge.ObjectId.ROOT, "x", "y"));
            assertTrue(ChangeHeader.parse(root).writesRoot());
            byte[] normal = s.appendMemory(memory(1)).changeBytes();
            String memoryId = s.genesis().objectIds().get("memory");
            ChangeHeader h = ChangeHeader.parse(normal, java.util.Set.of(memoryId));
            assertFalse(h.writesRoot());
            assertEquals(java.util.Set.of(memoryId), h.protectedWrites());
        }
    }

    @Test
    void summariesListEveryChangeOfADocumentInOrder() {
        try (AgentState s = AgentState.create(AGENT, A)) {
            s.appendMemory(memory(1));
            s.appendMemory(memory(2));
            Document doc = Document.load(s.save());
            List<ChangeHeader.Summary> all = ChangeHeader.summaries(doc.encodeChangesSince(new ChangeHash[0]));
            doc.free();
            assertEquals(4, all.size());
            assertArrayEquals(s.genesis().hash(), all.get(0).hash());
            assertEquals(10, all.get(0).maxOp(), "genesis makes 10 ops");
            assertArrayEquals(s.genesis().workspaceHash(), all.get(1).hash());
            assertEquals(12, all.get(1).maxOp(), "the workspace extension makes 2 more");
            assertEquals(List.of(1L, 2L), all.subList(2, 4).stream().map(ChangeHeader.Summary::seq).toList());
            assertEquals(all.get(2).maxOp() + 1, all.get(3).startOp());
        }
    }

    /** A type-2 chunk: the body DEFLATEd, the checksum of the uncompressed change kept. */
    static byte[] compress(byte[] change) {
        Chunk chunk = Chunk.read(change, 0);
        byte[] deflated = deflate(Arrays.copyOfRange(change, chunk.bodyStart(), chunk.end()));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ChangeHeader.MAGIC);
        out.write(change, 4, 4);
        out.write(ChangeHeader.CHUNK_COMPRESSED_CHANGE);
        ChangeSurgery.uleb(out, deflated.length);
        out.writeBytes(deflated);
        return out.toByteArray();
    }

    /** {@code raw} as a raw DEFLATE stream (no zlib header), as Automerge compresses a change body. */
    private static byte[] deflate(byte[] raw) {
        Deflater d = new Deflater(9, true);
        d.setInput(raw);
        d.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[65536];
        while (!d.finished()) {
            out.write(buf, 0, d.deflate(buf));
        }
        d.end();
        return out.toByteArray();
    }
}
