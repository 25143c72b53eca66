package io.agentmesh.state.store;

import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.state.store.SqliteFile.OpenCheck;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The node's durable store on SQLite: the rows of one {@link SqliteFile} (signed changes, the latest snapshot,
 * metadata) and the {@link ChangeStore} contract over them.
 *
 * <p><b>Group commit.</b> {@link #append} only puts the change on the bounded queue of a {@link GroupCommitter} and
 * never touches the disk. Its writer thread writes everything queued (up to {@link Options#maxBatch}) in one
 * transaction, commits (one fsync for the whole batch), and only then completes the futures and advances
 * {@link #vector()}. Futures are completed on the writer thread: callbacks attached with {@code thenRun} run there
 * and must not block; hand work to your own thread with the {@code *Async} variants.
 *
 * <p><b>Overload.</b> When {@link Options#queueCapacity} changes or {@link Options#maxQueuedBytes} bytes are already
 * waiting, {@code append} fails at once with a {@link StoreException} saying the store is overloaded, instead of
 * blocking (see {@link GroupCommitter}).
 *
 * <p><b>Bad input in a batch.</b> A change that fails (an author who signed two different byte strings for one
 * (actor, seq)) fails only its own future; the rest of the batch commits. If SQLite rejects a batch as a whole, it
 * is retried one operation per transaction so that only the culprit fails. If a commit itself fails (fsync error,
 * full disk at commit), the store stops accepting writes: after a failed fsync the kernel may already have dropped
 * the dirty pages and cleared the error, so a retry could report durability it does not have. Restart the node.
 *
 * <p><b>Damaged files.</b> Opening checks the file header, the schema and SQLite's structural check
 * ({@link SqliteFile}); every row also carries a CRC32C that reads verify. A damaged file gives a
 * {@link StoreException} naming the file and the way out, never an empty store in its place.
 */
public final class SqliteChangeStore implements ChangeStore {
    /** Version of the tables below; a file with a higher one was written by a newer agentmesh. */
    public static final int SCHEMA_VERSION = 1;
    /** {@code PRAGMA application_id} of an agentmesh store ("AMST"), so another SQLite file is told apart. */
    public static final int APPLICATION_ID = 0x414d5354;

    private static final Logger log = LoggerFactory.getLogger(SqliteChangeStore.class);
    // Per-change queue accounting overhead on top of the change bytes: key, signature, actor, object headers.
    private static final int QUEUED_CHANGE_OVERHEAD = 256;
    private static final long READ_WAIT_SECONDS = 600;
    /** Asynchronous reads that may wait for a store reader thread; more are refused as overload. */
    static final int MAX_QUEUED_READS = 1_024;
    // Per-write queue accounting of a metadata value: key, checksum, row overhead.
    private static final int QUEUED_META_OVERHEAD = 128;
    private static final String CHANGE_COLUMNS = "position, actor, seq, signer, incarnation, signature, checksum, bytes";

    static final SqliteFile.Format FORMAT = new SqliteFile.Format("store", APPLICATION_ID, SCHEMA_VERSION, List.of(
            "CREATE TABLE changes (position INTEGER PRIMARY KEY, actor BLOB NOT NULL, seq INTEGER NOT NULL,"
                    + " signer BLOB NOT NULL, incarnation INTEGER NOT NULL, signature BLOB NOT NULL,"
                    + " checksum INTEGER NOT NULL, bytes BLOB NOT NULL, UNIQUE (actor, seq))",
            "CREATE TABLE snapshots (id INTEGER PRIMARY KEY, last_position INTEGER NOT NULL,"
                    + " checksum INTEGER NOT NULL, document BLOB NOT NULL)",
            "CREATE TABLE meta (key TEXT PRIMARY KEY, checksum INTEGER NOT NULL, value BLOB NOT NULL)"),
            false,
            "the node then starts with an empty store and resyncs from its peers under a new incarnation.",
            // Stores written before the version moved to PRAGMA user_version keep it in this one-row table.
            "schema_version");

    /**
     * @param queueCapacity   changes (and snapshot/metadata writes) that may wait for the writer
     * @param maxQueuedBytes  change bytes that may wait for the writer
     * @param maxBatch        operations written in one transaction
     * @param readConnections connections serving reads concurrently with the writer
     * @param openCheck       check run on every open
     */
    public record Options(int queueCapacity, long maxQueuedBytes, int maxBatch, int readConnections,
                          OpenCheck openCheck) {
        public static final Options DEFAULTS = new Options(65_536, 256L * 1024 * 1024, 8_192, 2,
                OpenCheck.INTEGRITY);

        public Options {
            if (queueCapacity < 1 || maxBatch < 1 || readConnections < 1) {
                throw new IllegalArgumentException("queueCapacity, maxBatch and readConnections must be >= 1");
            }
            if (maxQueuedBytes < SignedChange.MAX_CHANGE_BYTES + QUEUED_CHANGE_OVERHEAD) {
                throw new IllegalArgumentException("maxQueuedBytes must hold at least one change of the largest size ("
                        + SignedChange.MAX_CHANGE_BYTES + " bytes)");
            }
            Objects.requireNonNull(openCheck, "openCheck");
        }

        public Options withQueueCapacity(int capacity) {
            return new Options(capacity, maxQueuedBytes, maxBatch, readConnections, openCheck);
        }

        public Options withOpenCheck(OpenCheck check) {
            return new Options(queueCapacity, maxQueuedBytes, maxBatch, readConnections, check);
        }
    }

    /** Counters since open, for benchmarks and metrics. */
    public record Stats(long transactions, long changesWritten, long duplicates, long rejected, long largestBatch,
                        int queued) {
    }

    private sealed interface Op permits Append, SaveSnapshot, PutMeta {
    }

    private record Append(SignedChange change) implements Op {
    }

    private record SaveSnapshot(Snapshot snapshot) implements Op {
    }

    private record PutMeta(String key, byte[] value) implements Op {
    }

    private final SqliteFile sqlite;
    private final StoreLock lock;
    private final BlockingQueue<Reader> readers;
    private final Rows rows;
    private final GroupCommitter<Op> committer;
    /** Runs {@link #readAsync}/{@link #readFromAsync}: one thread per read connection, a bounded queue. */
    private final ThreadPoolExecutor readPool;

    // Guarded by itself; advanced by the writer after each commit, read by anyone.
    private final VersionVectorTracker tracker;
    private volatile long changeCount;

    private SqliteChangeStore(SqliteFile sqlite, Options options, StoreLock lock, Connection writeConnection,
                              List<Reader> readers, VersionVectorTracker tracker, long changeCount,
                              long lastPosition) throws SQLException {
        this.sqlite = sqlite;
        this.lock = lock;
        this.readers = new ArrayBlockingQueue<>(readers.size(), false, readers);
        this.tracker = tracker;
        this.changeCount = changeCount;
        this.rows = new Rows(writeConnection, lastPosition);
        this.committer = GroupCommitter.start(sqlite.path().toString(), "agentmesh-store-writer",
                new GroupCommitter.Limits(options.queueCapacity(), options.maxQueuedBytes(), options.maxBatch()),
                rows);
        this.readPool = readPool(readers.size());
    }

    private static ThreadPoolExecutor readPool(int threads) {
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(MAX_QUEUED_READS),
                r -> Thread.ofPlatform().name("agentmesh-store-reader-" + n.incrementAndGet()).daemon(true).unstarted(r));
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    /** Opens the store at {@code file} with {@link Options#DEFAULTS}, creating it when no file is there. */
    /** Whether a running node holds the store at {@code file} (so `state export` asks that node instead). */
    public static boolean inUse(Path file) {
        return StoreLock.heldByARunningNode(file);
    }

    public static SqliteChangeStore open(Path file) {
        return open(file, Options.DEFAULTS);
    }

    /**
     * Opens the store at {@code file}, creating it when neither it nor its write-ahead log exists.
     *
     * @throws StoreException when the file is damaged, is not an agentmesh store, was written by a newer version,
     *                        or is open elsewhere; the message names the file and what to do
     */
    public static SqliteChangeStore open(Path file, Options options) {
        SqliteFile sqlite = new SqliteFile(file, FORMAT);
        Path path = sqlite.path();
        StoreLock lock = StoreLock.acquire(path);
        Connection writeConnection = null;
        List<Reader> readers = new ArrayList<>();
        try {
            writeConnection = sqlite.openWriter(options.openCheck());
            VersionVectorTracker tracker = new VersionVectorTracker();
            long count = 0;
            try (Statement s = writeConnection.createStatement();
                 ResultSet rs = s.executeQuery("SELECT actor, seq FROM changes ORDER BY actor, seq")) {
                byte[] previousBytes = null;
                ActorId actor = null;
                while (rs.next()) {
                    byte[] actorBytes = rs.getBytes(1);
                    long seq = rs.getLong(2);
                    if (actorBytes == null || actorBytes.length != ActorId.LENGTH || seq < 1) {
                        throw sqlite.corrupt("holds a change with a malformed actor or seq", null);
                    }
                    if (!Arrays.equals(actorBytes, previousBytes)) {
                        actor = new ActorId(actorBytes);
                        previousBytes = actorBytes;
                    }
                    tracker.add(actor, seq);
                    count++;
                }
            }
            long lastPosition;
            try (Statement s = writeConnection.createStatement()) {
                lastPosition = SqliteFile.queryLong(s, "SELECT coalesce(max(position), 0) FROM changes");
            }
            writeConnection.setAutoCommit(false);
            for (int i = 0; i < options.readConnections(); i++) {
                Connection c = sqlite.openReader();
                try {
                    readers.add(new Reader(c));
                } catch (SQLException | RuntimeException e) {
                    SqliteFile.closeQuietly(c);
                    throw e;
                }
            }
            return new SqliteChangeStore(sqlite, options, lock, writeConnection, readers, tracker, count,
                    lastPosition);
        } catch (SQLException e) {
            closeAll(writeConnection, readers, lock);
            throw sqlite.openFailure(e);
        } catch (RuntimeException | Error e) {
            closeAll(writeConnection, readers, lock);
            throw e;
        }
    }

    /** The database file. */
    public Path file() {
        return sqlite.path();
    }

    public Stats stats() {
        return new Stats(rows.transactions, rows.changesWritten, rows.duplicates, rows.rejected, rows.largestBatch,
                committer.queued());
    }

    // ---------------------------------------------------------------------------------------------- writes

    @Override
    public CompletableFuture<Void> append(SignedChange change) {
        Objects.requireNonNull(change, "change");
        return committer.submit(new Append(change), change.size() + QUEUED_CHANGE_OVERHEAD);
    }

    @Override
    public void saveSnapshot(Snapshot snapshot) {
        Objects.requireNonNull(snapshot, "snapshot");
        committer.submitAndWait(new SaveSnapshot(snapshot));
    }

    @Override
    public void putMeta(String key, byte[] value) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("a metadata key is required");
        }
        Objects.requireNonNull(value, "value");
        committer.submitAndWait(new PutMeta(key, value.clone()));
    }

    /**
     * Queues the snapshot behind every append already queued and returns at once; completes on the writer thread
     * once it is durable. A snapshot counts as one queued write, not by its bytes: its caller writes one at a time.
     */
    @Override
    public CompletableFuture<Void> saveSnapshotAsync(Snapshot snapshot) {
        if (snapshot == null) {
            return CompletableFuture.failedFuture(new NullPointerException("snapshot"));
        }
        return committer.submit(new SaveSnapshot(snapshot), 0);
    }

    /** Queues the value behind every append already queued and returns at once; completes once durable. */
    @Override
    public CompletableFuture<Void> putMetaAsync(String key, byte[] value) {
        if (key == null || key.isEmpty()) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("a metadata key is required"));
        }
        if (value == null) {
            return CompletableFuture.failedFuture(new NullPointerException("value"));
        }
        return committer.submit(new PutMeta(key, value.clone()), value.length + QUEUED_META_OVERHEAD);
    }

    /** The writer's side: SQL rows in one transaction per batch. Writer thread only, after construction. */
    private final class Rows implements GroupCommitter.BatchWriter<Op> {
        private static final Object NEW = "new";
        private static final Object DONE = "done";

        private final Connection connection;
        private final PreparedStatement insertChange;
        private final PreparedStatement selectExisting;
        private final PreparedStatement deleteSnapshots;
        private final PreparedStatement insertSnapshot;
        private final PreparedStatement upsertMeta;
        private long lastPosition;

        // Written by the writer thread, read by stats().
        private volatile long transactions;
        private volatile long changesWritten;
        private volatile long duplicates;
        private volatile long rejected;
        private volatile long largestBatch;

        Rows(Connection connection, long lastPosition) throws SQLException {
            this.connection = connection;
            this.lastPosition = lastPosition;
            this.insertChange = connection.prepareStatement("INSERT INTO changes (" + CHANGE_COLUMNS
                    + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (actor, seq) DO NOTHING");
            this.selectExisting = connection.prepareStatement(
                    "SELECT bytes FROM changes WHERE actor = ? AND seq = ?");
            this.deleteSnapshots = connection.prepareStatement("DELETE FROM snapshots");
            this.insertSnapshot = connection.prepareStatement(
                    "INSERT INTO snapshots (last_position, checksum, document) VALUES (?, ?, ?)");
            this.upsertMeta = connection.prepareStatement("INSERT INTO meta (key, checksum, value) VALUES (?, ?, ?)"
                    + " ON CONFLICT (key) DO UPDATE SET checksum = excluded.checksum, value = excluded.value");
        }

        @Override
        public List<RuntimeException> write(List<Op> batch) {
            Object[] outcomes = new Object[batch.size()];
            long positionBefore = lastPosition;
            try {
                for (int i = 0; i < batch.size(); i++) {
                    outcomes[i] = apply(batch.get(i));
                }
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly();
                lastPosition = positionBefore;
                if (batch.size() == 1) {
                    return List.of(new StoreException(file() + ": write failed: " + e.getMessage(), e));
                }
                List<RuntimeException> each = new ArrayList<>(batch.size());
                for (Op op : batch) {
                    each.addAll(write(List.of(op)));
                }
                return each;
            }
            try {
                connection.commit();
            } catch (SQLException e) {
                rollbackQuietly();
                throw new StoreException(file() + ": commit failed (" + e.getMessage()
                        + "); the store accepts no more writes. Check the disk (space, errors in the kernel log) and"
                        + " restart the node; writes acknowledged before this are safe.", e);
            }
            long added = 0;
            long dup = 0;
            long bad = 0;
            List<RuntimeException> refusals = new ArrayList<>(batch.size());
            synchronized (tracker) {
                for (int i = 0; i < batch.size(); i++) {
                    if (outcomes[i] == NEW && batch.get(i) instanceof Append a) {
                        tracker.add(a.change().actor(), a.change().seq());
                        added++;
                    } else if (outcomes[i] == Boolean.TRUE) {
                        dup++;
                    } else if (outcomes[i] instanceof RuntimeException) {
                        bad++;
                    }
                    refusals.add(outcomes[i] instanceof RuntimeException e ? e : null);
                }
            }
            changeCount += added;
            transactions++;
            changesWritten += added;
            duplicates += dup;
            rejected += bad;
            if (batch.size() > largestBatch) {
                largestBatch = batch.size();
            }
            return refusals;
        }

        /** Writes one operation inside the open transaction; returns NEW, DONE, TRUE (duplicate) or the refusal. */
        private Object apply(Op op) throws SQLException {
            return switch (op) {
                case Append a -> applyAppend(a.change());
                case SaveSnapshot s -> {
                    if (s.snapshot().lastPosition() > lastPosition) {
                        yield new IllegalArgumentException("snapshot claims position " + s.snapshot().lastPosition()
                                + " but the store holds changes up to position " + lastPosition);
                    }
                    byte[] document = s.snapshot().document();
                    deleteSnapshots.executeUpdate();
                    insertSnapshot.setLong(1, s.snapshot().lastPosition());
                    insertSnapshot.setLong(2, RowChecksums.snapshot(s.snapshot().lastPosition(), document));
                    insertSnapshot.setBytes(3, document);
                    insertSnapshot.executeUpdate();
                    yield DONE;
                }
                case PutMeta m -> {
                    upsertMeta.setString(1, m.key());
                    upsertMeta.setLong(2, RowChecksums.meta(m.key(), m.value()));
                    upsertMeta.setBytes(3, m.value());
                    upsertMeta.executeUpdate();
                    yield DONE;
                }
            };
        }

        private Object applyAppend(SignedChange c) throws SQLException {
            long position = lastPosition + 1;
            byte[] actor = c.actor().bytes();
            byte[] signer = c.signerKey();
            byte[] signature = c.signature();
            byte[] bytes = c.bytes();
            insertChange.setLong(1, position);
            insertChange.setBytes(2, actor);
            insertChange.setLong(3, c.seq());
            insertChange.setBytes(4, signer);
            insertChange.setLong(5, c.incarnation());
            insertChange.setBytes(6, signature);
            insertChange.setLong(7, RowChecksums.change(position, actor, c.seq(), signer, c.incarnation(), signature,
                    bytes));
            insertChange.setBytes(8, bytes);
            if (insertChange.executeUpdate() == 1) {
                lastPosition = position;
                return NEW;
            }
            selectExisting.setBytes(1, actor);
            selectExisting.setLong(2, c.seq());
            try (ResultSet rs = selectExisting.executeQuery()) {
                if (rs.next() && Arrays.equals(rs.getBytes(1), bytes)) {
                    return Boolean.TRUE;
                }
            }
            return new StoreException("actor " + c.actor() + " seq " + c.seq() + " is already stored with different"
                    + " bytes: its author signed two different changes for one sequence number. Kept the stored one;"
                    + " this one is refused.");
        }

        private void rollbackQuietly() {
            try {
                connection.rollback();
            } catch (SQLException e) {
                // SQLite rolls back by itself on some errors (full disk, I/O); then there is nothing left to undo.
                log.debug("{}: rollback: {}", file(), e.getMessage());
            }
        }

        @Override
        public void close() {
            try {
                connection.rollback();
            } catch (SQLException ignored) {
                // Nothing was pending, or the connection is already unusable; closing discards it either way.
            }
            SqliteFile.closeQuietly(connection);
        }
    }

    // ---------------------------------------------------------------------------------------------- reads

    @Override
    public List<SignedChange> read(ActorId actor, long fromSeq, int maxCount) {
        Objects.requireNonNull(actor, "actor");
        if (maxCount < 0) {
            throw new IllegalArgumentException("maxCount must be >= 0");
        }
        if (maxCount == 0) {
            return List.of();
        }
        return withReader(r -> {
            PreparedStatement ps = r.byActor;
            ps.setBytes(1, actor.bytes());
            ps.setLong(2, fromSeq);
            ps.setInt(3, maxCount);
            List<SignedChange> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(decodeChange(rs).change());
                }
            }
            return out;
        });
    }

    @Override
    public List<StoredChange> readFrom(long afterPosition, int maxCount) {
        if (maxCount < 0) {
            throw new IllegalArgumentException("maxCount must be >= 0");
        }
        if (maxCount == 0) {
            return List.of();
        }
        return withReader(r -> {
            PreparedStatement ps = r.fromPosition;
            ps.setLong(1, afterPosition);
            ps.setInt(2, maxCount);
            List<StoredChange> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(decodeChange(rs));
                }
            }
            return out;
        });
    }

    /** {@link #read} on a store reader thread; refused with {@link StoreOverloadedException} when too many wait. */
    @Override
    public CompletableFuture<List<SignedChange>> readAsync(ActorId actor, long fromSeq, int maxCount) {
        return onReader(() -> read(actor, fromSeq, maxCount));
    }

    /** {@link #readFrom} on a store reader thread, as {@link #readAsync}. */
    @Override
    public CompletableFuture<List<StoredChange>> readFromAsync(long afterPosition, int maxCount) {
        return onReader(() -> readFrom(afterPosition, maxCount));
    }

    private <T> CompletableFuture<T> onReader(java.util.function.Supplier<T> read) {
        if (committer.isClosed()) {
            return CompletableFuture.failedFuture(new StoreException(file() + ": the store is closed"));
        }
        try {
            return CompletableFuture.supplyAsync(read, readPool);
        } catch (RejectedExecutionException e) {
            if (readPool.isShutdown()) {
                return CompletableFuture.failedFuture(new StoreException(file() + ": the store is closed"));
            }
            return CompletableFuture.failedFuture(new StoreOverloadedException(file() + ": " + MAX_QUEUED_READS
                    + " reads are already waiting for the store's readers; this one was refused, retry later"));
        }
    }

    private StoredChange decodeChange(ResultSet rs) throws SQLException {
        long position = rs.getLong(1);
        byte[] actor = rs.getBytes(2);
        long seq = rs.getLong(3);
        byte[] signer = rs.getBytes(4);
        long incarnation = rs.getLong(5);
        byte[] signature = rs.getBytes(6);
        long checksum = rs.getLong(7);
        byte[] bytes = rs.getBytes(8);
        if (actor == null || signer == null || signature == null || bytes == null
                || RowChecksums.change(position, actor, seq, signer, incarnation, signature, bytes) != checksum) {
            throw sqlite.corrupt("holds a change (position " + position + ") that fails its checksum", null);
        }
        try {
            return new StoredChange(position, new SignedChange(signer, incarnation, new ActorId(actor), seq, bytes,
                    signature));
        } catch (IllegalArgumentException e) {
            throw sqlite.corrupt("holds a malformed change at position " + position + " (" + e.getMessage() + ")", e);
        }
    }

    @Override
    public VersionVector vector() {
        ensureUsable();
        synchronized (tracker) {
            return tracker.vector();
        }
    }

    @Override
    public long changeCount() {
        ensureUsable();
        return changeCount;
    }

    @Override
    public Optional<Snapshot> latestSnapshot() {
        return withReader(r -> {
            try (ResultSet rs = r.snapshot.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                long lastPosition = rs.getLong(1);
                long checksum = rs.getLong(2);
                byte[] document = rs.getBytes(3);
                if (document == null || lastPosition < 0
                        || RowChecksums.snapshot(lastPosition, document) != checksum) {
                    throw sqlite.corrupt("holds a snapshot that fails its checksum", null);
                }
                return Optional.of(new Snapshot(lastPosition, document));
            }
        });
    }

    @Override
    public Optional<byte[]> getMeta(String key) {
        Objects.requireNonNull(key, "key");
        return withReader(r -> {
            r.meta.setString(1, key);
            try (ResultSet rs = r.meta.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                long checksum = rs.getLong(1);
                byte[] value = rs.getBytes(2);
                if (value == null || RowChecksums.meta(key, value) != checksum) {
                    throw sqlite.corrupt("holds a metadata value (" + key + ") that fails its checksum", null);
                }
                return Optional.of(value);
            }
        });
    }

    private void ensureUsable() {
        if (committer.isClosed()) {
            throw new StoreException(file() + ": the store is closed");
        }
    }

    private interface ReadAction<T> {
        T run(Reader reader) throws SQLException;
    }

    private <T> T withReader(ReadAction<T> action) {
        ensureUsable();
        Reader reader;
        try {
            reader = readers.poll(READ_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException(file() + ": interrupted while waiting for a read connection", e);
        }
        if (reader == null) {
            throw new StoreException(file() + ": no read connection became free within " + READ_WAIT_SECONDS
                    + " s");
        }
        try {
            ensureUsable();
            return action.run(reader);
        } catch (SQLException e) {
            throw sqlite.readFailure(e);
        } finally {
            readers.add(reader);
            if (committer.isClosed()) {
                closeReaders();
            }
        }
    }

    // ---------------------------------------------------------------------------------------------- close

    /** Writes what is queued, waits for it to be durable, then releases the file and its lock. */
    @Override
    public void close() {
        if (committer.isClosed()) {
            return;
        }
        readPool.shutdown();
        try {
            // A read in progress holds a connection; let it finish before the connections close.
            if (!readPool.awaitTermination(READ_WAIT_SECONDS, TimeUnit.SECONDS)) {
                log.warn("{}: reads still running at close", file());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            committer.close();
        } catch (StoreException e) {
            // Releasing the lock now would let another process open the file while this one still writes it.
            throw new StoreException(e.getMessage() + "; the file stays locked until this process exits", e);
        } finally {
            closeReaders();
        }
        lock.close();
    }

    private void closeReaders() {
        List<Reader> idle = new ArrayList<>();
        readers.drainTo(idle);
        for (Reader r : idle) {
            r.close();
        }
    }

    private static void closeAll(Connection writeConnection, List<Reader> readers, StoreLock lock) {
        SqliteFile.closeQuietly(writeConnection);
        readers.forEach(Reader::close);
        lock.close();
    }

    /** A read connection with its statements prepared once. */
    private static final class Reader {
        final Connection connection;
        final PreparedStatement byActor;
        final PreparedStatement fromPosition;
        final PreparedStatement snapshot;
        final PreparedStatement meta;

        Reader(Connection connection) throws SQLException {
            this.connection = connection;
            try (Statement s = connection.createStatement()) {
                s.execute("PRAGMA query_only = ON");
            }
            this.byActor = connection.prepareStatement("SELECT " + CHANGE_COLUMNS
                    + " FROM changes WHERE actor = ? AND seq >= ? ORDER BY seq LIMIT ?");
            this.fromPosition = connection.prepareStatement("SELECT " + CHANGE_COLUMNS
                    + " FROM changes WHERE position > ? ORDER BY position LIMIT ?");
            this.snapshot = connection.prepareStatement(
                    "SELECT last_position, checksum, document FROM snapshots ORDER BY id DESC LIMIT 1");
            this.meta = connection.prepareStatement("SELECT checksum, value FROM meta WHERE key = ?");
        }

        void close() {
            SqliteFile.closeQuietly(connection);
        }
    }
}
