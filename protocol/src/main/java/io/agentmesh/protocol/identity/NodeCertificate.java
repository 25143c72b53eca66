package io.agentmesh.protocol.identity;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentmesh.protocol.bytes.BoundedReader;
import io.agentmesh.protocol.bytes.BoundedWriter;
import io.agentmesh.protocol.bytes.MalformedException;
import io.agentmesh.protocol.identity.NodeDocuments.Keys;
import io.agentmesh.protocol.identity.NodeDocuments.Kind;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Set;

import static io.agentmesh.protocol.identity.NodeDocuments.malformed;

/**
 * Enrollment of one node in one agent: the agent root key signs "this node key belongs to me, in this role, for this
 * time". A receiver that trusts the agent root key (or its {@link AgentId}) checks a peer's certificate with
 * {@link #verify} and then accepts that node's signed changes.
 *
 * <p>Times are epoch milliseconds passed in by the caller; nothing here reads a clock (DESIGN.md: protocol knows no
 * wall-clock time). Valid means {@code notBefore <= now < notAfter}. A clock-skew allowance, if wanted, is the
 * caller's: pass a {@code now} adjusted for it. {@code issuedAt} orders certificates for the same node (a newer one,
 * e.g. after a LEARNER to VOTER promotion, supersedes an older one); choosing between them is the caller's job too.
 *
 * <p><b>Binary encoding</b> (version 1, 154 bytes, big-endian, fixed layout, so the same certificate always has the
 * same bytes):
 * <pre>
 *   u8  version = 1
 *   32  agent root public key
 *   32  node public key
 *   u8  role code (1 VOTER, 2 LEARNER, 3 WITNESS); any other code is refused
 *   i64 notBefore   (epoch ms)
 *   i64 notAfter    (epoch ms)
 *   i64 issuedAt    (epoch ms)
 *   64  Ed25519 signature by the agent root key over "agentmesh/node-cert/v1" || the 90 bytes above
 * </pre>
 * The domain tag keeps a certificate signature from being valid as any other agentmesh signature (changes use
 * "agentmesh/change/v1") and vice versa.
 *
 * <p><b>JSON form</b> (a file such as {@code node-cert.json}; the same fields, keys and signature in lower-case hex;
 * {@code agentId} and {@code nodeId} are for people and must match the keys):
 * <pre>
 * {
 *   "format" : "agentmesh-node-certificate",
 *   "version" : 1,
 *   "agentId" : "agent1...",
 *   "agentRootKey" : "64 hex digits",
 *   "nodeId" : "node1...",
 *   "nodeKey" : "64 hex digits",
 *   "role" : "VOTER",
 *   "notBefore" : 1767225600000,
 *   "notAfter" : 1798761600000,
 *   "issuedAt" : 1767225600000,
 *   "signature" : "128 hex digits"
 * }
 * </pre>
 */
