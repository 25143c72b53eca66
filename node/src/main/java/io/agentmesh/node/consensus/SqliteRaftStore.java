package io.agentmesh.node.consensus;

import io.agentmesh.state.store.SqliteFile;
import io.agentmesh.state.store.StoreException;
import io.microraft.RaftEndpoint;
import io.microraft.model.log.LogEntry;
import io.microraft.model.log.RaftGroupMembersView;
import io.microraft.model.log.SnapshotChunk;
import io.microraft.model.persistence.RaftEndpointPersistentState;
import io.microraft.model.persistence.RaftTermPersistentState;
import io.microraft.persistence.RestoredRaftState;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The production {@link RaftLogStore}: one SQLite file (e.g. {@code raft.db} in the state directory), WAL journal,
 * {@code synchronous=FULL}, the configuration DESIGN.md's kill -9 loops found safe.
 *
 * <p>One connection, autocommit off: every write joins the open transaction, and each durable point (flush or a
 * {@code persistAndFlush*}) is one commit, i.e. one fsync of the WAL. So the many {@code persistLogEntries} calls
 * between flushes cost no fsync, and a crash loses whole transactions only, never part of one or a later one without
 * an earlier one. A flush with nothing written is free.
 *
 * <p>Rows: {@code raft_state} (one row: local endpoint, voting, initial members, term, voted-for), {@code raft_log}
 * (index, term, entry) and {@code raft_snapshot_chunk} (index, chunk index, count, chunk). Values are {@link RaftCodec}
 * bytes, decoded strictly on restore; a row that does not decode, or a gap in the log, fails the restore with the
 * file's name instead of restoring less. The file itself (creation, application id, schema version, soundness
 * checks, {@code locking_mode=EXCLUSIVE} so a second process cannot open the same log) is a {@link SqliteFile}, as
 * the change store's is. Node thread only.
 */
public final class SqliteRaftStore implements RaftLogStore {
    /** "AMRF": agentmesh Raft. */
    public static final int APPLICATION_ID = 0x414d5246;
    public static final int SCHEMA_VERSION = 1;

    private final Path path;
    private final RaftCodec codec;
    private final Connection connection;
    private final PreparedStatement putEntry;
    private final PreparedStatement truncateFrom;
    private final PreparedStatement truncateUntil;
    private final PreparedStatement dropChunksBefore;
    private final PreparedStatement putChunk;
    private final PreparedStatement dropChunksAt;
    private boolean dirty;
    private boolean closed;
    private long commits;

    private SqliteRaftStore(Path path, RaftCodec codec, Connection connection) throws SQLException {
        this.path = path;
        this.codec = codec;
        this.connection = connection;
        this.putEntry = connection.prepareStatement("INSERT OR REPLACE INTO raft_log(idx, term, entry) VALUES (?,?,?)");
        this.truncateFrom = connection.prepareStatement("DELETE FROM raft_log WHERE idx >= ?");
        this.truncateUntil = connection.prepareStatement("DELETE FROM raft_log WHERE idx <= ?");
        this.dropChunksBefore = connection.prepareStatement("DELETE FROM raft_snapshot_chunk WHERE idx < ?");
        this.putChunk = connection.prepareStatement(
                "INSERT OR REPLACE INTO raft_snapshot_chunk(idx, chunk_index, chunk_count, chunk) VALUES (?,?,?,?)");
        this.dropChunksAt = connection.prepareStatement("DELETE FROM raft_snapshot_chunk WHERE idx = ?");
    }

    private static final SqliteFile.Format FORMAT = new SqliteFile.Format("Raft log", APPLICATION_ID, SCHEMA_VERSION,
            List.of("CREATE TABLE raft_state (id INTEGER PRIMARY KEY CHECK (id = 1), local_endpoint BLOB,"
                            + " voting INTEGER, initial_members BLOB, term INTEGER NOT NULL DEFAULT 0, voted_for BLOB)",
                    "INSERT INTO raft_state(id) VALUES (1)",
                    "CREATE TABLE raft_log (idx INTEGER PRIMARY KEY, term INTEGER NOT NULL, entry BLOB NOT NULL)",
                    "CREATE TABLE raft_snapshot_chunk (idx INTEGER NOT NULL, chunk_index INTEGER NOT NULL,"
                            + " chunk_count INTEGER NOT NULL, chunk BLOB NOT NULL, PRIMARY KEY (idx, chunk_index))"
                            + " WITHOUT ROWID"),
            true,
            // A voter that forgets its term and vote could vote twice in one term: only safe while the others
            // still form a majority without it.
            "the node then starts with an empty Raft log and catches up from the leader. Do that only while the"
                    + " other voters form a majority without this node: it forgets its term and vote.",
            null);

