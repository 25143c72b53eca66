package io.agentmesh.node.consensus;

import io.agentmesh.node.actions.FencingToken;
import io.agentmesh.node.actions.JournalEntry;
import io.agentmesh.node.actions.JournalOp.Claim;
import io.agentmesh.node.actions.JournalOp.Complete;
import io.agentmesh.node.actions.JournalOp.NewTerm;
import io.agentmesh.node.actions.JournalOp.Prepare;
import io.agentmesh.node.actions.JournalSnapshotChunk;
import io.microraft.MembershipChangeMode;
import io.microraft.model.RaftModelFactory;
import io.microraft.model.log.LogEntry;
import io.microraft.model.log.RaftGroupMembersView;
import io.microraft.model.log.SnapshotChunk;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Pins the bytes of consensus messages and of what the Raft store keeps (log entries, snapshot chunks, member views,
 * operations). Nodes of different versions exchange these, and a restarted node reads the log it wrote before, so
 * the layout must never change by accident.
 */
class RaftCodecBytesTest {
    static final RaftCodec CODEC = new RaftCodec();
    static final RaftModelFactory F = CODEC.modelFactory();
    static final MeshEndpoint A = new MeshEndpoint("node-a");
    static final MeshEndpoint B = new MeshEndpoint("node-b");
    static final MeshEndpoint C = new MeshEndpoint("node-\u00e9");

    static JournalSnapshotChunk journalChunk() {
        JournalEntry done = new JournalEntry("i-1", "job", "node-a", new FencingToken(3, 7), new byte[] {1, 2, 3},
                new JournalEntry.Completion("succeeded", "ok", 1_700_000_000_123L, 9), 2);
        JournalEntry open = new JournalEntry("i-2", "wallet", "node-b", new FencingToken(4, 12), null, null, 1);
        return new JournalSnapshotChunk(List.of(done, open), List.of("old-1"));
    }

    static RaftGroupMembersView view() {
        return F.createRaftGroupMembersViewBuilder().setLogIndex(77).setMembers(List.of(B, A, C))
                .setVotingMembers(List.of(B, C)).build();
    }

    static SnapshotChunk chunk() {
        return F.createSnapshotChunkBuilder().setIndex(90).setTerm(4).setSnapshotChunkIndex(0)
                .setSnapshotChunkCount(2).setOperation(journalChunk()).setGroupMembersView(view()).build();
    }

    static Map<String, Object> operations() {
        Map<String, Object> ops = new LinkedHashMap<>();
        ops.put("claim", new Claim("intent-1", "job", "node-a", 5));
        ops.put("prepare", new Prepare("intent-1", new FencingToken(5, 17), "tx".getBytes(StandardCharsets.UTF_8)));
        ops.put("complete", new Complete("intent-1", new FencingToken(5, 17), "succeeded", "{\"a\":1}",
                1_700_000_000_000L));
        ops.put("new-term", NewTerm.INSTANCE);
        ops.put("update-members", F.createUpdateRaftGroupMembersOpBuilder().setMembers(List.of(A, B, C))
                .setVotingMembers(List.of(A, C)).setEndpoint(B).setMode(MembershipChangeMode.REMOVE_MEMBER).build());
        return ops;
    }

