package io.agentmesh.node.backup.format;

import io.agentmesh.node.backup.format.BackupFormatException.Problem;
import io.agentmesh.protocol.bytes.Bytes;
import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.protocol.change.SignedChanges;
import io.agentmesh.protocol.identity.AgentId;
import io.agentmesh.protocol.identity.IdentityException;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeRevocation;
import io.agentmesh.protocol.identity.VerifyingKey;
import io.agentmesh.state.Genesis;
import io.agentmesh.state.automerge.AutomergeFormatException;
import io.agentmesh.state.automerge.ChangeHeader;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;

/**
 * Opens and verifies backups of one agent (docs/backup.md, "How a reader verifies"): every object's size and hash
 * against its manifest, its decryption, its frame and agent, every signature (changes, manifest, certificates to the
 * agent root, revocations honoured), the manifest chain and the reader's remembered newest manifest. Any failure is a
 * {@link BackupFormatException} naming the object; nothing is returned from a backup that fails.
 */
public final class BackupReader {
    /** Where a reader gets objects by name: empty when the target does not have it. */
    @FunctionalInterface
    public interface ObjectSource {
        Optional<byte[]> get(String name);
    }

    /** What a restore imports: a verified manifest's identity, snapshot and changes in causal order. */
    public record RestoreSet(Manifest manifest, ManifestRef ref, IdentityMaterial identity,
                             Optional<Snapshot> snapshot, List<SignedChange> changes) {
        public RestoreSet {
            changes = List.copyOf(changes);
        }
    }

    private final VerifyingKey agentRoot;
    private final AgentId agent;
    private final List<AgeIdentity> identities;
    private final List<NodeRevocation> knownRevocations;
    private final DecryptTiming timing;

    /**
     * Adds up the time spent decrypting, for the drill's report (docs/backup.md, "The drill"). The time source is the
     * caller's, so this package still reads no clock.
     */
    public static final class DecryptTiming {
        private final java.util.function.LongSupplier nanos;
        private long totalNanos;

        public DecryptTiming(java.util.function.LongSupplier nanos) {
            this.nanos = nanos;
        }

        public synchronized long totalNanos() {
            return totalNanos;
        }

        private synchronized void add(long n) {
            totalNanos += n;
        }
    }

    /**
     * @param agentRoot        the agent's root public key (from {@code agent.json}, or re-derived from the phrase)
     * @param identities       the age identities to try (phrase and/or operational)
     * @param knownRevocations revocations the reader already trusts, honoured besides the backup's own
     */
    public BackupReader(VerifyingKey agentRoot, List<AgeIdentity> identities, List<NodeRevocation> knownRevocations) {
        this(agentRoot, identities, knownRevocations, null);
    }

    /** As above, adding the time spent in decryption to {@code timing}. */
    public BackupReader(VerifyingKey agentRoot, List<AgeIdentity> identities, List<NodeRevocation> knownRevocations,
                        DecryptTiming timing) {
        this.timing = timing;
        if (identities.isEmpty()) {
            throw new IllegalArgumentException("at least one age identity is required to read a backup");
        }
        this.agentRoot = agentRoot;
        this.agent = AgentId.of(agentRoot);
        this.identities = List.copyOf(identities);
        this.knownRevocations = knownRevocations.stream().map(r -> r.verify(agentRoot)).toList();
    }

