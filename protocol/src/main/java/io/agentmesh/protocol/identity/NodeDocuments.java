package io.agentmesh.protocol.identity;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentmesh.protocol.bytes.BoundedReader;

import java.util.HexFormat;

/**
 * The envelope every {@link NodeDocument} has in both encodings: in binary a version byte, then the agent root key and
 * the node key; in JSON a format name, the version, and the agent and node ids beside the keys they must match, the
 * signature last. Reading and writing it lives here, so a certificate and a revocation refuse the same faults with the
 * same words.
 */
final class NodeDocuments {
    private NodeDocuments() {
    }

    /**
     * How one kind of document names itself in messages and what a user does about one this agentmesh cannot read.
     *
     * @param name    "node certificate"
     * @param format  the JSON {@code format} value
     * @param version the one version of both encodings this agentmesh reads and writes
     * @param remedy  ends "upgrade agentmesh or ...": "issue the certificate again"
     */
    record Kind(String name, String format, int version, String remedy) {
        IdentityException unsupportedVersion(String what, long found) {
            return new IdentityException(IdentityException.Reason.UNSUPPORTED_VERSION, what + " has version " + found
                    + ", this agentmesh reads version " + version + "; upgrade agentmesh or " + remedy);
        }
    }

    /** The agent root key and the node key of a decoded document. */
    record Keys(VerifyingKey agentRoot, VerifyingKey node) {
    }

    static IdentityException malformed(String message) {
        return new IdentityException(IdentityException.Reason.MALFORMED, message);
    }

    /** A copy of {@code signature}, refused unless it has an Ed25519 signature's length. */
    static byte[] checkedSignature(Kind kind, byte[] signature) {
        if (signature == null || signature.length != Ed25519.SIGNATURE_LENGTH) {
            throw malformed(kind.name() + " signature must be " + Ed25519.SIGNATURE_LENGTH + " bytes, got "
                    + (signature == null ? "none" : signature.length));
        }
        return signature.clone();
    }

    /**
     * Refuses an empty encoding or one of another version; both encodings start with the version byte, so this comes
     * before any length check and a newer document is reported as newer, not as malformed.
     */
    static void checkBinaryVersion(Kind kind, byte[] encoded) {
        if (encoded == null || encoded.length == 0) {
            throw malformed(kind.name() + " is empty");
        }
        if (encoded[0] != kind.version()) {
            throw kind.unsupportedVersion(kind.name(), encoded[0] & 0xff);
        }
    }

    /** The version byte and both keys, as {@code toBytes} writes them first. */
    static Keys readBinaryKeys(Kind kind, BoundedReader in) {
        in.u8("version");
        return new Keys(binaryKey(kind, in, "agent root key"), binaryKey(kind, in, "node key"));
    }

    private static VerifyingKey binaryKey(Kind kind, BoundedReader in, String what) {
        byte[] b = in.fixed(what, VerifyingKey.LENGTH);
        try {
            return new VerifyingKey(b);
        } catch (IdentityException e) {
            throw malformed(kind.name() + " " + what + " is invalid: " + e.getMessage());
        }
    }

    /** The JSON fields every document starts with; the caller adds its own, then {@link #jsonEnd}. */
    static ObjectNode jsonStart(Kind kind, NodeDocument d) {
        ObjectNode o = Json.object();
        o.put("format", kind.format());
        o.put("version", kind.version());
        o.put("agentId", d.agentId().toString());
        o.put("agentRootKey", d.agentRootKey().hex());
        o.put("nodeId", d.nodeId().toString());
        o.put("nodeKey", d.nodeKey().hex());
        return o;
    }

    /** The signature as the last field, and the text, ending in a newline. */
    static String jsonEnd(ObjectNode o, byte[] signature) {
        o.put("signature", HexFormat.of().formatHex(signature));
        return Json.write(o);
    }

    /**
     * Reads what {@link #jsonStart} wrote: the format must be this kind's, the version the one it reads, and the ids
     * must match the keys (they are there for people, the keys are what is signed).
     */
    static Keys readJsonStart(Kind kind, String what, Json j) {
        if (!kind.format().equals(j.text("format"))) {
            throw j.fail("is not a " + kind.name() + " (format is '" + j.text("format") + "', expected '"
                    + kind.format() + "')");
        }
        long version = j.integer("version");
        if (version != kind.version()) {
            throw kind.unsupportedVersion(what, version);
        }
        VerifyingKey root = jsonKey(j, "agentRootKey");
        VerifyingKey node = jsonKey(j, "nodeKey");
        if (!AgentId.of(root).toString().equals(j.text("agentId"))) {
            throw j.fail("field 'agentId' " + j.text("agentId") + " does not match agentRootKey (which is agent "
                    + AgentId.of(root) + ")");
        }
        if (!NodeId.of(node).toString().equals(j.text("nodeId"))) {
            throw j.fail("field 'nodeId' " + j.text("nodeId") + " does not match nodeKey (which is node "
                    + NodeId.of(node) + ")");
        }
        return new Keys(root, node);
    }

    private static VerifyingKey jsonKey(Json j, String field) {
        byte[] raw = j.hex(field, VerifyingKey.LENGTH);
        try {
            return new VerifyingKey(raw);
        } catch (IdentityException e) {
            throw j.fail("field '" + field + "': " + e.getMessage());
        }
    }
}
