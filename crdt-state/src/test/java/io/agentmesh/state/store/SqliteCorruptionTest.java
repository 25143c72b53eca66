package io.agentmesh.state.store;

import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.state.store.ChangeStore.StoredChange;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A damaged store file is refused with an error naming the file and the way out, never replaced by an empty store
 * and never read back as different data (DESIGN.md invariant 8).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SqliteCorruptionTest {
    private static final int ACTORS = 3;
    private static final int SEQS = 120;
    private static final List<String> META_KEYS = List.of("incarnation", "cursor/peer-a", "raft/term");

    @TempDir
    Path dir;
    private Path pristine;
    private byte[] pristineBytes;

    /** Everything the pristine store returns, to compare a damaged copy's answers with. */
    private record Contents(List<StoredChange> changes, List<List<SignedChange>> byActor, VersionVector vector,
                            long count, Optional<Snapshot> snapshot, List<Optional<byte[]>> meta) {
    }

    private Contents expected;

    @BeforeEach
    void buildPristineStore() throws Exception {
        pristine = dir.resolve("pristine").resolve("store.db");
        try (ChangeStore store = SqliteChangeStore.open(pristine)) {
            SplittableRandom sizes = new SplittableRandom(7);
            for (int seq = 1; seq <= SEQS; seq++) {
                for (int actor = 1; actor <= ACTORS; actor++) {
                    // Mostly small changes, some spilling onto overflow pages.
                    int size = sizes.nextInt(10) == 0 ? 3_000 + sizes.nextInt(6_000) : 20 + sizes.nextInt(400);
                    store.append(TestChanges.change(actor, seq, size)).get(30, TimeUnit.SECONDS);
                }
            }
            store.saveSnapshot(new Snapshot(100, "a document".repeat(500).getBytes(StandardCharsets.UTF_8)));
            for (String key : META_KEYS) {
                store.putMeta(key, (key + "=value").getBytes(StandardCharsets.UTF_8));
            }
        }
        pristineBytes = Files.readAllBytes(pristine);
        try (ChangeStore store = SqliteChangeStore.open(pristine)) {
            expected = contents(store);
        }
    }

    private static Contents contents(ChangeStore store) {
        List<List<SignedChange>> byActor = new ArrayList<>();
        for (int actor = 1; actor <= ACTORS; actor++) {
            byActor.add(store.read(TestChanges.actor(actor), 1, Integer.MAX_VALUE));
        }
        List<Optional<byte[]>> meta = new ArrayList<>();
        for (String key : META_KEYS) {
            meta.add(store.getMeta(key));
        }
        return new Contents(store.readFrom(0, Integer.MAX_VALUE), byActor, store.vector(), store.changeCount(),
                store.latestSnapshot(), meta);
    }

    private Path damagedCopy(String name, byte[] content) throws IOException {
        Path file = dir.resolve(name).resolve("store.db");
        Files.createDirectories(file.getParent());
        Files.write(file, content);
        return file;
    }

    private static StoreException assertRefused(Path file) throws IOException {
        byte[] before = Files.readAllBytes(file);
        StoreException e = assertThrows(StoreException.class, () -> SqliteChangeStore.open(file).close());
        assertTrue(e.getMessage().contains(file.toString()), "names the file: " + e.getMessage());
        assertTrue(e.getMessage().contains("backup"), "says what to do: " + e.getMessage());
        assertTrue(e.getMessage().contains("resyncs from its peers"), "says what to do: " + e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(file), "a refused open must leave the file as it was");
        return e;
    }

    @Test
    void anEmptyFileIsRefusedInsteadOfBecomingAnEmptyStore() throws Exception {
        Path file = damagedCopy("empty", new byte[0]);
        assertTrue(assertRefused(file).getMessage().contains("empty"));
    }

    @Test
    void aFileThatIsNotADatabaseIsRefused() throws Exception {
        Path file = damagedCopy("text", "these are my notes\n".repeat(300).getBytes(StandardCharsets.UTF_8));
        assertTrue(assertRefused(file).getMessage().contains("not a SQLite database"));
    }

    @ParameterizedTest(name = "cut to {0} bytes")
    @ValueSource(ints = {1, 15, 16, 99, 100, 511, 4096, 4097, 8192, 20_000, 40_960})
    void aFileCutShortAtAFixedLengthIsRefused(int length) throws Exception {
        assertRefused(damagedCopy("cut-" + length, Arrays.copyOf(pristineBytes, length)));
    }

    @ParameterizedTest(name = "{0} bytes removed from the end")
    @ValueSource(ints = {1, 100, 4095, 4096, 8192, 65_536})
    void aFileWithItsTailCutOffIsRefused(int removed) throws Exception {
        assertRefused(damagedCopy("tail-" + removed,
                Arrays.copyOf(pristineBytes, pristineBytes.length - removed)));
    }

    @ParameterizedTest(name = "cut at {0}% with its log present")
    @ValueSource(ints = {10, 50, 90})
    void aFileCutShortNextToItsWriteAheadLogIsRefused(int percent) throws Exception {
        // A store killed while running: the database file plus a WAL holding recent commits.
        Path live = dir.resolve("live").resolve("store.db");
        Files.createDirectories(live.getParent());
        Files.write(live, pristineBytes);
        try (ChangeStore store = SqliteChangeStore.open(live)) {
            store.append(TestChanges.change(9, 1)).get(30, TimeUnit.SECONDS);
            Path crashed = dir.resolve("crashed-" + percent).resolve("store.db");
            Files.createDirectories(crashed.getParent());
            byte[] db = Files.readAllBytes(live);
            Files.write(crashed, Arrays.copyOf(db, (int) ((long) db.length * percent / 100)));
            Files.copy(live.resolveSibling("store.db-wal"), crashed.resolveSibling("store.db-wal"));
            StoreException e = assertThrows(StoreException.class, () -> SqliteChangeStore.open(crashed).close());
            assertTrue(e.getMessage().contains(crashed.toString()), e.getMessage());
            assertTrue(e.getMessage().contains("backup"), e.getMessage());
        }
    }

    @Test
    void aWriteAheadLogWithoutItsDatabaseIsRefusedInsteadOfStartingEmpty() throws Exception {
        Path file = dir.resolve("orphan").resolve("store.db");
        Files.createDirectories(file.getParent());
        Files.write(file.resolveSibling("store.db-wal"), new byte[]{1, 2, 3, 4});
        StoreException e = assertThrows(StoreException.class, () -> SqliteChangeStore.open(file));
        assertTrue(e.getMessage().contains("store.db-wal"), e.getMessage());
        assertTrue(Files.notExists(file), "must not create a store next to an orphaned log");
    }

    @Test
    void anotherApplicationsSqliteDatabaseIsRefused() throws Exception {
        Path file = dir.resolve("foreign").resolve("app.db");
        Files.createDirectories(file.getParent());
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
             Statement s = c.createStatement()) {
            s.execute("CREATE TABLE t (x)");
        }
        StoreException e = assertThrows(StoreException.class, () -> SqliteChangeStore.open(file));
        assertTrue(e.getMessage().contains("not an agentmesh store"), e.getMessage());
    }

    @Test
    void aStoreWrittenByANewerSchemaIsRefusedWithTheVersions() throws Exception {
        Path file = damagedCopy("newer", pristineBytes);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
             Statement s = c.createStatement()) {
            s.execute("PRAGMA user_version = " + (SqliteChangeStore.SCHEMA_VERSION + 1));
        }
        StoreException e = assertThrows(StoreException.class, () -> SqliteChangeStore.open(file));
        assertTrue(e.getMessage().contains("newer agentmesh"), e.getMessage());
        assertTrue(e.getMessage().contains("schema " + (SqliteChangeStore.SCHEMA_VERSION + 1)), e.getMessage());
    }

    /** Rewrites a store into the layout of earlier versions: schema version in a table, user_version 0. */
    private static void toLegacyLayout(Path file, int... versionRows) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
             Statement s = c.createStatement()) {
            s.execute("PRAGMA user_version = 0");
            s.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)");
            for (int v : versionRows) {
                s.execute("INSERT INTO schema_version (version) VALUES (" + v + ")");
            }
        }
    }

    @Test
    void aStoreWrittenWithTheSchemaVersionInATableOpensWithItsContents() throws Exception {
        Path file = damagedCopy("legacy", pristineBytes);
        toLegacyLayout(file, 1);
        try (ChangeStore store = SqliteChangeStore.open(file)) {
            assertSame(expected, contents(store), "legacy layout");
        }
    }

    @Test
    void aLegacyStoreWithANewerVersionOrMoreThanOneVersionRowIsRefused() throws Exception {
        Path newer = damagedCopy("legacy-newer", pristineBytes);
        toLegacyLayout(newer, SqliteChangeStore.SCHEMA_VERSION + 1);
        StoreException e = assertThrows(StoreException.class, () -> SqliteChangeStore.open(newer));
        assertTrue(e.getMessage().contains("newer agentmesh"), e.getMessage());

        Path twoRows = damagedCopy("legacy-two", pristineBytes);
        toLegacyLayout(twoRows, 1, 1);
        assertTrue(assertRefused(twoRows).getMessage().contains("2 schema version rows"));
    }

    @Test
    void aChangeAlteredInsideItsRowFailsItsChecksumOnRead() throws Exception {
        Path file = damagedCopy("altered", pristineBytes);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
             Statement s = c.createStatement()) {
            // Well-formed SQLite, wrong data: what a flipped bit inside a value looks like to SQLite.
            s.execute("UPDATE changes SET bytes = X'00112233' WHERE position = 5");
        }
        try (ChangeStore store = SqliteChangeStore.open(file)) {
            StoreException e = assertThrows(StoreException.class, () -> store.readFrom(0, 10));
            assertTrue(e.getMessage().contains("checksum"), e.getMessage());
            assertEquals(expected.changes().subList(0, 4), store.readFrom(0, 4));
        }
    }

    /**
     * Flips one bit at a time all over a copy of the store (every header byte, then random offsets). Each copy must
     * be refused at open, or answer every read exactly as the pristine store does or with a StoreException.
     */
    @Test
    void everyFlippedBitIsRefusedOrReadBackUnchanged() throws Exception {
        SplittableRandom random = new SplittableRandom(20_240_601);
        List<Integer> offsets = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            offsets.add(i);
        }
        for (int i = 0; i < 250; i++) {
            offsets.add(random.nextInt(pristineBytes.length));
        }
        int refusedAtOpen = 0;
        int refusedOnRead = 0;
        int harmless = 0;
        for (int trial = 0; trial < offsets.size(); trial++) {
            int offset = offsets.get(trial);
            int bit = random.nextInt(8);
            byte[] damaged = pristineBytes.clone();
            damaged[offset] ^= (byte) (1 << bit);
            Path file = damagedCopy("flip-" + trial, damaged);
            String where = "bit " + bit + " of byte " + offset;
            SqliteChangeStore store;
            try {
                store = SqliteChangeStore.open(file);
            } catch (StoreException e) {
                assertTrue(e.getMessage().contains(file.toString()), where + ": " + e.getMessage());
                refusedAtOpen++;
                continue;
            } catch (RuntimeException e) {
                throw new AssertionError(where + ": open failed with " + e + " instead of a StoreException", e);
            }
            try (store) {
                Contents got = contents(store);
                assertSame(expected, got, where);
                harmless++;
                try {
                    store.append(TestChanges.change(9, 1)).get(30, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    assertTrue(e.getCause() instanceof StoreException, where + ": " + e.getCause());
                }
            } catch (StoreException e) {
                refusedOnRead++;
            } catch (RuntimeException e) {
                throw new AssertionError(where + ": read failed with " + e + " instead of a StoreException", e);
            }
            Files.delete(file);
        }
        System.out.printf("bit flips: %d refused at open, %d refused on read, %d harmless (file %d bytes)%n",
                refusedAtOpen, refusedOnRead, harmless, pristineBytes.length);
        assertEquals(offsets.size(), refusedAtOpen + refusedOnRead + harmless);
    }

    private static void assertSame(Contents want, Contents got, String where) {
        assertEquals(want.changes(), got.changes(), where + ": readFrom");
        assertEquals(want.byActor(), got.byActor(), where + ": read by actor");
        assertEquals(want.vector(), got.vector(), where + ": vector");
        assertEquals(want.count(), got.count(), where + ": count");
        assertEquals(want.snapshot().map(Snapshot::lastPosition), got.snapshot().map(Snapshot::lastPosition), where);
        assertArrayEquals(want.snapshot().orElseThrow().document(), got.snapshot().orElseThrow().document(), where);
        for (int i = 0; i < want.meta().size(); i++) {
            assertArrayEquals(want.meta().get(i).orElseThrow(), got.meta().get(i).orElse(null), where + ": meta");
        }
    }

    @Test
    void theDamagedFileIsLeftInPlaceForTheOperator() throws Exception {
        Path file = damagedCopy("kept", Arrays.copyOf(pristineBytes, pristineBytes.length / 2));
        assertRefused(file);
        assertRefused(file);
        assertTrue(Files.size(file) > 0);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            assertEquals(pristineBytes.length / 2, raf.length());
        }
    }
}