    /** Opens one manifest object: name, hash, decryption, frame, writer certificate and signature. */
    public Manifest openManifest(String name, byte[] bytes) {
        ObjectName parsed = parse(name, ObjectName.Kind.MANIFEST);
        checkHash(name, parsed, bytes);
        Manifest m = Frames.manifest(name, decrypt(name, bytes), agent);
        if (m.number() != parsed.number()) {
            throw new BackupFormatException(Problem.CORRUPT, name, "holds manifest number " + m.number()
                    + " under a name that says " + parsed.number());
        }
        NodeCertificate w = m.writer();
        if (!w.agentRootKey().equals(agentRoot)) {
            throw new BackupFormatException(Problem.FOREIGN_AGENT, name, "was written by node " + w.nodeId()
                    + " of agent " + w.agentId() + ", not of agent " + agent);
        }
        try {
            w.verify(agentRoot, m.createdAtMs());
        } catch (IdentityException e) {
            throw new BackupFormatException(Problem.BAD_SIGNATURE, name, "its writer's certificate does not hold"
                    + " when it was written: " + e.getMessage(), e);
        }
        if (!Frames.manifestSignatureValid(agent, m)) {
            throw new BackupFormatException(Problem.BAD_SIGNATURE, name, "its signature by node " + w.nodeId()
                    + " does not verify");
        }
        for (NodeRevocation r : knownRevocations) {
            if (r.revokes(w)) {
                throw new BackupFormatException(Problem.REVOKED, name, "was written by node " + w.nodeId()
                        + ", which is revoked (" + r.reason() + ")");
            }
        }
        return m;
    }

    /**
     * The newest manifest among {@code names} whose chain holds: it must not be older than {@code remembered}, and
     * walking back by each manifest's previous hash must meet every manifest still present with the predecessor's
     * number and, at {@code remembered}'s number, exactly that hash. Manifests removed by retention end the walk.
     */
    public ManifestRef newestManifest(List<String> names, ObjectSource source, Optional<ManifestRef> remembered) {
        TreeMap<Long, List<ObjectName>> byNumber = new TreeMap<>();
        for (String n : names) {
            ObjectName.parse(n).filter(o -> o.kind() == ObjectName.Kind.MANIFEST)
                    .ifPresent(o -> byNumber.computeIfAbsent(o.number(), k -> new ArrayList<>()).add(o));
        }
        if (byNumber.isEmpty()) {
            throw new BackupFormatException(Problem.MISSING, "man/", "the target holds no manifest");
        }
        long newest = byNumber.lastKey();
        if (remembered.isPresent() && newest < remembered.get().number()) {
            throw new BackupFormatException(Problem.REPLAYED, remembered.get().name(), "the target's newest manifest"
                    + " is number " + newest + ", older than number " + remembered.get().number() + " which this"
                    + " node saw: the target was rolled back or replayed");
        }
        // Several manifests with one number (two leaders racing): the smallest hash wins, so every reader agrees.
        ObjectName head = byNumber.get(newest).stream().min(Comparator.comparing(ObjectName::sha256)).orElseThrow();
        ManifestRef headRef = new ManifestRef(newest, head.sha256());
        ManifestRef at = headRef;
        while (true) {
            if (remembered.isPresent() && at.number() == remembered.get().number()) {
                if (!at.sha256().equals(remembered.get().sha256())) {
                    throw new BackupFormatException(Problem.BROKEN_CHAIN, at.name(), "the chain from the newest"
                            + " manifest reaches number " + at.number() + " with hash " + at.sha256().hex()
                            + ", but this node saw " + remembered.get().sha256().hex() + ": the target was rewritten");
                }
                return headRef;
            }
            Manifest m = openManifest(at.name(), fetch(source, at.name()));
            if (m.previous().isEmpty()) {
                return headRef;
            }
            List<ObjectName> before = byNumber.get(at.number() - 1);
            if (before == null) {
                return headRef; // pruned by retention: nothing left to check the chain against
            }
            Bytes prev = m.previous().get();
            if (before.stream().noneMatch(o -> o.sha256().equals(prev))) {
                throw new BackupFormatException(Problem.BROKEN_CHAIN, at.name(), "names previous manifest "
                        + ObjectName.manifest(at.number() - 1, prev) + ", but the target's manifest number "
                        + (at.number() - 1) + " is another one");
            }
            at = new ManifestRef(at.number() - 1, prev);
        }
    }

