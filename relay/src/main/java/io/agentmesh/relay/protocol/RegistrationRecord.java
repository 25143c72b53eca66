package io.agentmesh.relay.protocol;

import io.agentmesh.protocol.bytes.BoundedReader;
import io.agentmesh.protocol.bytes.BoundedWriter;
import io.agentmesh.protocol.bytes.MalformedException;
import io.agentmesh.protocol.identity.AgentId;
import io.agentmesh.protocol.identity.Ed25519;
import io.agentmesh.protocol.identity.IdentityException;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.protocol.identity.VerifyingKey;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What a node tells relays about itself: "node N of agent A, holding key K (enrolled by certificate C), listens at
 * these addresses; this is my statement number S and it is void after E". Signed by the node key, so a relay can
 * store and serve it but cannot forge or alter it; the enclosed certificate lets anyone who knows the agent check
 * that the node is enrolled, and lets a relay check that a registration for agent A comes from a node of agent A.
 *
 * <p><b>Encoding</b> (version 1, big-endian; the same record always has the same bytes):
 * <pre>
 *   u8  version = 1
 *   20  node id  (= first 20 bytes of SHA-256 of the node key)
 *   20  agent id
 *   32  node public key
 *   u16 certificate length, then the node certificate ({@link NodeCertificate#toBytes()})
 *   u8  address count (0..{@value #MAX_ADDRESSES}), each:
 *         u8 kind: 4 (IPv4, 4 bytes) | 6 (IPv6, 16 bytes) | 0 (host name: u8 length, ASCII)
 *         u16 port (1..65535)
 *   i64 sequence     (strictly increasing per node; nodes use max(previous + 1, wall-clock ms))
 *   i64 expiresAt    (epoch ms)
 *   64  Ed25519 signature by the node key over "agentmesh/relay-record/v1" || all bytes above
 * </pre>
 * The domain tag keeps this signature from being valid as any other agentmesh signature.
 *
 * <p>{@link #fromBytes} checks only the shape; {@link #verify} checks what makes a record believable.
 */
public record RegistrationRecord(NodeId nodeId, AgentId agentId, VerifyingKey nodeKey, NodeCertificate certificate,
                                 List<InetSocketAddress> addresses, long sequence, long expiresAt,
                                 byte[] signature) {
    public static final int VERSION = 1;
    public static final int MAX_ADDRESSES = 8;
    public static final int MAX_CERTIFICATE_BYTES = 1024;
    public static final int MAX_HOST_NAME_BYTES = 253;
    /** Upper bound of an encoded record; frames are sized from it. */
    public static final int MAX_ENCODED_BYTES = 1 + NodeId.LENGTH + AgentId.LENGTH + VerifyingKey.LENGTH + 2
            + MAX_CERTIFICATE_BYTES + 1 + MAX_ADDRESSES * (1 + 1 + MAX_HOST_NAME_BYTES + 2) + 8 + 8
            + Ed25519.SIGNATURE_LENGTH;

    // Address kinds.
    static final int HOST_NAME = 0;
    static final int IPV4 = 4;
    static final int IPV6 = 6;
    /** The shortest address: kind, a one-letter host name with its u8 length, and a u16 port. */
    private static final int MIN_ADDRESS_BYTES = 1 + 1 + 1 + Short.BYTES;
    static final byte[] DOMAIN = "agentmesh/relay-record/v1".getBytes(StandardCharsets.US_ASCII);

    public RegistrationRecord {
        if (nodeId == null || agentId == null || nodeKey == null || certificate == null || addresses == null) {
            throw new IllegalArgumentException("a record needs a node id, agent id, node key, certificate and an"
                    + " address list");
        }
        if (addresses.size() > MAX_ADDRESSES) {
            throw new IllegalArgumentException("a record lists at most " + MAX_ADDRESSES + " addresses, got "
                    + addresses.size());
        }
        for (InetSocketAddress a : addresses) {
            checkAddress(a);
        }
        addresses = List.copyOf(addresses);
        if (signature == null || signature.length != Ed25519.SIGNATURE_LENGTH) {
            throw new IllegalArgumentException("a record signature is " + Ed25519.SIGNATURE_LENGTH + " bytes");
        }
        signature = signature.clone();
    }

    private static void checkAddress(InetSocketAddress a) {
        if (a == null || a.getPort() < 1) {
            throw new IllegalArgumentException("a record address needs a port 1..65535, got " + a);
        }
        if (a.isUnresolved() && a.getHostString().getBytes(StandardCharsets.US_ASCII).length > MAX_HOST_NAME_BYTES) {
            throw new IllegalArgumentException("host name longer than " + MAX_HOST_NAME_BYTES + " bytes: " + a);
        }
    }

    /**
     * Makes and signs a record for {@code nodeKey}.
     *
     * @throws IllegalArgumentException when the certificate is not for {@code nodeKey}
     */
    public static RegistrationRecord sign(SigningKey nodeKey, NodeCertificate certificate,
                                          List<InetSocketAddress> addresses, long sequence, long expiresAt) {
        if (!certificate.nodeKey().equals(nodeKey.verifyingKey())) {
            throw new IllegalArgumentException("the certificate was issued for another node key");
        }
        VerifyingKey pub = nodeKey.verifyingKey();
        NodeId id = NodeId.of(pub);
        AgentId agent = certificate.agentId();
        byte[] body = body(id, agent, pub, certificate.toBytes(), addresses, sequence, expiresAt);
        byte[] sig = nodeKey.sign(signingPayload(body));
        return new RegistrationRecord(id, agent, pub, certificate, addresses, sequence, expiresAt, sig);
    }

    private static byte[] signingPayload(byte[] body) {
        byte[] msg = Arrays.copyOf(DOMAIN, DOMAIN.length + body.length);
        System.arraycopy(body, 0, msg, DOMAIN.length, body.length);
        return msg;
    }

    private static byte[] body(NodeId id, AgentId agent, VerifyingKey key, byte[] cert,
                               List<InetSocketAddress> addresses, long sequence, long expiresAt) {
        BoundedWriter w = new BoundedWriter(MAX_ENCODED_BYTES - Ed25519.SIGNATURE_LENGTH).u8(VERSION)
                .fixed(id.bytes()).fixed(agent.bytes()).fixed(key.bytes()).bytes16(cert).u8(addresses.size());
        for (InetSocketAddress a : addresses) {
            InetAddress ip = a.isUnresolved() ? null : a.getAddress();
            if (ip instanceof Inet4Address) {
                w.u8(IPV4).fixed(ip.getAddress());
            } else if (ip instanceof Inet6Address) {
                w.u8(IPV6).fixed(ip.getAddress());
            } else {
                w.u8(HOST_NAME).bytes8(a.getHostString().getBytes(StandardCharsets.US_ASCII));
            }
            w.u16(a.getPort());
        }
        return w.i64(sequence).i64(expiresAt).toByteArray();
    }

    /** The bytes the node key signs: domain tag then the body. */
    public byte[] signingPayload() {
        return signingPayload(body(nodeId, agentId, nodeKey, certificate.toBytes(), addresses, sequence, expiresAt));
    }

    /** The encoding described in the class comment. */
    public byte[] toBytes() {
        byte[] body = body(nodeId, agentId, nodeKey, certificate.toBytes(), addresses, sequence, expiresAt);
        byte[] out = Arrays.copyOf(body, body.length + signature.length);
        System.arraycopy(signature, 0, out, body.length, signature.length);
        return out;
    }

    /** Decodes {@link #toBytes()}, checking the shape only (see {@link #verify}). */
    public static RegistrationRecord fromBytes(byte[] bytes) throws RecordException {
        if (bytes == null || bytes.length > MAX_ENCODED_BYTES) {
            throw new RecordException(RecordException.Reason.MALFORMED, "record of "
                    + (bytes == null ? "no" : bytes.length) + " bytes (at most " + MAX_ENCODED_BYTES + ")");
        }
        try {
            BoundedReader r = new BoundedReader(bytes);
            int version = r.u8("version");
            if (version != VERSION) {
                throw new ProtocolException("registration record version " + version + ", expected " + VERSION);
            }
            NodeId id = new NodeId(r.fixed("node id", NodeId.LENGTH));
            AgentId agent = new AgentId(r.fixed("agent id", AgentId.LENGTH));
            VerifyingKey key = new VerifyingKey(r.fixed("node key", VerifyingKey.LENGTH));
            NodeCertificate cert = NodeCertificate.fromBytes(r.bytes16("certificate", MAX_CERTIFICATE_BYTES));
            int n = r.count8("address count", MAX_ADDRESSES, MIN_ADDRESS_BYTES);
            List<InetSocketAddress> addrs = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int kind = r.u8("address kind");
                InetSocketAddress a;
                switch (kind) {
                    case IPV4, IPV6 -> {
                        byte[] ip = r.fixed("IP address", kind == IPV4 ? 4 : 16);
                        int port = port(r);
                        a = new InetSocketAddress(InetAddress.getByAddress(ip), port);
                    }
                    case HOST_NAME -> {
                        byte[] host = r.bytes8("host name", MAX_HOST_NAME_BYTES);
                        String name = new String(host, StandardCharsets.US_ASCII);
                        if (name.isEmpty() || !name.chars().allMatch(c -> c > 0x20 && c < 0x7F)) {
                            throw new ProtocolException("host name is empty or not printable ASCII");
                        }
                        a = InetSocketAddress.createUnresolved(name, port(r));
                    }
                    default -> throw new ProtocolException("unknown address kind " + kind);
                }
                addrs.add(a);
            }
            long seq = r.i64("sequence");
            long expires = r.i64("expiresAt");
            byte[] sig = r.fixed("signature", Ed25519.SIGNATURE_LENGTH);
            r.end();
            return new RegistrationRecord(id, agent, key, cert, addrs, seq, expires, sig);
        } catch (ProtocolException | MalformedException | IdentityException | IllegalArgumentException
                 | UnknownHostException e) {
            throw new RecordException(RecordException.Reason.MALFORMED, "malformed registration record: "
                    + e.getMessage());
        }
    }

    private static int port(BoundedReader r) throws ProtocolException {
        int port = r.u16("port");
        if (port == 0) {
            throw new ProtocolException("address port 0");
        }
        return port;
    }

    /**
     * Checks what needs no history: the node id is the key's, the node key signed these bytes, the certificate is
     * for this key and agent, signed by that agent's root and valid at {@code nowMillis}, the record has not expired
     * and does not claim to live longer than {@code maxTtlMs} from now. When {@code expectedAgent} is given, the
     * record must belong to it. Sequence numbers are {@link RecordVerifier}'s business.
     */
    public void verify(AgentId expectedAgent, long nowMillis, long maxTtlMs) throws RecordException {
        if (!nodeId.equals(NodeId.of(nodeKey))) {
            throw new RecordException(RecordException.Reason.NODE_ID_MISMATCH, "record claims node " + nodeId
                    + " but carries the key of node " + NodeId.of(nodeKey));
        }
        if (!nodeKey.verify(signingPayload(), signature)) {
            throw new RecordException(RecordException.Reason.BAD_SIGNATURE, "record of node " + nodeId
                    + " has an invalid signature: altered or forged");
        }
        if (!certificate.nodeKey().equals(nodeKey) || !certificate.agentId().equals(agentId)) {
            throw new RecordException(RecordException.Reason.CERTIFICATE_MISMATCH, "record of node " + nodeId
                    + " for agent " + agentId + " carries a certificate of node " + certificate.nodeId()
                    + " in agent " + certificate.agentId());
        }
        if (expectedAgent != null && !agentId.equals(expectedAgent)) {
            throw new RecordException(RecordException.Reason.WRONG_AGENT, "record of node " + nodeId
                    + " belongs to agent " + agentId + ", not " + expectedAgent);
        }
        try {
            certificate.verify(agentId, nowMillis);
        } catch (IdentityException e) {
            throw new RecordException(RecordException.Reason.CERTIFICATE_INVALID, "record of node " + nodeId
                    + ": " + e.getMessage());
        }
        if (nowMillis >= expiresAt) {
            throw new RecordException(RecordException.Reason.EXPIRED, "record of node " + nodeId + " (sequence "
                    + sequence + ") expired at " + Instant.ofEpochMilli(expiresAt) + ", now "
                    + Instant.ofEpochMilli(nowMillis));
        }
        if (expiresAt - nowMillis > maxTtlMs) {
            throw new RecordException(RecordException.Reason.TOO_LONG_LIVED, "record of node " + nodeId
                    + " claims validity until " + Instant.ofEpochMilli(expiresAt) + ", more than " + maxTtlMs
                    + " ms ahead");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RegistrationRecord r && Arrays.equals(toBytes(), r.toBytes());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(signature);
    }

    @Override
    public String toString() {
        return "RegistrationRecord[node " + nodeId.shortForm() + ", agent " + agentId.shortForm() + ", addresses "
                + addresses + ", sequence " + sequence + ", expires " + Instant.ofEpochMilli(expiresAt) + "]";
    }
}
