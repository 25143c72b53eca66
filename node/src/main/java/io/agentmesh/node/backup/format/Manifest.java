package io.agentmesh.node.backup.format;

import io.agentmesh.protocol.bytes.Bytes;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.state.store.VersionVector;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * One backup: everything needed to restore the agent to {@code versionVector} and {@code heads}, signed by the node
 * that wrote it. Manifests are numbered from 1 and each names the hash of its predecessor's object, so a reader that
 * remembers the newest (number, hash) it saw detects a target rolled back or rewritten.
 *
 * @param number          1 for a target's first backup, then the predecessor's number + 1
 * @param previous        the SHA-256 of the predecessor's object (the hash in its name); empty for number 1
 * @param createdAtMs     the writer's wall-clock time, epoch ms
 * @param writer          the writing node's certificate; its key signs the manifest
 * @param versionVector   every change the backup holds: for each actor, seqs 1..n, all in the named segments
 * @param heads           the document's heads at that version vector (Automerge change hashes)
 * @param recipients      the age recipients every object of this backup is encrypted to
 * @param identityDigest  SHA-256 of the identity object's plaintext, so an unchanged identity is not written again
 * @param objects         every object the backup needs (cumulative: not only this run's new ones), with sizes
 * @param signature       Ed25519 by the writer's node key over the domain tag and the frame
 */
public record Manifest(long number, Optional<Bytes> previous, long createdAtMs, NodeCertificate writer,
                       VersionVector versionVector, List<Bytes> heads, List<AgeRecipient> recipients,
                       Bytes identityDigest, List<Entry> objects, byte[] signature) {
    public static final int MAX_OBJECTS = 250_000;
    public static final int MAX_RECIPIENTS = 64;

    /** One object the manifest names: its name carries its kind, range and SHA-256. */
    public record Entry(String name, long sizeBytes) {
        public Entry {
            BackupObject.requireValidName(name);
            if (ObjectName.parse(name).isEmpty()) {
                throw new IllegalArgumentException("'" + name + "' is not a backup object's name");
            }
            if (sizeBytes < 0 || sizeBytes > BackupObject.MAX_BYTES) {
                throw new IllegalArgumentException("object size out of range: " + sizeBytes);
            }
        }

        public ObjectName parsed() {
            return ObjectName.parse(name).orElseThrow();
        }
    }

    public Manifest {
        if (number < 1 || previous == null || writer == null || versionVector == null || heads == null
                || recipients == null || identityDigest == null || objects == null || signature == null) {
            throw new IllegalArgumentException("a manifest needs every field, and a number >= 1");
        }
        if (previous.isPresent() != (number > 1)) {
            throw new IllegalArgumentException("manifest " + number + (number > 1 ? " needs" : " cannot have")
                    + " a previous manifest's hash");
        }
        if (objects.size() > MAX_OBJECTS || recipients.isEmpty() || recipients.size() > MAX_RECIPIENTS) {
            throw new IllegalArgumentException("a manifest names at most " + MAX_OBJECTS + " objects and 1.."
                    + MAX_RECIPIENTS + " recipients");
        }
        heads = List.copyOf(heads);
        recipients = List.copyOf(recipients);
        objects = List.copyOf(objects);
        signature = signature.clone();
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    /** The entries of one kind, in the manifest's order. */
    public List<Entry> objectsOf(ObjectName.Kind kind) {
        return objects.stream().filter(e -> e.parsed().kind() == kind).toList();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Manifest m && number == m.number && previous.equals(m.previous)
                && createdAtMs == m.createdAtMs && writer.equals(m.writer) && versionVector.equals(m.versionVector)
                && heads.equals(m.heads) && recipients.equals(m.recipients) && identityDigest.equals(m.identityDigest)
                && objects.equals(m.objects) && Arrays.equals(signature, m.signature);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(number) * 31 + identityDigest.hashCode();
    }

    @Override
    public String toString() {
        return "Manifest[#" + number + ", " + objects.size() + " objects, " + versionVector.total() + " changes, by "
                + writer.nodeId() + "]";
    }
}
