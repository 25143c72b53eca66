package io.agentmesh.relay.protocol;

import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.protocol.identity.SigningKey;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Pins the bytes of every relay message and of registration records. Relays and nodes of different versions talk
 * to each other, and records are signed by the node that wrote them, so neither layout may change by accident.
 */
class RelayBytesTest {
    static final long T0 = 1_767_225_600_000L; // 2026-01-01T00:00:00Z

    static SigningKey key(int n) {
        byte[] seed = new byte[32];
        seed[0] = (byte) n;
        return SigningKey.fromSeed(seed);
    }

    static byte[] pattern(int length, int start) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (start + i);
        }
        return b;
    }

    static InetSocketAddress ip(String literal, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByName(literal), port);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static final SigningKey NODE_KEY = key(3);
    static final NodeCertificate CERTIFICATE = NodeCertificate.issue(key(1), NODE_KEY.verifyingKey(), Role.VOTER,
            T0, T0 + 365 * 86_400_000L);
    static final RegistrationRecord RECORD = RegistrationRecord.sign(NODE_KEY, CERTIFICATE,
            List.of(ip("203.0.113.7", 7000), ip("2001:db8::1", 7001),
                    InetSocketAddress.createUnresolved("node.example.org", 443)),
            T0 + 17, T0 + 600_000);
    static final RegistrationRecord BARE_RECORD = RegistrationRecord.sign(NODE_KEY, CERTIFICATE, List.of(), 1,
            T0 + 60_000);

    static Map<String, RelayMessage> messages() {
        byte[] nonce = pattern(RelayMessage.NONCE_BYTES, 0x10);
        byte[] circuit = pattern(RelayMessage.CIRCUIT_ID_BYTES, 0x40);
        byte[] proof = pattern(64, 0x80);
        Map<String, RelayMessage> m = new LinkedHashMap<>();
        m.put("challenge-v4", new RelayMessage.Challenge(1, nonce, ip("192.0.2.1", 5555)));
        m.put("challenge-v6", new RelayMessage.Challenge(1, nonce, ip("2001:db8::2", 5556)));
        m.put("challenge-unknown", new RelayMessage.Challenge(1, nonce, null));
        m.put("register", new RelayMessage.Register(1, pattern(5, 1), proof));
        m.put("registered", new RelayMessage.Registered(T0 + 600_000, nonce));
        m.put("lookup", new RelayMessage.Lookup(CERTIFICATE.agentId()));
        m.put("records", new RelayMessage.Records(List.of(pattern(3, 1), new byte[0], pattern(2, 9))));
        m.put("connect", new RelayMessage.Connect(1, pattern(4, 0x20), CERTIFICATE.nodeId(), proof));
        m.put("connected", new RelayMessage.Connected(circuit));
        m.put("incoming", new RelayMessage.Incoming(circuit, CERTIFICATE.nodeId()));
        m.put("attach", new RelayMessage.Attach(1, CERTIFICATE.nodeId(), circuit, proof));
        m.put("attached", new RelayMessage.Attached(circuit));
        m.put("error", new RelayMessage.Error(ErrorCode.UNKNOWN_TARGET, "no node \u00e9"));
        return m;
    }

    static final Map<String, String> MESSAGE_HEX = Map.ofEntries(
            Map.entry("challenge-v4", "010001101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f04c00002"
                    + "0115b3"),
            Map.entry("challenge-v6", "010001101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f0620010d"
                    + "b800000000000000000000000215b4"),
            Map.entry("challenge-unknown", "010001101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f00"
                    + "0000"),
            Map.entry("register", "02000100050102030405808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e"
                    + "9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"),
            Map.entry("registered", "030000019b76e3cfc0101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e"
                    + "2f"),
            Map.entry("lookup", "04fa4d86c3b551aa6cd7c3759d040c037ef2c6379f"),
            Map.entry("records", "050003000301020300000002090a"),
            Map.entry("connect", "060001000420212223db0743e2dcba9ebf2419bde0881beea966689a26808182838485868788898a8b"
                    + "8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9ba"
                    + "bbbcbdbebf"),
            Map.entry("connected", "07404142434445464748494a4b4c4d4e4f"),
            Map.entry("incoming", "08404142434445464748494a4b4c4d4e4fdb0743e2dcba9ebf2419bde0881beea966689a26"),
            Map.entry("attach", "090001db0743e2dcba9ebf2419bde0881beea966689a26404142434445464748494a4b4c4d4e4f808182"
                    + "838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1"
                    + "b2b3b4b5b6b7b8b9babbbcbdbebf"),
            Map.entry("attached", "0a404142434445464748494a4b4c4d4e4f"),
            Map.entry("error", "0b000b000a6e6f206e6f646520c3a9"));

    static final String RECORD_HEX = "01db0743e2dcba9ebf2419bde0881beea966689a26fa4d86c3b551aa6cd7c3759d040c037ef2c6"
            + "379fdadbd184a2d526f1ebdd5c06fdad9359b228759b4d7f79d66689fa254aad8546009a01cecc1507dc1ddd7295951c290888"
            + "f095adb9044d1b73d696e6df065d683bd4fcdadbd184a2d526f1ebdd5c06fdad9359b228759b4d7f79d66689fa254aad854601"
            + "0000019b76daa800000001a2ce8bd4000000019b76daa800498512b4f0aedc8b9638941377e40bfd8f3ae444f66f460c92fc72"
            + "799fa6104831ab0d7b4901eb838b8be2f364d9544b12c48616d02d5a2a397ad8c08a8991060304cb0071071b580620010db800"
            + "00000000000000000000011b5900106e6f64652e6578616d706c652e6f726701bb0000019b76daa8110000019b76e3cfc01f72"
            + "c3fbfade888fb644803afcf4b9051f21c82e206ee11b6dcc9bacc3a367ebcc554d26e363bf8f3600799b5322068387681f905a"
            + "dec9a539d482424c002007";
    static final String BARE_RECORD_HEX = "01db0743e2dcba9ebf2419bde0881beea966689a26fa4d86c3b551aa6cd7c3759d040c037e"
            + "f2c6379fdadbd184a2d526f1ebdd5c06fdad9359b228759b4d7f79d66689fa254aad8546009a01cecc1507dc1ddd7295951c29"
            + "0888f095adb9044d1b73d696e6df065d683bd4fcdadbd184a2d526f1ebdd5c06fdad9359b228759b4d7f79d66689fa254aad85"
            + "46010000019b76daa800000001a2ce8bd4000000019b76daa800498512b4f0aedc8b9638941377e40bfd8f3ae444f66f460c92"
            + "fc72799fa6104831ab0d7b4901eb838b8be2f364d9544b12c48616d02d5a2a397ad8c08a899106000000000000000001000001"
            + "9b76db92608120f2834ec47eaeb4f177764f82203a36d3b8de1b11bcecf9786fb72e0c81bf9eff9e6db3e82871842ef3392072"
            + "853a0d458ecb354b2d00814e8d6cd4e2ab0c";

    @Test
    void everyRelayMessageEncodesToItsPinnedBytesAndBack() throws ProtocolException {
        for (Map.Entry<String, RelayMessage> e : messages().entrySet()) {
            String hex = MESSAGE_HEX.get(e.getKey());
            assertPinned(hex, RelayCodec.encode(e.getValue()), e.getKey());
            byte[] reencoded = RelayCodec.encode(RelayCodec.decode(HexFormat.of().parseHex(hex)));
            assertEquals(hex, HexFormat.of().formatHex(reencoded), e.getKey() + " decodes to what it was");
        }
        assertEquals(messages().keySet(), MESSAGE_HEX.keySet());
    }

    @Test
    void registrationRecordsEncodeToTheirPinnedBytes() {
        assertPinned(RECORD_HEX, RECORD.toBytes(), "record with three addresses");
        assertPinned(BARE_RECORD_HEX, BARE_RECORD.toBytes(), "record without addresses");
    }

    @Test
    void pinnedRecordsStillDecodeAndVerify() throws RecordException {
        RegistrationRecord r = RegistrationRecord.fromBytes(HexFormat.of().parseHex(RECORD_HEX));
        r.verify(CERTIFICATE.agentId(), T0 + 1, 3_600_000);
        assertEquals(RECORD, r);
        assertEquals(RECORD.addresses(), r.addresses());
        RegistrationRecord bare = RegistrationRecord.fromBytes(HexFormat.of().parseHex(BARE_RECORD_HEX));
        bare.verify(CERTIFICATE.agentId(), T0 + 1, 3_600_000);
        assertEquals(BARE_RECORD, bare);
    }

    static void assertPinned(String expectedHex, byte[] actual, String what) {
        assertEquals(expectedHex, HexFormat.of().formatHex(actual), what + ": its encoding changed, but relays,"
                + " nodes and records of earlier versions depend on it");
    }
}