    static Map<String, byte[]> encodings() {
        Map<String, byte[]> out = new LinkedHashMap<>();
        LogEntry claimEntry = F.createLogEntryBuilder().setIndex(40).setTerm(7)
                .setOperation(operations().get("claim")).build();
        LogEntry termEntry = F.createLogEntryBuilder().setIndex(41).setTerm(7).setOperation(NewTerm.INSTANCE).build();
        out.put("append-entries-request", CODEC.encodeMessage(F.createAppendEntriesRequestBuilder().setGroupId("g")
                .setSender(A).setTerm(7).setPreviousLogTerm(6).setPreviousLogIndex(39).setCommitIndex(38)
                .setLogEntries(List.of(claimEntry, termEntry)).setQuerySequenceNumber(11)
                .setFlowControlSequenceNumber(12).build()));
        out.put("append-entries-success", CODEC.encodeMessage(F.createAppendEntriesSuccessResponseBuilder()
                .setGroupId("g").setSender(B).setTerm(7).setLastLogIndex(41).setQuerySequenceNumber(11)
                .setFlowControlSequenceNumber(12).build()));
        out.put("append-entries-failure", CODEC.encodeMessage(F.createAppendEntriesFailureResponseBuilder()
                .setGroupId("g").setSender(B).setTerm(7).setExpectedNextIndex(30).setQuerySequenceNumber(11)
                .setFlowControlSequenceNumber(12).build()));
        out.put("install-snapshot-request", CODEC.encodeMessage(F.createInstallSnapshotRequestBuilder()
                .setGroupId("g").setSender(A).setTerm(7).setSenderLeader(true).setSnapshotTerm(4)
                .setSnapshotIndex(90).setTotalSnapshotChunkCount(2).setSnapshotChunk(chunk())
                .setSnapshottedMembers(List.of(A, B)).setGroupMembersView(view()).setQuerySequenceNumber(3)
                .setFlowControlSequenceNumber(4).build()));
        out.put("install-snapshot-request-bare", CODEC.encodeMessage(F.createInstallSnapshotRequestBuilder()
                .setGroupId("g").setSender(A).setTerm(7).setSenderLeader(false).setSnapshotTerm(4)
                .setSnapshotIndex(90).setTotalSnapshotChunkCount(2).setSnapshotChunk(null)
                .setSnapshottedMembers(List.of()).setGroupMembersView(null).setQuerySequenceNumber(3)
                .setFlowControlSequenceNumber(4).build()));
        out.put("install-snapshot-response", CODEC.encodeMessage(F.createInstallSnapshotResponseBuilder()
                .setGroupId("g").setSender(B).setTerm(7).setSnapshotIndex(90).setRequestedSnapshotChunkIndex(1)
                .setQuerySequenceNumber(3).setFlowControlSequenceNumber(4).build()));
        out.put("pre-vote-request", CODEC.encodeMessage(F.createPreVoteRequestBuilder().setGroupId("g").setSender(C)
                .setTerm(8).setLastLogTerm(7).setLastLogIndex(41).build()));
        out.put("pre-vote-response", CODEC.encodeMessage(F.createPreVoteResponseBuilder().setGroupId("g")
                .setSender(A).setTerm(7).setGranted(true).build()));
        out.put("vote-request", CODEC.encodeMessage(F.createVoteRequestBuilder().setGroupId("g").setSender(C)
                .setTerm(8).setLastLogTerm(7).setLastLogIndex(41).setSticky(true).build()));
        out.put("vote-response", CODEC.encodeMessage(F.createVoteResponseBuilder().setGroupId("g").setSender(A)
                .setTerm(8).setGranted(false).build()));
        out.put("trigger-leader-election", CODEC.encodeMessage(F.createTriggerLeaderElectionRequestBuilder()
                .setGroupId("g").setSender(A).setTerm(8).setLastLogTerm(7).setLastLogIndex(41).build()));
        operations().forEach((name, op) -> out.put("log-entry-" + name,
                CODEC.encodeLogEntry(F.createLogEntryBuilder().setIndex(5).setTerm(2).setOperation(op).build())));
        out.put("operation-complete", CODEC.encodeOperation(operations().get("complete")));
        out.put("operation-journal-chunk", CODEC.encodeOperation(journalChunk()));
        out.put("snapshot-chunk", CODEC.encodeSnapshotChunk(chunk()));
        out.put("members-view", CODEC.encodeMembersView(view()));
        out.put("endpoint", CODEC.encodeEndpoint(C));
        return out;
    }