    /** Verifies every object {@code ref}'s manifest names and returns what a restore imports. */
    public RestoreSet verify(ManifestRef ref, ObjectSource source) {
        Manifest m = openManifest(ref.name(), fetch(source, ref.name()));
        List<Manifest.Entry> idents = m.objectsOf(ObjectName.Kind.IDENTITY);
        if (idents.size() != 1) {
            throw new BackupFormatException(Problem.CORRUPT, ref.name(), "names " + idents.size()
                    + " identity objects, expected 1");
        }
        IdentityMaterial identity = identity(idents.get(0), source, m);
        List<NodeRevocation> revocations = new ArrayList<>(knownRevocations);
        revocations.addAll(identity.revocations());
        for (NodeRevocation r : revocations) {
            if (r.revokes(m.writer())) {
                throw new BackupFormatException(Problem.REVOKED, ref.name(), "was written by node "
                        + m.writer().nodeId() + ", which is revoked (" + r.reason() + ")");
            }
        }
        // Compared as bytes: building a VerifyingKey per change would validate the point each time, which costs as
        // much as the signature check itself; the enrolled keys were validated when their certificates were read.
        Set<Bytes> enrolled = new HashSet<>();
        identity.certificates().forEach(c -> enrolled.add(c.nodeKey().value()));

        Map<ActorId, List<Opened>> segments = new TreeMap<>();
        try (ParallelChecks checks = ParallelChecks.forThisMachine()) {
            for (Manifest.Entry e : m.objectsOf(ObjectName.Kind.SEGMENT)) {
                Opened o = segment(e, source, enrolled, revocations, checks);
                segments.computeIfAbsent(o.segment().actor(), a -> new ArrayList<>()).add(o);
            }
        }
        List<Checked> changes = new ArrayList<>();
        for (Map.Entry<ActorId, Long> vv : m.versionVector().seqs().entrySet()) {
            List<Opened> list = segments.getOrDefault(vv.getKey(), List.of());
            list.sort(Comparator.comparingLong(o -> o.segment().from()));
            long next = 1;
            for (Opened o : list) {
                Segment s = o.segment();
                if (s.from() != next) {
                    throw new BackupFormatException(s.from() > next ? Problem.MISSING : Problem.CORRUPT, ref.name(),
                            "actor " + vv.getKey() + " has changes " + next + ".." + (s.from() - 1)
                                    + " in no segment (or segments overlap at " + s.from() + ")");
                }
                changes.addAll(o.changes());
                next = s.to() + 1;
            }
            if (next - 1 != vv.getValue()) {
                throw new BackupFormatException(next - 1 < vv.getValue() ? Problem.MISSING : Problem.CORRUPT,
                        ref.name(), "actor " + vv.getKey() + " has segments up to seq " + (next - 1)
                                + ", the manifest's version vector says " + vv.getValue());
            }
        }
        for (ActorId a : segments.keySet()) {
            if (m.versionVector().get(a) == 0) {
                throw new BackupFormatException(Problem.CORRUPT, ref.name(), "names segments of actor " + a
                        + ", which its version vector does not hold");
            }
        }
        List<Manifest.Entry> snaps = m.objectsOf(ObjectName.Kind.SNAPSHOT);
        if (snaps.size() > 1) {
            throw new BackupFormatException(Problem.CORRUPT, ref.name(), "names " + snaps.size() + " snapshots");
        }
        Optional<Snapshot> snapshot = Optional.empty();
        if (!snaps.isEmpty()) {
            Manifest.Entry e = snaps.get(0);
            Snapshot s = Frames.snapshot(e.name(), open(e, source), agent);
            s.versionVector().seqs().forEach((a, seq) -> {
                if (seq > m.versionVector().get(a)) {
                    throw new BackupFormatException(Problem.CORRUPT, e.name(), "covers actor " + a + " up to "
                            + seq + ", beyond the manifest's " + m.versionVector().get(a));
                }
            });
            snapshot = Optional.of(s);
        }
        return new RestoreSet(m, ref, identity, snapshot, causalOrder(ref.name(), changes, genesisHashes()));
    }

