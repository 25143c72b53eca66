package io.agentmesh.relay.protocol;

import io.agentmesh.protocol.identity.AgentId;
import io.agentmesh.relay.Keys;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RelayCodecTest {
    private final Keys agent = new Keys();
    private final Keys.Node node = agent.node();
    private final byte[] nonce = new byte[RelayMessage.NONCE_BYTES];
    private final byte[] circuit = new byte[RelayMessage.CIRCUIT_ID_BYTES];

    private RelayMessage roundTrip(RelayMessage m) throws ProtocolException {
        return RelayCodec.decode(RelayCodec.encode(m));
    }

    @Test
    void everyMessageSurvivesEncoding() throws ProtocolException {
        Keys.RANDOM.nextBytes(nonce);
        Keys.RANDOM.nextBytes(circuit);
        RegistrationRecord record = node.record(5, System.currentTimeMillis() + 60_000,
                new InetSocketAddress("10.0.0.9", 7600));

        RelayMessage.Challenge c = (RelayMessage.Challenge) roundTrip(new RelayMessage.Challenge(1, nonce,
                new InetSocketAddress("192.0.2.1", 5555)));
        assertArrayEquals(nonce, c.nonce());
        assertEquals(new InetSocketAddress("192.0.2.1", 5555), c.observed());
        assertNull(((RelayMessage.Challenge) roundTrip(new RelayMessage.Challenge(1, nonce, null))).observed());

        RelayMessage.Register reg = (RelayMessage.Register) roundTrip(RelayCodec.register(node.key(), nonce, record));
        assertArrayEquals(record.toBytes(), reg.record());
        assertTrue(node.key().verifyingKey().verify(RelayCodec.registerProofPayload(nonce, reg.record()), reg.proof()));

        assertEquals(77, ((RelayMessage.Registered) roundTrip(new RelayMessage.Registered(77, nonce))).expiresAt());
        AgentId a = record.agentId();
        assertEquals(a, ((RelayMessage.Lookup) roundTrip(new RelayMessage.Lookup(a))).agent());
        RelayMessage.Records rs = (RelayMessage.Records) roundTrip(new RelayMessage.Records(
                List.of(record.toBytes(), record.toBytes())));
        assertEquals(2, rs.records().size());
        assertArrayEquals(record.toBytes(), rs.records().get(1));

        RelayMessage.Connect con = (RelayMessage.Connect) roundTrip(RelayCodec.connect(node.key(),
                node.certificate().toBytes(), nonce, record.nodeId()));
        assertEquals(record.nodeId(), con.target());
        assertEquals(node.certificate(), con.sourceCertificate());
        assertArrayEquals(circuit, ((RelayMessage.Connected) roundTrip(new RelayMessage.Connected(circuit))).circuitId());
        RelayMessage.Incoming in = (RelayMessage.Incoming) roundTrip(new RelayMessage.Incoming(circuit, node.id()));
        assertEquals(node.id(), in.source());
        RelayMessage.Attach at = (RelayMessage.Attach) roundTrip(RelayCodec.attach(node.key(), nonce, circuit));
        assertEquals(node.id(), at.node());
        assertTrue(node.key().verifyingKey().verify(RelayCodec.attachProofPayload(nonce, circuit), at.proof()));
        assertArrayEquals(circuit, ((RelayMessage.Attached) roundTrip(new RelayMessage.Attached(circuit))).circuitId());
        RelayMessage.Error e = (RelayMessage.Error) roundTrip(new RelayMessage.Error(ErrorCode.CAP_CIRCUITS, "full ü"));
        assertEquals(ErrorCode.CAP_CIRCUITS, e.code());
        assertEquals("full ü", e.message());
    }

    @Test
    void malformedPayloadsAreProtocolErrors() {
        assertThrows(ProtocolException.class, () -> RelayCodec.decode(new byte[] {99}));
        assertThrows(ProtocolException.class, () -> RelayCodec.decode(new byte[0]));
        assertThrows(ProtocolException.class, () -> RelayCodec.decode(new byte[] {7, 1, 2}));
        byte[] connected = RelayCodec.encode(new RelayMessage.Connected(circuit));
        byte[] trailing = java.util.Arrays.copyOf(connected, connected.length + 1);
        assertThrows(ProtocolException.class, () -> RelayCodec.decode(trailing));
        assertThrows(ProtocolException.class, () -> RelayCodec.decode(new byte[] {11, 0, (byte) 200, 0, 0}));
        byte[] badUtf8 = {11, 0, 1, 0, 2, (byte) 0xC3, (byte) 0x28};
        assertThrows(ProtocolException.class, () -> RelayCodec.decode(badUtf8));
    }

    @Test
    void everyTruncationOfEveryMessageIsAProtocolError() {
        for (RelayMessage m : RelayBytesTest.messages().values()) {
            byte[] whole = RelayCodec.encode(m);
            for (int len = 0; len < whole.length; len++) {
                byte[] cut = java.util.Arrays.copyOf(whole, len);
                assertThrows(ProtocolException.class, () -> RelayCodec.decode(cut),
                        m.getClass().getSimpleName() + " cut to " + len + " bytes");
            }
        }
    }

    @Test
    void aForgedRecordCountIsRefusedBeforeReadingRecords() {
        ProtocolException over = assertThrows(ProtocolException.class,
                () -> RelayCodec.decode(new byte[] {RelayCodec.RECORDS, 0, (byte) 129}));
        assertTrue(over.getMessage().contains("at most 128"), over.getMessage());
        ProtocolException unfit = assertThrows(ProtocolException.class,
                () -> RelayCodec.decode(new byte[] {RelayCodec.RECORDS, 0, 100, 0, 0}));
        assertTrue(unfit.getMessage().contains("cannot fit"), unfit.getMessage());
    }

    @Test
    void anEncodingOverTheFrameLimitIsRefused() {
        List<byte[]> records = java.util.Collections.nCopies(RelayCodec.MAX_RECORDS_PER_REPLY,
                new byte[RegistrationRecord.MAX_ENCODED_BYTES]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RelayCodec.encode(new RelayMessage.Records(records)));
        assertTrue(e.getMessage().contains("frame limit"), e.getMessage());
    }

    @Test
    void framesSplitAcrossReadsAndOversizedFramesAreRefused() throws ProtocolException {
        ByteBuf two = Unpooled.buffer();
        two.writeBytes(RelayFrames.frame(ByteBufAllocator.DEFAULT, new RelayMessage.Connected(circuit)));
        two.writeBytes(RelayFrames.frame(ByteBufAllocator.DEFAULT, new RelayMessage.Attached(circuit)));
        two.writeBytes(new byte[] {1, 2, 3}); // raw bytes after the last frame
        RelayFrames frames = new RelayFrames();
        frames.add(two.readRetainedSlice(3));
        assertNull(frames.next());
        frames.add(two.readRetainedSlice(two.readableBytes()));
        assertInstanceOf(RelayMessage.Connected.class, frames.next());
        assertInstanceOf(RelayMessage.Attached.class, frames.next());
        assertNull(frames.next());
        ByteBuf rest = frames.takeRest();
        assertEquals(3, rest.readableBytes());
        rest.release();
        two.release();

        RelayFrames big = new RelayFrames();
        big.add(Unpooled.buffer().writeInt(RelayCodec.MAX_FRAME_BYTES + 1).writeByte(1));
        assertThrows(ProtocolException.class, big::next);
        big.release();
    }
}
