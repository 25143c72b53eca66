package io.agentmesh.node.actions;

import io.agentmesh.node.actions.JournalOp.Claim;
import io.agentmesh.node.actions.JournalOp.Complete;
import io.agentmesh.node.actions.JournalOp.NewTerm;
import io.agentmesh.node.actions.JournalOp.Prepare;
import io.agentmesh.node.actions.JournalResult.Reason;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.agentmesh.node.consensus.RaftCodec;
class ActionJournalTest {
    private final ActionJournal journal = new ActionJournal(100);
    private long index;

    private Object apply(JournalOp op) {
        return journal.runOperation(++index, op);
    }

    private JournalResult.Claimed claimed(Object r) {
        return assertInstanceOf(JournalResult.Claimed.class, r);
    }

    private void rejected(Reason reason, Object r) {
        assertEquals(reason, assertInstanceOf(JournalResult.Rejected.class, r).reason());
    }

    @Test
    void aFreshClaimIsGrantedWithTermAndCommitIndexAsToken() {
        JournalResult.Claimed c = claimed(apply(new Claim("i1", "job", "a", 3)));
        assertEquals(new FencingToken(3, 1), c.entry().claim());
        assertEquals("a", c.entry().holder());
        assertTrue(c.previous().isEmpty());
        assertEquals(1, journal.openClaimCount());
    }

    @Test
    void onlyANewerTermTakesOverAnUncompletedClaimAndIsToldWhatItReplaced() {
        apply(new Claim("i1", "job", "a", 3));
        rejected(Reason.CLAIM_HELD, apply(new Claim("i1", "job", "b", 3)));
        rejected(Reason.CLAIM_HELD, apply(new Claim("i1", "job", "b", 2)));
        JournalResult.Claimed c = claimed(apply(new Claim("i1", "job", "b", 4)));
        assertEquals("a", c.previous().orElseThrow().holder());
        assertEquals(new FencingToken(3, 1), c.previous().get().claim());
        assertEquals(new FencingToken(4, 4), c.entry().claim());
        assertEquals(2, c.entry().claims());
        assertEquals(1, journal.openClaimCount());
    }

    @Test
    void prepareAndCompleteNeedTheCurrentToken() {
        FencingToken a = claimed(apply(new Claim("i1", "wallet", "a", 1))).entry().claim();
        rejected(Reason.NOT_CLAIMED, apply(new Prepare("nope", a, new byte[] {1})));
        rejected(Reason.NOT_HOLDER, apply(new Prepare("i1", new FencingToken(1, 99), new byte[] {1})));
        assertInstanceOf(JournalResult.Prepared.class, apply(new Prepare("i1", a, new byte[] {1, 2})));
        // Idempotent for the same bytes, refused for others: a wallet must never sign two different transactions.
        assertInstanceOf(JournalResult.Prepared.class, apply(new Prepare("i1", a, new byte[] {1, 2})));
        rejected(Reason.ALREADY_PREPARED, apply(new Prepare("i1", a, new byte[] {9})));

        FencingToken b = claimed(apply(new Claim("i1", "wallet", "b", 2))).entry().claim();
        assertArrayEquals(new byte[] {1, 2}, journal.entry("i1").orElseThrow().preparedData().orElseThrow(),
                "prepared data survives a re-claim, for the new holder to reconcile with");
        rejected(Reason.NOT_HOLDER, apply(new Complete("i1", a, "succeeded", "late", 0)));
        JournalResult.Completed done = assertInstanceOf(JournalResult.Completed.class,
                apply(new Complete("i1", b, "succeeded", "tx 0xabc", 42)));
        assertEquals("tx 0xabc", done.entry().completion().result());
        assertEquals(index, done.entry().completion().index());
        rejected(Reason.ALREADY_COMPLETED, apply(new Complete("i1", b, "succeeded", "again", 43)));
        rejected(Reason.ALREADY_COMPLETED, apply(new Claim("i1", "wallet", "c", 9)));
        rejected(Reason.ALREADY_COMPLETED, apply(new Prepare("i1", b, new byte[] {1, 2})));
        assertEquals(0, journal.openClaimCount());
        assertEquals(1, journal.completedCount());
    }

    @Test
    void oldCompletionsShrinkToTombstonesThatStillRefuseClaims() {
        ActionJournal small = new ActionJournal(3);
        long i = 0;
        for (int n = 0; n < 5; n++) {
            String id = "i" + n;
            JournalResult.Claimed c = (JournalResult.Claimed) small.runOperation(++i, new Claim(id, "job", "a", 1));
            small.runOperation(++i, new Complete(id, c.entry().claim(), "succeeded", "r" + n, n));
        }
        assertEquals(2, small.tombstoneCount());
        assertEquals(5, small.completedCount());
        assertTrue(small.isTombstoned("i0") && small.isTombstoned("i1"));
        assertTrue(small.entry("i0").isEmpty());
        assertTrue(small.entry("i4").orElseThrow().isCompleted());
        JournalResult.Rejected r = (JournalResult.Rejected) small.runOperation(++i, new Claim("i0", "job", "b", 7));
        assertEquals(Reason.COMPACTED, r.reason());
    }

