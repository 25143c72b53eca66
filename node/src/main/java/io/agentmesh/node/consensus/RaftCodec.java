package io.agentmesh.node.consensus;

import io.agentmesh.node.actions.AgentFence;
import io.agentmesh.node.actions.AdmittedIntentsSnapshot;
import io.agentmesh.node.actions.AgentFenceSnapshot;
import io.agentmesh.node.actions.FencingToken;
import io.agentmesh.node.actions.JournalEntry;
import io.agentmesh.node.actions.JournalOp.AgentRun;
import io.agentmesh.node.actions.JournalOp.Claim;
import io.agentmesh.node.actions.JournalOp.Complete;
import io.agentmesh.node.actions.JournalOp.NewTerm;
import io.agentmesh.node.actions.JournalOp.Prepare;
import io.agentmesh.node.actions.JournalOp;
import io.agentmesh.node.actions.JournalSnapshotChunk;
import io.agentmesh.node.llm.ledger.LedgerOp;
import io.agentmesh.node.llm.ledger.LedgerSnapshotChunk;
import io.agentmesh.node.wallet.ledger.WalletOp;
import io.agentmesh.node.wallet.ledger.WalletSnapshotChunk;
import io.agentmesh.protocol.bytes.BoundedReader;
import io.agentmesh.protocol.bytes.BoundedWriter;
import io.agentmesh.protocol.bytes.MalformedException;
import io.microraft.MembershipChangeMode;
import io.microraft.RaftEndpoint;
import io.microraft.model.RaftModelFactory;
import io.microraft.model.groupop.UpdateRaftGroupMembersOp;
import io.microraft.model.impl.DefaultRaftModelFactory;
import io.microraft.model.log.LogEntry;
import io.microraft.model.log.RaftGroupMembersView;
import io.microraft.model.log.SnapshotChunk;
import io.microraft.model.message.AppendEntriesFailureResponse;
import io.microraft.model.message.AppendEntriesRequest;
import io.microraft.model.message.AppendEntriesSuccessResponse;
import io.microraft.model.message.InstallSnapshotRequest;
import io.microraft.model.message.InstallSnapshotResponse;
import io.microraft.model.message.PreVoteRequest;
import io.microraft.model.message.PreVoteResponse;
import io.microraft.model.message.RaftMessage;
import io.microraft.model.message.TriggerLeaderElectionRequest;
import io.microraft.model.message.VoteRequest;
import io.microraft.model.message.VoteResponse;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Bytes for everything consensus sends or stores: the ten MicroRaft messages, log entries, snapshot chunks, member
 * views, endpoints and log operations (journal operations, agent runs, MicroRaft's membership change, journal
 * snapshot chunks and the snapshot's agent fence, the LLM call ledger's and the wallet ledger's operations and
 * snapshot chunks).
 *
 * <p>Format: a hand-written, fixed-layout binary form on {@link BoundedWriter}/{@link BoundedReader}: big-endian
 * fixed-width numbers, UTF-8 and byte strings with an i32 length prefix, counts as i32, one-byte type tags. Chosen
 * over CBOR because every field is known and typed; the layout makes strict decoding simple to state: each blob is
 * {@code [version 1][kind][body]}, the body must be consumed exactly, every count and length is bounded, numbers
 * MicroRaft treats as non-negative must be, booleans are 0 or 1, strings valid UTF-8. Anything else is a
 * {@link CodecException}; a decode never returns a half-built object. Member lists keep their order (MicroRaft's
 * member sets are insertion-ordered).
 *
 * <p>Objects are built with a {@link RaftModelFactory} (MicroRaft's default model unless told otherwise). Endpoints
 * must be {@link MeshEndpoint}s and group ids Strings. Stateless and thread-safe.
 */
public final class RaftCodec {
    public static final int FORMAT_VERSION = 1;

    static final int MAX_GROUP_ID_BYTES = 256;
    static final int MAX_ENDPOINT_BYTES = 4 * MeshEndpoint.MAX_ID_CHARS;
    static final int MAX_MEMBERS = 1024;
    static final int MAX_ENTRIES = 100_000;
    static final int MAX_TEXT_BYTES = JournalOp.MAX_RESULT_BYTES;
    /**
     * Largest encoding written. What is sent must also fit a wire frame; what is stored can be larger: a journal
     * snapshot chunk holds up to 256 entries with up to 64 KiB of prepared data and 64 KiB of result each (~32 MiB).
     */
    static final int MAX_ENCODED_BYTES = 64 * 1024 * 1024;

    // The shortest encoding of one item of each counted list, so a forged count is refused before any item is read.
    /** index i64, term i32, and an operation tag with no body ({@link NewTerm}). */
    static final int MIN_LOG_ENTRY_BYTES = Long.BYTES + Integer.BYTES + 1;
    /** A length-prefixed node id of at least one character. */
    static final int MIN_ENDPOINT_BYTES = Integer.BYTES + 1;
    /** Three empty length-prefixed texts, the claim token, the claim count and the two presence flags. */
    static final int MIN_JOURNAL_ENTRY_BYTES = 3 * Integer.BYTES + 2 * Long.BYTES + Integer.BYTES + 2;
    /** A length-prefixed intent id of at least one character. */
    static final int MIN_TOMBSTONE_BYTES = Integer.BYTES + 1;

    // Top-level kinds.
    static final int APPEND_ENTRIES_REQUEST = 1;
    static final int APPEND_ENTRIES_SUCCESS = 2;
    static final int APPEND_ENTRIES_FAILURE = 3;
    static final int INSTALL_SNAPSHOT_REQUEST = 4;
    static final int INSTALL_SNAPSHOT_RESPONSE = 5;
    static final int PRE_VOTE_REQUEST = 6;
    static final int PRE_VOTE_RESPONSE = 7;
    static final int VOTE_REQUEST = 8;
    static final int VOTE_RESPONSE = 9;
    static final int TRIGGER_LEADER_ELECTION = 10;
    static final int GROUP_QUERY = 11;
    static final int GROUP_INFO = 12;
    static final int LOG_ENTRY = 32;
    static final int SNAPSHOT_CHUNK = 33;
    static final int MEMBERS_VIEW = 34;
    static final int ENDPOINT = 35;
    static final int OPERATION = 36;

    // Operation tags.
    static final int OP_CLAIM = 1;
    static final int OP_PREPARE = 2;
    static final int OP_COMPLETE = 3;
    static final int OP_NEW_TERM = 4;
    static final int OP_UPDATE_MEMBERS = 5;
    static final int OP_SNAPSHOT_CHUNK = 6;
    /** A witness's snapshot: a count, nothing of the journal ({@link WitnessStateMachine.Snapshot}). */
    static final int OP_WITNESS_SNAPSHOT = 7;
    /** The leader starts the agent's process ({@link AgentRun}); its commit is the run's fence. */
    static final int OP_AGENT_RUN = 8;
    /** The journal snapshot's agent fence ({@link AgentFenceSnapshot}). */
    static final int OP_AGENT_FENCE_SNAPSHOT = 9;
    // The LLM call ledger's operations and snapshot chunks ({@link LedgerCodec}).
    static final int OP_LEDGER_OPEN = 10;
    static final int OP_LEDGER_ATTEMPT_START = 11;
    static final int OP_LEDGER_ATTEMPT_END = 12;
    static final int OP_LEDGER_CLOSE = 13;
    static final int OP_LEDGER_SETTLE = 14;
    static final int OP_LEDGER_SNAPSHOT_CHUNK = 15;
    // The wallet ledger's operations and snapshot chunks ({@link WalletCodec}).
    static final int OP_WALLET_SYNC = 16;
    static final int OP_WALLET_SET_POLICY = 17;
    static final int OP_WALLET_CLAIM = 18;
    static final int OP_WALLET_APPROVE = 19;
    static final int OP_WALLET_REJECT = 20;
    static final int OP_WALLET_EXPIRE = 21;
    static final int OP_WALLET_PREPARE = 22;
    static final int OP_WALLET_INCLUDED = 23;
    static final int OP_WALLET_REORGED = 24;
    static final int OP_WALLET_COMPLETE = 25;
    static final int OP_WALLET_FREEZE = 26;
    static final int OP_WALLET_UNFREEZE = 27;
    static final int OP_WALLET_SNAPSHOT_CHUNK = 28;
    /** A claim of an intent an agent run requested: {@link Claim} with the intent's fence and the leader's time. */
    static final int OP_FENCED_CLAIM = 29;
    /** {@link AgentRun} naming the run it supersedes and carrying that run's unclaimed intents over. */
    static final int OP_AGENT_RUN_CARRYING = 30;
    /** The journal snapshot's carried intents ({@link AdmittedIntentsSnapshot}). */
    static final int OP_ADMITTED_SNAPSHOT = 31;

    // Membership change modes, by name rather than ordinal(): a reordered enum in a later MicroRaft must not change
    // the bytes' meaning.
    static final int MODE_ADD_LEARNER = 0;
    static final int MODE_ADD_OR_PROMOTE_TO_FOLLOWER = 1;
    static final int MODE_REMOVE_MEMBER = 2;

    private final RaftModelFactory factory;

    public RaftCodec() {
        this(new DefaultRaftModelFactory());
    }

    public RaftCodec(RaftModelFactory factory) {
        this.factory = factory;
    }

    public RaftModelFactory modelFactory() {
        return factory;
    }

    // ------------------------------------------------------------------------------------------------ public API

    public byte[] encodeMessage(RaftMessage m) {
        return encode(w -> writeMessage(w, m));
    }

    public RaftMessage decodeMessage(byte[] data) {
        return decode(data, "consensus message", this::readMessage);
    }

    /**
     * A consensus payload as it arrives from a peer: a MicroRaft {@link RaftMessage} or a {@link GroupMessage}.
     *
     * @throws CodecException if it is neither
     */
    public Object decodePayload(byte[] data) {
        return decode(data, "consensus message", r -> {
            int kind = r.u8("message type");
            return kind == GROUP_QUERY || kind == GROUP_INFO ? readGroupMessage(r, kind) : readMessage(r, kind);
        });
    }

    public byte[] encodeGroupMessage(GroupMessage m) {
        return encode(w -> {
            switch (m) {
                case GroupMessage.Query q -> {
                    w.u8(GROUP_QUERY).text32(q.groupId());
                    writeEndpoint(w, q.sender());
                    writeEndpoints(w, q.founders());
                }
                case GroupMessage.Info i -> {
                    w.u8(GROUP_INFO).text32(i.groupId());
                    writeEndpoint(w, i.sender());
                    writeEndpoints(w, i.founders());
                    writeEndpoints(w, i.initialMembers());
                    writeEndpoints(w, i.members());
                    writeEndpoints(w, i.voters());
                    w.i64(i.membersIndex());
                }
            }
        });
    }

    private GroupMessage readGroupMessage(BoundedReader r, int kind) {
        String group = r.text32("groupId", MAX_GROUP_ID_BYTES);
        MeshEndpoint sender = readEndpoint(r);
        List<RaftEndpoint> founders = readEndpoints(r, "founders");
        if (kind == GROUP_QUERY) {
            return new GroupMessage.Query(group, sender, founders);
        }
        return new GroupMessage.Info(group, sender, founders, readEndpoints(r, "initialMembers"),
                readEndpoints(r, "members"), readEndpoints(r, "voters"), r.nonNegativeI64("membersIndex"));
    }

    public byte[] encodeLogEntry(LogEntry e) {
        return encode(w -> writeLogEntry(w.u8(LOG_ENTRY), e));
    }

    public LogEntry decodeLogEntry(byte[] data) {
        return decode(data, "log entry", r -> {
            expectKind(r, LOG_ENTRY);
            return readLogEntry(r);
        });
    }

    public byte[] encodeSnapshotChunk(SnapshotChunk c) {
        return encode(w -> writeSnapshotChunk(w.u8(SNAPSHOT_CHUNK), c));
    }

    public SnapshotChunk decodeSnapshotChunk(byte[] data) {
        return decode(data, "snapshot chunk", r -> {
            expectKind(r, SNAPSHOT_CHUNK);
            return readSnapshotChunk(r);
        });
    }

    public byte[] encodeMembersView(RaftGroupMembersView v) {
        return encode(w -> writeMembersView(w.u8(MEMBERS_VIEW), v));
    }

    public RaftGroupMembersView decodeMembersView(byte[] data) {
        return decode(data, "members view", r -> {
            expectKind(r, MEMBERS_VIEW);
            return readMembersView(r);
        });
    }

    public byte[] encodeEndpoint(RaftEndpoint e) {
        return encode(w -> writeEndpoint(w.u8(ENDPOINT), e));
    }

    public MeshEndpoint decodeEndpoint(byte[] data) {
        return decode(data, "endpoint", r -> {
            expectKind(r, ENDPOINT);
            return readEndpoint(r);
        });
    }

    /**
     * A log-entry operation ({@link JournalOp} or {@link UpdateRaftGroupMembersOp}), a {@link JournalSnapshotChunk}
     * or a witness's snapshot.
     */
    public byte[] encodeOperation(Object op) {
        return encode(w -> writeOperation(w.u8(OPERATION), op));
    }

    public Object decodeOperation(byte[] data) {
        return decode(data, "operation", r -> {
            expectKind(r, OPERATION);
            return readOperation(r, true, true);
        });
    }

    // ------------------------------------------------------------------------------------------------ framing

    private interface Body {
        void write(BoundedWriter w);
    }

    private static byte[] encode(Body body) {
        BoundedWriter w = new BoundedWriter(MAX_ENCODED_BYTES).u8(FORMAT_VERSION);
        try {
            body.write(w);
        } catch (CodecException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CodecException("cannot encode: " + e.getMessage(), e);
        }
        return w.toByteArray();
    }

    private static <T> T decode(byte[] data, String what, Function<BoundedReader, T> body) {
        if (data == null || data.length == 0) {
            throw new CodecException("empty " + what);
        }
        BoundedReader r = new BoundedReader(data);
        int version = r.u8("format version");
        if (version != FORMAT_VERSION) {
            throw new CodecException(what + ": unknown format version " + version + " (this node reads "
                    + FORMAT_VERSION + ")");
        }
        try {
            T value = body.apply(r);
            r.end();
            return value;
        } catch (CodecException | MalformedException e) {
            throw new CodecException("malformed " + what + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            // A record or builder refusing a value (IllegalArgumentException, NullPointerException): still malformed.
            throw new CodecException("malformed " + what + ": " + e, e);
        }
    }

    private static void expectKind(BoundedReader r, int kind) {
        int k = r.u8("type");
        if (k != kind) {
            throw new CodecException("expected type " + kind + ", got " + k);
        }
    }

    // ------------------------------------------------------------------------------------------------ messages

    private void writeMessage(BoundedWriter w, RaftMessage m) {
        switch (m) {
            case AppendEntriesRequest x -> {
                header(w, APPEND_ENTRIES_REQUEST, m);
                w.i32(x.getPreviousLogTerm()).i64(x.getPreviousLogIndex()).i64(x.getCommitIndex());
                List<LogEntry> entries = x.getLogEntries();
                w.i32(entries.size());
                for (LogEntry e : entries) {
                    writeLogEntry(w, e);
                }
                w.i64(x.getQuerySequenceNumber()).i64(x.getFlowControlSequenceNumber());
            }
            case AppendEntriesSuccessResponse x -> {
                header(w, APPEND_ENTRIES_SUCCESS, m);
                w.i64(x.getLastLogIndex()).i64(x.getQuerySequenceNumber()).i64(x.getFlowControlSequenceNumber());
            }
            case AppendEntriesFailureResponse x -> {
                header(w, APPEND_ENTRIES_FAILURE, m);
                w.i64(x.getExpectedNextIndex()).i64(x.getQuerySequenceNumber())
                        .i64(x.getFlowControlSequenceNumber());
            }
            case InstallSnapshotRequest x -> {
                header(w, INSTALL_SNAPSHOT_REQUEST, m);
                w.bool(x.isSenderLeader()).i32(x.getSnapshotTerm()).i64(x.getSnapshotIndex())
                        .i32(x.getTotalSnapshotChunkCount());
                w.bool(x.getSnapshotChunk() != null);
                if (x.getSnapshotChunk() != null) {
                    writeSnapshotChunk(w, x.getSnapshotChunk());
                }
                writeEndpoints(w, x.getSnapshottedMembers());
                w.bool(x.getGroupMembersView() != null);
                if (x.getGroupMembersView() != null) {
                    writeMembersView(w, x.getGroupMembersView());
                }
                w.i64(x.getQuerySequenceNumber()).i64(x.getFlowControlSequenceNumber());
            }
            case InstallSnapshotResponse x -> {
                header(w, INSTALL_SNAPSHOT_RESPONSE, m);
                w.i64(x.getSnapshotIndex()).i32(x.getRequestedSnapshotChunkIndex()).i64(x.getQuerySequenceNumber())
                        .i64(x.getFlowControlSequenceNumber());
            }
            case PreVoteRequest x -> {
                header(w, PRE_VOTE_REQUEST, m);
                w.i32(x.getLastLogTerm()).i64(x.getLastLogIndex());
            }
            case PreVoteResponse x -> {
                header(w, PRE_VOTE_RESPONSE, m);
                w.bool(x.isGranted());
            }
            case VoteRequest x -> {
                header(w, VOTE_REQUEST, m);
                w.i32(x.getLastLogTerm()).i64(x.getLastLogIndex()).bool(x.isSticky());
            }
            case VoteResponse x -> {
                header(w, VOTE_RESPONSE, m);
                w.bool(x.isGranted());
            }
            case TriggerLeaderElectionRequest x -> {
                header(w, TRIGGER_LEADER_ELECTION, m);
                w.i32(x.getLastLogTerm()).i64(x.getLastLogIndex());
            }
            default -> throw new CodecException("unsupported message type " + m.getClass().getName());
        }
    }

    private void header(BoundedWriter w, int kind, RaftMessage m) {
        if (!(m.getGroupId() instanceof String group)) {
            throw new CodecException("group ids are Strings, got " + m.getGroupId());
        }
        w.u8(kind).text32(group);
        writeEndpoint(w, m.getSender());
        w.i32(m.getTerm());
    }

    private RaftMessage readMessage(BoundedReader r) {
        return readMessage(r, r.u8("message type"));
    }

    private RaftMessage readMessage(BoundedReader r, int kind) {
        String group = r.text32("groupId", MAX_GROUP_ID_BYTES);
        MeshEndpoint sender = readEndpoint(r);
        int term = r.nonNegativeI32("term");
        return switch (kind) {
            case APPEND_ENTRIES_REQUEST -> {
                int prevTerm = r.nonNegativeI32("previousLogTerm");
                long prevIndex = r.nonNegativeI64("previousLogIndex");
                long commit = r.nonNegativeI64("commitIndex");
                int n = r.count32("logEntries", MAX_ENTRIES, MIN_LOG_ENTRY_BYTES);
                List<LogEntry> entries = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    entries.add(readLogEntry(r));
                }
                yield factory.createAppendEntriesRequestBuilder().setGroupId(group).setSender(sender).setTerm(term)
                        .setPreviousLogTerm(prevTerm).setPreviousLogIndex(prevIndex).setCommitIndex(commit)
                        .setLogEntries(Collections.unmodifiableList(entries))
                        .setQuerySequenceNumber(r.nonNegativeI64("querySequenceNumber"))
                        .setFlowControlSequenceNumber(r.nonNegativeI64("flowControlSequenceNumber")).build();
            }
            case APPEND_ENTRIES_SUCCESS -> factory.createAppendEntriesSuccessResponseBuilder().setGroupId(group)
                    .setSender(sender).setTerm(term).setLastLogIndex(r.nonNegativeI64("lastLogIndex"))
                    .setQuerySequenceNumber(r.nonNegativeI64("querySequenceNumber"))
                    .setFlowControlSequenceNumber(r.nonNegativeI64("flowControlSequenceNumber")).build();
            case APPEND_ENTRIES_FAILURE -> factory.createAppendEntriesFailureResponseBuilder().setGroupId(group)
                    .setSender(sender).setTerm(term).setExpectedNextIndex(r.nonNegativeI64("expectedNextIndex"))
                    .setQuerySequenceNumber(r.nonNegativeI64("querySequenceNumber"))
                    .setFlowControlSequenceNumber(r.nonNegativeI64("flowControlSequenceNumber")).build();
            case INSTALL_SNAPSHOT_REQUEST -> {
                boolean senderLeader = r.bool("senderLeader");
                int snapshotTerm = r.nonNegativeI32("snapshotTerm");
                long snapshotIndex = r.nonNegativeI64("snapshotIndex");
                int total = r.nonNegativeI32("totalSnapshotChunkCount");
                SnapshotChunk chunk = r.bool("hasSnapshotChunk") ? readSnapshotChunk(r) : null;
                List<RaftEndpoint> snapshotted = readEndpoints(r, "snapshottedMembers");
                RaftGroupMembersView view = r.bool("hasGroupMembersView") ? readMembersView(r) : null;
                yield factory.createInstallSnapshotRequestBuilder().setGroupId(group).setSender(sender).setTerm(term)
                        .setSenderLeader(senderLeader).setSnapshotTerm(snapshotTerm).setSnapshotIndex(snapshotIndex)
                        .setTotalSnapshotChunkCount(total).setSnapshotChunk(chunk).setSnapshottedMembers(snapshotted)
                        .setGroupMembersView(view)
                        .setQuerySequenceNumber(r.nonNegativeI64("querySequenceNumber"))
                        .setFlowControlSequenceNumber(r.nonNegativeI64("flowControlSequenceNumber")).build();
            }
            case INSTALL_SNAPSHOT_RESPONSE -> factory.createInstallSnapshotResponseBuilder().setGroupId(group)
                    .setSender(sender).setTerm(term).setSnapshotIndex(r.nonNegativeI64("snapshotIndex"))
                    .setRequestedSnapshotChunkIndex(r.nonNegativeI32("requestedSnapshotChunkIndex"))
                    .setQuerySequenceNumber(r.nonNegativeI64("querySequenceNumber"))
                    .setFlowControlSequenceNumber(r.nonNegativeI64("flowControlSequenceNumber")).build();
            case PRE_VOTE_REQUEST -> factory.createPreVoteRequestBuilder().setGroupId(group).setSender(sender)
                    .setTerm(term).setLastLogTerm(r.nonNegativeI32("lastLogTerm"))
                    .setLastLogIndex(r.nonNegativeI64("lastLogIndex")).build();
            case PRE_VOTE_RESPONSE -> factory.createPreVoteResponseBuilder().setGroupId(group).setSender(sender)
                    .setTerm(term).setGranted(r.bool("granted")).build();
            case VOTE_REQUEST -> factory.createVoteRequestBuilder().setGroupId(group).setSender(sender)
                    .setTerm(term).setLastLogTerm(r.nonNegativeI32("lastLogTerm"))
                    .setLastLogIndex(r.nonNegativeI64("lastLogIndex")).setSticky(r.bool("sticky")).build();
            case VOTE_RESPONSE -> factory.createVoteResponseBuilder().setGroupId(group).setSender(sender)
                    .setTerm(term).setGranted(r.bool("granted")).build();
            case TRIGGER_LEADER_ELECTION -> factory.createTriggerLeaderElectionRequestBuilder().setGroupId(group)
                    .setSender(sender).setTerm(term).setLastLogTerm(r.nonNegativeI32("lastLogTerm"))
                    .setLastLogIndex(r.nonNegativeI64("lastLogIndex")).build();
            default -> throw new CodecException("unknown message type " + kind);
        };
    }

    // ------------------------------------------------------------------------------------------------ model parts

    private void writeLogEntry(BoundedWriter w, LogEntry e) {
        w.i64(e.getIndex()).i32(e.getTerm());
        writeOperation(w, e.getOperation());
    }

    private LogEntry readLogEntry(BoundedReader r) {
        long index = r.nonNegativeI64("log entry index");
        int term = r.nonNegativeI32("log entry term");
        Object op = readOperation(r, true, false);
        return factory.createLogEntryBuilder().setIndex(index).setTerm(term).setOperation(op).build();
    }

    private void writeSnapshotChunk(BoundedWriter w, SnapshotChunk c) {
        w.i64(c.getIndex()).i32(c.getTerm()).i32(c.getSnapshotChunkIndex()).i32(c.getSnapshotChunkCount());
        writeOperation(w, c.getOperation());
        writeMembersView(w, c.getGroupMembersView());
    }

    private SnapshotChunk readSnapshotChunk(BoundedReader r) {
        long index = r.nonNegativeI64("snapshot index");
        int term = r.nonNegativeI32("snapshot term");
        int chunkIndex = r.nonNegativeI32("snapshotChunkIndex");
        int chunkCount = r.nonNegativeI32("snapshotChunkCount");
        if (chunkCount < 1 || chunkIndex >= chunkCount) {
            throw new CodecException("snapshot chunk " + chunkIndex + " of " + chunkCount + " is out of range");
        }
        Object op = readOperation(r, false, true);
        RaftGroupMembersView view = readMembersView(r);
        return factory.createSnapshotChunkBuilder().setIndex(index).setTerm(term).setSnapshotChunkIndex(chunkIndex)
                .setSnapshotChunkCount(chunkCount).setOperation(op).setGroupMembersView(view).build();
    }

    private void writeMembersView(BoundedWriter w, RaftGroupMembersView v) {
        w.i64(v.getLogIndex());
        writeEndpoints(w, v.getMembers());
        writeEndpoints(w, v.getVotingMembers());
    }

    private RaftGroupMembersView readMembersView(BoundedReader r) {
        long logIndex = r.nonNegativeI64("members view log index");
        List<RaftEndpoint> members = readEndpoints(r, "members");
        List<RaftEndpoint> voting = readEndpoints(r, "votingMembers");
        if (!new HashSet<>(members).containsAll(voting)) {
            throw new CodecException("voting members " + voting + " are not all members " + members);
        }
        return factory.createRaftGroupMembersViewBuilder().setLogIndex(logIndex).setMembers(members)
                .setVotingMembers(voting).build();
    }

    private static void writeEndpoint(BoundedWriter w, RaftEndpoint e) {
        if (!(e instanceof MeshEndpoint m)) {
            throw new CodecException("endpoints are MeshEndpoints, got " + (e == null ? "null" : e.getClass()));
        }
        w.text32(m.nodeId());
    }

    private static MeshEndpoint readEndpoint(BoundedReader r) {
        return new MeshEndpoint(r.text32("endpoint", MAX_ENDPOINT_BYTES));
    }

    private static void writeEndpoints(BoundedWriter w, Collection<RaftEndpoint> endpoints) {
        w.i32(endpoints.size());
        for (RaftEndpoint e : endpoints) {
            writeEndpoint(w, e);
        }
    }

    private static List<RaftEndpoint> readEndpoints(BoundedReader r, String field) {
        int n = r.count32(field, MAX_MEMBERS, MIN_ENDPOINT_BYTES);
        List<RaftEndpoint> out = new ArrayList<>(n);
        Set<RaftEndpoint> seen = new HashSet<>();
        for (int i = 0; i < n; i++) {
            MeshEndpoint e = readEndpoint(r);
            if (!seen.add(e)) {
                throw new CodecException(field + " lists " + e + " twice");
            }
            out.add(e);
        }
        return Collections.unmodifiableList(out);
    }

    // ------------------------------------------------------------------------------------------------ operations

    private void writeOperation(BoundedWriter w, Object op) {
        switch (op) {
            case Claim c when c.intentFence().isPresent() -> {
                w.u8(OP_FENCED_CLAIM).text32(c.intentId()).text32(c.kind()).text32(c.nodeId()).i64(c.term());
                writeToken(w, c.intentFence().get());
                w.i64(c.atMillis());
            }
            case Claim c -> w.u8(OP_CLAIM).text32(c.intentId()).text32(c.kind()).text32(c.nodeId()).i64(c.term());
            case Prepare p -> {
                w.u8(OP_PREPARE).text32(p.intentId());
                writeToken(w, p.token());
                w.bytes32(p.data());
            }
            case Complete c -> {
                w.u8(OP_COMPLETE).text32(c.intentId());
                writeToken(w, c.token());
                w.text32(c.status()).text32(c.result()).i64(c.completedMillis());
            }
            case NewTerm n -> w.u8(OP_NEW_TERM);
            case UpdateRaftGroupMembersOp u -> {
                w.u8(OP_UPDATE_MEMBERS);
                writeEndpoints(w, u.getMembers());
                writeEndpoints(w, u.getVotingMembers());
                writeEndpoint(w, u.getEndpoint());
                w.u8(switch (u.getMode()) {
                    case ADD_LEARNER -> MODE_ADD_LEARNER;
                    case ADD_OR_PROMOTE_TO_FOLLOWER -> MODE_ADD_OR_PROMOTE_TO_FOLLOWER;
                    case REMOVE_MEMBER -> MODE_REMOVE_MEMBER;
                    case null -> throw new CodecException("a membership change needs a mode");
                });
            }
            case JournalSnapshotChunk s -> {
                w.u8(OP_SNAPSHOT_CHUNK).i32(s.entries().size());
                for (JournalEntry e : s.entries()) {
                    writeJournalEntry(w, e);
                }
                w.i32(s.tombstones().size());
                for (String id : s.tombstones()) {
                    w.text32(id);
                }
            }
            case WitnessStateMachine.Snapshot s -> w.u8(OP_WITNESS_SNAPSHOT).i64(s.operationsApplied());
            case AgentRun a when a.supersedes().isPresent() -> {
                w.u8(OP_AGENT_RUN_CARRYING).text32(a.nodeId()).i64(a.term()).i64(a.stopGraceMs());
                FencingToken superseded = a.supersedes().get().tokenOrNull();
                w.bool(superseded != null);
                if (superseded != null) {
                    writeToken(w, superseded);
                }
                w.i32(a.carried().size());
                a.carried().forEach(w::text32);
            }
            case AgentRun a -> w.u8(OP_AGENT_RUN).text32(a.nodeId()).i64(a.term()).i64(a.stopGraceMs());
            case AdmittedIntentsSnapshot a -> {
                w.u8(OP_ADMITTED_SNAPSHOT).i32(a.intentIds().size());
                a.intentIds().forEach(w::text32);
            }
            case AgentFenceSnapshot f -> {
                w.u8(OP_AGENT_FENCE_SNAPSHOT).text32(f.fence().nodeId());
                writeToken(w, f.fence().token());
                w.i64(f.fence().stopGraceMs());
            }
            case LedgerOp.Open o -> LedgerCodec.writeOpen(w.u8(OP_LEDGER_OPEN), o);
            case LedgerOp.AttemptStart a -> LedgerCodec.writeAttemptStart(w.u8(OP_LEDGER_ATTEMPT_START), a);
            case LedgerOp.AttemptEnd e -> LedgerCodec.writeAttemptEnd(w.u8(OP_LEDGER_ATTEMPT_END), e);
            case LedgerOp.Close c -> LedgerCodec.writeClose(w.u8(OP_LEDGER_CLOSE), c);
            case LedgerOp.Settle st -> LedgerCodec.writeSettle(w.u8(OP_LEDGER_SETTLE), st);
            case LedgerSnapshotChunk l -> LedgerCodec.writeChunk(w.u8(OP_LEDGER_SNAPSHOT_CHUNK), l);
            case WalletOp.SyncChain x -> WalletCodec.writeSync(w.u8(OP_WALLET_SYNC), x);
            case WalletOp.SetPolicy x -> WalletCodec.writeSetPolicy(w.u8(OP_WALLET_SET_POLICY), x);
            case WalletOp.Claim x -> WalletCodec.writeClaim(w.u8(OP_WALLET_CLAIM), x);
            case WalletOp.Approve x -> WalletCodec.writeApprove(w.u8(OP_WALLET_APPROVE), x);
            case WalletOp.Reject x -> WalletCodec.writeReject(w.u8(OP_WALLET_REJECT), x);
            case WalletOp.Expire x -> WalletCodec.writeExpire(w.u8(OP_WALLET_EXPIRE), x);
            case WalletOp.Prepare x -> WalletCodec.writePrepare(w.u8(OP_WALLET_PREPARE), x);
            case WalletOp.Included x -> WalletCodec.writeIncluded(w.u8(OP_WALLET_INCLUDED), x);
            case WalletOp.Reorged x -> WalletCodec.writeReorged(w.u8(OP_WALLET_REORGED), x);
            case WalletOp.Complete x -> WalletCodec.writeComplete(w.u8(OP_WALLET_COMPLETE), x);
            case WalletOp.Freeze x -> WalletCodec.writeFreeze(w.u8(OP_WALLET_FREEZE), x);
            case WalletOp.Unfreeze x -> WalletCodec.writeUnfreeze(w.u8(OP_WALLET_UNFREEZE), x);
            case WalletSnapshotChunk x -> WalletCodec.writeChunk(w.u8(OP_WALLET_SNAPSHOT_CHUNK), x);
            case null -> throw new CodecException("null operation");
            default -> throw new CodecException("unsupported operation type " + op.getClass().getName());
        }
    }

    /**
     * Log entries carry journal ops, ledger ops and membership changes; snapshot chunks carry journal and ledger
     * snapshot chunks or, on a witness, its count.
     */
    private Object readOperation(BoundedReader r, boolean logOps, boolean snapshotOps) {
        int tag = r.u8("operation type");
        boolean snapshotTag = tag == OP_SNAPSHOT_CHUNK || tag == OP_WITNESS_SNAPSHOT || tag == OP_AGENT_FENCE_SNAPSHOT
                || tag == OP_LEDGER_SNAPSHOT_CHUNK || tag == OP_WALLET_SNAPSHOT_CHUNK || tag == OP_ADMITTED_SNAPSHOT;
        if (snapshotTag ? !snapshotOps : !logOps) {
            throw new CodecException("operation type " + tag + " does not belong here");
        }
        return switch (tag) {
            case OP_CLAIM -> new Claim(r.text32("intentId", MAX_TEXT_BYTES), r.text32("kind", MAX_TEXT_BYTES),
                    r.text32("nodeId", MAX_ENDPOINT_BYTES), r.nonNegativeI64("claim term"));
            case OP_FENCED_CLAIM -> Claim.fenced(r.text32("intentId", MAX_TEXT_BYTES),
                    r.text32("kind", MAX_TEXT_BYTES), r.text32("nodeId", MAX_ENDPOINT_BYTES),
                    r.nonNegativeI64("claim term"), readToken(r), r.i64("claim time"));
            case OP_PREPARE -> new Prepare(r.text32("intentId", MAX_TEXT_BYTES), readToken(r),
                    r.bytes32("prepared data", JournalOp.MAX_PREPARED_BYTES));
            case OP_COMPLETE -> new Complete(r.text32("intentId", MAX_TEXT_BYTES), readToken(r),
                    r.text32("status", MAX_TEXT_BYTES), r.text32("result", MAX_TEXT_BYTES), r.i64("completedMillis"));
            case OP_NEW_TERM -> NewTerm.INSTANCE;
            case OP_UPDATE_MEMBERS -> {
                List<RaftEndpoint> members = readEndpoints(r, "members");
                List<RaftEndpoint> voting = readEndpoints(r, "votingMembers");
                MeshEndpoint endpoint = readEndpoint(r);
                int code = r.u8("membership change mode");
                MembershipChangeMode mode = switch (code) {
                    case MODE_ADD_LEARNER -> MembershipChangeMode.ADD_LEARNER;
                    case MODE_ADD_OR_PROMOTE_TO_FOLLOWER -> MembershipChangeMode.ADD_OR_PROMOTE_TO_FOLLOWER;
                    case MODE_REMOVE_MEMBER -> MembershipChangeMode.REMOVE_MEMBER;
                    default -> throw new CodecException("unknown membership change mode " + code);
                };
                yield factory.createUpdateRaftGroupMembersOpBuilder().setMembers(members).setVotingMembers(voting)
                        .setEndpoint(endpoint).setMode(mode).build();
            }
            case OP_SNAPSHOT_CHUNK -> {
                int n = r.count32("journal entries", MAX_ENTRIES, MIN_JOURNAL_ENTRY_BYTES);
                List<JournalEntry> entries = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    entries.add(readJournalEntry(r));
                }
                int t = r.count32("tombstones", MAX_ENTRIES, MIN_TOMBSTONE_BYTES);
                List<String> tombstones = new ArrayList<>(t);
                for (int i = 0; i < t; i++) {
                    tombstones.add(r.text32("tombstone", MAX_TEXT_BYTES));
                }
                yield new JournalSnapshotChunk(entries, tombstones);
            }
            case OP_WITNESS_SNAPSHOT -> new WitnessStateMachine.Snapshot(r.nonNegativeI64("operations applied"));
            case OP_AGENT_RUN -> new AgentRun(r.text32("nodeId", MAX_ENDPOINT_BYTES), r.nonNegativeI64("agent run term"),
                    r.nonNegativeI64("stop grace ms"));
            case OP_AGENT_RUN_CARRYING -> {
                String nodeId = r.text32("nodeId", MAX_ENDPOINT_BYTES);
                long term = r.nonNegativeI64("agent run term");
                long grace = r.nonNegativeI64("stop grace ms");
                FencingToken superseded = r.bool("supersedes a run") ? readToken(r) : null;
                int n = r.count32("carried intents", AgentRun.MAX_CARRIED, MIN_TOMBSTONE_BYTES);
                List<String> carried = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    carried.add(r.text32("carried intent id", MAX_TEXT_BYTES));
                }
                yield AgentRun.superseding(nodeId, term, grace, superseded, carried);
            }
            case OP_ADMITTED_SNAPSHOT -> {
                int n = r.count32("carried intents", io.agentmesh.node.actions.ActionJournal.MAX_ADMITTED,
                        MIN_TOMBSTONE_BYTES);
                List<String> ids = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    ids.add(r.text32("carried intent id", MAX_TEXT_BYTES));
                }
                yield new AdmittedIntentsSnapshot(ids);
            }
            case OP_AGENT_FENCE_SNAPSHOT -> new AgentFenceSnapshot(new AgentFence(
                    r.text32("fence nodeId", MAX_ENDPOINT_BYTES), readToken(r), r.nonNegativeI64("stop grace ms")));
            case OP_LEDGER_OPEN -> LedgerCodec.readOpen(r);
            case OP_LEDGER_ATTEMPT_START -> LedgerCodec.readAttemptStart(r);
            case OP_LEDGER_ATTEMPT_END -> LedgerCodec.readAttemptEnd(r);
            case OP_LEDGER_CLOSE -> LedgerCodec.readClose(r);
            case OP_LEDGER_SETTLE -> LedgerCodec.readSettle(r);
            case OP_LEDGER_SNAPSHOT_CHUNK -> LedgerCodec.readChunk(r);
            case OP_WALLET_SYNC -> WalletCodec.readSync(r);
            case OP_WALLET_SET_POLICY -> WalletCodec.readSetPolicy(r);
            case OP_WALLET_CLAIM -> WalletCodec.readClaim(r);
            case OP_WALLET_APPROVE -> WalletCodec.readApprove(r);
            case OP_WALLET_REJECT -> WalletCodec.readReject(r);
            case OP_WALLET_EXPIRE -> WalletCodec.readExpire(r);
            case OP_WALLET_PREPARE -> WalletCodec.readPrepare(r);
            case OP_WALLET_INCLUDED -> WalletCodec.readIncluded(r);
            case OP_WALLET_REORGED -> WalletCodec.readReorged(r);
            case OP_WALLET_COMPLETE -> WalletCodec.readComplete(r);
            case OP_WALLET_FREEZE -> WalletCodec.readFreeze(r);
            case OP_WALLET_UNFREEZE -> WalletCodec.readUnfreeze(r);
            case OP_WALLET_SNAPSHOT_CHUNK -> WalletCodec.readChunk(r);
            default -> throw new CodecException("unknown operation type " + tag);
        };
    }

    private static void writeToken(BoundedWriter w, FencingToken t) {
        w.i64(t.term()).i64(t.index());
    }

    private static FencingToken readToken(BoundedReader r) {
        return new FencingToken(r.i64("token term"), r.i64("token index"));
    }

    private static void writeJournalEntry(BoundedWriter w, JournalEntry e) {
        w.text32(e.intentId()).text32(e.kind()).text32(e.holder());
        writeToken(w, e.claim());
        w.i32(e.claims());
        byte[] prepared = e.prepared();
        w.bool(prepared != null);
        if (prepared != null) {
            w.bytes32(prepared);
        }
        w.bool(e.isCompleted());
        if (e.isCompleted()) {
            JournalEntry.Completion c = e.completion();
            w.text32(c.status()).text32(c.result()).i64(c.completedMillis()).i64(c.index());
        }
    }

    private static JournalEntry readJournalEntry(BoundedReader r) {
        String id = r.text32("intentId", MAX_TEXT_BYTES);
        String kind = r.text32("kind", MAX_TEXT_BYTES);
        String holder = r.text32("holder", MAX_ENDPOINT_BYTES);
        FencingToken claim = readToken(r);
        int claims = r.i32("claims");
        byte[] prepared = r.bool("hasPrepared") ? r.bytes32("prepared data", JournalOp.MAX_PREPARED_BYTES) : null;
        JournalEntry.Completion completion = r.bool("hasCompletion")
                ? new JournalEntry.Completion(r.text32("status", MAX_TEXT_BYTES), r.text32("result", MAX_TEXT_BYTES),
                        r.i64("completedMillis"), r.i64("completion index"))
                : null;
        return new JournalEntry(id, kind, holder, claim, prepared, completion, claims);
    }
}
