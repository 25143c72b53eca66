package io.agentmesh.node.backup.format;

import io.agentmesh.node.backup.format.BackupFormatException.Problem;
import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.protocol.identity.NodeRevocation;
import io.agentmesh.protocol.identity.RecoveryPhrase;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.state.store.VersionVector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackupFormatTest {
    private final BackupFixture f = new BackupFixture(7);

    @AfterEach
    void close() {
        f.close();
    }

    private static BackupFormatException refused(Problem problem, Runnable r) {
        BackupFormatException e = assertThrows(BackupFormatException.class, r::run);
        assertEquals(problem, e.problem(), e.getMessage());
        return e;
    }

    private BackupReader.RestoreSet restoreNewest(BackupReader reader, Optional<ManifestRef> remembered) {
        ManifestRef ref = reader.newestManifest(f.names(), f.source(), remembered);
        return reader.verify(ref, f.source());
    }

    @Test
    void aFullThenAnIncrementalBackupRestoresEveryChangeInOrderWithEitherKey() {
        f.write(3);
        Backup first = f.backup();
        assertEquals(3, first.newObjects().size(), "one segment, the identity and the manifest");
        f.write(2);
        Backup second = f.backup();
        assertEquals(2, second.newObjects().size(), "only the new segment and the manifest: identity unchanged");
        assertTrue(second.newObjects().get(0).name().startsWith("seg/" + f.actor().hex() + "/0000000000000000004-"
                + "0000000000000000005-"), second.newObjects().get(0).name());
        assertEquals(Optional.of(first.ref().sha256()), second.manifest().previous());
        assertEquals(5L, second.manifest().versionVector().get(f.actor()));

        for (AgeIdentity key : List.of(f.phraseIdentity, f.opsIdentity)) {
            BackupReader.RestoreSet set = restoreNewest(f.reader(key), Optional.of(first.ref()));
            assertEquals(second.ref(), set.ref());
            assertEquals(f.changes, set.changes());
            assertEquals(f.heads(), set.manifest().heads());
            assertEquals(List.of(f.cert), set.identity().certificates());
        }
    }

    @Test
    void theRestoredChangesComeOutInCausalOrderAcrossActors() {
        f.write(2);
        // A second actor (the same node's next incarnation) whose change depends on the first actor's.
        try (var other = io.agentmesh.state.AgentState.load(f.agent.bytes(), f.state.save(),
                io.agentmesh.protocol.change.ActorId.derive(f.node.verifyingKey().bytes(), 2))) {
            var c = other.appendMemory(new io.agentmesh.state.MemoryEntry("x", BackupFixture.NOW, "t", "note", "x",
                    List.of()));
            SignedChange signed = io.agentmesh.protocol.change.SignedChanges.sign(f.agent, f.node, 2, c.seq(),
                    c.changeBytes());
            Backup b = BackupWriter.write(f.request(List.of(signed, f.changes.get(1), f.changes.get(0)),
                    Optional.empty()));
            f.put(b);
            List<SignedChange> order = f.reader(f.phraseIdentity).verify(b.ref(), f.source()).changes();
            assertEquals(3, order.size());
            assertTrue(order.indexOf(signed) > order.indexOf(f.changes.get(1)), "the dependent change comes last");
            assertTrue(order.indexOf(f.changes.get(0)) < order.indexOf(f.changes.get(1)));
        }
    }

    @Test
    void aSnapshotTravelsWithItsVersionVectorAndHeads() {
        f.write(2);
        Snapshot snap = new Snapshot(f.state.save(), f.storeVv(), f.heads());
        Backup b = BackupWriter.write(f.request(f.changes, Optional.of(snap)));
        f.put(b);
        Snapshot back = f.reader(f.opsIdentity).verify(b.ref(), f.source()).snapshot().orElseThrow();
        assertTrue(Arrays.equals(snap.document(), back.document()));
        assertEquals(snap.versionVector(), back.versionVector());
        assertEquals(snap.heads(), back.heads());
    }

    @Test
    void changesAreCutIntoSegmentsBySizeAndRestoreWhole() {
        f.write(6);
        BackupWriter.Request big = f.request(f.changes, Optional.empty());
        int oneChange = f.changes.get(0).size() + 200;
        Backup b = BackupWriter.write(new BackupWriter.Request(big.writerKey(), big.writerCert(), big.createdAtMs(),
                big.previous(), big.newChanges(), big.heads(), big.identity(), big.snapshot(), big.recipients(),
                2 * oneChange));
        f.put(b);
        assertEquals(3, b.manifest().objectsOf(ObjectName.Kind.SEGMENT).size(), "two changes per segment");
        assertEquals(f.changes, f.reader(f.phraseIdentity).verify(b.ref(), f.source()).changes());
        // Losing the middle segment leaves a gap the reader names.
        f.target.remove(b.manifest().objectsOf(ObjectName.Kind.SEGMENT).get(1).name());
        refused(Problem.MISSING, () -> f.reader(f.phraseIdentity).verify(b.ref(), f.source()));
    }

    @Test
    void theWrongPhraseIsRefusedNamingTheManifest() {
        f.write(1);
        Backup b = f.backup();
        AgeIdentity wrong = BackupKeys.phraseIdentity(RecoveryPhrase.of(SigningKey.fromSeed(BackupFixture.filled(99))));
        BackupFormatException e = refused(Problem.WRONG_KEY,
                () -> f.reader(wrong).verify(b.ref(), f.source()));
        assertEquals(b.ref().name(), e.objectName());
    }

    @Test
    void aFlippedByteInASegmentIsRefusedNamingTheSegment() {
        f.write(3);
        Backup b = f.backup();
        String seg = b.newObjects().get(0).name();
        byte[] bytes = f.target.get(seg);
        bytes[bytes.length - 5] ^= 1;
        BackupFormatException e = refused(Problem.CORRUPT, () -> f.reader(f.phraseIdentity).verify(b.ref(),
                f.source()));
        assertEquals(seg, e.objectName());
    }

    @Test
    void aTruncatedSegmentIsRefusedAsTruncated() {
        f.write(3);
        Backup b = f.backup();
        String seg = b.newObjects().get(0).name();
        f.target.put(seg, Arrays.copyOf(f.target.get(seg), f.target.get(seg).length - 10));
        assertEquals(seg, refused(Problem.TRUNCATED, () -> f.reader(f.phraseIdentity).verify(b.ref(), f.source()))
                .objectName());
    }

    @Test
    void aMissingObjectIsRefusedNamingIt() {
        f.write(1);
        Backup b = f.backup();
        String seg = b.newObjects().get(0).name();
        f.target.remove(seg);
        assertEquals(seg, refused(Problem.MISSING, () -> f.reader(f.phraseIdentity).verify(b.ref(), f.source()))
                .objectName());
    }

    @Test
    void anotherAgentsBackupIsRefusedEvenWhenOurKeysOpenIt() {
        try (BackupFixture foreign = new BackupFixture(40)) {
            foreign.write(1);
            // Encrypted to our recipients, so decryption succeeds and the agent checks must catch it.
            Backup b = BackupWriter.write(new BackupWriter.Request(foreign.node, foreign.cert, BackupFixture.NOW,
                    Optional.empty(), foreign.changes, foreign.heads(), foreign.identity(List.of()), Optional.empty(),
                    List.of(RecipientGrant.sign(RecipientGrant.Kind.PHRASE, foreign.root.verifyingKey(), foreign.root,
                            f.phraseIdentity.recipient())), BackupWriter.DEFAULT_SEGMENT_BYTES));
            f.put(b);
            assertEquals(b.ref().name(), refused(Problem.FOREIGN_AGENT,
                    () -> f.reader(f.phraseIdentity).verify(b.ref(), f.source())).objectName());
        }
    }

    @Test
    void aTargetRolledBackToAnOlderManifestIsRefusedAsReplayed() {
        f.write(1);
        Backup first = f.backup();
        f.write(1);
        Backup second = f.backup();
        f.target.remove(second.ref().name());
        refused(Problem.REPLAYED, () -> f.reader(f.phraseIdentity).newestManifest(f.names(), f.source(),
                Optional.of(second.ref())));
        assertEquals(first.ref(), f.reader(f.phraseIdentity).newestManifest(f.names(), f.source(), Optional.empty()));
    }

    @Test
    void aManifestWhoseChainDoesNotMeetItsPredecessorIsRefused() {
        f.write(1);
        Backup first = f.backup();
        f.write(1);
        Backup second = f.backup();
        // Another first manifest replaces the real one: the second no longer chains to what the target holds.
        f.target.remove(first.ref().name());
        f.previous = Optional.empty();
        Backup forged = f.backup();
        f.target.remove(second.ref().name());
        f.put(second);
        assertEquals(second.ref().name(), refused(Problem.BROKEN_CHAIN, () -> f.reader(f.phraseIdentity)
                .newestManifest(f.names(), f.source(), Optional.empty())).objectName());
        // And a reader that remembers the real first manifest refuses the rewritten one outright.
        f.target.remove(second.ref().name());
        refused(Problem.BROKEN_CHAIN, () -> f.reader(f.phraseIdentity).newestManifest(f.names(), f.source(),
                Optional.of(first.ref())));
        assertEquals(forged.ref(), f.reader(f.phraseIdentity).newestManifest(f.names(), f.source(),
                Optional.empty()));
    }

    @Test
    void aManifestSignedByAnotherKeyThanItsWritersIsRefused() {
        f.write(1);
        Backup b = f.backup();
        byte[] plain = Frames.manifest(f.agent, b.manifest(), SigningKey.fromSeed(BackupFixture.filled(55)));
        byte[] ct = AgeCrypto.encrypt(plain, List.of(f.phraseIdentity.recipient()));
        String name = ObjectName.manifest(1, BackupObject.sha256(ct));
        f.target.put(name, ct);
        assertEquals(name, refused(Problem.BAD_SIGNATURE, () -> f.reader(f.phraseIdentity).openManifest(name, ct))
                .objectName());
    }

    @Test
    void aManifestByARevokedNodeIsRefused() {
        f.write(1);
        Backup b = f.backup();
        NodeRevocation r = NodeRevocation.issue(f.root, f.node.verifyingKey(), BackupFixture.NOW, "stolen",
                List.of());
        BackupReader reader = new BackupReader(f.root.verifyingKey(), List.of(f.phraseIdentity), List.of(r));
        refused(Problem.REVOKED, () -> reader.verify(b.ref(), f.source()));
    }

    @Test
    void aChangeWithABrokenSignatureIsRefusedNamingItsSegment() {
        f.write(2);
        SignedChange good = f.changes.get(1);
        byte[] sig = good.signature();
        sig[0] ^= 1;
        f.changes.set(1, new SignedChange(good.signerKey(), good.incarnation(), good.actor(), good.seq(),
                good.bytes(), sig));
        Backup b = f.backup();
        BackupFormatException e = refused(Problem.BAD_SIGNATURE, () -> f.reader(f.phraseIdentity).verify(b.ref(),
                f.source()));
        assertEquals(b.newObjects().get(0).name(), e.objectName());
        assertTrue(e.getMessage().contains(", 2)"), e.getMessage());
    }

    @Test
    void ofSeveralBrokenSignaturesAcrossVerificationBatchesTheFirstIsNamed() {
        int n = 3 * ParallelChecks.BATCH_ITEMS;
        f.write(n);
        for (int seq : new int[]{ParallelChecks.BATCH_ITEMS + 5, 2 * ParallelChecks.BATCH_ITEMS + 9, n}) {
            SignedChange good = f.changes.get(seq - 1);
            byte[] sig = good.signature();
            sig[0] ^= 1;
            f.changes.set(seq - 1, new SignedChange(good.signerKey(), good.incarnation(), good.actor(), good.seq(),
                    good.bytes(), sig));
        }
        Backup b = f.backup();
        BackupFormatException e = refused(Problem.BAD_SIGNATURE, () -> f.reader(f.phraseIdentity).verify(b.ref(),
                f.source()));
        assertTrue(e.getMessage().contains(", " + (ParallelChecks.BATCH_ITEMS + 5) + ")"), e.getMessage());
    }

    @Test
    void thePlanAddsOnlyChangesAboveTheNewestManifest() {
        f.write(3);
        assertEquals(List.of(new BackupPlan.Range(f.actor(), 1, 3)), BackupPlan.newChanges(f.storeVv(),
                Optional.empty()));
        Backup b = f.backup();
        assertEquals(List.of(), BackupPlan.newChanges(f.storeVv(), Optional.of(b.manifest())));
        f.write(4);
        assertEquals(List.of(new BackupPlan.Range(f.actor(), 4, 7)), BackupPlan.newChanges(f.storeVv(),
                Optional.of(b.manifest())));
        // A store behind the backup (restored from an older one) adds nothing for that actor.
        assertEquals(List.of(), BackupPlan.newChanges(new VersionVector(Map.of(f.actor(), 2L)),
                Optional.of(b.manifest())));
    }

    @Test
    void theWriterRefusesChangesThatDoNotContinueTheTarget() {
        f.write(3);
        f.backup();
        f.write(2);
        assertThrows(IllegalArgumentException.class, () -> BackupWriter.write(f.request(f.changes.subList(4, 5),
                Optional.empty())));
    }

    @Test
    void everyBackupMustOpenWithThePhrase() {
        f.write(1);
        List<RecipientGrant> opsOnly = List.of(RecipientGrant.operational(f.root.verifyingKey(), f.node, f.backupKey));
        assertThrows(IllegalArgumentException.class, () -> BackupWriter.write(new BackupWriter.Request(f.node,
                f.cert, BackupFixture.NOW, Optional.empty(), f.changes, f.heads(), f.identity(List.of()),
                Optional.empty(), opsOnly, BackupWriter.DEFAULT_SEGMENT_BYTES)));
    }

    @Test
    void aPhraseRecipientNotGrantedByTheRootKeyIsRefused() {
        f.write(1);
        RecipientGrant good = RecipientGrant.phrase(f.root);
        byte[] sig = good.signature();
        sig[3] ^= 1;
        RecipientGrant forged = new RecipientGrant(good.kind(), good.agentRootKey(), good.signer(),
                f.opsIdentity.recipient(), good.signature());
        for (RecipientGrant bad : List.of(forged, new RecipientGrant(good.kind(), good.agentRootKey(), good.signer(),
                good.recipient(), sig))) {
            assertEquals(io.agentmesh.protocol.identity.IdentityException.Reason.BAD_SIGNATURE,
                    assertThrows(io.agentmesh.protocol.identity.IdentityException.class,
                            () -> BackupWriter.write(new BackupWriter.Request(f.node, f.cert, BackupFixture.NOW,
                                    Optional.empty(), f.changes, f.heads(), f.identity(List.of()), Optional.empty(),
                                    List.of(bad), BackupWriter.DEFAULT_SEGMENT_BYTES))).reason());
        }
        assertEquals(good, RecipientGrant.fromBytes(good.toBytes()));
    }

    @Test
    void anOperationalRecipientOfARevokedNodeIsRefused() {
        f.write(1);
        NodeRevocation r = NodeRevocation.issue(f.root, f.node.verifyingKey(), BackupFixture.NOW, "gone", List.of());
        assertThrows(io.agentmesh.protocol.identity.IdentityException.class, () -> BackupWriter.write(
                new BackupWriter.Request(f.node, f.cert, BackupFixture.NOW, Optional.empty(), f.changes, f.heads(),
                        f.identity(List.of(r)), Optional.empty(), f.grants(), BackupWriter.DEFAULT_SEGMENT_BYTES)));
    }

    @Test
    void objectNamesFollowTheTargetContract() {
        f.write(2);
        Backup b = f.backup();
        for (BackupObject o : b.newObjects()) {
            assertTrue(o.name().length() <= BackupObject.MAX_NAME_CHARS);
            assertTrue(o.name().matches("[a-z0-9._/-]+"), o.name());
            assertEquals(BackupObject.sha256(o.bytes()), ObjectName.parse(o.name()).orElseThrow().sha256());
        }
        assertThrows(IllegalArgumentException.class, () -> new BackupObject("seg/../x", new byte[1]));
        assertThrows(IllegalArgumentException.class, () -> new BackupObject("seg//x", new byte[1]));
        assertTrue(ObjectName.parse("seg/").isEmpty(), "directory placeholders are no objects");
    }
}
