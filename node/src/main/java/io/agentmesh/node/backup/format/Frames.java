package io.agentmesh.node.backup.format;

import io.agentmesh.node.backup.format.BackupFormatException.Problem;
import io.agentmesh.protocol.bytes.BoundedReader;
import io.agentmesh.protocol.bytes.BoundedWriter;
import io.agentmesh.protocol.bytes.Bytes;
import io.agentmesh.protocol.bytes.MalformedException;
import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.protocol.identity.AgentId;
import io.agentmesh.protocol.identity.Ed25519;
import io.agentmesh.protocol.identity.IdentityException;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeRevocation;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.protocol.identity.VerifyingKey;
import io.agentmesh.state.store.VersionVector;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The plaintext of every backup object (docs/backup.md, "Framing"): a frame header, then the kind's body, all through
 * {@code protocol.bytes}, big-endian, every length and count bounded.
 * <pre>
 *   3   "AMB"
 *   u8  format version = 1
 *   u8  kind: 1 segment, 2 snapshot, 3 identity, 4 manifest
 *   20  agent id
 *   ... body
 * </pre>
 */
final class Frames {
    static final int VERSION = 1;
    static final int MAX_PLAINTEXT_BYTES = BackupObject.MAX_BYTES - 1024 * 1024; // room for age's overhead
    private static final byte[] MAGIC = "AMB".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] MANIFEST_DOMAIN = "agentmesh/backup-manifest/v1".getBytes(StandardCharsets.US_ASCII);
    private static final int HEADER_BYTES = MAGIC.length + 2 + AgentId.LENGTH;
    private static final int MAX_ACTORS = 65_536;
    private static final int MAX_HEADS = 4096;
    private static final int HASH_BYTES = 32;
    private static final int CHANGE_MIN_BYTES = 32 + 8 + 8 + 4 + 1 + Ed25519.SIGNATURE_LENGTH;

    enum Kind {
        SEGMENT(1), SNAPSHOT(2), IDENTITY(3), MANIFEST(4);
        final int code;

        Kind(int code) {
            this.code = code;
        }
    }

    private Frames() {
    }

    private static BoundedWriter header(AgentId agent, Kind kind) {
        return new BoundedWriter(MAX_PLAINTEXT_BYTES).fixed(MAGIC).u8(VERSION).u8(kind.code).fixed(agent.bytes());
    }

    /** Reads the header and leaves the reader at the body; refuses another kind, version or agent. */
    private static BoundedReader open(String name, byte[] plain, Kind kind, AgentId agent) {
        try {
            BoundedReader in = new BoundedReader(plain);
            if (!Arrays.equals(in.fixed("magic", MAGIC.length), MAGIC)) {
                throw new BackupFormatException(Problem.CORRUPT, name, "its plaintext is not an agentmesh backup"
                        + " frame (no AMB magic)");
            }
            int version = in.u8("format version");
            if (version != VERSION) {
                throw new BackupFormatException(Problem.UNSUPPORTED_VERSION, name, "is in backup format version "
                        + version + "; this agentmesh reads version " + VERSION);
            }
            int code = in.u8("kind");
            if (code != kind.code) {
                throw new BackupFormatException(Problem.CORRUPT, name, "holds object kind " + code + " where its"
                        + " name says " + kind.name().toLowerCase() + " (" + kind.code + ")");
            }
            AgentId owner = new AgentId(in.fixed("agent id", AgentId.LENGTH));
            if (!owner.equals(agent)) {
                throw new BackupFormatException(Problem.FOREIGN_AGENT, name, "belongs to agent " + owner
                        + ", not to agent " + agent);
            }
            return in;
        } catch (MalformedException e) {
            throw new BackupFormatException(Problem.CORRUPT, name, "frame header: " + e.getMessage(), e);
        }
    }

    // ---- segment ----

    static byte[] segment(AgentId agent, Segment s) {
        BoundedWriter w = header(agent, Kind.SEGMENT).fixed(s.actor().bytes()).i64(s.from()).i32(s.changes().size());
        for (SignedChange c : s.changes()) {
            w.fixed(c.signerKey()).i64(c.incarnation()).i64(c.seq()).bytes32(c.bytes()).fixed(c.signature());
        }
        return w.toByteArray();
    }

    static Segment segment(String name, byte[] plain, AgentId agent) {
        BoundedReader in = open(name, plain, Kind.SEGMENT, agent);
        try {
            ActorId actor = new ActorId(in.fixed("actor", ActorId.LENGTH));
            long from = in.i64("from seq");
            int n = in.count32("changes", Segment.MAX_CHANGES, CHANGE_MIN_BYTES);
            List<SignedChange> changes = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                byte[] signer = in.fixed("signer key", 32);
                long incarnation = in.i64("incarnation");
                long seq = in.i64("seq");
                if (seq != from + i) {
                    throw new BackupFormatException(Problem.CORRUPT, name, "change " + i + " has seq " + seq
                            + ", expected " + (from + i));
                }
                byte[] bytes = in.bytes32("change bytes", SignedChange.MAX_CHANGE_BYTES);
                byte[] sig = in.fixed("signature", Ed25519.SIGNATURE_LENGTH);
                changes.add(new SignedChange(signer, incarnation, actor, seq, bytes, sig));
            }
            in.end();
            return new Segment(actor, changes);
        } catch (MalformedException | IllegalArgumentException e) {
            throw new BackupFormatException(Problem.CORRUPT, name, "segment: " + e.getMessage(), e);
        }
    }

    // ---- snapshot ----

    static byte[] snapshot(AgentId agent, Snapshot s) {
        BoundedWriter w = header(agent, Kind.SNAPSHOT);
        writeVv(w, s.versionVector());
        writeHeads(w, s.heads());
        return w.bytes32(s.document()).toByteArray();
    }

    static Snapshot snapshot(String name, byte[] plain, AgentId agent) {
        BoundedReader in = open(name, plain, Kind.SNAPSHOT, agent);
        try {
            VersionVector vv = readVv(in);
            List<Bytes> heads = readHeads(in);
            byte[] doc = in.bytes32("document", MAX_PLAINTEXT_BYTES);
            in.end();
            return new Snapshot(doc, vv, heads);
        } catch (MalformedException | IllegalArgumentException e) {
            throw new BackupFormatException(Problem.CORRUPT, name, "snapshot: " + e.getMessage(), e);
        }
    }

    // ---- identity ----

    static byte[] identity(AgentId agent, IdentityMaterial m) {
        BoundedWriter w = header(agent, Kind.IDENTITY).fixed(m.agentRootKey().bytes()).i32(m.certificates().size());
        for (NodeCertificate c : m.certificates()) {
            w.fixed(c.toBytes());
        }
        w.i32(m.revocations().size());
        for (NodeRevocation r : m.revocations()) {
            w.bytes32(r.toBytes());
        }
        return w.toByteArray();
    }

    static IdentityMaterial identity(String name, byte[] plain, AgentId agent) {
        BoundedReader in = open(name, plain, Kind.IDENTITY, agent);
        try {
            VerifyingKey root = new VerifyingKey(in.fixed("agent root key", VerifyingKey.LENGTH));
            if (!AgentId.of(root).equals(agent)) {
                throw new BackupFormatException(Problem.FOREIGN_AGENT, name, "holds the root key of agent "
                        + AgentId.of(root) + ", not of agent " + agent);
            }
            int nc = in.count32("certificates", IdentityMaterial.MAX_CERTIFICATES, NodeCertificate.ENCODED_LENGTH);
            List<NodeCertificate> certs = new ArrayList<>(nc);
            for (int i = 0; i < nc; i++) {
                certs.add(NodeCertificate.fromBytes(in.fixed("certificate", NodeCertificate.ENCODED_LENGTH)));
            }
            int nr = in.count32("revocations", IdentityMaterial.MAX_REVOCATIONS, 4);
            List<NodeRevocation> revs = new ArrayList<>(nr);
            for (int i = 0; i < nr; i++) {
                revs.add(NodeRevocation.fromBytes(in.bytes32("revocation", NodeRevocation.MAX_ENCODED_LENGTH)));
            }
            in.end();
            return new IdentityMaterial(root, certs, revs);
        } catch (MalformedException | IllegalArgumentException | IdentityException e) {
            throw new BackupFormatException(Problem.CORRUPT, name, "identity material: " + e.getMessage(), e);
        }
    }

    // ---- manifest ----

    /** The signed plaintext of a manifest; the signature in {@code m} is ignored and made here. */
    static byte[] manifest(AgentId agent, Manifest m, SigningKey writerKey) {
        byte[] body = manifestBody(agent, m);
        byte[] sig = writerKey.sign(signingPayload(body));
        return new BoundedWriter(body.length + sig.length).fixed(body).fixed(sig).toByteArray();
    }

    private static byte[] manifestBody(AgentId agent, Manifest m) {
        BoundedWriter w = header(agent, Kind.MANIFEST).i64(m.number())
                .fixed(m.previous().map(Bytes::toByteArray).orElse(new byte[HASH_BYTES])).i64(m.createdAtMs())
                .fixed(m.writer().toBytes());
        writeVv(w, m.versionVector());
        writeHeads(w, m.heads());
        w.u16(m.recipients().size());
        for (AgeRecipient r : m.recipients()) {
            w.text16(r.text());
        }
        w.fixed(m.identityDigest().toByteArray()).i32(m.objects().size());
        for (Manifest.Entry e : m.objects()) {
            w.text16(e.name()).i64(e.sizeBytes());
        }
        return w.toByteArray();
    }

    static byte[] signingPayload(byte[] body) {
        return new BoundedWriter(MANIFEST_DOMAIN.length + body.length).fixed(MANIFEST_DOMAIN).fixed(body)
                .toByteArray();
    }

    /** Decodes a manifest; whether its signature holds is the reader's next question. */
    static Manifest manifest(String name, byte[] plain, AgentId agent) {
        BoundedReader in = open(name, plain, Kind.MANIFEST, agent);
        try {
            long number = in.i64("number");
            byte[] prev = in.fixed("previous hash", HASH_BYTES);
            long createdAtMs = in.i64("created at");
            NodeCertificate writer = NodeCertificate.fromBytes(in.fixed("writer certificate",
                    NodeCertificate.ENCODED_LENGTH));
            VersionVector vv = readVv(in);
            List<Bytes> heads = readHeads(in);
            int nr = in.count16("recipients", Manifest.MAX_RECIPIENTS, 2);
            List<AgeRecipient> recipients = new ArrayList<>(nr);
            for (int i = 0; i < nr; i++) {
                recipients.add(new AgeRecipient(in.text16("recipient", 128)));
            }
            Bytes identityDigest = Bytes.copyOf(in.fixed("identity digest", HASH_BYTES));
            int no = in.count32("objects", Manifest.MAX_OBJECTS, 2 + 8);
            List<Manifest.Entry> objects = new ArrayList<>(no);
            for (int i = 0; i < no; i++) {
                objects.add(new Manifest.Entry(in.text16("object name", BackupObject.MAX_NAME_CHARS),
                        in.nonNegativeI64("object size")));
            }
            byte[] sig = in.fixed("signature", Ed25519.SIGNATURE_LENGTH);
            in.end();
            Optional<Bytes> previous = number == 1 ? Optional.empty() : Optional.of(Bytes.copyOf(prev));
            return new Manifest(number, previous, createdAtMs, writer, vv, heads, recipients, identityDigest, objects,
                    sig);
        } catch (MalformedException | IllegalArgumentException | IdentityException e) {
            throw new BackupFormatException(Problem.CORRUPT, name, "manifest: " + e.getMessage(), e);
        }
    }

    /** Whether the manifest's signature verifies under its writer certificate's node key. */
    static boolean manifestSignatureValid(AgentId agent, Manifest m) {
        return m.writer().nodeKey().verify(signingPayload(manifestBody(agent, m)), m.signature());
    }

    // ---- shared parts ----

    private static void writeVv(BoundedWriter w, VersionVector vv) {
        w.i32(vv.seqs().size());
        vv.seqs().forEach((actor, seq) -> w.fixed(actor.bytes()).i64(seq));
    }

    private static VersionVector readVv(BoundedReader in) {
        int n = in.count32("version vector", MAX_ACTORS, ActorId.LENGTH + 8);
        Map<ActorId, Long> seqs = new LinkedHashMap<>();
        ActorId last = null;
        for (int i = 0; i < n; i++) {
            ActorId actor = new ActorId(in.fixed("version vector actor", ActorId.LENGTH));
            if (last != null && last.compareTo(actor) >= 0) {
                throw new MalformedException("version vector", "actors must be sorted and unique");
            }
            last = actor;
            seqs.put(actor, in.nonNegativeI64("version vector seq"));
        }
        return new VersionVector(seqs);
    }

    private static void writeHeads(BoundedWriter w, List<Bytes> heads) {
        w.u16(heads.size());
        for (Bytes h : heads) {
            w.fixed(Bytes.requireLength(h, HASH_BYTES, "a head").toByteArray());
        }
    }

    private static List<Bytes> readHeads(BoundedReader in) {
        int n = in.count16("heads", MAX_HEADS, HASH_BYTES);
        List<Bytes> heads = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            heads.add(Bytes.copyOf(in.fixed("head", HASH_BYTES)));
        }
        return heads;
    }
}