    private IdentityMaterial identity(Manifest.Entry e, ObjectSource source, Manifest m) {
        byte[] plain = open(e, source);
        IdentityMaterial id = Frames.identity(e.name(), plain, agent);
        if (!BackupObject.sha256(plain).equals(m.identityDigest())) {
            throw new BackupFormatException(Problem.CORRUPT, e.name(), "does not match the manifest's identity"
                    + " digest");
        }
        try {
            for (NodeCertificate c : id.certificates()) {
                if (!c.agentRootKey().equals(agentRoot) || !c.signatureValid()) {
                    throw new BackupFormatException(Problem.BAD_SIGNATURE, e.name(), "the certificate of node "
                            + c.nodeId() + " is not signed by agent " + agent);
                }
            }
            id.revocations().forEach(r -> r.verify(agentRoot));
        } catch (IdentityException ex) {
            throw new BackupFormatException(Problem.BAD_SIGNATURE, e.name(), ex.getMessage(), ex);
        }
        return id;
    }

    /** One verified change with what the causal order needs from its Automerge header, parsed once. */
    private record Checked(SignedChange change, Bytes hash, List<Bytes> deps) {
    }

    /** A verified segment and its changes, in the segment's order. */
    private record Opened(Segment segment, List<Checked> changes) {
    }

    private Opened segment(Manifest.Entry e, ObjectSource source, Set<Bytes> enrolled,
                           List<NodeRevocation> revocations, ParallelChecks checks) {
        ObjectName n = e.parsed();
        Segment s = Frames.segment(e.name(), open(e, source), agent);
        if (!s.actor().equals(n.actor().orElseThrow()) || s.from() != n.from() || s.to() != n.to()) {
            throw new BackupFormatException(Problem.CORRUPT, e.name(), "holds actor " + s.actor() + " seqs "
                    + s.from() + ".." + s.to() + ", not what its name says");
        }
        // Each change's checks are independent of the others': they run across the cores, and the first change
        // (in the segment's order) that fails is the one named, as when they ran one at a time.
        return new Opened(s, checks.map(s.changes(), c -> check(e.name(), c, enrolled, revocations)));
    }

    /** Every check of one change: signature, enrolled signer, revocation cut, and the Automerge header inside. */
    private Checked check(String objectName, SignedChange c, Set<Bytes> enrolled,
                          List<NodeRevocation> revocations) {
        if (!SignedChanges.verify(agent, c)) {
            throw new BackupFormatException(Problem.BAD_SIGNATURE, objectName, what(c) + ": its signature does not"
                    + " verify");
        }
        Bytes signer = Bytes.copyOf(c.signerKey());
        if (!enrolled.contains(signer)) {
            throw new BackupFormatException(Problem.BAD_SIGNATURE, objectName, what(c) + " is signed by a node"
                    + " key with no certificate of agent " + agent + " in the backup");
        }
        for (NodeRevocation r : revocations) {
            if (r.nodeKey().value().equals(signer)) {
                OptionalLong last = r.lastValidSeq(c.actor().bytes());
                if (last.isEmpty() || c.seq() > last.getAsLong()) {
                    throw new BackupFormatException(Problem.REVOKED, objectName, what(c) + " lies past the"
                            + " revocation cut of node " + r.nodeId());
                }
            }
        }
        try {
            ChangeHeader h = ChangeHeader.parse(c.bytes());
            if (!Arrays.equals(h.actor(), c.actor().bytes()) || h.seq() != c.seq()) {
                throw new BackupFormatException(Problem.CORRUPT, objectName, what(c) + ": the Automerge change"
                        + " inside says actor " + h.actorHex() + " seq " + h.seq());
            }
            return new Checked(c, Bytes.copyOf(h.hash()), h.deps().stream().map(Bytes::copyOf).toList());
        } catch (AutomergeFormatException ex) {
            throw new BackupFormatException(Problem.CORRUPT, objectName, what(c) + ": " + ex.getMessage(), ex);
        }
    }

    private static String what(SignedChange c) {
        return "change (" + c.actor() + ", " + c.seq() + ")";
    }

