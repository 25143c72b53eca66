package io.agentmesh.node.backup.format;

import io.agentmesh.protocol.bytes.Bytes;
import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.protocol.change.SignedChanges;
import io.agentmesh.protocol.identity.AgentId;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeRevocation;
import io.agentmesh.protocol.identity.RecoveryPhrase;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.state.AgentState;
import io.agentmesh.state.LocalChange;
import io.agentmesh.state.MemoryEntry;
import io.agentmesh.state.store.VersionVector;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** One agent with one node writing real signed Automerge changes, and backups of them. */
final class BackupFixture implements AutoCloseable {
    static final long NOW = 1_800_000_000_000L;

    final SigningKey root;
    final AgentId agent;
    final SigningKey node;
    final NodeCertificate cert;
    final SigningKey backupKey;
    final AgeIdentity phraseIdentity;
    final AgeIdentity opsIdentity;
    final AgentState state;
    final List<SignedChange> changes = new ArrayList<>();
    /** The target: every object put so far. */
    final Map<String, byte[]> target = new HashMap<>();
    Optional<BackupWriter.Previous> previous = Optional.empty();

    BackupFixture(int seed) {
        root = SigningKey.fromSeed(filled(seed));
        agent = AgentId.of(root.verifyingKey());
        node = SigningKey.fromSeed(filled(seed + 1));
        cert = NodeCertificate.issue(root, node.verifyingKey(), Role.VOTER, NOW - 1000, NOW + 1_000_000);
        backupKey = SigningKey.fromSeed(filled(seed + 2));
        phraseIdentity = BackupKeys.phraseIdentity(RecoveryPhrase.of(root));
        opsIdentity = BackupKeys.operationalIdentity(backupKey);
        state = AgentState.create(agent.bytes(), actor());
    }

    ActorId actor() {
        return ActorId.derive(node.verifyingKey().bytes(), 1);
    }

    static byte[] filled(int b) {
        byte[] s = new byte[32];
        java.util.Arrays.fill(s, (byte) b);
        return s;
    }

    void write(int n) {
        for (int i = 0; i < n; i++) {
            String id = "note-" + changes.size();
            LocalChange c = state.appendMemory(new MemoryEntry(id, NOW, "test", "note", id, List.of()));
            changes.add(SignedChanges.sign(agent, node, 1, c.seq(), c.changeBytes()));
        }
    }

    VersionVector storeVv() {
        return new VersionVector(Map.of(actor(), (long) changes.size()));
    }

    List<Bytes> heads() {
        return state.heads().stream().map(h -> Bytes.copyOf(HexFormat.of().parseHex(h))).toList();
    }

    IdentityMaterial identity(List<NodeRevocation> revocations) {
        return new IdentityMaterial(root.verifyingKey(), List.of(cert), revocations);
    }

    BackupWriter.Request request(List<SignedChange> newChanges, Optional<Snapshot> snapshot) {
        return new BackupWriter.Request(node, cert, NOW, previous, newChanges, heads(), identity(List.of()), snapshot,
                grants(), BackupWriter.DEFAULT_SEGMENT_BYTES);
    }

    List<RecipientGrant> grants() {
        return List.of(RecipientGrant.phrase(root), RecipientGrant.operational(root.verifyingKey(), node, backupKey));
    }

    /** Plans, writes and puts one incremental backup. */
    Backup backup() {
        List<SignedChange> fresh = new ArrayList<>();
        for (BackupPlan.Range r : BackupPlan.newChanges(storeVv(), previous.map(BackupWriter.Previous::manifest))) {
            fresh.addAll(changes.subList((int) r.fromSeq() - 1, (int) r.toSeq()));
        }
        Backup b = BackupWriter.write(request(fresh, Optional.empty()));
        put(b);
        previous = Optional.of(new BackupWriter.Previous(b.manifest(), b.ref()));
        return b;
    }

    void put(Backup b) {
        b.newObjects().forEach(o -> target.put(o.name(), o.bytes()));
    }

    BackupReader reader(AgeIdentity... ids) {
        return new BackupReader(root.verifyingKey(), List.of(ids), List.of());
    }

    BackupReader.ObjectSource source() {
        return name -> Optional.ofNullable(target.get(name)).map(byte[]::clone);
    }

    List<String> names() {
        return new ArrayList<>(target.keySet());
    }

    @Override
    public void close() {
        state.close();
    }
}
