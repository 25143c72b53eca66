package io.agentmesh.protocol.identity;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentmesh.protocol.bytes.BoundedReader;
import io.agentmesh.protocol.bytes.BoundedWriter;
import io.agentmesh.protocol.bytes.MalformedException;
import io.agentmesh.protocol.identity.NodeDocuments.Keys;
import io.agentmesh.protocol.identity.NodeDocuments.Kind;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;

import static io.agentmesh.protocol.identity.NodeDocuments.malformed;

/**
 * Removal of one node key from one agent, for good: the agent root key signs "this node key is no longer mine; every
 * certificate I issued or will issue for it is dead, and of the changes it wrote, only these stay valid". A receiver
 * that trusts the agent root key checks it with {@link #verify} and then refuses the node's handshakes and its changes
 * past the cut. Revocations never expire and nothing brings the key back: the Raft group names members by node id
 * and assumes a removed member never returns, and the usual reason to remove a key is that it may be compromised. A
 * machine comes back only under a new node key, enrolled as a new node.
 *
 * <p>The <b>cut</b> lists, for each actor of the node (one per incarnation, see {@code ActorId}), the highest sequence
 * number that stays valid, as the node that drafted the revocation knew it. Every node applies the same cut, so every
 * node accepts exactly the same changes of the removed node and the replicas still converge. An actor of the node
 * that the cut does not list has nothing valid while the node stays removed. Actors are raw 16-byte ids here because
 * this package sits below the one that derives them.
 *
 * <p>Nothing here reads a clock: {@code revokedAt} is the caller's wall-clock time in epoch milliseconds, kept for
 * people and logs; it is not compared with certificates.
 *
 * <p><b>Binary encoding</b> (version 1, big-endian, 171 bytes plus the reason and 24 bytes per cut entry; the cut is
 * sorted by actor, unsigned, without duplicates, so one revocation always has the same bytes):
 * <pre>
 *   u8  version = 1
 *   32  agent root public key
 *   32  node public key
 *   i64 revokedAt   (epoch ms)
 *   u16 reason length, then the reason in UTF-8 (at most 256 bytes, no control characters)
 *   u16 cut entries (at most 1024), each:
 *       16  actor
 *       i64 last valid seq (>= 0)
 *   64  Ed25519 signature by the agent root key over "agentmesh/node-revocation/v1" || everything above
 * </pre>
 *
 * <p><b>JSON form</b> (a file written by {@code agentmesh node remove --out}; keys, actors and signature in lower-case
 * hex; {@code agentId} and {@code nodeId} are for people and must match the keys):
 * <pre>
 * {
 *   "format" : "agentmesh-node-revocation",
 *   "version" : 1,
 *   "agentId" : "agent1...",
 *   "agentRootKey" : "64 hex digits",
 *   "nodeId" : "node1...",
 *   "nodeKey" : "64 hex digits",
 *   "revokedAt" : 1767225600000,
 *   "reason" : "disk stolen",
 *   "cut" : [ { "actor" : "32 hex digits", "lastValidSeq" : 42 } ],
 *   "signature" : "128 hex digits"
 * }
 * </pre>
 */
