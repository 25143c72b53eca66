package io.agentmesh.node.membership;

import io.agentmesh.protocol.time.Clock;
import io.agentmesh.protocol.identity.IdentityException;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.VerifyingKey;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The enrolled nodes this node knows: their certificates (verified against the agent root before they are kept)
 * and the addresses they listen on. Certificates spread through the mesh, so a newly enrolled node that knows one
 * peer's address learns every other member from it. Node thread only; sorted maps keep iteration deterministic.
 */
public final class Membership {
    public static final int MAX_MEMBERS = 1024;

    private final VerifyingKey agentRoot;
    private final Clock clock;
    private final NodeId self;
    private final Map<NodeId, NodeCertificate> certificates = new TreeMap<>();
    /** Keyed by raw key bytes: building a VerifyingKey validates the point, which costs as much as a signature check. */
    private final Map<ByteBuffer, NodeId> byKey = new HashMap<>();
    private final Map<NodeId, InetSocketAddress> addresses = new TreeMap<>();
    /**
     * The encodings of the held certificates: peers send the whole list on every connection and whenever membership
     * grows, and parsing one validates two keys and a signature (the simulator spent 5% of its CPU on it).
     */
    private final java.util.Set<io.agentmesh.protocol.bytes.Bytes> heldEncodings = new java.util.HashSet<>();

    public Membership(VerifyingKey agentRoot, NodeCertificate own, Clock clock) {
        this.agentRoot = agentRoot;
        this.clock = clock;
        this.self = own.nodeId();
        admit(own);
    }

    /**
     * Keeps {@code certificate} if it is signed by this agent's root and valid now. Returns true when it was not
     * known before; throws {@link IdentityException} with the reason when it is not acceptable.
     */
    public boolean admit(NodeCertificate certificate) {
        certificate.verify(agentRoot, clock.nowMillis());
        NodeId id = certificate.nodeId();
        NodeCertificate known = certificates.get(id);
        if (known != null && known.notAfter() >= certificate.notAfter()) {
            return false;
        }
        if (known == null && certificates.size() >= MAX_MEMBERS) {
            throw new IllegalStateException("membership is full (" + MAX_MEMBERS + " nodes)");
        }
        if (known != null) {
            heldEncodings.remove(io.agentmesh.protocol.bytes.Bytes.copyOf(known.toBytes()));
        }
        heldEncodings.add(io.agentmesh.protocol.bytes.Bytes.copyOf(certificate.toBytes()));
        certificates.put(id, certificate);
        byKey.put(ByteBuffer.wrap(certificate.nodeKey().bytes()), id);
        return known == null;
    }

    /** The certificate of the node holding {@code nodeKey}, if it is a member whose certificate is valid now. */
    public Optional<NodeCertificate> memberByKey(byte[] nodeKey) {
        NodeId id = byKey.get(ByteBuffer.wrap(nodeKey));
        if (id == null) {
            return Optional.empty();
        }
        NodeCertificate cert = certificates.get(id);
        long now = clock.nowMillis();
        return now >= cert.notBefore() && now <= cert.notAfter() ? Optional.of(cert) : Optional.empty();
    }

    public Optional<NodeCertificate> certificate(NodeId id) {
        return Optional.ofNullable(certificates.get(id));
    }

    /**
     * Whether a held certificate has exactly these bytes: admitting it again would change nothing (it was verified
     * when it was admitted, and a known certificate is replaced only by one that expires later).
     */
    public boolean holdsExactly(byte[] encoded) {
        return encoded != null && heldEncodings.contains(io.agentmesh.protocol.bytes.Bytes.copyOf(encoded));
    }

    public List<NodeCertificate> certificates() {
        return List.copyOf(certificates.values());
    }

    public NodeId self() {
        return self;
    }

    public void setAddress(NodeId node, InetSocketAddress address) {
        if (!node.equals(self)) {
            addresses.put(node, address);
        }
    }

    /** Stops dialing {@code node} (it was removed); an address it sends later is learned again. */
    public void forgetAddress(NodeId node) {
        addresses.remove(node);
    }

    public Optional<InetSocketAddress> address(NodeId node) {
        return Optional.ofNullable(addresses.get(node));
    }

    /** Known addresses in node id order (a sorted copy: callers encode it, and the simulator needs a stable order). */
    public Map<NodeId, InetSocketAddress> addresses() {
        return java.util.Collections.unmodifiableMap(new TreeMap<>(addresses));
    }

    /** Nodes other than this one with a known address, in id order. */
    public List<NodeId> dialable() {
        return new ArrayList<>(addresses.keySet());
    }
}