    /** Changes ordered so each comes after its dependencies (ties by actor, then seq: the same order every time). */
    private static List<SignedChange> causalOrder(String manifestName, List<Checked> changes, Set<Bytes> genesis) {
        int n = changes.size();
        Map<Bytes, Integer> byHash = new HashMap<>(2 * n);
        for (int i = 0; i < n; i++) {
            byHash.put(changes.get(i).hash(), i);
        }
        int[] waiting = new int[n];
        Map<Integer, List<Integer>> dependents = new HashMap<>();
        Comparator<Integer> order = Comparator.comparing((Integer i) -> changes.get(i).change().actor())
                .thenComparingLong(i -> changes.get(i).change().seq());
        java.util.PriorityQueue<Integer> ready = new java.util.PriorityQueue<>(order);
        for (int i = 0; i < n; i++) {
            Checked c = changes.get(i);
            for (Bytes d : c.deps()) {
                if (genesis.contains(d)) {
                    continue; // every document starts with the genesis changes; no store holds them
                }
                Integer dep = byHash.get(d);
                if (dep == null) {
                    throw new BackupFormatException(Problem.MISSING, manifestName, what(c.change()) + " depends on"
                            + " change " + d.hex() + ", which the backup does not hold");
                }
                dependents.computeIfAbsent(dep, k -> new ArrayList<>()).add(i);
                waiting[i]++;
            }
            if (waiting[i] == 0) {
                ready.add(i);
            }
        }
        List<SignedChange> out = new ArrayList<>(n);
        while (!ready.isEmpty()) {
            int i = ready.poll();
            out.add(changes.get(i).change());
            for (int d : dependents.getOrDefault(i, List.of())) {
                if (--waiting[d] == 0) {
                    ready.add(d);
                }
            }
        }
        if (out.size() != n) {
            throw new BackupFormatException(Problem.CORRUPT, manifestName, "its changes' dependencies form a cycle");
        }
        return out;
    }

    /** The hashes of the agent's deterministic genesis changes, which every document has and no backup holds. */
    private Set<Bytes> genesisHashes() {
        Genesis g = Genesis.of(agent.bytes());
        return Set.of(Bytes.copyOf(ChangeHeader.parse(g.change()).hash()),
                Bytes.copyOf(ChangeHeader.parse(g.workspaceChange()).hash()));
    }

    private byte[] open(Manifest.Entry e, ObjectSource source) {
        byte[] bytes = fetch(source, e.name());
        if (bytes.length < e.sizeBytes()) {
            throw new BackupFormatException(Problem.TRUNCATED, e.name(), "is " + bytes.length + " bytes, the"
                    + " manifest says " + e.sizeBytes() + ": it was cut short");
        }
        if (bytes.length != e.sizeBytes()) {
            throw new BackupFormatException(Problem.CORRUPT, e.name(), "is " + bytes.length + " bytes, the"
                    + " manifest says " + e.sizeBytes());
        }
        checkHash(e.name(), e.parsed(), bytes);
        return decrypt(e.name(), bytes);
    }

    private byte[] decrypt(String name, byte[] bytes) {
        if (timing == null) {
            return AgeCrypto.decrypt(name, bytes, identities, Frames.MAX_PLAINTEXT_BYTES);
        }
        long t0 = timing.nanos.getAsLong();
        try {
            return AgeCrypto.decrypt(name, bytes, identities, Frames.MAX_PLAINTEXT_BYTES);
        } finally {
            timing.add(timing.nanos.getAsLong() - t0);
        }
    }

    private static void checkHash(String name, ObjectName parsed, byte[] bytes) {
        if (!BackupObject.sha256(bytes).equals(parsed.sha256())) {
            throw new BackupFormatException(Problem.CORRUPT, name, "its SHA-256 is " + BackupObject.sha256(bytes).hex()
                    + ", its name says " + parsed.sha256().hex() + ": the object was altered or damaged");
        }
    }

    private static ObjectName parse(String name, ObjectName.Kind kind) {
        ObjectName n = ObjectName.parse(name).orElseThrow(() -> new BackupFormatException(Problem.CORRUPT, name,
                "is not a backup object's name"));
        if (n.kind() != kind) {
            throw new BackupFormatException(Problem.CORRUPT, name, "is a " + n.kind() + ", not a " + kind);
        }
        return n;
    }

    private static byte[] fetch(ObjectSource source, String name) {
        return source.get(name).orElseThrow(() -> new BackupFormatException(Problem.MISSING, name,
                "is named by the backup but the target does not have it"));
    }
}
