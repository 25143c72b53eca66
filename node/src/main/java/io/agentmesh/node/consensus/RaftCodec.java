package io.agentmesh.node.consensus;

import io.agentmesh.node.actions.JournalOp.Claim;
import io.agentmesh.node.actions.JournalOp.Complete;
import io.agentmesh.node.actions.JournalOp.NewTerm;
import io.agentmesh.node.actions.JournalOp.Prepare;
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

import io.agentmesh.node.actions.FencingToken;
import io.agentmesh.node.actions.JournalEntry;
import io.agentmesh.node.actions.JournalOp;
import io.agentmesh.node.actions.JournalSnapshotChunk;
/**
 * Bytes for everything consensus sends or stores: the ten MicroRaft messages, log entries, snapshot chunks, member
 * views, endpoints and log operations (journal operations, MicroRaft's membership change, journal snapshot chunks).
 *
 * <p>Format: a hand-written, fixed-layout binary form ({@code DataOutput} style: big-endian fixed-width numbers,
 * length-prefixed UTF-8 and byte strings, a one-byte type tag). Chosen over CBOR because every field is known and
 * typed; the layout makes strict decoding simple to state: each blob is {@code [version 1][kind][body]}, the body must
 * be consumed exactly, every count and length is bounded, numbers MicroRaft treats as non-negative must be, booleans
 * are 0 or 1, strings valid UTF-8. Anything else is a {@link CodecException}; a decode never returns a half-built
 * object. Member lists keep their order (MicroRaft's member sets are insertion-ordered).
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

    // Fixed table rather than ordinal(): a reordered enum in a later MicroRaft must not change the bytes' meaning.
    private static final List<MembershipChangeMode> MODES = List.of(MembershipChangeMode.ADD_LEARNER,
            MembershipChangeMode.ADD_OR_PROMOTE_TO_FOLLOWER, MembershipChangeMode.REMOVE_MEMBER);

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

    /** A log-entry operation ({@link JournalOp} or {@link UpdateRaftGroupMembersOp}) or a {@link JournalSnapshotChunk}. */
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
        void write(ByteWriter w);
    }

    private static byte[] encode(Body body) {
        ByteWriter w = new ByteWriter().u8(FORMAT_VERSION);
        try {
            body.write(w);
        } catch (CodecException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CodecException("cannot encode: " + e.getMessage(), e);
        }
        return w.toByteArray();
    }

    private static <T> T decode(byte[] data, String what, Function<ByteReader, T> body) {
        if (data == null || data.length == 0) {
            throw new CodecException("empty " + what);
        }
        ByteReader r = new ByteReader(data);
        int version = r.u8();
        if (version != FORMAT_VERSION) {
            throw new CodecException(what + ": unknown format version " + version + " (this node reads "
                    + FORMAT_VERSION + ")");
        }
        try {
            T value = body.apply(r);
            r.expectEnd();
            return value;
        } catch (CodecException e) {
            throw new CodecException("malformed " + what + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            // A record or builder refusing a value (IllegalArgumentException, NullPointerException): still malformed.
            throw new CodecException("malformed " + what + ": " + e, e);
        }
    }

    private static void expectKind(ByteReader r, int kind) {
        int k = r.u8();
        if (k != kind) {
            throw new CodecException("expected type " + kind + ", got " + k);
        }
    }

    // ------------------------------------------------------------------------------------------------ messages

    private void writeMessage(ByteWriter w, RaftMessage m) {
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

    private void header(ByteWriter w, int kind, RaftMessage m) {
        if (!(m.getGroupId() instanceof String group)) {
            throw new CodecException("group ids are Strings, got " + m.getGroupId());
        }
        w.u8(kind).text(group);
        writeEndpoint(w, m.getSender());
        w.i32(m.getTerm());
    }

    private RaftMessage readMessage(ByteReader r) {
        int kind = r.u8();
        String group = r.text("groupId", MAX_GROUP_ID_BYTES);
        MeshEndpoint sender = readEndpoint(r);
        int term = r.nonNegativeInt("term");
        return switch (kind) {
            case APPEND_ENTRIES_REQUEST -> {
                int prevTerm = r.nonNegativeInt("previousLogTerm");
                long prevIndex = r.nonNegativeLong("previousLogIndex");
                long commit = r.nonNegativeLong("commitIndex");
                int n = r.count("logEntries", MAX_ENTRIES, 13);
                List<LogEntry> entries = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    entries.add(readLogEntry(r));
                }
                yield factory.createAppendEntriesRequestBuilder().setGroupId(group).setSender(sender).setTerm(term)
                        .setPreviousLogTerm(prevTerm).setPreviousLogIndex(prevIndex).setCommitIndex(commit)
                        .setLogEntries(Collections.unmodifiableList(entries))
                        .setQuerySequenceNumber(r.nonNegativeLong("querySequenceNumber"))
                        .setFlowControlSequenceNumber(r.nonNegativeLong("flowControlSequenceNumber")).build();
            }
            case APPEND_ENTRIES_SUCCESS -> factory.createAppendEntriesSuccessResponseBuilder().setGroupId(group)
                    .setSender(sender).setTerm(term).setLastLogIndex(r.nonNegativeLong("lastLogIndex"))
                    .setQuerySequenceNumber(r.nonNegativeLong("querySequenceNumber"))
                    .setFlowControlSequenceNumber(r.nonNegativeLong("flowControlSequenceNumber")).build();
            case APPEND_ENTRIES_FAILURE -> factory.createAppendEntriesFailureResponseBuilder().setGroupId(group)
                    .setSender(sender).setTerm(term).setExpectedNextIndex(r.nonNegativeLong("expectedNextIndex"))
                    .setQuerySequenceNumber(r.nonNegativeLong("querySequenceNumber"))
                    .setFlowControlSequenceNumber(r.nonNegativeLong("flowControlSequenceNumber")).build();
            case INSTALL_SNAPSHOT_REQUEST -> {
                boolean senderLeader = r.bool("senderLeader");
                int snapshotTerm = r.nonNegativeInt("snapshotTerm");
                long snapshotIndex = r.nonNegativeLong("snapshotIndex");
                int total = r.nonNegativeInt("totalSnapshotChunkCount");
                SnapshotChunk chunk = r.bool("hasSnapshotChunk") ? readSnapshotChunk(r) : null;
                List<RaftEndpoint> snapshotted = readEndpoints(r, "snapshottedMembers");
                RaftGroupMembersView view = r.bool("hasGroupMembersView") ? readMembersView(r) : null;
                yield factory.createInstallSnapshotRequestBuilder().setGroupId(group).setSender(sender).setTerm(term)
                        .setSenderLeader(senderLeader).setSnapshotTerm(snapshotTerm).setSnapshotIndex(snapshotIndex)
                        .setTotalSnapshotChunkCount(total).setSnapshotChunk(chunk).setSnapshottedMembers(snapshotted)
                        .setGroupMembersView(view)
                        .setQuerySequenceNumber(r.nonNegativeLong("querySequenceNumber"))
                        .setFlowControlSequenceNumber(r.nonNegativeLong("flowControlSequenceNumber")).build();
            }
            case INSTALL_SNAPSHOT_RESPONSE -> factory.createInstallSnapshotResponseBuilder().setGroupId(group)
                    .setSender(sender).setTerm(term).setSnapshotIndex(r.nonNegativeLong("snapshotIndex"))
                    .setRequestedSnapshotChunkIndex(r.nonNegativeInt("requestedSnapshotChunkIndex"))
                    .setQuerySequenceNumber(r.nonNegativeLong("querySequenceNumber"))
                    .setFlowControlSequenceNumber(r.nonNegativeLong("flowControlSequenceNumber")).build();
            case PRE_VOTE_REQUEST -> factory.createPreVoteRequestBuilder().setGroupId(group).setSender(sender)
                    .setTerm(term).setLastLogTerm(r.nonNegativeInt("lastLogTerm"))
                    .setLastLogIndex(r.nonNegativeLong("lastLogIndex")).build();
            case PRE_VOTE_RESPONSE -> factory.createPreVoteResponseBuilder().setGroupId(group).setSender(sender)
                    .setTerm(term).setGranted(r.bool("granted")).build();
            case VOTE_REQUEST -> factory.createVoteRequestBuilder().setGroupId(group).setSender(sender)
                    .setTerm(term).setLastLogTerm(r.nonNegativeInt("lastLogTerm"))
                    .setLastLogIndex(r.nonNegativeLong("lastLogIndex")).setSticky(r.bool("sticky")).build();
            case VOTE_RESPONSE -> factory.createVoteResponseBuilder().setGroupId(group).setSender(sender)
                    .setTerm(term).setGranted(r.bool("granted")).build();
            case TRIGGER_LEADER_ELECTION -> factory.createTriggerLeaderElectionRequestBuilder().setGroupId(group)
                    .setSender(sender).setTerm(term).setLastLogTerm(r.nonNegativeInt("lastLogTerm"))
                    .setLastLogIndex(r.nonNegativeLong("lastLogIndex")).build();
            default -> throw new CodecException("unknown message type " + kind);
        };
    }

    // ------------------------------------------------------------------------------------------------ model parts

    private void writeLogEntry(ByteWriter w, LogEntry e) {
        w.i64(e.getIndex()).i32(e.getTerm());
        writeOperation(w, e.getOperation());
    }

    private LogEntry readLogEntry(ByteReader r) {
        long index = r.nonNegativeLong("log entry index");
        int term = r.nonNegativeInt("log entry term");
        Object op = readOperation(r, true, false);
        return factory.createLogEntryBuilder().setIndex(index).setTerm(term).setOperation(op).build();
    }

    private void writeSnapshotChunk(ByteWriter w, SnapshotChunk c) {
        w.i64(c.getIndex()).i32(c.getTerm()).i32(c.getSnapshotChunkIndex()).i32(c.getSnapshotChunkCount());
        writeOperation(w, c.getOperation());
        writeMembersView(w, c.getGroupMembersView());
    }

    private SnapshotChunk readSnapshotChunk(ByteReader r) {
        long index = r.nonNegativeLong("snapshot index");
        int term = r.nonNegativeInt("snapshot term");
        int chunkIndex = r.nonNegativeInt("snapshotChunkIndex");
        int chunkCount = r.nonNegativeInt("snapshotChunkCount");
        if (chunkCount < 1 || chunkIndex >= chunkCount) {
            throw new CodecException("snapshot chunk " + chunkIndex + " of " + chunkCount + " is out of range");
        }
        Object op = readOperation(r, false, true);
        RaftGroupMembersView view = readMembersView(r);
        return factory.createSnapshotChunkBuilder().setIndex(index).setTerm(term).setSnapshotChunkIndex(chunkIndex)
                .setSnapshotChunkCount(chunkCount).setOperation(op).setGroupMembersView(view).build();
    }

    private void writeMembersView(ByteWriter w, RaftGroupMembersView v) {
        w.i64(v.getLogIndex());
        writeEndpoints(w, v.getMembers());
        writeEndpoints(w, v.getVotingMembers());
    }

    private RaftGroupMembersView readMembersView(ByteReader r) {
        long logIndex = r.nonNegativeLong("members view log index");
        List<RaftEndpoint> members = readEndpoints(r, "members");
        List<RaftEndpoint> voting = readEndpoints(r, "votingMembers");
        if (!new HashSet<>(members).containsAll(voting)) {
            throw new CodecException("voting members " + voting + " are not all members " + members);
        }
        return factory.createRaftGroupMembersViewBuilder().setLogIndex(logIndex).setMembers(members)
                .setVotingMembers(voting).build();
    }

    private static void writeEndpoint(ByteWriter w, RaftEndpoint e) {
        if (!(e instanceof MeshEndpoint m)) {
            throw new CodecException("endpoints are MeshEndpoints, got " + (e == null ? "null" : e.getClass()));
        }
        w.text(m.nodeId());
    }

    private static MeshEndpoint readEndpoint(ByteReader r) {
        return new MeshEndpoint(r.text("endpoint", MAX_ENDPOINT_BYTES));
    }

    private static void writeEndpoints(ByteWriter w, Collection<RaftEndpoint> endpoints) {
        w.i32(endpoints.size());
        for (RaftEndpoint e : endpoints) {
            writeEndpoint(w, e);
        }
    }

    private static List<RaftEndpoint> readEndpoints(ByteReader r, String field) {
        int n = r.count(field, MAX_MEMBERS, 5);
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

    private void writeOperation(ByteWriter w, Object op) {
        switch (op) {
            case Claim c -> w.u8(OP_CLAIM).text(c.intentId()).text(c.kind()).text(c.nodeId()).i64(c.term());
            case Prepare p -> {
                w.u8(OP_PREPARE).text(p.intentId());
                writeToken(w, p.token());
                w.bytes(p.data());
            }
            case Complete c -> {
                w.u8(OP_COMPLETE).text(c.intentId());
                writeToken(w, c.token());
                w.text(c.status()).text(c.result()).i64(c.completedMillis());
            }
            case NewTerm n -> w.u8(OP_NEW_TERM);
            case UpdateRaftGroupMembersOp u -> {
                w.u8(OP_UPDATE_MEMBERS);
                writeEndpoints(w, u.getMembers());
                writeEndpoints(w, u.getVotingMembers());
                writeEndpoint(w, u.getEndpoint());
                int mode = MODES.indexOf(u.getMode());
                if (mode < 0) {
                    throw new CodecException("unknown membership change mode " + u.getMode());
                }
                w.u8(mode);
            }
            case JournalSnapshotChunk s -> {
                w.u8(OP_SNAPSHOT_CHUNK).i32(s.entries().size());
                for (JournalEntry e : s.entries()) {
                    writeJournalEntry(w, e);
                }
                w.i32(s.tombstones().size());
                for (String id : s.tombstones()) {
                    w.text(id);
                }
            }
            case null -> throw new CodecException("null operation");
            default -> throw new CodecException("unsupported operation type " + op.getClass().getName());
        }
    }

    /** Log entries carry journal ops and membership changes; snapshot chunks carry journal snapshot chunks. */
    private Object readOperation(ByteReader r, boolean logOps, boolean snapshotOps) {
        int tag = r.u8();
        if (tag == OP_SNAPSHOT_CHUNK ? !snapshotOps : !logOps) {
            throw new CodecException("operation type " + tag + " does not belong here");
        }
        return switch (tag) {
            case OP_CLAIM -> new Claim(r.text("intentId", MAX_TEXT_BYTES), r.text("kind", MAX_TEXT_BYTES),
                    r.text("nodeId", MAX_ENDPOINT_BYTES), r.nonNegativeLong("claim term"));
            case OP_PREPARE -> new Prepare(r.text("intentId", MAX_TEXT_BYTES), readToken(r),
                    r.bytes("prepared data", JournalOp.MAX_PREPARED_BYTES));
            case OP_COMPLETE -> new Complete(r.text("intentId", MAX_TEXT_BYTES), readToken(r),
                    r.text("status", MAX_TEXT_BYTES), r.text("result", MAX_TEXT_BYTES), r.i64());
            case OP_NEW_TERM -> NewTerm.INSTANCE;
            case OP_UPDATE_MEMBERS -> {
                List<RaftEndpoint> members = readEndpoints(r, "members");
                List<RaftEndpoint> voting = readEndpoints(r, "votingMembers");
                MeshEndpoint endpoint = readEndpoint(r);
                int mode = r.u8();
                if (mode >= MODES.size()) {
                    throw new CodecException("unknown membership change mode " + mode);
                }
                yield factory.createUpdateRaftGroupMembersOpBuilder().setMembers(members).setVotingMembers(voting)
                        .setEndpoint(endpoint).setMode(MODES.get(mode)).build();
            }
            case OP_SNAPSHOT_CHUNK -> {
                int n = r.count("journal entries", MAX_ENTRIES, 34);
                List<JournalEntry> entries = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    entries.add(readJournalEntry(r));
                }
                int t = r.count("tombstones", MAX_ENTRIES, 5);
                List<String> tombstones = new ArrayList<>(t);
                for (int i = 0; i < t; i++) {
                    tombstones.add(r.text("tombstone", MAX_TEXT_BYTES));
                }
                yield new JournalSnapshotChunk(entries, tombstones);
            }
            default -> throw new CodecException("unknown operation type " + tag);
        };
    }

    private static void writeToken(ByteWriter w, FencingToken t) {
        w.i64(t.term()).i64(t.index());
    }

    private static FencingToken readToken(ByteReader r) {
        return new FencingToken(r.i64(), r.i64());
    }

    private static void writeJournalEntry(ByteWriter w, JournalEntry e) {
        w.text(e.intentId()).text(e.kind()).text(e.holder());
        writeToken(w, e.claim());
        w.i32(e.claims());
        byte[] prepared = e.prepared();
        w.bool(prepared != null);
        if (prepared != null) {
            w.bytes(prepared);
        }
        w.bool(e.isCompleted());
        if (e.isCompleted()) {
            JournalEntry.Completion c = e.completion();
            w.text(c.status()).text(c.result()).i64(c.completedMillis()).i64(c.index());
        }
    }

    private static JournalEntry readJournalEntry(ByteReader r) {
        String id = r.text("intentId", MAX_TEXT_BYTES);
        String kind = r.text("kind", MAX_TEXT_BYTES);
        String holder = r.text("holder", MAX_ENDPOINT_BYTES);
        FencingToken claim = readToken(r);
        int claims = r.i32();
        byte[] prepared = r.bool("hasPrepared") ? r.bytes("prepared data", JournalOp.MAX_PREPARED_BYTES) : null;
        JournalEntry.Completion completion = r.bool("hasCompletion")
                ? new JournalEntry.Completion(r.text("status", MAX_TEXT_BYTES), r.text("result", MAX_TEXT_BYTES),
                        r.i64(), r.i64())
                : null;
        return new JournalEntry(id, kind, holder, claim, prepared, completion, claims);
    }
}
