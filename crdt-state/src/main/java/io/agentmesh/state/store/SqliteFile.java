package io.agentmesh.state.store;

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
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One agentmesh SQLite file (the change store, the Raft log): creating it, proving it sound on open, and turning
 * SQLite's errors into messages that name the file and the way out. WAL journal with {@code synchronous=FULL}, so
 * every commit fsyncs the write-ahead log before it returns (DESIGN.md invariant 3), the configuration DESIGN.md's
 * kill -9 loops found safe.
 *
 * <p>Every file carries its kind in {@code PRAGMA application_id}, so another SQLite file is told apart, and its
 * schema version in {@code PRAGMA user_version}. Change stores written before the version moved to the header keep
 * it in a one-row {@code schema_version} table ({@link Format#legacyVersionTable}) and are read as they are.
 *
 * <p>A damaged file gives a {@link StoreException} naming the file and the way out, never an empty database in its
 * place: a new file is built under a temporary name and renamed into place, so any file found at the path was once
 * complete, and a short or empty one is damage.
 */
public final class SqliteFile {
    private static final Logger log = LoggerFactory.getLogger(SqliteFile.class);
    private static final byte[] SQLITE_MAGIC = "SQLite format 3\0".getBytes(StandardCharsets.US_ASCII);
    private static final int BUSY_TIMEOUT_MS = 10_000;
    private static final long JOURNAL_SIZE_LIMIT_BYTES = 64L * 1024 * 1024;

    /** How much of the file opening reads to prove it sound. */
    public enum OpenCheck {
        /** {@code PRAGMA quick_check}: b-tree structure, not index-to-table agreement. */
        QUICK,
        /** {@code PRAGMA integrity_check}: also proves every index entry matches its row. */
        INTEGRITY
    }

    /**
     * What one kind of file holds.
     *
     * @param kind               what errors call it ("store", "Raft log")
     * @param applicationId      {@code PRAGMA application_id} of this kind
     * @param schemaVersion      version of {@code schema}; a file with a higher one was written by a newer agentmesh
     * @param schema             statements that create the tables of a new file
     * @param exclusiveLocking   {@code locking_mode=EXCLUSIVE}, so a second process cannot open the file at all
     * @param whenMovedAside     what happens when the operator moves a damaged file away, e.g. "the node then
     *                           starts with an empty store and resyncs from its peers under a new incarnation."
     * @param legacyVersionTable table that held the schema version before it moved to {@code user_version}, or
     *                           {@code null}
     */
    public record Format(String kind, int applicationId, int schemaVersion, List<String> schema,
                         boolean exclusiveLocking, String whenMovedAside, String legacyVersionTable) {
        public Format {
            Objects.requireNonNull(kind, "kind");
            schema = List.copyOf(schema);
            Objects.requireNonNull(whenMovedAside, "whenMovedAside");
            if (applicationId == 0 || schemaVersion < 1) {
                throw new IllegalArgumentException("a format needs a non-zero application_id and a version >= 1");
            }
        }
    }

    private final Path path;
    private final Format format;

    public SqliteFile(Path path, Format format) {
        this.path = path.toAbsolutePath().normalize();
        this.format = Objects.requireNonNull(format, "format");
    }

    public Path path() {
        return path;
    }

    /**
     * Opens the connection that writes, creating the file first when neither it nor its write-ahead log exists, then
     * proves it is a sound file of this format: header, WAL and {@code synchronous=FULL}, application id, schema
     * version, and SQLite's own {@code check}. The connection is in autocommit mode.
     *
     * @throws StoreException when the file is damaged, of another kind, written by a newer version, or cannot be
     *                        opened; the message names the file and what to do
     */
    public Connection openWriter(OpenCheck check) {
        Connection c = null;
        try {
            if (!createIfAbsent()) {
                checkHeader();
            }
            c = connect();
            configureWriter(c);
            checkIdentity(c);
            runCheck(c, check);
            return c;
        } catch (SQLException e) {
            closeQuietly(c);
            throw openFailure(e);
        } catch (RuntimeException | Error e) {
            closeQuietly(c);
            throw e;
        }
    }

    /** Opens another connection to the existing file, e.g. for reads beside the writer. */
    public Connection openReader() {
        try {
            return connect();
        } catch (SQLException e) {
            throw openFailure(e);
        }
    }

    /** The error for a file that cannot be used as it is, with the way out; logged once here. */
    public StoreException corrupt(String what, Throwable cause) {
        String name = path.getFileName().toString();
        String message = path + " " + what + ". The " + format.kind() + " cannot be used as it is. Restore it from a"
                + " backup, or move " + name + " (with " + name + "-wal and " + name + "-shm if present) out of "
                + path.getParent() + "; " + format.whenMovedAside();
        log.error("{}", message);
        return new StoreException(message, cause);
    }

    /** Translates a failure while opening or checking the file. */
    public StoreException openFailure(SQLException e) {
        if (isCorruption(e)) {
            return corrupt("cannot be read as a " + format.kind() + " (" + e.getMessage() + ")", e);
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
        return corrupt("does not have the expected tables (" + e.getMessage() + ")", e);
    }

    /** Translates a failure while reading the open file. */
    public StoreException readFailure(SQLException e) {
        if (isCorruption(e)) {
            return corrupt("is corrupted (" + e.getMessage() + ")", e);
        }
        return new StoreException(path + ": read failed: " + e.getMessage(), e);
    }

    private static boolean isCorruption(SQLException e) {
        if (e instanceof SQLiteException se) {
            int primary = se.getResultCode().code & 0xff;
            return primary == SQLiteErrorCode.SQLITE_CORRUPT.code || primary == SQLiteErrorCode.SQLITE_NOTADB.code;
        }
        return false;
    }

    public static String queryString(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    /** The first column of the first row, or -1 when there is none. */
    public static long queryLong(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getLong(1) : -1;
        }
    }

    public static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException e) {
                log.debug("closing a connection: {}", e.getMessage());
            }
        }
    }

    // ---------------------------------------------------------------------------------------------- create

    /** Creates a fresh file when none is there; returns whether it did. */
    private boolean createIfAbsent() throws SQLException {
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
                        + " away as well; " + format.whenMovedAside());
            }
        }
        try {
            Files.deleteIfExists(wal);
            Files.deleteIfExists(journal);
            Files.deleteIfExists(sibling(path, "-shm"));
            // Built under a temporary name and renamed into place, so a crash during creation leaves no file at
            // `path`: any file found there later was complete, and a short or empty one is damage.
            Path creating = sibling(path, ".creating");
            for (String suffix : List.of("", "-wal", "-shm", "-journal")) {
                Files.deleteIfExists(sibling(creating, suffix));
            }
            try (Connection c = new SQLiteConfig().createConnection("jdbc:sqlite:" + creating);
                 Statement s = c.createStatement()) {
                s.execute("PRAGMA journal_mode = WAL");
                s.execute("PRAGMA synchronous = FULL");
                s.execute("PRAGMA application_id = " + format.applicationId());
                s.execute("PRAGMA user_version = " + format.schemaVersion());
                c.setAutoCommit(false);
                for (String sql : format.schema()) {
                    s.execute(sql);
                }
                c.commit();
            }
            if (Files.exists(sibling(creating, "-wal"))) {
                throw new StoreException("creating " + path + ": SQLite left " + sibling(creating, "-wal")
                        + " behind after closing; refusing to rename a file whose log is separate from it");
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

    // ---------------------------------------------------------------------------------------------- checks

    /**
     * Refuses files SQLite would misread: too short, not SQLite, or shorter than their own header says. SQLite
     * reads missing pages as zeros, which its checks do not always notice when the cut is at a page boundary.
     */
    private void checkHeader() {
        if (Files.isDirectory(path)) {
            throw new StoreException(path + " is a directory, not a " + format.kind() + " file");
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
            throw corrupt("is empty (0 bytes) although a " + format.kind() + " is never created empty, so it was"
                    + " truncated", null);
        }
        if (read < header.length || !Arrays.equals(header, 0, SQLITE_MAGIC.length, SQLITE_MAGIC, 0,
                SQLITE_MAGIC.length)) {
            throw corrupt(read < header.length && startsLikeSqlite(header, read)
                    ? "is truncated (" + size + " bytes)" : "is not a SQLite database", null);
        }
        ByteBuffer h = ByteBuffer.wrap(header);
        int pageSize = Short.toUnsignedInt(h.getShort(16));
        if (pageSize == 1) {
            pageSize = 65_536;
        }
        if (pageSize < 512 || Integer.bitCount(pageSize) != 1) {
            throw corrupt("has an invalid page size in its header (" + pageSize + ")", null);
        }
        long pageCount = Integer.toUnsignedLong(h.getInt(28));
        boolean pageCountValid = pageCount > 0 && h.getInt(24) == h.getInt(92);
        // With a non-empty WAL the file may legitimately lag its header (an interrupted checkpoint); SQLite's
        // recovery redoes it from the log. Without one, the file must hold every page the header counts.
        boolean walHasContent = sizeOrZero(sibling(path, "-wal")) > 0;
        if (!walHasContent && (size % pageSize != 0 || (pageCountValid && size < pageCount * pageSize))) {
            throw corrupt("is truncated (" + size + " bytes; its header says " + pageCount + " pages of "
                    + pageSize + " bytes)", null);
        }
    }

    private static boolean startsLikeSqlite(byte[] header, int read) {
        int n = Math.min(read, SQLITE_MAGIC.length);
        return n > 0 && Arrays.equals(header, 0, n, SQLITE_MAGIC, 0, n);
    }

    private Connection connect() throws SQLException {
        SQLiteConfig config = new SQLiteConfig();
        // Never create here: a missing file must not quietly become an empty one.
        config.resetOpenMode(SQLiteOpenMode.CREATE);
        config.setBusyTimeout(BUSY_TIMEOUT_MS);
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

    private void configureWriter(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            if (format.exclusiveLocking()) {
                // Before WAL mode is entered, so the WAL index lives in this process's memory and no second
                // process can read or write the file while it is open.
                s.execute("PRAGMA locking_mode = EXCLUSIVE");
            }
            String mode = queryString(s, "PRAGMA journal_mode = WAL");
            if (!"wal".equalsIgnoreCase(mode)) {
                throw new StoreException(path + ": SQLite refused WAL mode (journal_mode is " + mode + "); is the"
                        + " file on a network file system? The " + format.kind() + " needs a local disk.");
            }
            // FULL fsyncs the WAL at every commit; NORMAL would only at checkpoints, losing acknowledged writes
            // on power loss. fullfsync matters on macOS only (F_FULLFSYNC); on Linux fsync already flushes the
            // device cache.
            s.execute("PRAGMA synchronous = FULL");
            s.execute("PRAGMA fullfsync = ON");
            s.execute("PRAGMA checkpoint_fullfsync = ON");
            s.execute("PRAGMA journal_size_limit = " + JOURNAL_SIZE_LIMIT_BYTES);
            long sync = queryLong(s, "PRAGMA synchronous");
            if (sync != 2) {
                throw new StoreException(path + ": SQLite did not accept synchronous=FULL (got " + sync + ")");
            }
        }
    }

    private void checkIdentity(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            long appId = queryLong(s, "PRAGMA application_id");
            if (appId != format.applicationId()) {
                throw new StoreException(path + " is a SQLite database but not an agentmesh " + format.kind()
                        + " (application_id " + appId + "). Point the node at its own state directory.");
            }
            long version = queryLong(s, "PRAGMA user_version");
            if (version == 0 && format.legacyVersionTable() != null) {
                version = legacyVersion(s);
            }
            if (version > format.schemaVersion()) {
                throw new StoreException(path + " was written by a newer agentmesh (" + format.kind() + " schema "
                        + version + "; this version reads up to " + format.schemaVersion() + "). Run the newer"
                        + " version, or restore a backup made by this one.");
            }
            if (version < 1) {
                throw corrupt("has an invalid schema version (" + version + ")", null);
            }
        }
    }

    private long legacyVersion(Statement s) throws SQLException {
        List<Long> versions = new ArrayList<>();
        try (ResultSet rs = s.executeQuery("SELECT version FROM " + format.legacyVersionTable())) {
            while (rs.next()) {
                versions.add(rs.getLong(1));
            }
        }
        if (versions.size() != 1) {
            throw corrupt("has " + versions.size() + " schema version rows instead of one", null);
        }
        return versions.getFirst();
    }

    private void runCheck(Connection c, OpenCheck check) throws SQLException {
        String pragma = check == OpenCheck.QUICK ? "PRAGMA quick_check(5)" : "PRAGMA integrity_check(5)";
        List<String> problems = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(pragma)) {
            while (rs.next()) {
                problems.add(rs.getString(1));
            }
        }
        if (!problems.equals(List.of("ok"))) {
            throw corrupt("failed SQLite's " + (check == OpenCheck.QUICK ? "quick_check" : "integrity_check")
                    + ": " + String.join("; ", problems), null);
        }
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
}
