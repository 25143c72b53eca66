package io.agentmesh.state.store;

import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.protocol.change.SignedChange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;
import org.sqlite.SQLiteOpenMode;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The node's durable store on SQLite: one file in WAL mode with {@code synchronous=FULL}, so every commit fsyncs
 * the write-ahead log before it returns (DESIGN.md invariant 3).
 *
 * <p><b>Group commit.</b> {@link #append} only puts the change on a bounded queue and never touches the disk. One
 * writer thread takes everything queued (up to {@link Options#maxBatch}), writes it in one transaction, commits
 * (one fsync for the whole batch), and only then completes the futures and advances {@link #vector()}. Futures are
 * completed on the writer thread: callbacks attached with {@code thenRun} run there and must not block; hand work to
 * your own thread with the {@code *Async} variants.
 *
 * <p><b>Overload.</b> When {@link Options#queueCapacity} changes or {@link Options#maxQueuedBytes} bytes are already
 * waiting, {@code append} fails at once with a {@link StoreException} saying the store is overloaded, instead of
 * blocking: its caller is the single-threaded node core, which must never stall on disk, and can turn the refusal
 * into back-pressure of its own (a 503 to an API client, a pause in pulling from peers).
 *
 * <p><b>Bad input in a batch.</b> A change that fails (an author who signed two different byte strings for one
 * (actor, seq)) fails only its own future; the rest of the batch commits. If SQLite rejects a batch as a whole, it
 * is retried one operation per transaction so that only the culprit fails. If a commit itself fails (fsync error,
 * full disk at commit), the store stops accepting writes: after a failed fsync the kernel may already have dropped
 * the dirty pages and cleared the error, so a retry could report durability it does not have. Restart the node.
 *
 * <p><b>Damaged files.</b> Opening checks the file header, the schema and SQLite's structural check; every row also
 * carries a CRC32C that reads verify. A damaged file gives a {@link StoreException} naming the file and the way out,
 * never an empty store in its place.
 */
public final class SqliteChangeStore implements ChangeStore {
    /** Version of the tables below; a file with a higher one was written by a newer agentmesh. */
    public static final int SCHEMA_VERSION = 1;
    /** {@code PRAGMA application_id} of an agentmesh store ("AMST"), so another SQLite file is told apart. */
    public static final int APPLICATION_ID = 0x414d5354;

    private static final Logger log = LoggerFactory.getLogger(SqliteChangeStore.class);
    private static final byte[] SQLITE_MAGIC = "SQLite format 3\0".getBytes(StandardCharsets.US_ASCII);
    // Per-change queue accounting overhead on top of the change bytes: key, signature, actor, object headers.
    private static final int QUEUED_CHANGE_OVERHEAD = 256;
    private static final long WRITER_STOP_TIMEOUT_SECONDS = 120;
    private static final long SYNC_CALL_TIMEOUT_SECONDS = 600;
    private static final String CHANGE_COLUMNS = "position, actor, seq, signer, incarnation, signature, checksum, bytes";

    private static final List<String> SCHEMA = List.of(
            "CREATE TABLE schema_version (version INTEGER NOT NULL)",
            "CREATE TABLE changes (position INTEGER PRIMARY KEY, actor BLOB NOT NULL, seq INTEGER NOT NULL,"
                    + " signer BLOB NOT NULL, incarnation INTEGER NOT NULL, signature BLOB NOT NULL,"
                    + " checksum INTEGER NOT NULL, bytes BLOB NOT NULL, UNIQUE (actor, seq))",
            "CREATE TABLE snapshots (id INTEGER PRIMARY KEY, last_position INTEGER NOT NULL,"
                    + " checksum INTEGER NOT NULL, document BLOB NOT NULL)",
            "CREATE TABLE meta (key TEXT PRIMARY KEY, checksum INTEGER NOT NULL, value BLOB NOT NULL)",
            "INSERT INTO schema_version (version) VALUES (" + SCHEMA_VERSION + ")");

    /** How much of the file {@link #open} reads to prove it sound. */
    public enum OpenCheck {
        /** {@code PRAGMA quick_check}: b-tree structure, not index-to-table agreement. */
        QUICK,
        /** {@code PRAGMA integrity_check}: also proves every index entry matches its row. */
        INTEGRITY
    }

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

    private sealed interface Op permits Append, SaveSnapshot, PutMeta, Stop {
    }

    private record Append(SignedChange change, CompletableFuture<Void> done) implements Op {
    }

    private record SaveSnapshot(Snapshot snapshot, CompletableFuture<Void> done) implements Op {
    }

    private record PutMeta(String key, byte[] value, CompletableFuture<Void> done) implements Op {
    }

    private record Stop() implements Op {
    }

    private static final Object NEW = "new";
    private static final Object DONE = "done";

    private final Path file;
    private final Options options;
    private final StoreLock lock;
    private final ArrayBlockingQueue<Op> queue;
    private final AtomicLong queuedBytes = new AtomicLong();
    private final BlockingQueue<Reader> readers;
    private final List<Reader> allReaders;
    private final Connection writeConnection;
    private final PreparedStatement insertChange;
    private final PreparedStatement selectExisting;
    private final PreparedStatement deleteSnapshots;
    private final PreparedStatement insertSnapshot;
    private final PreparedStatement upsertMeta;
    private final Thread writer;
    private final Object closeLock = new Object();

    // Guarded by itself; advanced by the writer after each commit, read by anyone.
    private final VersionVectorTracker tracker;
    private volatile long changeCount;
    // Writer thread only (set before it starts).
    private long lastPosition;

    private volatile boolean closed;
    private volatile boolean writerDone;
    private volatile StoreException broken;
    // Tests hold the writer to build a known batch.
    private volatile CountDownLatch writerGate;

    private volatile long transactions;
    private volatile long changesWritten;
    private volatile long duplicates;
    private volatile long rejected;
    private volatile long largestBatch;

    private SqliteChangeStore(Path file, Options options, StoreLock lock, Connection writeConnection,
                              List<Reader> readers, VersionVectorTracker tracker, long changeCount,
                              long lastPosition) throws SQLException {
        this.file = file;
        this.options = options;
        this.lock = lock;
        this.queue = new ArrayBlockingQueue<>(options.queueCapacity());
        this.writeConnection = writeConnection;
        this.allReaders = List.copyOf(readers);
        this.readers = new ArrayBlockingQueue<>(readers.size(), false, readers);
        this.tracker = tracker;
        this.changeCount = changeCount;
        this.lastPosition = lastPosition;
        this.insertChange = writeConnection.prepareStatement("INSERT INTO changes (" + CHANGE_COLUMNS
                + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (actor, seq) DO NOTHING");
        this.selectExisting = writeConnection.prepareStatement(
                "SELECT bytes FROM changes WHERE actor = ? AND seq = ?");
        this.deleteSnapshots = writeConnection.prepareStatement("DELETE FROM snapshots");
        this.insertSnapshot = writeConnection.prepareStatement(
                "INSERT INTO snapshots (last_position, checksum, document) VALUES (?, ?, ?)");
        this.upsertMeta = writeConnection.prepareStatement("INSERT INTO meta (key, checksum, value) VALUES (?, ?, ?)"
                + " ON CONFLICT (key) DO UPDATE SET checksum = excluded.checksum, value = excluded.value");
        this.writer = Thread.ofPlatform().name("agentmesh-store-writer").daemon(true).unstarted(this::writeLoop);
    }

    /** Opens the store at {@code file} with {@link Options#DEFAULTS}, creating it when no file is there. */
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
        Path path = file.toAbsolutePath().normalize();
        StoreLock lock = StoreLock.acquire(path);
        Connection writeConnection = null;
        List<Reader> readers = new ArrayList<>();
        try {
            if (!createIfAbsent(path)) {
                checkHeader(path);
            }
            writeConnection = connect(path);
            configureWriter(path, writeConnection);
            checkIdentity(path, writeConnection);
            runCheck(path, writeConnection, options.openCheck());

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
                        throw corrupt(path, "holds a change with a malformed actor or seq", null);
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
            try (Statement s = writeConnection.createStatement();
                 ResultSet rs = s.executeQuery("SELECT coalesce(max(position), 0) FROM changes")) {
                rs.next();
                lastPosition = rs.getLong(1);
            }
            writeConnection.setAutoCommit(false);
            for (int i = 0; i < options.readConnections(); i++) {
                Connection c = connect(path);
                try {
                    readers.add(new Reader(c));
                } catch (SQLException | RuntimeException e) {
                    closeQuietly(c);
                    throw e;
                }
            }
            SqliteChangeStore store = new SqliteChangeStore(path, options, lock, writeConnection, readers, tracker,
                    count, lastPosition);
            store.writer.start();
            return store;
        } catch (SQLException e) {
            closeAll(writeConnection, readers, lock);
            throw translateOpenFailure(path, e);
        } catch (RuntimeException | Error e) {
            closeAll(writeConnection, readers, lock);
            throw e;
        }
    }

    /** The database file. */
    public Path file() {
        return file;
    }

    public Stats stats() {
        return new Stats(transactions, changesWritten, duplicates, rejected, largestBatch, queue.size());
    }

    // ---------------------------------------------------------------------------------------------- writes

    @Override
    public CompletableFuture<Void> append(SignedChange change) {
        Objects.requireNonNull(change, "change");
        StoreException refusal = refusal();
        if (refusal != null) {
            return CompletableFuture.failedFuture(refusal);
        }
        long size = change.size() + QUEUED_CHANGE_OVERHEAD;
        if (queuedBytes.addAndGet(size) > options.maxQueuedBytes()) {
            queuedBytes.addAndGet(-size);
            return CompletableFuture.failedFuture(overloaded());
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (!queue.offer(new Append(change, done))) {
            queuedBytes.addAndGet(-size);
            return CompletableFuture.failedFuture(overloaded());
        }
        if (writerDone) {
            // The writer left between our check and our offer; nothing will take the op off the queue but us.
            failQueued();
        }
        return done;
    }

    @Override
    public void saveSnapshot(Snapshot snapshot) {
        Objects.requireNonNull(snapshot, "snapshot");
        CompletableFuture<Void> done = new CompletableFuture<>();
        submitAndWait(new SaveSnapshot(snapshot, done), done);
    }

    @Override
    public void putMeta(String key, byte[] value) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("a metadata key is required");
        }
        Objects.requireNonNull(value, "value");
        CompletableFuture<Void> done = new CompletableFuture<>();
        submitAndWait(new PutMeta(key, value.clone(), done), done);
    }

    private void submitAndWait(Op op, CompletableFuture<Void> done) {
        StoreException refusal = refusal();
        if (refusal != null) {
            throw refusal;
        }
        try {
            // Snapshots and metadata are rare and their callers can wait, so they queue behind a full queue
            // instead of being refused like appends.
            if (!queue.offer(op, SYNC_CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw overloaded();
            }
            if (writerDone) {
                failQueued();
            }
            done.get(SYNC_CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException(file + ": interrupted while waiting for the write; it may or may not be durable",
                    e);
        } catch (TimeoutException e) {
            throw new StoreException(file + ": the write did not become durable within " + SYNC_CALL_TIMEOUT_SECONDS
                    + " s; the disk is stalled or far too slow", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new StoreException(file + ": write failed: " + e.getCause(), e.getCause());
        }
    }

    private StoreException refusal() {
        StoreException b = broken;
        if (b != null) {
            return b;
        }
        if (closed) {
            return new StoreException(file + ": the store is closed");
        }
        return null;
    }

    private StoreException overloaded() {
        return new StoreException(file + ": store overloaded: " + queue.size() + " writes ("
                + (queuedBytes.get() >> 20) + " MiB) are already waiting for the disk (limits "
                + options.queueCapacity() + " writes, " + (options.maxQueuedBytes() >> 20)
                + " MiB). This write was refused and is not stored; retry later. If it persists the disk is slower"
                + " than the write rate.");
    }

    /** Fails whatever is left on the queue once the writer has gone. */
    private void failQueued() {
        List<Op> left = new ArrayList<>();
        queue.drainTo(left);
        StoreException reason = refusal();
        if (reason == null) {
            reason = new StoreException(file + ": the store is closed");
        }
        for (Op op : left) {
            release(op);
            fail(op, reason);
        }
    }

    // ---------------------------------------------------------------------------------------------- writer thread

    private void writeLoop() {
        List<Op> batch = new ArrayList<>();
        try {
            boolean stopping = false;
            while (!stopping) {
                Op first = queue.take();
                CountDownLatch gate = writerGate;
                if (gate != null && !gate.await(SYNC_CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    log.warn("{}: writer gate left closed for {} s; continuing", file, SYNC_CALL_TIMEOUT_SECONDS);
                }
                batch.add(first);
                queue.drainTo(batch, options.maxBatch() - 1);
                for (Op op : batch) {
                    release(op);
                }
                int stopAt = indexOfStop(batch);
                if (stopAt >= 0) {
                    // Ops behind the Stop raced with close(); they are refused, like any op after close.
                    StoreException closedError = new StoreException(file + ": the store is closed");
                    for (Op op : batch.subList(stopAt, batch.size())) {
                        fail(op, closedError);
                    }
                    batch.subList(stopAt, batch.size()).clear();
                    stopping = true;
                }
                if (!batch.isEmpty()) {
                    writeBatch(batch);
                }
                batch.clear();
            }
        } catch (Throwable t) {
            StoreException failure = new StoreException(file + ": the store writer failed (" + t
                    + "); the store accepts no more writes. Restart the node; acknowledged writes are safe.", t);
            broken = failure;
            log.error("{}", failure.getMessage(), t);
            for (Op op : batch) {
                fail(op, failure);
            }
            if (t instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
        } finally {
            writerDone = true;
            failQueued();
            try {
                writeConnection.rollback();
            } catch (SQLException ignored) {
                // Nothing was pending, or the connection is already unusable; closing discards it either way.
            }
            closeQuietly(writeConnection);
        }
    }

    private static int indexOfStop(List<Op> batch) {
        for (int i = 0; i < batch.size(); i++) {
            if (batch.get(i) instanceof Stop) {
                return i;
            }
        }
        return -1;
    }

    private void release(Op op) {
        if (op instanceof Append a) {
            queuedBytes.addAndGet(-(a.change().size() + QUEUED_CHANGE_OVERHEAD));
        }
    }

    private void writeBatch(List<Op> batch) {
        StoreException b = broken;
        if (b != null) {
            batch.forEach(op -> fail(op, b));
            return;
        }
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
                fail(batch.getFirst(), new StoreException(file + ": write failed: " + e.getMessage(), e));
            } else {
                for (Op op : batch) {
                    writeBatch(List.of(op));
                }
            }
            return;
        }
        try {
            writeConnection.commit();
        } catch (SQLException e) {
            StoreException failure = new StoreException(file + ": commit failed (" + e.getMessage()
                    + "); the store accepts no more writes. Check the disk (space, errors in the kernel log) and"
                    + " restart the node; writes acknowledged before this are safe.", e);
            broken = failure;
            log.error("{}", failure.getMessage(), e);
            rollbackQuietly();
            batch.forEach(op -> fail(op, failure));
            return;
        }
        long added = 0;
        long dup = 0;
        long bad = 0;
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
        for (int i = 0; i < batch.size(); i++) {
            CompletableFuture<Void> done = futureOf(batch.get(i));
            if (outcomes[i] instanceof RuntimeException e) {
                done.completeExceptionally(e);
            } else {
                done.complete(null);
            }
        }
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
            case Stop stop -> throw new IllegalStateException("Stop is handled by the loop");
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

    private static CompletableFuture<Void> futureOf(Op op) {
        return switch (op) {
            case Append a -> a.done();
            case SaveSnapshot s -> s.done();
            case PutMeta m -> m.done();
            case Stop stop -> CompletableFuture.completedFuture(null);
        };
    }

    private static void fail(Op op, Throwable t) {
        futureOf(op).completeExceptionally(t);
    }

    private void rollbackQuietly() {
        try {
            writeConnection.rollback();
        } catch (SQLException e) {
            // SQLite rolls back by itself on some errors (full disk, I/O); then there is nothing left to undo.
            log.debug("{}: rollback: {}", file, e.getMessage());
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
            throw corrupt(file, "holds a change (position " + position + ") that fails its checksum", null);
        }
        try {
            return new StoredChange(position, new SignedChange(signer, incarnation, new ActorId(actor), seq, bytes,
                    signature));
        } catch (IllegalArgumentException e) {
            throw corrupt(file, "holds a malformed change at position " + position + " (" + e.getMessage() + ")", e);
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
                    throw corrupt(file, "holds a snapshot that fails its checksum", null);
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
                    throw corrupt(file, "holds a metadata value (" + key + ") that fails its checksum", null);
                }
                return Optional.of(value);
            }
        });
    }

    private void ensureUsable() {
        if (closed) {
            throw new StoreException(file + ": the store is closed");
        }
    }

    private interface ReadAction<T> {
        T run(Reader reader) throws SQLException;
    }

    private <T> T withReader(ReadAction<T> action) {
        ensureUsable();
        Reader reader;
        try {
            reader = readers.poll(SYNC_CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException(file + ": interrupted while waiting for a read connection", e);
        }
        if (reader == null) {
            throw new StoreException(file + ": no read connection became free within " + SYNC_CALL_TIMEOUT_SECONDS
                    + " s");
        }
        try {
            ensureUsable();
            return action.run(reader);
        } catch (SQLException e) {
            throw translateReadFailure(e);
        } finally {
            readers.add(reader);
            if (closed) {
                closeReaders();
            }
        }
    }

    private StoreException translateReadFailure(SQLException e) {
        if (isCorruption(e)) {
            return corrupt(file, "is corrupted (" + e.getMessage() + ")", e);
        }
        return new StoreException(file + ": read failed: " + e.getMessage(), e);
    }

    // ---------------------------------------------------------------------------------------------- close

    /** Writes what is queued, waits for it to be durable, then releases the file and its lock. */
    @Override
    public void close() {
        synchronized (closeLock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        CountDownLatch gate = writerGate;
        if (gate != null) {
            gate.countDown();
        }
        try {
            if (!writerDone && !queue.offer(new Stop(), WRITER_STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                log.error("{}: the writer did not make room to stop within {} s", file, WRITER_STOP_TIMEOUT_SECONDS);
            }
            writer.join(TimeUnit.SECONDS.toMillis(WRITER_STOP_TIMEOUT_SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeReaders();
        if (writer.isAlive()) {
            // Releasing the lock now would let another process open the file while this one still writes it.
            throw new StoreException(file + ": the writer did not finish within " + WRITER_STOP_TIMEOUT_SECONDS
                    + " s; the file stays locked until this process exits");
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

    // ---------------------------------------------------------------------------------------------- open helpers

    /** Creates a fresh store when none is there; returns whether it did. */
    private static boolean createIfAbsent(Path path) throws SQLException {
        if (Files.exists(path)) {
            return false;
        }
        Path wal = sibling(path, "-wal");
        Path journal = sibling(path, "-journal");
        for (Path leftover : List.of(wal, journal)) {
            if (sizeOrZero(leftover) > 0) {
                throw new StoreException(path + " is missing but " + leftover + " is there: the database was moved or"
                        + " deleted without its log, which may hold acknowledged writes. Put the database back or"
                        + " restore it from a backup. To start empty on purpose, move " + leftover
                        + " away as well; the node then resyncs from its peers under a new incarnation.");
            }
        }
        try {
            Files.deleteIfExists(wal);
            Files.deleteIfExists(journal);
            Files.deleteIfExists(sibling(path, "-shm"));
            // Built under a temporary name and renamed into place, so a crash during creation leaves no file at
            // `path`: any file found there later was a complete store, and a short or empty one is damage.
            Path creating = sibling(path, ".creating");
            for (String suffix : List.of("", "-wal", "-shm", "-journal")) {
                Files.deleteIfExists(sibling(creating, suffix));
            }
            try (Connection c = new SQLiteConfig().createConnection("jdbc:sqlite:" + creating);
                 Statement s = c.createStatement()) {
                s.execute("PRAGMA journal_mode = WAL");
                s.execute("PRAGMA synchronous = FULL");
                s.execute("PRAGMA application_id = " + APPLICATION_ID);
                c.setAutoCommit(false);
                for (String sql : SCHEMA) {
                    s.execute(sql);
                }
                c.commit();
            }
            if (Files.exists(sibling(creating, "-wal"))) {
                throw new StoreException("creating " + path + ": SQLite left " + sibling(creating, "-wal")
                        + " behind after closing; refusing to rename a store whose log is separate from it");
            }
            try (FileChannel ch = FileChannel.open(creating, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(creating, path, StandardCopyOption.ATOMIC_MOVE);
            fsyncDirectory(path.getParent());
            return true;
        } catch (IOException e) {
            throw new StoreException("cannot create " + path + ": " + e.getMessage(), e);
        }
    }

    private static void fsyncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some platforms cannot open a directory for fsync; there the rename's durability is the OS's.
            log.debug("cannot fsync directory {}: {}", dir, e.getMessage());
        }
    }

    /**
     * Refuses files SQLite would misread: too short, not SQLite, or shorter than their own header says. SQLite
     * reads missing pages as zeros, which its checks do not always notice when the cut is at a page boundary.
     */
    private static void checkHeader(Path path) {
        if (Files.isDirectory(path)) {
            throw new StoreException(path + " is a directory, not a store file");
        }
        long size;
        byte[] header = new byte[100];
        int read;
        try (InputStream in = Files.newInputStream(path)) {
            size = Files.size(path);
            read = in.readNBytes(header, 0, header.length);
        } catch (IOException e) {
            throw new StoreException("cannot read " + path + ": " + e.getMessage(), e);
        }
        if (size == 0) {
            throw corrupt(path, "is empty (0 bytes) although a store is never created empty, so it was truncated",
                    null);
        }
        if (read < header.length || !Arrays.equals(header, 0, SQLITE_MAGIC.length, SQLITE_MAGIC, 0,
                SQLITE_MAGIC.length)) {
            throw corrupt(path, read < header.length && startsLikeSqlite(header, read)
                    ? "is truncated (" + size + " bytes)" : "is not a SQLite database", null);
        }
        ByteBuffer h = ByteBuffer.wrap(header);
        int pageSize = Short.toUnsignedInt(h.getShort(16));
        if (pageSize == 1) {
            pageSize = 65_536;
        }
        if (pageSize < 512 || Integer.bitCount(pageSize) != 1) {
            throw corrupt(path, "has an invalid page size in its header (" + pageSize + ")", null);
        }
        long pageCount = Integer.toUnsignedLong(h.getInt(28));
        boolean pageCountValid = pageCount > 0 && h.getInt(24) == h.getInt(92);
        // With a non-empty WAL the file may legitimately lag its header (an interrupted checkpoint); SQLite's
        // recovery redoes it from the log. Without one, the file must hold every page the header counts.
        boolean walHasContent = sizeOrZero(sibling(path, "-wal")) > 0;
        if (!walHasContent && (size % pageSize != 0 || (pageCountValid && size < pageCount * pageSize))) {
            throw corrupt(path, "is truncated (" + size + " bytes; its header says " + pageCount + " pages of "
                    + pageSize + " bytes)", null);
        }
    }

    private static boolean startsLikeSqlite(byte[] header, int read) {
        int n = Math.min(read, SQLITE_MAGIC.length);
        return n > 0 && Arrays.equals(header, 0, n, SQLITE_MAGIC, 0, n);
    }

    private static Connection connect(Path path) throws SQLException {
        SQLiteConfig config = new SQLiteConfig();
        // Never create here: a missing file must not quietly become an empty store.
        config.resetOpenMode(SQLiteOpenMode.CREATE);
        config.setBusyTimeout(10_000);
        Connection c = config.createConnection("jdbc:sqlite:" + path);
        try (Statement s = c.createStatement()) {
            // Makes SQLite check cell sizes while reading, catching more damage on the way instead of misreading it.
            s.execute("PRAGMA cell_size_check = ON");
        } catch (SQLException e) {
            closeQuietly(c);
            throw e;
        }
        return c;
    }

    private static void configureWriter(Path path, Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            String mode = queryString(s, "PRAGMA journal_mode = WAL");
            if (!"wal".equalsIgnoreCase(mode)) {
                throw new StoreException(path + ": SQLite refused WAL mode (journal_mode is " + mode + "); is the"
                        + " file on a network file system? The store needs a local disk.");
            }
            // FULL fsyncs the WAL at every commit; NORMAL would only at checkpoints, losing acknowledged writes
            // on power loss. fullfsync matters on macOS only (F_FULLFSYNC); on Linux fsync already flushes the
            // device cache.
            s.execute("PRAGMA synchronous = FULL");
            s.execute("PRAGMA fullfsync = ON");
            s.execute("PRAGMA checkpoint_fullfsync = ON");
            s.execute("PRAGMA journal_size_limit = " + (64L * 1024 * 1024));
            long sync = queryLong(s, "PRAGMA synchronous");
            if (sync != 2) {
                throw new StoreException(path + ": SQLite did not accept synchronous=FULL (got " + sync + ")");
            }
        }
    }

    private static void checkIdentity(Path path, Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            long appId = queryLong(s, "PRAGMA application_id");
            if (appId != APPLICATION_ID) {
                throw new StoreException(path + " is a SQLite database but not an agentmesh store (application_id "
                        + appId + "). Point the node at its own state directory.");
            }
            List<Long> versions = new ArrayList<>();
            try (ResultSet rs = s.executeQuery("SELECT version FROM schema_version")) {
                while (rs.next()) {
                    versions.add(rs.getLong(1));
                }
            }
            if (versions.size() != 1) {
                throw corrupt(path, "has " + versions.size() + " schema version rows instead of one", null);
            }
            long version = versions.getFirst();
            if (version > SCHEMA_VERSION) {
                throw new StoreException(path + " was written by a newer agentmesh (store schema " + version
                        + "; this version reads up to " + SCHEMA_VERSION + "). Run the newer version, or restore a"
                        + " backup made by this one.");
            }
            if (version < 1) {
                throw corrupt(path, "has an invalid schema version (" + version + ")", null);
            }
        }
    }

    private static void runCheck(Path path, Connection c, OpenCheck check) throws SQLException {
        String pragma = check == OpenCheck.QUICK ? "PRAGMA quick_check(5)" : "PRAGMA integrity_check(5)";
        List<String> problems = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(pragma)) {
            while (rs.next()) {
                problems.add(rs.getString(1));
            }
        }
        if (!problems.equals(List.of("ok"))) {
            throw corrupt(path, "failed SQLite's " + (check == OpenCheck.QUICK ? "quick_check" : "integrity_check")
                    + ": " + String.join("; ", problems), null);
        }
    }

    private static String queryString(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    private static long queryLong(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getLong(1) : -1;
        }
    }

    private static StoreException translateOpenFailure(Path path, SQLException e) {
        if (isCorruption(e)) {
            return corrupt(path, "cannot be read as a store (" + e.getMessage() + ")", e);
        }
        if (e instanceof SQLiteException se) {
            int primary = se.getResultCode().code & 0xff;
            if (primary == SQLiteErrorCode.SQLITE_CANTOPEN.code || primary == SQLiteErrorCode.SQLITE_PERM.code
                    || primary == SQLiteErrorCode.SQLITE_READONLY.code || primary == SQLiteErrorCode.SQLITE_IOERR.code
                    || primary == SQLiteErrorCode.SQLITE_FULL.code || primary == SQLiteErrorCode.SQLITE_BUSY.code) {
                return new StoreException("cannot open " + path + ": " + e.getMessage()
                        + ". Check that the directory is writable, on a local disk with free space, and not in use.",
                        e);
            }
        }
        // Any other SQL error here means the tables are not what this version wrote: a damaged schema.
        return corrupt(path, "does not have the expected tables (" + e.getMessage() + ")", e);
    }

    private static boolean isCorruption(SQLException e) {
        if (e instanceof SQLiteException se) {
            int primary = se.getResultCode().code & 0xff;
            return primary == SQLiteErrorCode.SQLITE_CORRUPT.code || primary == SQLiteErrorCode.SQLITE_NOTADB.code;
        }
        return false;
    }

    static StoreException corrupt(Path path, String what, Throwable cause) {
        String name = path.getFileName().toString();
        String message = path + " " + what + ". The store cannot be used as it is. Restore it from a backup, or"
                + " move " + name + " (with " + name + "-wal and " + name + "-shm if present) out of "
                + path.getParent() + "; the node then starts with an empty store and resyncs from its peers under a"
                + " new incarnation.";
        log.error("{}", message);
        return new StoreException(message, cause);
    }

    private static Path sibling(Path path, String suffix) {
        return path.resolveSibling(path.getFileName() + suffix);
    }

    private static long sizeOrZero(Path p) {
        try {
            return Files.exists(p) ? Files.size(p) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private static void closeAll(Connection writeConnection, List<Reader> readers, StoreLock lock) {
        closeQuietly(writeConnection);
        readers.forEach(Reader::close);
        lock.close();
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException e) {
                log.debug("closing a connection: {}", e.getMessage());
            }
        }
    }

    // ---------------------------------------------------------------------------------------------- test hooks

    /** Makes the writer wait after taking its next operation, so a test can queue a known batch behind it. */
    void holdWriter() {
        writerGate = new CountDownLatch(1);
    }

    void releaseWriter() {
        CountDownLatch gate = writerGate;
        writerGate = null;
        if (gate != null) {
            gate.countDown();
        }
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
            closeQuietly(connection);
        }
    }
}
