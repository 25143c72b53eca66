package io.agentmesh.node.core;

import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.NodeRevocation;
import io.agentmesh.protocol.identity.VerifyingKey;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;

/**
 * The revocations this node verified. A revoked node key stays revoked: every certificate of it is dead whatever its
 * issue time, and a change it signed is valid only up to its actor's cut. Changes happen on the node thread; readers
 * on any thread (Netty's event loops during handshakes, HTTP handlers) see one immutable view through a volatile
 * field, so the hot paths (every handshake, every received change) take no lock, and cost one volatile read while
 * nothing is revoked.
 */
final class RevocationRegistry implements Revocations {
    /** A node has one actor per incarnation; a mesh removes few nodes. Past this, something is wrong. */
    static final int MAX_RECORDS = 1024;

    enum Added { NEW, KNOWN }

    private final VerifyingKey agentRoot;
    private volatile View view = View.EMPTY;

    /** Keys as raw bytes: building a {@link VerifyingKey} validates the point, which costs a signature check. */
    private record View(List<NodeRevocation> records, Map<ByteBuffer, List<NodeRevocation>> byKey) {
        static final View EMPTY = new View(List.of(), Map.of());
    }

    RevocationRegistry(VerifyingKey agentRoot) {
        this.agentRoot = agentRoot;
    }

    /**
     * Keeps {@code revocation} if this agent's root signed it. Node thread.
     *
     * @throws io.agentmesh.protocol.identity.IdentityException WRONG_AGENT or BAD_SIGNATURE
     * @throws IllegalStateException when {@link #MAX_RECORDS} are kept already
     */
    Added add(NodeRevocation revocation) {
        revocation.verify(agentRoot);
        View v = view;
        if (v.records.contains(revocation)) {
            return Added.KNOWN;
        }
        if (v.records.size() >= MAX_RECORDS) {
            throw new IllegalStateException("this node keeps at most " + MAX_RECORDS + " revocations");
        }
        List<NodeRevocation> records = new ArrayList<>(v.records);
        records.add(revocation);
        Map<ByteBuffer, List<NodeRevocation>> byKey = new HashMap<>(v.byKey);
        List<NodeRevocation> ofKey = new ArrayList<>(byKey.getOrDefault(key(revocation.nodeKey()), List.of()));
        ofKey.add(revocation);
        byKey.put(key(revocation.nodeKey()), List.copyOf(ofKey));
        view = new View(List.copyOf(records), Map.copyOf(byKey));
        return Added.NEW;
    }

    /**
     * Why {@code change} must be refused, if it must: its signer was removed and the change is past the cut of its
     * actor, or by an actor the revocations do not list (one it began after the cut was drawn). Any thread.
     */
    Optional<String> refusal(SignedChange change) {
        View v = view;
        if (v.records.isEmpty()) {
            return Optional.empty();
        }
        ByteBuffer key = ByteBuffer.wrap(change.signerKey());
        List<NodeRevocation> rs = v.byKey.get(key);
        if (rs == null) {
            return Optional.empty();
        }
        byte[] actor = change.actor().bytes();
        long limit = Long.MAX_VALUE;
        NodeRevocation cutBy = null;
        for (NodeRevocation r : rs) {
            OptionalLong last = r.lastValidSeq(actor);
            if (last.isPresent() && last.getAsLong() < limit) {
                limit = last.getAsLong();
                cutBy = r;
            }
        }
        if (cutBy != null) {
            return change.seq() <= limit ? Optional.empty() : Optional.of("node " + cutBy.nodeId().shortForm()
                    + " was removed at " + Instant.ofEpochMilli(cutBy.revokedAt()) + " (" + cutBy.reason()
                    + "); of its actor " + change.actor() + " only changes up to seq " + limit + " stay valid");
        }
        NodeRevocation r = rs.getLast();
        return Optional.of("node " + r.nodeId().shortForm() + " was removed at "
                + Instant.ofEpochMilli(r.revokedAt()) + " (" + r.reason() + "), and its actor " + change.actor()
                + " is not in its revocation's cut");
    }

    /** Whether {@code certificate} is dead: this agent revoked its node key, whenever the certificate was issued. */
    @Override
    public boolean revokes(NodeCertificate certificate) {
        View v = view;
        if (v.records.isEmpty()) {
            return false;
        }
        List<NodeRevocation> rs = v.byKey.get(key(certificate.nodeKey()));
        return rs != null && rs.getFirst().revokes(certificate);
    }

    /** The newest revocation of {@code node}, if any. */
    Optional<NodeRevocation> latest(NodeId node) {
        NodeRevocation latest = null;
        for (NodeRevocation r : view.records) {
            if (r.nodeId().equals(node) && (latest == null || r.revokedAt() > latest.revokedAt())) {
                latest = r;
            }
        }
        return Optional.ofNullable(latest);
    }

    @Override
    public boolean isRevoked(NodeId node) {
        for (NodeRevocation r : view.records) {
            if (r.nodeId().equals(node)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public Set<NodeId> revoked() {
        Set<NodeId> out = new TreeSet<>();
        for (NodeRevocation r : view.records) {
            out.add(r.nodeId());
        }
        return out;
    }

    @Override
    public List<NodeRevocation> records() {
        return view.records;
    }

    private static ByteBuffer key(VerifyingKey k) {
        return ByteBuffer.wrap(k.bytes());
    }
}
