package io.agentmesh.node.core;

import io.agentmesh.node.membership.Membership;
import io.agentmesh.node.port.LocalIdentity;
import io.agentmesh.node.port.Network;
import io.agentmesh.node.replication.Replicator;
import io.agentmesh.protocol.bytes.MalformedException;
import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.protocol.identity.IdentityException;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.NodeRevocation;
import io.agentmesh.protocol.wire.WireMessage;
import io.agentmesh.state.AgentState;
import io.agentmesh.state.store.ChangeStore;
import io.agentmesh.state.store.VersionVector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * This node's side of node removals: the revocations it verified (kept in its store), what it does with each (closes
 * the connections it kills, limits the removed node's actors in the document, stops dialing the node, passes it on),
 * and the draft of a removal's cut. {@link NodeCore} wires it into connections and messages. Node thread,
 * except {@link #view()}, whose reads any thread may make.
 */
final class Removals {
    private static final Logger log = LoggerFactory.getLogger(Removals.class);
    /** Incarnations whose actors a draft recognizes by derivation (a store lost or restored 1,024 times). */
    static final int INCARNATIONS_SCANNED = 1024;

    private final LocalIdentity identity;
    private final AgentState state;
    private final ChangeStore store;
    private final Membership membership;
    private final String self;
    private final RevocationRegistry registry;
    private final List<Consumer<NodeId>> listeners = new ArrayList<>();
    /** The certificate each connected peer presented, so a new revocation finds the connections it kills. */
    private final Map<NodeId, NodeCertificate> presented = new TreeMap<>();
    private Network network;
    private Replicator replicator;
    private boolean ownRemovalReported;
    private long refusedFromPeers;
    private long changesHeldPastCut;

    Removals(LocalIdentity identity, AgentState state, ChangeStore store, Membership membership) {
        this.identity = identity;
        this.state = state;
        this.store = store;
        this.membership = membership;
        this.self = identity.nodeId().shortForm();
        this.registry = new RevocationRegistry(identity.agentRoot());
    }

    Revocations view() {
        return registry;
    }

    /** Why a received change of a removed node must be refused, if it must; any thread. */
    Optional<String> refusal(SignedChange change) {
        return registry.refusal(change);
    }

    boolean isRevoked(NodeId node) {
        return registry.isRevoked(node);
    }

    void onRevoked(Consumer<NodeId> listener) {
        listeners.add(listener);
    }

    /** Revocations received from peers that did not decode or verify. */
    long refusedFromPeers() {
        return refusedFromPeers;
    }

    /** Changes of removed nodes past their cut that this node applied before it learned of the removal. */
    long changesHeldPastCut() {
        return changesHeldPastCut;
    }

    /**
     * Reads the revocations kept on disk and limits the removed nodes' actors. Call after the store's replay (the
     * document is recovered first), so the document is the one this node had, with the changes it applied before it
     * learned of a removal.
     *
     * @throws IllegalArgumentException when one of them revokes this node's own key: see {@link #checkOwnRemoval}
     */
    void load() {
        List<byte[]> stored;
        try {
            stored = StoredRevocations.decode(store.getMeta(StoredRevocations.META_KEY).orElse(new byte[0]));
        } catch (MalformedException e) {
            log.warn("node {} could not read its stored revocations ({}); peers send them again on connect", self,
                    e.getMessage());
            return;
        }
        for (byte[] encoded : stored) {
            try {
                NodeRevocation r = NodeRevocation.fromBytes(encoded);
                registry.add(r);
                limitActors(r);
                reportHeldPastCut(r);
                membership.forgetAddress(r.nodeId());
            } catch (IdentityException | IllegalStateException e) {
                log.warn("node {} dropped a stored revocation: {}", self, e.getMessage());
            }
        }
        if (!registry.records().isEmpty()) {
            log.info("node {} enforces {} stored revocation(s); removed: {}", self, registry.records().size(),
                    registry.revoked().stream().map(NodeId::shortForm).toList());
        }
        checkOwnRemoval(true);
    }

    /** The core started: from now on new revocations close connections and travel. */
    void start(Network network, Replicator replicator) {
        this.network = network;
        this.replicator = replicator;
    }

    /**
     * Whether {@code peer}, just connected with {@code certificate}, is removed; if so its connection is closed. The
     * transport refuses these at the handshake; one that does not (the simulator's) is caught here.
     */
    boolean refuse(NodeId peer, NodeCertificate certificate) {
        if (!registry.revokes(certificate)) {
            return false;
        }
        network.disconnect(peer, removedText(peer));
        return true;
    }

    /**
     * {@code peer} is connected: it gets every revocation first, before certificates and changes, so it refuses a
     * removed node's changes before any could reach it from here.
     */
    void connected(NodeId peer, NodeCertificate certificate) {
        presented.put(peer, certificate);
        if (!registry.records().isEmpty()) {
            network.send(peer, message(registry.records()));
        }
    }

    void disconnected(NodeId peer) {
        presented.remove(peer);
    }

    void learn(NodeId from, WireMessage.Revocations message) {
        for (byte[] encoded : message.revocations()) {
            try {
                NodeRevocation r = NodeRevocation.fromBytes(encoded);
                boolean removedBefore = registry.isRevoked(r.nodeId());
                if (registry.add(r) == RevocationRegistry.Added.NEW) {
                    enforce(r, from, removedBefore);
                }
            } catch (IdentityException | IllegalStateException e) {
                refusedFromPeers++;
                log.warn("node {} ignored a revocation from {}: {}", self, from.shortForm(), e.getMessage());
            }
        }
    }

    /**
     * A revocation handed to this node: see {@link NodeCore#revoke}.
     *
     * @throws IllegalArgumentException when it is not signed by this agent's root; nothing changes
     */
    boolean revoke(NodeRevocation revocation) {
        RevocationRegistry.Added added;
        boolean removedBefore = registry.isRevoked(revocation.nodeId());
        try {
            added = registry.add(revocation);
        } catch (IdentityException | IllegalStateException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        if (added == RevocationRegistry.Added.KNOWN) {
            return false;
        }
        enforce(revocation, null, removedBefore);
        return true;
    }

    /**
     * Makes a newly verified revocation hold here: keeps it on disk, limits the removed node's actors in the
     * document, closes every connection whose certificate it kills, stops dialing the node, passes it on to every
     * other peer and tells the listeners (once per node: a second revocation of a removed key only adds its cut). One
     * log line.
     */
    private void enforce(NodeRevocation revocation, NodeId from, boolean removedBefore) {
        store.putMeta(StoredRevocations.META_KEY, StoredRevocations.encode(registry.records()));
        int dropped = limitActors(revocation);
        NodeId removed = revocation.nodeId();
        reportHeldPastCut(revocation);
        log.warn("node {} {} node {}{}: revoked by the agent root at {} ({}); {} actor(s) cut{}", self,
                removedBefore ? "learned another revocation of already removed" : "removed",
                removed.shortForm(), from == null ? "" : " (told by " + from.shortForm() + ")",
                Instant.ofEpochMilli(revocation.revokedAt()), revocation.reason(), revocation.cut().size(),
                dropped > 0 ? ", " + dropped + " held change(s) dropped" : "");
        membership.forgetAddress(removed);
        if (network == null) {
            return; // not started: peers hear of it on connect
        }
        WireMessage.Revocations message = message(List.of(revocation));
        for (Map.Entry<NodeId, NodeCertificate> p : new ArrayList<>(presented.entrySet())) {
            if (revocation.revokes(p.getValue())) {
                network.disconnect(p.getKey(), removedText(p.getKey()));
            } else if (!p.getKey().equals(from)) {
                network.send(p.getKey(), message);
            }
        }
        checkOwnRemoval(false);
        if (!removedBefore) {
            listeners.forEach(l -> l.accept(removed));
        }
    }

    /** Returns how many changes held for their dependencies were dropped. */
    private int limitActors(NodeRevocation revocation) {
        int dropped = 0;
        for (NodeRevocation.Cut c : revocation.cut()) {
            dropped += state.limitActor(new ActorId(c.actor()), c.lastValidSeq());
        }
        return dropped;
    }

    /**
     * Changes of the removed node past the cut that this node applied before it learned of the removal stay in its
     * document (Automerge cannot take a change back); no peer accepts them, nor this node's later changes, which
     * build on them. Said once per revocation, loudly, and counted: the way out is a resync.
     */
    private void reportHeldPastCut(NodeRevocation revocation) {
        VersionVector held = store.vector();
        for (NodeRevocation.Cut c : revocation.cut()) {
            ActorId actor = new ActorId(c.actor());
            long past = held.get(actor) - c.lastValidSeq();
            if (past > 0 && !actor.equals(identity.actor())) {
                changesHeldPastCut += past;
                log.error("node {} holds {} change(s) of removed node {} past its revocation's cut (actor {} has seq"
                        + " {}, cut at {}): it applied them before it learned of the removal, and no peer accepts"
                        + " them or this node's later changes, which build on them. Resync it: stop it, move its"
                        + " state directory away, start it", self, past, revocation.nodeId().shortForm(), actor,
                        held.get(actor), c.lastValidSeq());
            }
        }
    }

    /**
     * A node whose own key was removed does not start: its key never comes back (a Raft member removed under its id
     * must not return, and a removed key may be compromised), so nothing it does from here reaches the agent. Only a
     * new node key, enrolled as a new node, brings the machine back. Refusing before the core starts means nothing
     * is dialed, served or written. Told while running (its peers refuse it already), it says so once and runs on
     * alone rather than stop under the request that told it, which would then get no answer.
     */
    private void checkOwnRemoval(boolean starting) {
        if (ownRemovalReported || !registry.revokes(identity.certificate())) {
            return;
        }
        ownRemovalReported = true;
        NodeRevocation r = registry.latest(identity.nodeId()).orElseThrow();
        String removed = "this node's key was removed from the agent (" + r.reason() + ", "
                + Instant.ofEpochMilli(r.revokedAt()) + "); it cannot come back: make a new node key in a new home"
                + " (`agentmesh node keygen --home NEW`), enroll it and join";
        if (starting) {
            log.error("node {} does not start: {}", self, removed);
            throw new IllegalArgumentException(removed);
        }
        log.error("node {}: {}. Its peers refuse it; it does not start again", self, removed);
    }

    /**
     * What the agent root needs to sign the removal of {@code node}: see {@link NodeCore#revocationDraft}.
     *
     * @throws IllegalArgumentException when {@code node} is this node or not a member known here
     */
    RevocationDraft draft(NodeId node) {
        if (node.equals(identity.nodeId())) {
            throw new IllegalArgumentException("node " + node + " is the node asked; ask another node (its --http)"
                    + " to draft its removal");
        }
        NodeCertificate certificate = membership.certificate(node).orElseThrow(() -> new IllegalArgumentException(
                "node " + node + " is not a member this node knows; check the id (agentmesh status lists members)"));
        byte[] key = certificate.nodeKey().bytes();
        VersionVector local = store.vector();
        Map<ActorId, Long> highest = new TreeMap<>(local.seqs());
        if (replicator != null) {
            replicator.peerVectors().forEach((peer, vector) -> {
                if (!peer.equals(node)) {
                    vector.seqs().forEach((actor, seq) -> highest.merge(actor, seq, Math::max));
                }
            });
        }
        Set<ActorId> derived = new HashSet<>();
        for (long incarnation = 1; incarnation <= INCARNATIONS_SCANNED; incarnation++) {
            derived.add(ActorId.derive(key, incarnation));
        }
        List<NodeRevocation.Cut> cut = new ArrayList<>();
        highest.forEach((actor, seq) -> {
            if (seq > 0 && (derived.contains(actor) || signedBy(actor, local, key))) {
                cut.add(new NodeRevocation.Cut(actor.bytes(), seq));
            }
        });
        return new RevocationDraft(certificate, cut);
    }

    /** Whether the changes of {@code actor} held here are signed with {@code key} (past the incarnations scanned). */
    private boolean signedBy(ActorId actor, VersionVector local, byte[] key) {
        if (local.get(actor) < 1) {
            return false;
        }
        List<SignedChange> first = store.read(actor, 1, 1);
        return !first.isEmpty() && ByteBuffer.wrap(first.getFirst().signerKey()).equals(ByteBuffer.wrap(key));
    }

    private String removedText(NodeId peer) {
        return "REVOKED: node " + peer.shortForm() + " was removed from the agent"
                + registry.latest(peer).map(r -> " at " + Instant.ofEpochMilli(r.revokedAt()) + " (" + r.reason()
                + ")").orElse("") + "; its key stays removed, only a new node key can join";
    }

    private static WireMessage.Revocations message(List<NodeRevocation> records) {
        return new WireMessage.Revocations(records.stream().map(NodeRevocation::toBytes).toList());
    }
}
