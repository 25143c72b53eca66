package io.agentmesh.node.backup.format;

import io.agentmesh.protocol.bytes.Bytes;
import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.protocol.identity.AgentId;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.state.store.VersionVector;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Makes the objects of one backup from its inputs: no IO (age's randomness aside). The caller reads the changes of
 * {@link BackupPlan#newChanges} from its store, and puts the returned objects in order.
 */
public final class BackupWriter {
    /** Segments are cut near this many plaintext bytes (a change of up to 4 MiB always fits one segment). */
    public static final int DEFAULT_SEGMENT_BYTES = 16 * 1024 * 1024;
    private static final int CHANGE_OVERHEAD_BYTES = 32 + 8 + 8 + 4 + 64;

    /**
     * @param writerKey      the writing node's key; {@code writerCert} must be its certificate
     * @param previous       the newest manifest at the target, if any (the new one chains to it and carries its
     *                       objects forward)
     * @param newChanges     exactly the changes above {@code previous}'s version vector that this backup adds, any
     *                       order; for each actor consecutive from the previous version vector + 1
     * @param heads          the document's heads at the resulting version vector
     * @param identity       the agent's public identity now
     * @param snapshot       a document snapshot to add, if wanted
     * @param recipients     the grants of the recipients to encrypt to: the phrase's (required, so the phrase alone
     *                       always opens every backup) and the operational ones of live nodes
     */
    public record Request(SigningKey writerKey, NodeCertificate writerCert, long createdAtMs,
                          Optional<Previous> previous, List<SignedChange> newChanges, List<Bytes> heads,
                          IdentityMaterial identity, Optional<Snapshot> snapshot, List<RecipientGrant> recipients,
                          int segmentBytes) {
        public Request {
            newChanges = List.copyOf(newChanges);
            heads = List.copyOf(heads);
            recipients = List.copyOf(recipients);
            if (!writerCert.nodeKey().equals(writerKey.verifyingKey())) {
                throw new IllegalArgumentException("the writer certificate is for node " + writerCert.nodeId()
                        + ", not for the writer key");
            }
            if (segmentBytes < 1) {
                throw new IllegalArgumentException("segmentBytes must be >= 1");
            }
        }
    }

    /** The newest manifest at the target and its reference (the hash the new manifest chains to). */
    public record Previous(Manifest manifest, ManifestRef ref) {
    }

    private BackupWriter() {
    }

    public static Backup write(Request r) {
        AgentId agent = r.writerCert().agentId();
        if (!r.identity().agentRootKey().equals(r.writerCert().agentRootKey())) {
            throw new IllegalArgumentException("the identity material is of agent "
                    + AgentId.of(r.identity().agentRootKey()) + ", the writer of agent " + agent);
        }
        List<AgeRecipient> recipients = recipients(r);
        VersionVector before = r.previous().map(p -> p.manifest().versionVector()).orElse(VersionVector.EMPTY);
        Map<ActorId, List<SignedChange>> byActor = new TreeMap<>();
        for (SignedChange c : r.newChanges()) {
            byActor.computeIfAbsent(c.actor(), a -> new ArrayList<>()).add(c);
        }
        List<BackupObject> out = new ArrayList<>();
        List<Manifest.Entry> entries = new ArrayList<>(r.previous().map(p -> p.manifest().objects()).orElse(List.of()));
        TreeMap<ActorId, Long> added = new TreeMap<>();
        for (Map.Entry<ActorId, List<SignedChange>> e : byActor.entrySet()) {
            List<SignedChange> changes = new ArrayList<>(e.getValue());
            changes.sort(Comparator.comparingLong(SignedChange::seq));
            long first = changes.get(0).seq();
            if (first != before.get(e.getKey()) + 1) {
                throw new IllegalArgumentException("actor " + e.getKey() + "'s new changes start at seq " + first
                        + ", but the target holds up to " + before.get(e.getKey()) + "; plan with BackupPlan");
            }
            for (Segment s : cut(e.getKey(), changes, r.segmentBytes())) {
                byte[] ct = AgeCrypto.encrypt(Frames.segment(agent, s), recipients);
                BackupObject o = new BackupObject(ObjectName.segment(s.actor(), s.from(), s.to(),
                        BackupObject.sha256(ct)), ct);
                out.add(o);
                entries.add(new Manifest.Entry(o.name(), o.size()));
                added.put(s.actor(), s.to());
            }
        }
        byte[] identityPlain = Frames.identity(agent, r.identity());
        Bytes identityDigest = BackupObject.sha256(identityPlain);
        boolean identityUnchanged = r.previous().map(p -> p.manifest().identityDigest().equals(identityDigest))
                .orElse(false);
        if (!identityUnchanged) {
            entries.removeIf(en -> en.parsed().kind() == ObjectName.Kind.IDENTITY);
            byte[] ct = AgeCrypto.encrypt(identityPlain, recipients);
            BackupObject o = new BackupObject(ObjectName.identity(BackupObject.sha256(ct)), ct);
            out.add(o);
            entries.add(new Manifest.Entry(o.name(), o.size()));
        }
        if (r.snapshot().isPresent()) {
            entries.removeIf(en -> en.parsed().kind() == ObjectName.Kind.SNAPSHOT); // the newest one is enough
            byte[] ct = AgeCrypto.encrypt(Frames.snapshot(agent, r.snapshot().get()), recipients);
            BackupObject o = new BackupObject(ObjectName.snapshot(BackupObject.sha256(ct)), ct);
            out.add(o);
            entries.add(new Manifest.Entry(o.name(), o.size()));
        }
        long number = r.previous().map(p -> p.ref().number() + 1).orElse(1L);
        Manifest unsigned = new Manifest(number, r.previous().map(p -> p.ref().sha256()), r.createdAtMs(),
                r.writerCert(), BackupPlan.merged(before, new VersionVector(added)), r.heads(), recipients,
                identityDigest, entries, new byte[64]);
        byte[] plain = Frames.manifest(agent, unsigned, r.writerKey());
        Manifest signed = Frames.manifest("(new manifest)", plain, agent);
        byte[] ct = AgeCrypto.encrypt(plain, recipients);
        Bytes sha = BackupObject.sha256(ct);
        out.add(new BackupObject(ObjectName.manifest(number, sha), ct));
        return new Backup(out, signed, new ManifestRef(number, sha));
    }

    /** The verified recipients: one phrase grant of this agent, operational grants of enrolled, unrevoked nodes. */
    private static List<AgeRecipient> recipients(Request r) {
        var root = r.writerCert().agentRootKey();
        List<NodeCertificate> live = r.identity().certificates().stream()
                .filter(c -> r.identity().revocations().stream().noneMatch(rev -> rev.revokes(c))).toList();
        List<AgeRecipient> out = new ArrayList<>();
        boolean phrase = false;
        for (RecipientGrant g : r.recipients()) {
            AgeRecipient a = g.verify(root, live);
            phrase |= g.kind() == RecipientGrant.Kind.PHRASE;
            if (!out.contains(a)) {
                out.add(a);
            }
        }
        if (!phrase) {
            throw new IllegalArgumentException("no phrase recipient among the backup's recipients: every backup"
                    + " must open with the recovery phrase (run 'agentmesh backup keys' where the root key is)");
        }
        return out;
    }

    private static List<Segment> cut(ActorId actor, List<SignedChange> changes, int segmentBytes) {
        List<Segment> out = new ArrayList<>();
        List<SignedChange> cur = new ArrayList<>();
        long bytes = 0;
        for (SignedChange c : changes) {
            long size = c.size() + CHANGE_OVERHEAD_BYTES;
            if (!cur.isEmpty() && (bytes + size > segmentBytes || cur.size() == Segment.MAX_CHANGES)) {
                out.add(new Segment(actor, cur));
                cur = new ArrayList<>();
                bytes = 0;
            }
            cur.add(c);
            bytes += size;
        }
        out.add(new Segment(actor, cur));
        return out;
    }
}
