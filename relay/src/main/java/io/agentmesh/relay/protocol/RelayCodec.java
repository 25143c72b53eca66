package io.agentmesh.relay.protocol;

import io.agentmesh.protocol.identity.AgentId;
import io.agentmesh.protocol.identity.Ed25519;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.protocol.identity.VerifyingKey;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Encoding of {@link RelayMessage}s. On the wire each message is a frame: u32 big-endian payload length (at most
 * {@value #MAX_FRAME_BYTES}), then the payload: u8 type, then the fields, big-endian:
 * <pre>
 *   1 Challenge   u16 version, 32 nonce, address observed (u8 kind 4|6|0, 4|16 bytes, u16 port; kind 0 = unknown)
 *   2 Register    u16 version, u16 len + record, 64 proof
 *   3 Registered  i64 expiresAt, 32 nextNonce
 *   4 Lookup      20 agent id
 *   5 Records     u16 count, count x (u16 len + record)
 *   6 Connect     u16 version, u16 len + source certificate, 20 target node id, 64 proof
 *   7 Connected   16 circuit id
 *   8 Incoming    16 circuit id, 20 source node id
 *   9 Attach      u16 version, 20 node id, 16 circuit id, 64 proof
 *  10 Attached    16 circuit id
 *  11 Error       u16 code, u16 len + UTF-8 message
 * </pre>
 * Proofs are Ed25519 signatures by the node key over a domain tag, the relay's nonce and what is asked for (see
 * {@link #registerProofPayload}, {@link #connectProofPayload}, {@link #attachProofPayload}), so a proof is good for
 * one request on one connection to one relay.
 */
public final class RelayCodec {
    public static final int PROTOCOL_VERSION = 1;
    public static final int LENGTH_FIELD_BYTES = 4;
    public static final int MAX_FRAME_BYTES = 128 * 1024;
    /** Most records one {@link RelayMessage.Records} carries (a relay also stops before the frame limit). */
    public static final int MAX_RECORDS_PER_REPLY = 128;

    private static final byte[] REGISTER_DOMAIN = "agentmesh/relay-register/v1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CONNECT_DOMAIN = "agentmesh/relay-connect/v1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ATTACH_DOMAIN = "agentmesh/relay-attach/v1".getBytes(StandardCharsets.US_ASCII);

    private RelayCodec() {
    }

    public static byte[] encode(RelayMessage message) {
        BinaryWriter w = new BinaryWriter(128);
        switch (message) {
            case RelayMessage.Challenge m -> {
                w.u8(1).u16(m.version()).bytes(m.nonce());
                writeAddress(w, m.observed());
            }
            case RelayMessage.Register m -> w.u8(2).u16(m.version()).blob16(m.record()).bytes(m.proof());
            case RelayMessage.Registered m -> w.u8(3).i64(m.expiresAt()).bytes(m.nextNonce());
            case RelayMessage.Lookup m -> w.u8(4).bytes(m.agent().bytes());
            case RelayMessage.Records m -> {
                if (m.records().size() > MAX_RECORDS_PER_REPLY) {
                    throw new IllegalArgumentException("at most " + MAX_RECORDS_PER_REPLY + " records per reply");
                }
                w.u8(5).u16(m.records().size());
                for (byte[] r : m.records()) {
                    w.blob16(r);
                }
            }
            case RelayMessage.Connect m -> w.u8(6).u16(m.version()).blob16(m.certificate()).bytes(m.target().bytes())
                    .bytes(m.proof());
            case RelayMessage.Connected m -> w.u8(7).bytes(m.circuitId());
            case RelayMessage.Incoming m -> w.u8(8).bytes(m.circuitId()).bytes(m.source().bytes());
            case RelayMessage.Attach m -> w.u8(9).u16(m.version()).bytes(m.node().bytes()).bytes(m.circuitId())
                    .bytes(m.proof());
            case RelayMessage.Attached m -> w.u8(10).bytes(m.circuitId());
            case RelayMessage.Error m -> w.u8(11).u16(m.code().code).text16(m.message());
        }
        byte[] out = w.toBytes();
        if (out.length > MAX_FRAME_BYTES) {
            throw new IllegalArgumentException(message.getClass().getSimpleName() + " of " + out.length
                    + " bytes exceeds the frame limit " + MAX_FRAME_BYTES);
        }
        return out;
    }

    public static RelayMessage decode(byte[] payload) throws ProtocolException {
        BinaryReader r = new BinaryReader(payload, "relay frame");
        int type = r.u8("type");
        RelayMessage m;
        try {
            m = switch (type) {
                case 1 -> new RelayMessage.Challenge(r.u16("version"), r.bytes(RelayMessage.NONCE_BYTES, "nonce"),
                        readAddress(r));
                case 2 -> new RelayMessage.Register(r.u16("version"),
                        r.blob16(RegistrationRecord.MAX_ENCODED_BYTES, "record"),
                        r.bytes(Ed25519.SIGNATURE_LENGTH, "proof"));
                case 3 -> new RelayMessage.Registered(r.i64("expiresAt"), r.bytes(RelayMessage.NONCE_BYTES,
                        "nextNonce"));
                case 4 -> new RelayMessage.Lookup(new AgentId(r.bytes(AgentId.LENGTH, "agent id")));
                case 5 -> {
                    int n = r.u16("record count");
                    if (n > MAX_RECORDS_PER_REPLY) {
                        throw new ProtocolException("reply with " + n + " records, at most " + MAX_RECORDS_PER_REPLY);
                    }
                    List<byte[]> records = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        records.add(r.blob16(RegistrationRecord.MAX_ENCODED_BYTES, "record"));
                    }
                    yield new RelayMessage.Records(records);
                }
                case 6 -> new RelayMessage.Connect(r.u16("version"),
                        r.blob16(RegistrationRecord.MAX_CERTIFICATE_BYTES, "certificate"),
                        new NodeId(r.bytes(NodeId.LENGTH, "target")), r.bytes(Ed25519.SIGNATURE_LENGTH, "proof"));
                case 7 -> new RelayMessage.Connected(r.bytes(RelayMessage.CIRCUIT_ID_BYTES, "circuit id"));
                case 8 -> new RelayMessage.Incoming(r.bytes(RelayMessage.CIRCUIT_ID_BYTES, "circuit id"),
                        new NodeId(r.bytes(NodeId.LENGTH, "source")));
                case 9 -> new RelayMessage.Attach(r.u16("version"), new NodeId(r.bytes(NodeId.LENGTH, "node")),
                        r.bytes(RelayMessage.CIRCUIT_ID_BYTES, "circuit id"),
                        r.bytes(Ed25519.SIGNATURE_LENGTH, "proof"));
                case 10 -> new RelayMessage.Attached(r.bytes(RelayMessage.CIRCUIT_ID_BYTES, "circuit id"));
                case 11 -> new RelayMessage.Error(ErrorCode.of(r.u16("code")), r.text16(4000, "message"));
                default -> throw new ProtocolException("unknown relay message type " + type);
            };
        } catch (IllegalArgumentException e) {
            throw new ProtocolException("invalid relay message of type " + type + ": " + e.getMessage());
        }
        r.end();
        return m;
    }

    private static void writeAddress(BinaryWriter w, InetSocketAddress a) {
        InetAddress ip = a == null || a.isUnresolved() ? null : a.getAddress();
        if (ip == null) {
            w.u8(0).bytes(new byte[0]).u16(0);
        } else {
            w.u8(ip instanceof Inet4Address ? 4 : 6).bytes(ip.getAddress()).u16(a.getPort());
        }
    }

    private static InetSocketAddress readAddress(BinaryReader r) throws ProtocolException {
        int kind = r.u8("address kind");
        if (kind == 0) {
            r.u16("port");
            return null;
        }
        if (kind != 4 && kind != 6) {
            throw new ProtocolException("unknown address kind " + kind);
        }
        byte[] ip = r.bytes(kind == 4 ? 4 : 16, "address");
        int port = r.u16("port");
        try {
            return new InetSocketAddress(InetAddress.getByAddress(ip), port);
        } catch (UnknownHostException e) {
            throw new ProtocolException("bad address: " + e.getMessage());
        }
    }

    // ------------------------------------------------------------------------------------------------ proofs

    public static byte[] registerProofPayload(byte[] nonce, byte[] record) {
        return concat(REGISTER_DOMAIN, nonce, record);
    }

    public static byte[] connectProofPayload(byte[] nonce, NodeId target) {
        return concat(CONNECT_DOMAIN, nonce, target.bytes());
    }

    public static byte[] attachProofPayload(byte[] nonce, byte[] circuitId) {
        return concat(ATTACH_DOMAIN, nonce, circuitId);
    }

    public static RelayMessage.Register register(SigningKey key, byte[] nonce, RegistrationRecord record) {
        byte[] bytes = record.toBytes();
        return new RelayMessage.Register(PROTOCOL_VERSION, bytes, key.sign(registerProofPayload(nonce, bytes)));
    }

    public static RelayMessage.Connect connect(SigningKey key, byte[] certificate, byte[] nonce, NodeId target) {
        return new RelayMessage.Connect(PROTOCOL_VERSION, certificate, target,
                key.sign(connectProofPayload(nonce, target)));
    }

    public static RelayMessage.Attach attach(SigningKey key, byte[] nonce, byte[] circuitId) {
        return new RelayMessage.Attach(PROTOCOL_VERSION, NodeId.of(key.verifyingKey()), circuitId,
                key.sign(attachProofPayload(nonce, circuitId)));
    }

    public static boolean verifyProof(VerifyingKey key, byte[] payload, byte[] proof) {
        return key.verify(payload, proof);
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int pos = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, pos, p.length);
            pos += p.length;
        }
        return out;
    }
}
