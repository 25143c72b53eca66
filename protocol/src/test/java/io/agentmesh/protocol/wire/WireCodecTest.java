package io.agentmesh.protocol.wire;

import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.protocol.change.SignedChange;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WireCodecTest {
    private final WireCodec codec = new WireCodec();

    private static SignedChange change(long seq) {
        byte[] key = new byte[32];
        Arrays.fill(key, (byte) 7);
        return new SignedChange(key, 1, ActorId.derive(key, 1), seq, new byte[]{1, 2, 3}, new byte[64]);
    }

    @Test
    void everyMessageTypeSurvivesARoundTrip() {
        List<WireMessage> messages = List.of(
                new WireMessage.Hello(1, new byte[]{9, 9}, new byte[64], 3),
                new WireMessage.Heartbeat(42),
                new WireMessage.HeartbeatAck(43, 1_700_000_000_000L),
                new WireMessage.Digest(List.of(new WireMessage.VectorEntry(new byte[16], 5)), true),
                new WireMessage.Changes(List.of(change(1), change(2)), true),
                new WireMessage.Certificates(List.of(new byte[]{1}), List.of(new WireMessage.PeerAddress("node1x", "127.0.0.1", 7000))),
                new WireMessage.Consensus(new byte[]{4, 5}),
                new WireMessage.Goodbye("bye"),
                new WireMessage.Revocations(List.of(new byte[]{1, 2}, new byte[]{3})),
                new WireMessage.Durable(1, List.of(new WireMessage.VectorEntry(new byte[16], 7)), 4, List.of("node1x")),
                new WireMessage.Durable(12, List.of(), 0, List.of()),
                new WireMessage.Durable(13, List.of(), 17, List.of("node1x", "node2y", "node3z")),
                new WireMessage.DurableQuery(12));
        for (WireMessage m : messages) {
            WireMessage back = codec.decode(codec.encode(m));
            assertEquals(m.getClass(), back.getClass());
            assertEquals(Arrays.toString(codec.encode(m)), Arrays.toString(codec.encode(back)), m.toString());
        }
        WireMessage.Changes changes = (WireMessage.Changes) codec.decode(codec.encode(messages.get(4)));
        assertEquals(change(2), changes.changes().get(1));
    }

    /** The type byte of each message is part of the protocol: peers of every version must agree on it. */
    @Test
    void eachMessageTypeKeepsItsPinnedTypeByte() {
        Map<Integer, WireMessage> pinned = new LinkedHashMap<>();
        pinned.put(0, new WireMessage.Hello(1, new byte[]{9, 9}, new byte[64], 3));
        pinned.put(1, new WireMessage.Heartbeat(42));
        pinned.put(2, new WireMessage.HeartbeatAck(43, 1_700_000_000_000L));
        pinned.put(3, new WireMessage.Digest(List.of(new WireMessage.VectorEntry(new byte[16], 5)), true));
        pinned.put(4, new WireMessage.Changes(List.of(change(1)), false));
        pinned.put(5, new WireMessage.Certificates(List.of(new byte[]{1}), List.of()));
        pinned.put(6, new WireMessage.Consensus(new byte[]{4, 5}));
        pinned.put(7, new WireMessage.Goodbye("bye"));
        pinned.put(8, new WireMessage.Revocations(List.of(new byte[]{1})));
        pinned.put(9, new WireMessage.Durable(1, List.of(new WireMessage.VectorEntry(new byte[16], 5)), 0, List.of()));
        pinned.put(10, new WireMessage.DurableQuery(1));
        pinned.forEach((tag, message) -> {
            byte[] frame = codec.encode(message);
            assertEquals(tag, frame[0] & 0xff, message.getClass().getSimpleName() + " changed its type byte");
            assertEquals(message.getClass(), codec.decode(frame).getClass());
        });
        assertEquals(WireMessage.class.getPermittedSubclasses().length, pinned.size(),
                "a new message type needs its type byte pinned here");
    }

    /** Peers of every version read each other's signed changes, so the CBOR of one is pinned byte for byte. */
    @Test
    void aSignedChangeKeepsItsPinnedEncoding() {
        String pinned = "04bf676368616e67657381bf697369676e65724b65795820070707070707070707070707070707070707070707070707"
                + "07070707070707076b696e6361726e6174696f6e01656163746f72bf656279746573500b77ffee027b7f47d27bd58f28"
                + "fd72a5ff637365710165627974657343010203697369676e617475726558400000000000000000000000000000000000"
                + "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000ff"
                + "646d6f7265f4ff";
        byte[] frame = codec.encode(new WireMessage.Changes(List.of(change(1)), false));
        assertEquals(pinned, HexFormat.of().formatHex(frame));
        assertEquals(change(1), ((WireMessage.Changes) codec.decode(HexFormat.of().parseHex(pinned))).changes().get(0));
    }

    @Test
    void unknownTypeByteIsRejectedWithItsNumber() {
        WireException e = assertThrows(WireException.class, () -> codec.decode(new byte[]{(byte) 200, 0}));
        assertTrue(e.getMessage().contains("unknown message type 200"), e.getMessage());
    }

    @Test
    void recordThatFailsItsOwnValidationIsRejected() {
        byte[] good = codec.encode(new WireMessage.Changes(List.of(change(1)), false));
        // Same bytes, but with seq 1 replaced by seq 0, which SignedChange refuses.
        byte[] bad = good.clone();
        boolean patched = false;
        for (int i = 1; i < bad.length - 4; i++) {
            if (bad[i] == 0x63 && bad[i + 1] == 's' && bad[i + 2] == 'e' && bad[i + 3] == 'q' && bad[i + 4] == 0x01) {
                bad[i + 4] = 0x00;
                patched = true;
            }
        }
        assertTrue(patched, "test setup: seq field not found");
        assertThrows(WireException.class, () -> codec.decode(bad));
    }

    @Test
    void randomBytesNeverEscapeAsAnythingButWireException() {
        Random random = new Random(1);
        for (int i = 0; i < 20_000; i++) {
            byte[] frame = new byte[1 + random.nextInt(64)];
            random.nextBytes(frame);
            frame[0] = (byte) random.nextInt(10);
            try {
                codec.decode(frame);
            } catch (WireException expected) {
                // the only acceptable failure
            }
        }
    }

    @Test
    void aRevocationsMessageWithAnEmptyOrOversizedRecordIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new WireMessage.Revocations(List.of(new byte[0])));
        assertThrows(IllegalArgumentException.class,
                () -> new WireMessage.Revocations(List.of(new byte[WireMessage.MAX_REVOCATION_BYTES + 1])));
        byte[] good = codec.encode(new WireMessage.Revocations(List.of(new byte[]{1})));
        byte[] empty = codec.encode(new WireMessage.Revocations(List.of(new byte[]{1})));
        // The same frame with its one-byte record replaced by an empty one (CBOR 0x41 0x01 -> 0x40 0x00).
        for (int i = 1; i < empty.length - 1; i++) {
            if (empty[i] == 0x41 && empty[i + 1] == 0x01) {
                empty[i] = 0x40;
                byte[] shorter = java.util.Arrays.copyOf(empty, empty.length - 1);
                System.arraycopy(empty, i + 2, shorter, i + 1, empty.length - i - 2);
                WireException e = assertThrows(WireException.class, () -> codec.decode(shorter));
                assertTrue(e.getMessage().contains("revocation must be"), e.getMessage());
                return;
            }
        }
        throw new AssertionError("test setup: the record was not found in " + Arrays.toString(good));
    }

    /**
     * The sizes docs/protocol.md gives for the ways a peer could say what it stored: an acknowledgement naming one
     * actor, a digest (or a whole durable vector) naming every actor the sender knows.
     */
    @Test
    void anAcknowledgementOfOnePushIsSmallerThanADigestOfThreeActors() {
        WireMessage.VectorEntry entry = new WireMessage.VectorEntry(new byte[16], 123_456);
        int ack = codec.encode(new WireMessage.Durable(1, List.of(entry), 0, List.of())).length;
        List<String> threeVoters = java.util.stream.IntStream.range(1, 4).mapToObj(i -> {
            byte[] id = new byte[io.agentmesh.protocol.identity.NodeId.LENGTH];
            Arrays.fill(id, (byte) i);
            return new io.agentmesh.protocol.identity.NodeId(id).toString();
        }).toList();
        int answer3 = codec.encode(new WireMessage.Durable(1, List.of(entry, entry, entry), 12, threeVoters)).length;
        int digest3 = codec.encode(new WireMessage.Digest(List.of(entry, entry, entry), false)).length;
        int digest100 = codec.encode(new WireMessage.Digest(java.util.Collections.nCopies(100, entry), false)).length;
        System.out.printf("durable answer of one actor, no voters: %d bytes; of 3 actors and 3 voters: %d bytes;"
                + " digest of 3 actors: %d bytes; of 100 actors: %d bytes%n", ack, answer3, digest3, digest100);
        assertEquals(DURABLE_ACK_BYTES, ack);
        assertEquals(DURABLE_ANSWER_3_BYTES, answer3);
        assertEquals(DIGEST_3_BYTES, digest3);
        assertEquals(DIGEST_100_BYTES, digest100);
    }

    private static final int DURABLE_ACK_BYTES = 73;
    private static final int DURABLE_ANSWER_3_BYTES = 276;
    private static final int DIGEST_3_BYTES = 119;
    private static final int DIGEST_100_BYTES = 3_418;

    @Test
    void durableMessagesWithANegativeOrZeroQueryNumberAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new WireMessage.Durable(0, List.of(), 0, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new WireMessage.DurableQuery(0));
        // The same refusal when the bytes come from a peer: a valid frame with the number changed to 0.
        byte[] frame = codec.encode(new WireMessage.DurableQuery(1));
        // Jackson writes an indefinite-length map: ... "query" 0x01 then the break byte 0xff.
        assertEquals(0x01, frame[frame.length - 2]);
        frame[frame.length - 2] = 0;
        WireException refused = assertThrows(WireException.class, () -> codec.decode(frame));
        assertTrue(refused.getMessage().contains("DurableQuery"), refused.getMessage());
    }

    @Test
    void durableAnswersWithABadVoterConfigurationAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new WireMessage.Durable(1, List.of(), -1, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new WireMessage.Durable(1, List.of(), 3, List.of("")));
        assertThrows(IllegalArgumentException.class,
                () -> new WireMessage.Durable(1, List.of(), 3, List.of("x".repeat(129))));
        assertThrows(IllegalArgumentException.class, () -> new WireMessage.Durable(1, List.of(), 3,
                java.util.Collections.nCopies(WireMessage.MAX_VOTERS + 1, "node1x")));
        // From a peer: the same refusal, as a malformed frame rather than a crash.
        byte[] frame = codec.encode(new WireMessage.Durable(1, List.of(), 3, List.of("node1x")));
        String text = new String(frame, java.nio.charset.StandardCharsets.ISO_8859_1);
        int at = text.indexOf("node1x");
        frame[at - 1] = (byte) 0x60; // the voter's text header: length 6 -> 0, an empty node id
        byte[] shortened = new byte[frame.length - 6];
        System.arraycopy(frame, 0, shortened, 0, at);
        System.arraycopy(frame, at + 6, shortened, at, frame.length - at - 6);
        WireException refused = assertThrows(WireException.class, () -> codec.decode(shortened));
        assertTrue(refused.getMessage().contains("Durable"), refused.getMessage());
    }

    @Test
    void truncatedFramesAreRejected() {
        byte[] good = codec.encode(new WireMessage.Changes(List.of(change(1)), false));
        for (int len = 0; len < good.length; len++) {
            int n = len;
            assertThrows(WireException.class, () -> codec.decode(good, 0, n), "length " + n);
        }
    }

    /** A node from before wallMillis sends acks without it: they still decode, with no wall time to estimate from. */
    @Test
    void heartbeatAckFromAnOlderNodeWithoutWallTimeDecodes() throws Exception {
        WireMessage m = codec.decode(ackFrame(Map.of("echoedNanos", 43L)));
        assertEquals(new WireMessage.HeartbeatAck(43, WireMessage.HeartbeatAck.NO_WALL_TIME), m);
        assertEquals(new WireMessage.HeartbeatAck(43, 1_700_000_000_123L),
                codec.decode(ackFrame(Map.of("echoedNanos", 43L, "wallMillis", 1_700_000_000_123L))));
    }

    @Test
    void heartbeatAckStaysStrictAboutEverythingElse() throws Exception {
        WireException unknown = assertThrows(WireException.class,
                () -> codec.decode(ackFrame(Map.of("echoedNanos", 43L, "skew", 1L))));
        assertTrue(unknown.getMessage().contains("unknown field \"skew\""), unknown.getMessage());
        assertThrows(WireException.class, () -> codec.decode(ackFrame(Map.of("wallMillis", 5L))));
        assertThrows(WireException.class, () -> codec.decode(ackFrame(Map.of("echoedNanos", "43"))));
        assertThrows(WireException.class, () -> codec.decode(ackFrame(Map.of("echoedNanos", 43L, "wallMillis", -1L))));
        byte[] good = codec.encode(new WireMessage.HeartbeatAck(1, 2));
        byte[] trailing = Arrays.copyOf(good, good.length + 1);
        assertThrows(WireException.class, () -> codec.decode(trailing));
    }

    private static byte[] ackFrame(Map<String, Object> fields) throws Exception {
        byte[] body = new com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper().writeValueAsBytes(fields);
        byte[] frame = new byte[body.length + 1];
        frame[0] = (byte) WireCodec.HEARTBEAT_ACK;
        System.arraycopy(body, 0, frame, 1, body.length);
        return frame;
    }
}