    /**
     * Opens {@code file}, creating it (and its schema) if neither it nor its write-ahead log exists.
     *
     * @throws IOException when the file is damaged, not a Raft log, written by a newer version, or in use; the
     *                     message names the file and what to do
     */
    public static SqliteRaftStore open(Path file, RaftCodec codec) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        SqliteFile sqlite = new SqliteFile(file, FORMAT);
        Connection c = null;
        try {
            // The Raft log stays small (snapshots truncate it), and quick_check covers the b-tree structure.
            c = sqlite.openWriter(SqliteFile.OpenCheck.QUICK);
            c.setAutoCommit(false);
            return new SqliteRaftStore(file, codec, c);
        } catch (StoreException e) {
            throw new IOException(e.getMessage(), e);
        } catch (SQLException e) {
            SqliteFile.closeQuietly(c);
            throw new IOException(sqlite.openFailure(e).getMessage(), e);
        }
    }

    // ------------------------------------------------------------------------------------------------ RaftStore

    @Override
    public void persistAndFlushLocalEndpoint(RaftEndpointPersistentState s) throws IOException {
        update("UPDATE raft_state SET local_endpoint = ?, voting = ? WHERE id = 1", ps -> {
            ps.setBytes(1, codec.encodeEndpoint(s.getLocalEndpoint()));
            ps.setInt(2, s.isVoting() ? 1 : 0);
        });
        flush();
    }

    @Override
    public void persistAndFlushInitialGroupMembers(RaftGroupMembersView v) throws IOException {
        update("UPDATE raft_state SET initial_members = ? WHERE id = 1",
                ps -> ps.setBytes(1, codec.encodeMembersView(v)));
        flush();
    }

    @Override
    public void persistAndFlushTerm(RaftTermPersistentState s) throws IOException {
        update("UPDATE raft_state SET term = ?, voted_for = ? WHERE id = 1", ps -> {
            ps.setInt(1, s.getTerm());
            ps.setBytes(2, s.getVotedFor() == null ? null : codec.encodeEndpoint(s.getVotedFor()));
        });
        flush();
    }

    @Override
    public void persistLogEntries(List<LogEntry> entries) throws IOException {
        open();
        try {
            for (LogEntry e : entries) {
                putEntry.setLong(1, e.getIndex());
                putEntry.setInt(2, e.getTerm());
                putEntry.setBytes(3, codec.encodeLogEntry(e));
                putEntry.addBatch();
            }
            putEntry.executeBatch();
            dirty = true;
        } catch (SQLException | CodecException e) {
            throw failed("append log entries", e);
        }
    }

    @Override
    public void persistSnapshotChunk(SnapshotChunk c) throws IOException {
        open();
        try {
            putChunk.setLong(1, c.getIndex());
            putChunk.setInt(2, c.getSnapshotChunkIndex());
            putChunk.setInt(3, c.getSnapshotChunkCount());
            putChunk.setBytes(4, codec.encodeSnapshotChunk(c));
            putChunk.executeUpdate();
            dirty = true;
        } catch (SQLException | CodecException e) {
            throw failed("write a snapshot chunk", e);
        }
    }

    @Override
    public void truncateLogEntriesFrom(long indexInclusive) throws IOException {
        execute(truncateFrom, indexInclusive, "truncate the log from " + indexInclusive);
    }

    @Override
    public void truncateLogEntriesUntil(long indexInclusive) throws IOException {
        execute(truncateUntil, indexInclusive, "truncate the log until " + indexInclusive);
        // Chunks of snapshots older than the one this truncation follows are no longer needed.
        execute(dropChunksBefore, indexInclusive, "drop old snapshot chunks");
    }

    @Override
    public void deleteSnapshotChunks(long logIndex, int chunkCount) throws IOException {
        execute(dropChunksAt, logIndex, "drop snapshot chunks at " + logIndex);
    }

    @Override
    public void flush() throws IOException {
        open();
        if (!dirty) {
            return;
        }
        try {
            connection.commit();
            dirty = false;
            commits++;
        } catch (SQLException e) {
            throw failed("commit", e);
        }
    }

    // ------------------------------------------------------------------------------------------------ restore

    @Override
    public Optional<RestoredRaftState> restore() throws IOException {
        open();
        try (Statement s = connection.createStatement()) {
            RaftEndpoint local;
            boolean voting;
            RaftGroupMembersView members;
            int term;
            RaftEndpoint votedFor;
            try (ResultSet rs = s.executeQuery(
                    "SELECT local_endpoint, voting, initial_members, term, voted_for FROM raft_state WHERE id = 1")) {
                if (!rs.next()) {
                    throw new IOException(path + ": the raft_state row is missing");
                }
                byte[] localBytes = rs.getBytes(1);
                if (localBytes == null) {
                    return Optional.empty();
                }
                local = codec.decodeEndpoint(localBytes);
                voting = rs.getInt(2) == 1;
                byte[] memberBytes = rs.getBytes(3);
                members = memberBytes == null ? null : codec.decodeMembersView(memberBytes);
                term = rs.getInt(4);
                byte[] voted = rs.getBytes(5);
                votedFor = voted == null ? null : codec.decodeEndpoint(voted);
            }
            TreeMap<Long, TreeMap<Integer, SnapshotChunk>> chunks = new TreeMap<>();
            try (ResultSet rs = s.executeQuery("SELECT idx, chunk_index, chunk FROM raft_snapshot_chunk")) {
                while (rs.next()) {
                    SnapshotChunk c = codec.decodeSnapshotChunk(rs.getBytes(3));
                    if (c.getIndex() != rs.getLong(1) || c.getSnapshotChunkIndex() != rs.getInt(2)) {
                        throw new IOException(path + ": snapshot chunk row (" + rs.getLong(1) + ", " + rs.getInt(2)
                                + ") holds chunk (" + c.getIndex() + ", " + c.getSnapshotChunkIndex() + ")");
                    }
                    chunks.computeIfAbsent(c.getIndex(), i -> new TreeMap<>()).put(c.getSnapshotChunkIndex(), c);
                }
            }
            TreeMap<Long, LogEntry> log = new TreeMap<>();
            try (ResultSet rs = s.executeQuery("SELECT idx, entry FROM raft_log ORDER BY idx")) {
                while (rs.next()) {
                    LogEntry e = codec.decodeLogEntry(rs.getBytes(2));
                    if (e.getIndex() != rs.getLong(1)) {
                        throw new IOException(path + ": log row " + rs.getLong(1) + " holds entry " + e.getIndex());
                    }
                    log.put(e.getIndex(), e);
                }
            }
            return Optional.of(RestoredStateAssembler.assemble(codec.modelFactory(), local, voting, members, term,
                    votedFor, chunks, log, path.toString()));
        } catch (SQLException e) {
            throw failed("read the Raft state", e);
        } catch (CodecException e) {
            throw new IOException(path + ": a stored Raft record does not decode: " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------------------------------------ lifecycle

    /** Commits what is pending and closes the file. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        try {
            flush();
        } finally {
            closed = true;
            SqliteFile.closeQuietly(connection);
        }
    }

    /**
     * Closes without committing what was written since the last durable point, as a crash would lose it. For tests
     * and crash drills.
     */
    public void abandon() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            connection.rollback();
        } catch (SQLException ignored) {
            // closing anyway
        }
        SqliteFile.closeQuietly(connection);
    }

    /** Commits so far (durable points that had something to write). */
    public long commits() {
        return commits;
    }

    public Path path() {
        return path;
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private interface Binder {
        void bind(PreparedStatement ps) throws SQLException;
    }

    private void update(String sql, Binder binder) throws IOException {
        open();
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            binder.bind(ps);
            ps.executeUpdate();
            dirty = true;
        } catch (SQLException | CodecException e) {
            throw failed(sql, e);
        }
    }

    private void execute(PreparedStatement ps, long arg, String what) throws IOException {
        open();
        try {
            ps.setLong(1, arg);
            ps.executeUpdate();
            dirty = true;
        } catch (SQLException e) {
            throw failed(what, e);
        }
    }

    private void open() throws IOException {
        if (closed) {
            throw new IOException(path + ": the Raft log is closed");
        }
    }

    private IOException failed(String what, Exception e) {
        return new IOException(path + ": cannot " + what + ": " + e.getMessage(), e);
    }
}