    @Test
    void newTermAndForeignOperationsChangeNothing() {
        assertNull(apply(NewTerm.INSTANCE));
        assertEquals(NewTerm.INSTANCE, journal.getNewTermOperation());
        assertInstanceOf(IllegalArgumentException.class, journal.runOperation(++index, "not an op"));
        assertTrue(journal.entries().isEmpty());
        assertEquals(index, journal.lastApplied());
    }

    @Test
    void snapshotsRoundTripThroughTheCodecAndInstallToTheSameState() {
        ActionJournal source = new ActionJournal(250);
        Random random = new Random(5);
        long i = 0;
        for (int n = 0; n < 700; n++) {
            String id = String.format("intent-%04d", n);
            JournalResult.Claimed c = (JournalResult.Claimed) source.runOperation(++i,
                    new Claim(id, n % 2 == 0 ? "job" : "wallet", "node-" + (n % 3), 1 + n / 100));
            if (random.nextBoolean()) {
                source.runOperation(++i, new Prepare(id, c.entry().claim(), new byte[] {(byte) n}));
            }
            if (n % 5 != 0) {
                source.runOperation(++i, new Complete(id, c.entry().claim(), "succeeded", "r" + n, n));
            }
        }
        List<Object> chunks = new ArrayList<>();
        source.takeSnapshot(i, chunks::add);
        assertTrue(chunks.size() > 2, "chunked: " + chunks.size());
        List<Object> again = new ArrayList<>();
        source.takeSnapshot(i, again::add);
        assertEquals(chunks, again, "chunking is deterministic");

        RaftCodec codec = new RaftCodec();
        List<Object> decoded = new ArrayList<>();
        for (Object chunk : chunks) {
            decoded.add(codec.decodeOperation(codec.encodeOperation(chunk)));
        }
        ActionJournal target = new ActionJournal(250);
        target.runOperation(1, new Claim("stale", "job", "x", 1)); // replaced by the install
        target.installSnapshot(i, decoded);
        assertEquals(source.entries(), target.entries());
        assertEquals(source.tombstoneCount(), target.tombstoneCount());
        assertEquals(source.completedCount(), target.completedCount());
        assertEquals(source.openClaimCount(), target.openClaimCount());
        assertEquals(source.openEntries(), target.openEntries());
        assertEquals(source.completedByStatus(), target.completedByStatus());
        assertEquals(i, target.lastApplied());
        assertFalse(target.entry("stale").isPresent());
        // Both go on identically.
        Object a = source.runOperation(i + 1, new Claim("intent-0000", "job", "z", 99));
        Object b = target.runOperation(i + 1, new Claim("intent-0000", "job", "z", 99));
        assertEquals(a, b);
    }

    @Test
    void resultsFitTheCrdtOutcomeLimitInUtf8Bytes() {
        String big = "\u00e9".repeat(JournalOp.MAX_RESULT_BYTES); // two bytes each
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new Complete("i", new FencingToken(1, 1), "succeeded", big, 0));
        ActionResult cut = ActionResult.succeeded(big + "\uD83D\uDE00");
        int bytes = cut.result().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        assertTrue(bytes <= JournalOp.MAX_RESULT_BYTES && cut.result().endsWith("[result truncated]"), "" + bytes);
        new Complete("i", new FencingToken(1, 1), cut.status(), cut.result(), 0); // accepted
        assertEquals("short", ActionResult.failed("short").result());
    }

    @Test
    void anEmptyJournalSnapshotsAsOneEmptyChunk() {
        List<Object> chunks = new ArrayList<>();
        journal.takeSnapshot(0, chunks::add);
        assertEquals(List.of(new JournalSnapshotChunk(List.of(), List.of())), chunks);
    }

    @Test
    void openEntriesListWhatIsClaimedAndNotCompleted() {
        JournalResult.Claimed a = claimed(apply(new Claim("a", "job", "n1", 1)));
        claimed(apply(new Claim("b", "job", "n1", 1)));
        apply(new Complete("a", a.entry().claim(), "succeeded", "", 0));
        JournalResult.Claimed b2 = claimed(apply(new Claim("b", "job", "n2", 2)));
        assertEquals(List.of(b2.entry()), journal.openEntries(), "a re-claimed entry is listed once, as it is now");
        apply(new Complete("b", b2.entry().claim(), "uncertain", "", 0));
        assertEquals(List.of(), journal.openEntries());
        assertEquals(0, journal.openClaimCount());
    }

    @Test
    void completionsCountByStatusWithAnOlderVersionsFailedUncertainCountedAsUncertain() {
        String[][] completions = {{"succeeded", "ok"}, {"failed", "disk full"}, {"uncertain", "died"},
                {"failed", "uncertain: the previous leader started this job and died before reporting"}};
        for (int n = 0; n < completions.length; n++) {
            JournalResult.Claimed c = claimed(apply(new Claim("i" + n, "job", "n1", 1)));
            apply(new Complete("i" + n, c.entry().claim(), completions[n][0], completions[n][1], 0));
        }
        assertEquals(java.util.Map.of("succeeded", 1L, "failed", 1L, "uncertain", 2L), journal.completedByStatus());
    }

    @Test
    void anActionResultIsSucceededFailedOrUncertainAndNothingElse() {
        assertEquals("uncertain", ActionResult.uncertain("the holder died").status());
        for (String bad : new String[] {"ok", "", "Succeeded", "uncertain:"}) {
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> new ActionResult(bad, "r"), bad);
        }
    }
}