public record NodeCertificate(VerifyingKey agentRootKey, VerifyingKey nodeKey, Role role, long notBefore,
                              long notAfter, long issuedAt, byte[] signature) implements NodeDocument {
    public static final int VERSION = 1;
    public static final int ENCODED_LENGTH = 1 + 2 * VerifyingKey.LENGTH + 1 + 3 * Long.BYTES
            + Ed25519.SIGNATURE_LENGTH;
    public static final String JSON_FORMAT = "agentmesh-node-certificate";
    private static final Kind KIND = new Kind("node certificate", JSON_FORMAT, VERSION, "issue the certificate again");
    private static final int BODY_LENGTH = ENCODED_LENGTH - Ed25519.SIGNATURE_LENGTH;
    private static final byte[] DOMAIN = "agentmesh/node-cert/v1".getBytes(StandardCharsets.US_ASCII);
    private static final Set<String> JSON_FIELDS = Set.of("format", "version", "agentId", "agentRootKey", "nodeId",
            "nodeKey", "role", "notBefore", "notAfter", "issuedAt", "signature");

    /** Checks shape only; whether the signature holds is {@link #verify}'s question. */
    public NodeCertificate {
        if (agentRootKey == null || nodeKey == null || role == null) {
            throw malformed("node certificate needs an agent root key, a node key and a role");
        }
        if (notBefore >= notAfter) {
            throw malformed("node certificate validity is empty: notBefore " + instant(notBefore)
                    + " is not before notAfter " + instant(notAfter));
        }
        signature = NodeDocuments.checkedSignature(KIND, signature);
    }

    /** Signs a certificate for {@code nodeKey}, taking {@code notBefore} as the issue time. */
    public static NodeCertificate issue(SigningKey agentRoot, VerifyingKey nodeKey, Role role, long notBefore,
                                        long notAfter) {
        return issue(agentRoot, nodeKey, role, notBefore, notAfter, notBefore);
    }

    public static NodeCertificate issue(SigningKey agentRoot, VerifyingKey nodeKey, Role role, long notBefore,
                                        long notAfter, long issuedAt) {
        if (nodeKey == null || role == null) {
            throw new IllegalArgumentException("a node key and a role are required");
        }
        if (notBefore >= notAfter) {
            throw new IllegalArgumentException("notBefore (" + instant(notBefore) + ") must be before notAfter ("
                    + instant(notAfter) + ")");
        }
        VerifyingKey root = agentRoot.verifyingKey();
        byte[] sig = agentRoot.sign(signingPayload(root, nodeKey, role, notBefore, notAfter, issuedAt));
        return new NodeCertificate(root, nodeKey, role, notBefore, notAfter, issuedAt, sig);
    }

    @Override
    public byte[] signingPayload() {
        return signingPayload(agentRootKey, nodeKey, role, notBefore, notAfter, issuedAt);
    }

    private static byte[] signingPayload(VerifyingKey root, VerifyingKey node, Role role, long notBefore,
                                         long notAfter, long issuedAt) {
        BoundedWriter w = new BoundedWriter(DOMAIN.length + BODY_LENGTH).fixed(DOMAIN);
        return body(w, root, node, role, notBefore, notAfter, issuedAt).toByteArray();
    }

    private static BoundedWriter body(BoundedWriter w, VerifyingKey root, VerifyingKey node, Role role,
                                      long notBefore, long notAfter, long issuedAt) {
        return w.u8(VERSION).fixed(root.bytes()).fixed(node.bytes()).u8(role.code()).i64(notBefore).i64(notAfter)
                .i64(issuedAt);
    }

    /**
     * Checks that this certificate enrolls its node in the agent with root key {@code expectedAgentRoot} at
     * {@code nowMillis}: right agent, then valid signature, then time. Returns this certificate for chaining.
     *
     * @throws IdentityException WRONG_AGENT, BAD_SIGNATURE, NOT_YET_VALID or EXPIRED, with a message for people
     */
    public NodeCertificate verify(VerifyingKey expectedAgentRoot, long nowMillis) {
        if (!agentRootKey.equals(expectedAgentRoot)) {
            throw new IdentityException(IdentityException.Reason.WRONG_AGENT, "node " + nodeId()
                    + " has a certificate from agent " + agentId() + ", not from this agent "
                    + AgentId.of(expectedAgentRoot) + "; enroll it with this agent's root key");
        }
        return verifySignatureAndTime(nowMillis);
    }

    /** As {@link #verify(VerifyingKey, long)}, for a caller that knows only the agent id. */
    public NodeCertificate verify(AgentId expectedAgent, long nowMillis) {
        if (!agentId().equals(expectedAgent)) {
            throw new IdentityException(IdentityException.Reason.WRONG_AGENT, "node " + nodeId()
                    + " has a certificate from agent " + agentId() + ", not from this agent " + expectedAgent
                    + "; enroll it with this agent's root key");
        }
        return verifySignatureAndTime(nowMillis);
    }

    private NodeCertificate verifySignatureAndTime(long nowMillis) {
        if (!signatureValid()) {
            throw new IdentityException(IdentityException.Reason.BAD_SIGNATURE, "the certificate of node " + nodeId()
                    + " has an invalid signature: it was altered or not issued by agent " + agentId()
                    + "; issue a new one with the agent root key");
        }
        if (nowMillis < notBefore) {
            throw new IdentityException(IdentityException.Reason.NOT_YET_VALID, "the certificate of node " + nodeId()
                    + " is valid only from " + instant(notBefore) + " (now " + instant(nowMillis)
                    + "); check this machine's clock, or issue one with an earlier start");
        }
        if (nowMillis >= notAfter) {
            throw new IdentityException(IdentityException.Reason.EXPIRED, "the certificate of node " + nodeId()
                    + " expired at " + instant(notAfter) + " (now " + instant(nowMillis)
                    + "); issue a new one with the agent root key");
        }
        return this;
    }

    /** The 154-byte binary encoding described in the class comment. */
    public byte[] toBytes() {
        return body(new BoundedWriter(ENCODED_LENGTH), agentRootKey, nodeKey, role, notBefore, notAfter, issuedAt)
                .fixed(signature).toByteArray();
    }

    /**
     * Decodes {@link #toBytes()}. Checks the shape (length, version, keys, role, validity interval), not the
     * signature.
     *
     * @throws IdentityException MALFORMED or UNSUPPORTED_VERSION
     */
    public static NodeCertificate fromBytes(byte[] encoded) {
        NodeDocuments.checkBinaryVersion(KIND, encoded);
        if (encoded.length != ENCODED_LENGTH) {
            throw malformed("node certificate is " + encoded.length + " bytes, expected " + ENCODED_LENGTH
                    + (encoded.length < ENCODED_LENGTH ? "; it was truncated" : "; it has trailing bytes"));
        }
        try {
            BoundedReader in = new BoundedReader(encoded);
            Keys keys = NodeDocuments.readBinaryKeys(KIND, in);
            Role role = Role.fromCode(in.u8("role"));
            long notBefore = in.i64("notBefore");
            long notAfter = in.i64("notAfter");
            long issuedAt = in.i64("issuedAt");
            byte[] sig = in.fixed("signature", Ed25519.SIGNATURE_LENGTH);
            in.end();
            return new NodeCertificate(keys.agentRoot(), keys.node(), role, notBefore, notAfter, issuedAt, sig);
        } catch (MalformedException e) {
            throw malformed("node certificate " + e.getMessage());
        }
    }

    /** The JSON form described in the class comment, ending in a newline. */
    public String toJson() {
        ObjectNode o = NodeDocuments.jsonStart(KIND, this);
        o.put("role", role.name());
        o.put("notBefore", notBefore);
        o.put("notAfter", notAfter);
        o.put("issuedAt", issuedAt);
        return NodeDocuments.jsonEnd(o, signature);
    }

    /** Decodes {@link #toJson()}; checks shape and consistency, not the signature. */
    public static NodeCertificate fromJson(String json) {
        return fromJson("node certificate", IdentityException.Reason.MALFORMED, "", json);
    }

    /**
     * @param what   names the source in messages ("node certificate /etc/agentmesh/node-cert.json")
     * @param reason MALFORMED for data from peers, CORRUPT_FILE for files
     * @param hint   appended to errors: what the user should do
     */
    static NodeCertificate fromJson(String what, IdentityException.Reason reason, String hint, String json) {
        Json j = Json.parse(what, reason, hint, json).onlyFields(JSON_FIELDS);
        Keys keys = NodeDocuments.readJsonStart(KIND, what, j);
        Role role;
        try {
            role = Role.valueOf(j.text("role"));
        } catch (IllegalArgumentException e) {
            throw j.fail("field 'role' is '" + j.text("role") + "', expected VOTER, LEARNER or WITNESS");
        }
        long notBefore = j.integer("notBefore");
        long notAfter = j.integer("notAfter");
        if (notBefore >= notAfter) {
            throw j.fail("has notBefore " + notBefore + " not before notAfter " + notAfter);
        }
        return new NodeCertificate(keys.agentRoot(), keys.node(), role, notBefore, notAfter, j.integer("issuedAt"),
                j.hex("signature", Ed25519.SIGNATURE_LENGTH));
    }

    private static String instant(long millis) {
        return Instant.ofEpochMilli(millis).toString();
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NodeCertificate c && agentRootKey.equals(c.agentRootKey) && nodeKey.equals(c.nodeKey)
                && role == c.role && notBefore == c.notBefore && notAfter == c.notAfter && issuedAt == c.issuedAt
                && Arrays.equals(signature, c.signature);
    }

    @Override
    public int hashCode() {
        return 31 * nodeKey.hashCode() + Long.hashCode(issuedAt);
    }

    @Override
    public String toString() {
        return "NodeCertificate[node=" + nodeId() + ", agent=" + agentId() + ", role=" + role + ", valid "
                + instant(notBefore) + " .. " + instant(notAfter) + "]";
    }
}
