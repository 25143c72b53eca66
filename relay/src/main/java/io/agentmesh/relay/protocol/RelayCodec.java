package io.agentmesh.relay.protocol;

import io.agentmesh.protocol.bytes.BoundedReader;
import io.agentmesh.protocol.bytes.BoundedWriter;
import io.agentmesh.protocol.bytes.MalformedException;
import io.agentmesh.protocol.identity.AgentId;
import io.agentmesh.protocol.identity.Ed25519;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.SigningKey;

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
 *   1 Challenge   u16 version, 32 nonce, address observed (u8 kind 4|6|0, 4|16|0 bytes, u16 port; 0 = unknown)
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
 * The type numbers are the constants below, by name: relays and nodes of different versions must agree on them, so
 * a number is never renumbered or reused.
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
    /** An {@link RelayMessage.Error} message is cut to 1000 UTF-16 chars, at most 3 UTF-8 bytes each. */
    static final int MAX_ERROR_MESSAGE_BYTES = 4000;

    // Message types.
    static final int CHALLENGE = 1;
    static final int REGISTER = 2;
    static final int REGISTERED = 3;
    static final int LOOKUP = 4;
    static final int RECORDS = 5;
    static final int CONNECT = 6;
    static final int CONNECTED = 7;
    static final int INCOMING = 8;
    static final int ATTACH = 9;
    static final int ATTACHED = 10;
    static final int ERROR = 11;

    // Kinds of the observed address in a Challenge.
    static final int ADDRESS_UNKNOWN = 0;
    static final int ADDRESS_IPV4 = 4;
    static final int ADDRESS_IPV6 = 6;

    /** The shortest item of a Records reply: a u16 length of an empty record (which then fails to verify). */
    private static final int MIN_RECORD_ITEM_BYTES = Short.BYTES;

    private static final byte[] REGISTER_DOMAIN = "agentmesh/relay-register/v1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CONNECT_DOMAIN = "agentmesh/relay-connect/v1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ATTACH_DOMAIN = "agentmesh/relay-attach/v1".getBytes(StandardCharsets.US_ASCII);

    private RelayCodec() {
    }

    public static byte[] encode(RelayMessage message) {
        BoundedWriter w = new BoundedWriter(MAX_FRAME_BYTES);
        try {
            switch (message) {
                case RelayMessage.Challenge m -> {
                    w.u8(CHALLENGE).u16(m.version()).fixed(m.nonce());
                    writeAddress(w, m.observed());
                }
                case RelayMessage.Register m -> w.u8(REGISTER).u16(m.version()).bytes16(m.record()).fixed(m.proof());
                case RelayMessage.Registered m -> w.u8(REGISTERED).i64(m.expiresAt()).fixed(m.nextNonce());
                case RelayMessage.Lookup m -> w.u8(LOOKUP).fixed(m.agent().bytes());
                case RelayMessage.Records m -> {
                    if (m.records().size() > MAX_RECORDS_PER_REPLY) {
                        throw new IllegalArgumentException("at most " + MAX_RECORDS_PER_REPLY + " records per reply");
                    }
                    w.u8(RECORDS).u16(m.records().size());
                    for (byte[] r : m.records()) {
                        w.bytes16(r);
                    }
                }
                case RelayMessage.Connect m -> w.u8(CONNECT).u16(m.version()).bytes16(m.certificate())
                        .fixed(m.target().bytes()).fixed(m.proof());
                case RelayMessage.Connected m -> w.u8(CONNECTED).fixed(m.circuitId());
                case RelayMessage.Incoming m -> w.u8(INCOMING).fixed(m.circuitId()).fixed(m.source().bytes());
                case RelayMessage.Attach m -> w.u8(ATTACH).u16(m.version()).fixed(m.node().bytes())
                        .fixed(m.circuitId()).fixed(m.proof());
                case RelayMessage.Attached m -> w.u8(ATTACHED).fixed(m.circuitId());
                case RelayMessage.Error m -> w.u8(ERROR).u16(m.code().code).text16(m.message());
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot encode " + message.getClass().getSimpleName() + " within the"
                    + " frame limit " + MAX_FRAME_BYTES + ": " + e.getMessage(), e);
        }
        return w.toByteArray();
    }

    public static RelayMessage decode(byte[] payload) throws ProtocolException {
        BoundedReader r = new BoundedReader(payload);
        int type = -1;
        try {
            type = r.u8("type");
            RelayMessage m = switch (type) {
                case CHALLENGE -> new RelayMessage.Challenge(r.u16("version"),
                        r.fixed("nonce", RelayMessage.NONCE_BYTES), readAddress(r));
                case REGISTER -> new RelayMessage.Register(r.u16("version"),
                        r.bytes16("record", RegistrationRecord.MAX_ENCODED_BYTES),
                        r.fixed("proof", Ed25519.SIGNATURE_LENGTH));
                case REGISTERED -> new RelayMessage.Registered(r.i64("expiresAt"),
                        r.fixed("nextNonce", RelayMessage.NONCE_BYTES));
                case LOOKUP -> new RelayMessage.Lookup(new AgentId(r.fixed("agent id", AgentId.LENGTH)));
                case RECORDS -> {
                    int n = r.count16("record count", MAX_RECORDS_PER_REPLY, MIN_RECORD_ITEM_BYTES);
                    List<byte[]> records = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        records.add(r.bytes16("record", RegistrationRecord.MAX_ENCODED_BYTES));
                    }
                    yield new RelayMessage.Records(records);
                }
                case CONNECT -> new RelayMessage.Connect(r.u16("version"),
                        r.bytes16("certificate", RegistrationRecord.MAX_CERTIFICATE_BYTES),
                        new NodeId(r.fixed("target", NodeId.LENGTH)), r.fixed("proof", Ed25519.SIGNATURE_LENGTH));
                case CONNECTED -> new RelayMessage.Connected(r.fixed("circuit id", RelayMessage.CIRCUIT_ID_BYTES));
                case INCOMING -> new RelayMessage.Incoming(r.fixed("circuit id", RelayMessage.CIRCUIT_ID_BYTES),
                        new NodeId(r.fixed("source", NodeId.LENGTH)));
                case ATTACH -> new RelayMessage.Attach(r.u16("version"), new NodeId(r.fixed("node", NodeId.LENGTH)),
                        r.fixed("circuit id", RelayMessage.CIRCUIT_ID_BYTES),
                        r.fixed("proof", Ed25519.SIGNATURE_LENGTH));
                case ATTACHED -> new RelayMessage.Attached(r.fixed("circuit id", RelayMessage.CIRCUIT_ID_BYTES));
                case ERROR -> new RelayMessage.Error(ErrorCode.of(r.u16("code")),
                        r.text16("message", MAX_ERROR_MESSAGE_BYTES));
                default -> throw new ProtocolException("unknown relay message type " + type);
            };
            r.end();
            return m;
        } catch (MalformedException e) {
            throw new ProtocolException("malformed relay frame" + (type < 0 ? "" : " of type " + type) + ": "
                    + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new ProtocolException("invalid relay message of type " + type + ": " + e.getMessage());
        }
    }

    private static void writeAddress(BoundedWriter w, InetSocketAddress a) {
        InetAddress ip = a == null || a.isUnresolved() ? null : a.getAddress();
        if (ip == null) {
            w.u8(ADDRESS_UNKNOWN).u16(0);
        } else {
            w.u8(ip instanceof Inet4Address ? ADDRESS_IPV4 : ADDRESS_IPV6).fixed(ip.getAddress()).u16(a.getPort());
        }
    }

    private static InetSocketAddress readAddress(BoundedReader r) throws ProtocolException {
        int kind = r.u8("address kind");
        if (kind == ADDRESS_UNKNOWN) {
            r.u16("port");
            return null;
        }
        if (kind != ADDRESS_IPV4 && kind != ADDRESS_IPV6) {
            throw new ProtocolException("unknown address kind " + kind);
        }
        byte[] ip = r.fixed("address", kind == ADDRESS_IPV4 ? 4 : 16);
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