public record NodeRevocation(VerifyingKey agentRootKey, VerifyingKey nodeKey, long revokedAt, String reason,
                             List<Cut> cut, byte[] signature) implements NodeDocument {
    public static final int VERSION = 1;
    public static final String JSON_FORMAT = "agentmesh-node-revocation";
    public static final int MAX_REASON_BYTES = 256;
    /** Actors of one node: one per incarnation, and a node takes a new one only when it loses or restores its store. */
    public static final int MAX_CUT_ENTRIES = 1024;
    public static final int ACTOR_LENGTH = 16;
    private static final int CUT_ENTRY_LENGTH = ACTOR_LENGTH + Long.BYTES;
    private static final int FIXED_LENGTH = 1 + 2 * VerifyingKey.LENGTH + Long.BYTES + Short.BYTES + Short.BYTES
            + Ed25519.SIGNATURE_LENGTH;
    public static final int MAX_ENCODED_LENGTH = FIXED_LENGTH + MAX_REASON_BYTES
            + MAX_CUT_ENTRIES * CUT_ENTRY_LENGTH;
    private static final Kind KIND = new Kind("node revocation", JSON_FORMAT, VERSION, "sign the revocation again");
    private static final byte[] DOMAIN = "agentmesh/node-revocation/v1".getBytes(StandardCharsets.US_ASCII);
    private static final Comparator<Cut> BY_ACTOR = (a, b) -> Arrays.compareUnsigned(a.actor, b.actor);
    private static final Set<String> JSON_FIELDS = Set.of("format", "version", "agentId", "agentRootKey", "nodeId",
            "nodeKey", "revokedAt", "reason", "cut", "signature");
    private static final Set<String> JSON_CUT_FIELDS = Set.of("actor", "lastValidSeq");

    /** One actor of the removed node and the highest sequence number of it that stays valid (0: none). */
    public record Cut(byte[] actor, long lastValidSeq) {
        public Cut {
            if (actor == null || actor.length != ACTOR_LENGTH) {
                throw malformed("a cut entry's actor is " + ACTOR_LENGTH + " bytes, got "
                        + (actor == null ? "none" : actor.length));
            }
            if (lastValidSeq < 0) {
                throw malformed("a cut entry's last valid seq must be >= 0, got " + lastValidSeq);
            }
            actor = actor.clone();
        }

        @Override
        public byte[] actor() {
            return actor.clone();
        }

        public String actorHex() {
            return HexFormat.of().formatHex(actor);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Cut c && lastValidSeq == c.lastValidSeq && Arrays.equals(actor, c.actor);
        }

        @Override
        public int hashCode() {
            return 31 * Arrays.hashCode(actor) + Long.hashCode(lastValidSeq);
        }

        @Override
        public String toString() {
            return actorHex() + "<=" + lastValidSeq;
        }
    }

    /** Checks shape only; whether the signature holds is {@link #verify}'s question. */
    public NodeRevocation {
        if (agentRootKey == null || nodeKey == null || reason == null || cut == null) {
            throw malformed("node revocation needs an agent root key, a node key, a reason and a cut");
        }
        if (revokedAt < 0) {
            throw malformed("node revocation time must be >= 0 (epoch ms), got " + revokedAt);
        }
        checkReason(reason);
        if (cut.size() > MAX_CUT_ENTRIES) {
            throw malformed("node revocation cuts at most " + MAX_CUT_ENTRIES + " actors, got " + cut.size());
        }
        cut = List.copyOf(cut);
        for (int i = 1; i < cut.size(); i++) {
            if (BY_ACTOR.compare(cut.get(i - 1), cut.get(i)) >= 0) {
                throw malformed("node revocation cut must list each actor once, in ascending order; entry " + i
                        + " (" + cut.get(i).actorHex() + ") is not after entry " + (i - 1));
            }
        }
        signature = NodeDocuments.checkedSignature(KIND, signature);
    }

    /**
     * Signs the removal of {@code nodeKey} at {@code revokedAt}; {@code cut} may come in any order (it is sorted), but
     * must name each actor once.
     *
     * @throws IllegalArgumentException on a reason or cut that the encoding refuses, saying which
     */
    public static NodeRevocation issue(SigningKey agentRoot, VerifyingKey nodeKey, long revokedAt, String reason,
                                       List<Cut> cut) {
        if (nodeKey == null || reason == null || cut == null) {
            throw new IllegalArgumentException("a node key, a reason and a cut are required");
        }
        List<Cut> sorted = new ArrayList<>(cut);
        sorted.sort(BY_ACTOR);
        for (int i = 1; i < sorted.size(); i++) {
            if (BY_ACTOR.compare(sorted.get(i - 1), sorted.get(i)) == 0) {
                throw new IllegalArgumentException("actor " + sorted.get(i).actorHex() + " is in the cut twice");
            }
        }
        try {
            checkReason(reason);
        } catch (IdentityException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        if (revokedAt < 0 || sorted.size() > MAX_CUT_ENTRIES) {
            throw new IllegalArgumentException("revokedAt must be >= 0 and the cut at most " + MAX_CUT_ENTRIES
                    + " actors");
        }
        VerifyingKey root = agentRoot.verifyingKey();
        byte[] sig = agentRoot.sign(signingPayload(root, nodeKey, revokedAt, reason, sorted));
        return new NodeRevocation(root, nodeKey, revokedAt, reason, sorted, sig);
    }

    private static void checkReason(String reason) {
        if (reason.getBytes(StandardCharsets.UTF_8).length > MAX_REASON_BYTES) {
            throw malformed("node revocation reason is at most " + MAX_REASON_BYTES + " bytes of UTF-8, got "
                    + reason.getBytes(StandardCharsets.UTF_8).length);
        }
        // The reason is logged by every node that refuses the removed one: one line each, so no line breaks.
        if (reason.codePoints().anyMatch(Character::isISOControl)) {
            throw malformed("node revocation reason may not contain control characters (line breaks, tabs...)");
        }
    }

    @Override
    public byte[] signingPayload() {
        return signingPayload(agentRootKey, nodeKey, revokedAt, reason, cut);
    }

    private static byte[] signingPayload(VerifyingKey root, VerifyingKey node, long revokedAt, String reason,
                                         List<Cut> cut) {
        BoundedWriter w = new BoundedWriter(DOMAIN.length + MAX_ENCODED_LENGTH).fixed(DOMAIN);
        return body(w, root, node, revokedAt, reason, cut).toByteArray();
    }

    private static BoundedWriter body(BoundedWriter w, VerifyingKey root, VerifyingKey node, long revokedAt,
                                      String reason, List<Cut> cut) {
        w.u8(VERSION).fixed(root.bytes()).fixed(node.bytes()).i64(revokedAt).text16(reason).u16(cut.size());
        for (Cut c : cut) {
            w.fixed(c.actor).i64(c.lastValidSeq);
        }
        return w;
    }

    /**
     * Checks that the agent with root key {@code expectedAgentRoot} signed this revocation. Returns this revocation
     * for chaining.
     *
     * @throws IdentityException WRONG_AGENT or BAD_SIGNATURE, with a message for people
     */
    public NodeRevocation verify(VerifyingKey expectedAgentRoot) {
        if (!agentRootKey.equals(expectedAgentRoot)) {
            throw new IdentityException(IdentityException.Reason.WRONG_AGENT, "the revocation of node " + nodeId()
                    + " comes from agent " + agentId() + ", not from this agent " + AgentId.of(expectedAgentRoot)
                    + "; sign it with this agent's root key");
        }
        if (!signatureValid()) {
            throw new IdentityException(IdentityException.Reason.BAD_SIGNATURE, "the revocation of node " + nodeId()
                    + " has an invalid signature: it was altered or not signed by agent " + agentId()
                    + "; sign it again with the agent root key");
        }
        return this;
    }

    /**
     * Whether {@code certificate} is dead under this revocation: same agent root, same node key, whenever it was
     * issued (a certificate issued after the removal is dead too: the key never comes back).
     */
    public boolean revokes(NodeCertificate certificate) {
        return certificate.agentRootKey().equals(agentRootKey) && certificate.nodeKey().equals(nodeKey);
    }

    /** The last valid seq of {@code actor}, if the cut lists it. */
    public OptionalLong lastValidSeq(byte[] actor) {
        int lo = 0;
        int hi = cut.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = Arrays.compareUnsigned(cut.get(mid).actor, actor);
            if (c == 0) {
                return OptionalLong.of(cut.get(mid).lastValidSeq);
            } else if (c < 0) {
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return OptionalLong.empty();
    }

    /** The binary encoding described in the class comment. */
    public byte[] toBytes() {
        return body(new BoundedWriter(MAX_ENCODED_LENGTH), agentRootKey, nodeKey, revokedAt, reason, cut)
                .fixed(signature).toByteArray();
    }

    /**
     * Decodes {@link #toBytes()}. Checks the shape (version, keys, reason, cut order, no trailing bytes), not the
     * signature.
     *
     * @throws IdentityException MALFORMED or UNSUPPORTED_VERSION
     */
    public static NodeRevocation fromBytes(byte[] encoded) {
        NodeDocuments.checkBinaryVersion(KIND, encoded);
        if (encoded.length > MAX_ENCODED_LENGTH) {
            throw malformed("node revocation is " + encoded.length + " bytes, at most " + MAX_ENCODED_LENGTH);
        }
        try {
            BoundedReader in = new BoundedReader(encoded);
            Keys keys = NodeDocuments.readBinaryKeys(KIND, in);
            long revokedAt = in.i64("revokedAt");
            String reason = in.text16("reason", MAX_REASON_BYTES);
            int entries = in.count16("cut", MAX_CUT_ENTRIES, CUT_ENTRY_LENGTH);
            List<Cut> cut = new ArrayList<>(entries);
            for (int i = 0; i < entries; i++) {
                cut.add(new Cut(in.fixed("cut actor", ACTOR_LENGTH), in.i64("cut last valid seq")));
            }
            byte[] sig = in.fixed("signature", Ed25519.SIGNATURE_LENGTH);
            in.end();
            return new NodeRevocation(keys.agentRoot(), keys.node(), revokedAt, reason, cut, sig);
        } catch (MalformedException e) {
            throw malformed("node revocation " + e.getMessage());
        }
    }

    /** The JSON form described in the class comment, ending in a newline. */
    public String toJson() {
        ObjectNode o = NodeDocuments.jsonStart(KIND, this);
        o.put("revokedAt", revokedAt);
        o.put("reason", reason);
        ArrayNode entries = o.putArray("cut");
        for (Cut c : cut) {
            entries.addObject().put("actor", c.actorHex()).put("lastValidSeq", c.lastValidSeq);
        }
        return NodeDocuments.jsonEnd(o, signature);
    }

    /**
     * Decodes {@link #toJson()}; checks shape and consistency, not the signature.
     *
     * @param what names the source in messages ("node revocation revoke.json", "request body")
     * @throws IdentityException MALFORMED or UNSUPPORTED_VERSION
     */
    public static NodeRevocation fromJson(String what, String json) {
        Json j = Json.parse(what, IdentityException.Reason.MALFORMED, "", json).onlyFields(JSON_FIELDS);
        Keys keys = NodeDocuments.readJsonStart(KIND, what, j);
        List<Cut> cut = new ArrayList<>();
        for (Json entry : j.objects("cut", MAX_CUT_ENTRIES)) {
            entry.onlyFields(JSON_CUT_FIELDS);
            long seq = entry.integer("lastValidSeq");
            if (seq < 0) {
                throw entry.fail("field 'lastValidSeq' must be >= 0, got " + seq);
            }
            cut.add(new Cut(entry.hex("actor", ACTOR_LENGTH), seq));
        }
        try {
            return new NodeRevocation(keys.agentRoot(), keys.node(), j.integer("revokedAt"), j.text("reason"), cut,
                    j.hex("signature", Ed25519.SIGNATURE_LENGTH));
        } catch (IdentityException e) {
            throw j.fail(e.getMessage());
        }
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NodeRevocation r && agentRootKey.equals(r.agentRootKey) && nodeKey.equals(r.nodeKey)
                && revokedAt == r.revokedAt && reason.equals(r.reason) && cut.equals(r.cut)
                && Arrays.equals(signature, r.signature);
    }

    @Override
    public int hashCode() {
        return 31 * nodeKey.hashCode() + Long.hashCode(revokedAt);
    }

    @Override
    public String toString() {
        return "NodeRevocation[node=" + nodeId() + ", agent=" + agentId() + ", at " + Instant.ofEpochMilli(revokedAt)
                + ", " + cut.size() + " actors cut, reason '" + reason + "']";
    }
}