    static final Map<String, String> PINNED = Map.ofEntries(
            Map.entry("append-entries-request", "01010000000167000000066e6f64652d610000000700000006000000000000002700"
                    + "00000000000026000000020000000000000028000000070100000008696e74656e742d31000000036a6f6200000006"
                    + "6e6f64652d61000000000000000500000000000000290000000704000000000000000b000000000000000c"),
            Map.entry("append-entries-success", "01020000000167000000066e6f64652d620000000700000000000000290000000000"
                    + "00000b000000000000000c"),
            Map.entry("append-entries-failure", "01030000000167000000066e6f64652d6200000007000000000000001e0000000000"
                    + "00000b000000000000000c"),
            Map.entry("install-snapshot-request", "01040000000167000000066e6f64652d6100000007010000000400000000000000"
                    + "5a0000000201000000000000005a000000040000000000000002060000000200000003692d31000000036a6f620000"
                    + "00066e6f64652d61000000000000000300000000000000070000000201000000030102030100000009737563636565"
                    + "646564000000026f6b0000018bcfe5687b000000000000000900000003692d320000000677616c6c6574000000066e"
                    + "6f64652d620000000000000004000000000000000c00000001000000000001000000056f6c642d3100000000000000"
                    + "4d00000003000000066e6f64652d62000000066e6f64652d61000000076e6f64652dc3a900000002000000066e6f64"
                    + "652d62000000076e6f64652dc3a900000002000000066e6f64652d61000000066e6f64652d6201000000000000004d"
                    + "00000003000000066e6f64652d62000000066e6f64652d61000000076e6f64652dc3a900000002000000066e6f6465"
                    + "2d62000000076e6f64652dc3a900000000000000030000000000000004"),
            Map.entry("install-snapshot-request-bare", "01040000000167000000066e6f64652d6100000007000000000400000000"
                    + "0000005a0000000200000000000000000000000000030000000000000004"),
            Map.entry("install-snapshot-response", "01050000000167000000066e6f64652d6200000007000000000000005a000000"
                    + "0100000000000000030000000000000004"),
            Map.entry("pre-vote-request", "01060000000167000000076e6f64652dc3a900000008000000070000000000000029"),
            Map.entry("pre-vote-response", "01070000000167000000066e6f64652d610000000701"),
            Map.entry("vote-request", "01080000000167000000076e6f64652dc3a90000000800000007000000000000002901"),
            Map.entry("vote-response", "01090000000167000000066e6f64652d610000000800"),
            Map.entry("trigger-leader-election", "010a0000000167000000066e6f64652d6100000008000000070000000000000029"),
            Map.entry("log-entry-claim", "01200000000000000005000000020100000008696e74656e742d31000000036a6f62000000"
                    + "066e6f64652d610000000000000005"),
            Map.entry("log-entry-prepare", "01200000000000000005000000020200000008696e74656e742d31000000000000000500"
                    + "00000000000011000000027478"),
            Map.entry("log-entry-complete", "01200000000000000005000000020300000008696e74656e742d31000000000000000500"
                    + "0000000000001100000009737563636565646564000000077b2261223a317d0000018bcfe56800"),
            Map.entry("log-entry-new-term", "012000000000000000050000000204"),
            Map.entry("log-entry-update-members", "01200000000000000005000000020500000003000000066e6f64652d6100000006"
                    + "6e6f64652d62000000076e6f64652dc3a900000002000000066e6f64652d61000000076e6f64652dc3a9000000066e"
                    + "6f64652d6202"),
            Map.entry("operation-complete", "01240300000008696e74656e742d31000000000000000500000000000000110000000973"
                    + "7563636565646564000000077b2261223a317d0000018bcfe56800"),
            Map.entry("operation-journal-chunk", "0124060000000200000003692d31000000036a6f62000000066e6f64652d610000"
                    + "00000000000300000000000000070000000201000000030102030100000009737563636565646564000000026f6b00"
                    + "00018bcfe5687b000000000000000900000003692d320000000677616c6c6574000000066e6f64652d620000000000"
                    + "000004000000000000000c00000001000000000001000000056f6c642d31"),
            Map.entry("snapshot-chunk", "0121000000000000005a000000040000000000000002060000000200000003692d3100000003"
                    + "6a6f62000000066e6f64652d6100000000000000030000000000000007000000020100000003010203010000000973"
                    + "7563636565646564000000026f6b0000018bcfe5687b000000000000000900000003692d320000000677616c6c6574"
                    + "000000066e6f64652d620000000000000004000000000000000c00000001000000000001000000056f6c642d310000"
                    + "00000000004d00000003000000066e6f64652d62000000066e6f64652d61000000076e6f64652dc3a9000000020000"
                    + "00066e6f64652d62000000076e6f64652dc3a9"),
            Map.entry("members-view", "0122000000000000004d00000003000000066e6f64652d62000000066e6f64652d61000000076e"
                    + "6f64652dc3a900000002000000066e6f64652d62000000076e6f64652dc3a9"),
            Map.entry("endpoint", "0123000000076e6f64652dc3a9"));

    @Test
    void everyConsensusFormatEncodesToItsPinnedBytes() {
        Map<String, byte[]> encodings = encodings();
        assertEquals(PINNED.keySet(), encodings.keySet());
        encodings.forEach((name, bytes) -> assertPinned(PINNED.get(name), bytes, name));
    }

    @Test
    void pinnedBytesDecodeAndEncodeBackUnchanged() {
        PINNED.forEach((name, hex) -> {
            byte[] bytes = HexFormat.of().parseHex(hex);
            byte[] again;
            if (name.startsWith("log-entry-")) {
                again = CODEC.encodeLogEntry(CODEC.decodeLogEntry(bytes));
            } else if (name.startsWith("operation-")) {
                again = CODEC.encodeOperation(CODEC.decodeOperation(bytes));
            } else if (name.equals("snapshot-chunk")) {
                again = CODEC.encodeSnapshotChunk(CODEC.decodeSnapshotChunk(bytes));
            } else if (name.equals("members-view")) {
                again = CODEC.encodeMembersView(CODEC.decodeMembersView(bytes));
            } else if (name.equals("endpoint")) {
                again = CODEC.encodeEndpoint(CODEC.decodeEndpoint(bytes));
            } else {
                again = CODEC.encodeMessage(CODEC.decodeMessage(bytes));
            }
            assertEquals(hex, HexFormat.of().formatHex(again), name);
        });
    }

    @Test
    void membershipChangeModesKeepTheirPinnedCodes() {
        Map<MembershipChangeMode, Integer> pinned = Map.of(MembershipChangeMode.ADD_LEARNER, 0,
                MembershipChangeMode.ADD_OR_PROMOTE_TO_FOLLOWER, 1, MembershipChangeMode.REMOVE_MEMBER, 2);
        assertEquals(MembershipChangeMode.values().length, pinned.size(), "a new MicroRaft mode needs a code");
        pinned.forEach((mode, code) -> {
            byte[] bytes = CODEC.encodeOperation(F.createUpdateRaftGroupMembersOpBuilder().setMembers(List.of(A))
                    .setVotingMembers(List.of(A)).setEndpoint(A).setMode(mode).build());
            assertEquals(code, bytes[bytes.length - 1] & 0xff, mode.name());
        });
    }

    static void assertPinned(String expectedHex, byte[] actual, String what) {
        assertEquals(expectedHex, HexFormat.of().formatHex(actual), what + ": its encoding changed, but peers of"
                + " earlier versions and the Raft log on disk depend on it");
    }
}
