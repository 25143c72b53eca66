package io.agentmesh.state.store;

import io.agentmesh.protocol.change.SignedChange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SqliteChangeStoreTest extends ChangeStoreContractTest {
    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve("state").resolve("store.db");
    }

    @Override
    protected ChangeStore openStore() {
        return SqliteChangeStore.open(file());
    }

    private SqliteChangeStore openSqlite(SqliteChangeStore.Options options) {
        return SqliteChangeStore.open(file(), options);
    }

    /**
     * Holds SQLite's write lock from a second connection, as a slow disk would: the store's writer blocks inside its
     * next write (for up to its busy timeout) while later writes queue behind it.
     */
    private static final class BusyDisk implements AutoCloseable {
        private final Connection connection;

        BusyDisk(Path file) throws SQLException {
            connection = DriverManager.getConnection("jdbc:sqlite:" + file);
            try (Statement s = connection.createStatement()) {
                s.execute("BEGIN IMMEDIATE");
            }
        }

        @Override
        public void close() throws SQLException {
            try (Statement s = connection.createStatement()) {
                s.execute("ROLLBACK");
            } finally {
                connection.close();
            }
        }
    }

    /** Waits until the store's writer is inside SQLite, so it has taken its batch and the next appends queue. */
    private static void awaitWriterInsideSqlite() {
        await().atMost(Duration.ofSeconds(WAIT_SECONDS)).until(() -> Thread.getAllStackTraces().entrySet().stream()
                .filter(e -> e.getKey().getName().equals("agentmesh-store-writer"))
                .anyMatch(e -> Arrays.stream(e.getValue()).anyMatch(f -> f.getClassName().startsWith("org.sqlite."))));
    }

    /** Waits until exactly {@code expectedQueued} operations wait behind the batch the writer holds. */
    private static void awaitQueued(SqliteChangeStore store, int expectedQueued) {
        await().atMost(Duration.ofSeconds(WAIT_SECONDS))
                .until(() -> store.stats().queued() == expectedQueued);
    }

    @Test
    void changesQueuedWhileTheWriterIsBusyAreCommittedInOneTransaction() throws Exception {
        try (SqliteChangeStore store = openSqlite(SqliteChangeStore.Options.DEFAULTS)) {
            List<CompletableFuture<Void>> futures = new ArrayList<>();
            long before;
            try (BusyDisk busy = new BusyDisk(store.file())) {
                futures.add(store.append(TestChanges.change(1, 1)));
                awaitWriterInsideSqlite();
                for (int seq = 2; seq <= 100; seq++) {
                    futures.add(store.append(TestChanges.change(1, seq)));
                }
                awaitQueued(store, 99);
                before = store.stats().transactions();
            }
            futures.forEach(ChangeStoreContractTest::awaitDone);
            assertEquals(before + 2, store.stats().transactions(), "the held change, then the 99 queued behind it");
            assertEquals(99, store.stats().largestBatch());
            assertEquals(100, store.vector().get(TestChanges.actor(1)));
        }
    }

    @Test
    void anEquivocatingChangeInsideABatchFailsAloneAndTheRestOfTheBatchCommits() throws Exception {
        try (SqliteChangeStore store = openSqlite(SqliteChangeStore.Options.DEFAULTS)) {
            awaitDone(store.append(TestChanges.changeWithText(1, 1, "original")));
            CompletableFuture<Void> held;
            CompletableFuture<Void> first;
            CompletableFuture<Void> bad;
            CompletableFuture<Void> duplicate;
            CompletableFuture<Void> last;
            long before;
            try (BusyDisk busy = new BusyDisk(store.file())) {
                held = store.append(TestChanges.change(3, 1));
                awaitWriterInsideSqlite();
                first = store.append(TestChanges.change(2, 1));
                bad = store.append(TestChanges.changeWithText(1, 1, "forged"));
                duplicate = store.append(TestChanges.changeWithText(1, 1, "original"));
                last = store.append(TestChanges.change(2, 2));
                awaitQueued(store, 4);
                before = store.stats().transactions();
            }
            awaitDone(held);
            awaitDone(first);
            assertInstanceOf(StoreException.class, failureOf(bad));
            awaitDone(duplicate);
            awaitDone(last);
            assertEquals(before + 2, store.stats().transactions(), "the held change, then one batch of four");
            assertEquals(4, store.changeCount());
            assertEquals(2, store.vector().get(TestChanges.actor(2)));
            assertEquals("original", new String(store.read(TestChanges.actor(1), 1, 1).getFirst().bytes(),
                    StandardCharsets.UTF_8));
        }
    }

    @Test
    void aDuplicateWithinOneBatchIsStoredOnce() throws Exception {
        try (SqliteChangeStore store = openSqlite(SqliteChangeStore.Options.DEFAULTS)) {
            SignedChange c = TestChanges.change(1, 1);
            CompletableFuture<Void> held;
            CompletableFuture<Void> a;
            CompletableFuture<Void> b;
            CompletableFuture<Void> d;
            try (BusyDisk busy = new BusyDisk(store.file())) {
                held = store.append(TestChanges.change(2, 1));
                awaitWriterInsideSqlite();
                a = store.append(c);
                b = store.append(c);
                d = store.append(c);
                awaitQueued(store, 3);
            }
            awaitDone(held);
            awaitDone(a);
            awaitDone(b);
            awaitDone(d);
            assertEquals(3, store.stats().largestBatch());
            assertEquals(2, store.stats().duplicates());
            assertEquals(2, store.changeCount());
            assertEquals(2, store.readFrom(0, 10).size());
        }
    }

    @Test
    void theVectorAndReadsLeaveOutChangesStillWaitingForTheDisk() throws Exception {
        try (SqliteChangeStore store = openSqlite(SqliteChangeStore.Options.DEFAULTS)) {
            awaitDone(store.append(TestChanges.change(1, 1)));
            CompletableFuture<Void> held;
            CompletableFuture<Void> queued;
            try (BusyDisk busy = new BusyDisk(store.file())) {
                held = store.append(TestChanges.change(1, 2));
                awaitWriterInsideSqlite();
                queued = store.append(TestChanges.change(1, 3));
                awaitQueued(store, 1);
                assertEquals(1, store.vector().get(TestChanges.actor(1)));
                assertEquals(1, store.changeCount());
                assertEquals(1, store.readFrom(0, 10).size());
                assertFalse(held.isDone());
            }
            awaitDone(held);
            awaitDone(queued);
            assertEquals(3, store.vector().get(TestChanges.actor(1)));
        }
    }

    @Test
    void appendFailsFastSayingOverloadedWhenTheQueueIsFull() throws Exception {
        try (SqliteChangeStore store = openSqlite(SqliteChangeStore.Options.DEFAULTS.withQueueCapacity(4))) {
            List<CompletableFuture<Void>> accepted = new ArrayList<>();
            CompletableFuture<Void> refused;
            try (BusyDisk busy = new BusyDisk(store.file())) {
                accepted.add(store.append(TestChanges.change(1, 1)));
                awaitWriterInsideSqlite();
                for (int seq = 2; seq <= 5; seq++) {
                    accepted.add(store.append(TestChanges.change(1, seq)));
                }
                refused = store.append(TestChanges.change(1, 6));
                assertTrue(refused.isDone(), "an append to a full queue must not wait");
            }
            Throwable failure = failureOf(refused);
            assertInstanceOf(StoreException.class, failure);
            assertTrue(failure.getMessage().contains("overloaded"), failure.getMessage());
            accepted.forEach(ChangeStoreContractTest::awaitDone);
            assertEquals(5, store.vector().get(TestChanges.actor(1)));
            awaitDone(store.append(TestChanges.change(1, 6)));
        }
    }

    @Test
    void asyncMetadataAndSnapshotWritesReturnAtOnceAndLandBehindTheAppendsQueuedBeforeThem() throws Exception {
        try (SqliteChangeStore store = openSqlite(SqliteChangeStore.Options.DEFAULTS)) {
            CompletableFuture<Void> append;
            CompletableFuture<Void> meta;
            CompletableFuture<Void> snapshot;
            try (BusyDisk busy = new BusyDisk(store.file())) {
                append = store.append(TestChanges.change(1, 1));
                awaitWriterInsideSqlite();
                meta = store.putMetaAsync("cursor/x", new byte[] {7});
                snapshot = store.saveSnapshotAsync(new Snapshot(1, new byte[] {1, 2}));
                assertFalse(meta.isDone(), "the caller does not wait for the disk");
                assertFalse(snapshot.isDone());
                assertTrue(store.getMeta("cursor/x").isEmpty());
            }
            awaitDone(meta);
            awaitDone(snapshot);
            assertTrue(append.isDone(), "the append queued before them is durable first");
            assertArrayEquals(new byte[] {7}, store.getMeta("cursor/x").orElseThrow());
            assertEquals(1, store.latestSnapshot().orElseThrow().lastPosition());
        }
    }

    @Test
    void anAsyncMetadataWriteToAFullQueueIsRefusedAsOverloadedAtOnce() throws Exception {
        try (SqliteChangeStore store = openSqlite(SqliteChangeStore.Options.DEFAULTS.withQueueCapacity(2))) {
            CompletableFuture<Void> refused;
            try (BusyDisk busy = new BusyDisk(store.file())) {
                store.append(TestChanges.change(1, 1));
                awaitWriterInsideSqlite();
                store.append(TestChanges.change(1, 2));
                store.append(TestChanges.change(1, 3));
                refused = store.putMetaAsync("cursor/x", new byte[] {7});
                assertTrue(refused.isDone(), "a write to a full queue must not wait");
            }
            assertInstanceOf(StoreOverloadedException.class, failureOf(refused));
            assertTrue(store.getMeta("cursor/x").isEmpty(), "nothing written");
        }
    }

    @Test
    void asyncReadsRunOnTheStoresReadersAndSeeWhatIsDurable() throws Exception {
        try (SqliteChangeStore store = openSqlite(SqliteChangeStore.Options.DEFAULTS)) {
            for (int seq = 1; seq <= 5; seq++) {
                awaitDone(store.append(TestChanges.change(1, seq)));
            }
            String caller = Thread.currentThread().getName();
            List<String> readOn = new java.util.concurrent.CopyOnWriteArrayList<>();
            List<io.agentmesh.protocol.change.SignedChange> read = store.readAsync(TestChanges.actor(1), 2, 3)
                    .get(WAIT_SECONDS, TimeUnit.SECONDS);
            assertEquals(List.of(2L, 3L, 4L), read.stream().map(io.agentmesh.protocol.change.SignedChange::seq).toList());
            Thread.getAllStackTraces().keySet().forEach(t -> readOn.add(t.getName()));
            assertTrue(readOn.stream().anyMatch(n -> n.startsWith("agentmesh-store-reader-")) && !caller.startsWith(
                    "agentmesh-store-reader-"), "a store reader thread did the read: " + readOn);
            assertEquals(5, store.readFromAsync(0, 10).get(WAIT_SECONDS, TimeUnit.SECONDS).size());
        }
    }

    @Test
    void anAsyncReadAfterCloseFailsSayingSo() {
        SqliteChangeStore store = openSqlite(SqliteChangeStore.Options.DEFAULTS);
        store.close();
        Throwable failure = failureOf(store.readAsync(TestChanges.actor(1), 1, 1));
        assertInstanceOf(StoreException.class, failure);
        assertTrue(failure.getMessage().contains("closed"), failure.getMessage());
    }

    @Test
    void aNewStoreAppearsAtItsPathOnlyOnceCompleteAndLeavesNoTemporaryFile() throws Exception {
        try (ChangeStore store = openStore()) {
            assertTrue(Files.exists(file()));
            assertFalse(Files.exists(file().resolveSibling("store.db.creating")));
            assertEquals(0, store.changeCount());
        }
    }

    @Test
    void aLeftoverFromACreationThatCrashedIsDiscarded() throws Exception {
        Files.createDirectories(file().getParent());
        Path leftover = file().resolveSibling("store.db.creating");
        Files.write(leftover, new byte[]{1, 2, 3});
        try (ChangeStore store = openStore()) {
            assertEquals(0, store.changeCount());
        }
        assertFalse(Files.exists(leftover));
    }

    @Test
    void aSecondOpenOfTheSameFileInThisProcessIsRefusedUntilTheFirstIsClosed() {
        ChangeStore first = open();
        StoreException e = assertThrows(StoreException.class, () -> SqliteChangeStore.open(file()));
        assertTrue(e.getMessage().contains("already open"), e.getMessage());
        assertTrue(e.getMessage().contains(file().toString()), e.getMessage());
        // The refused open must not have taken the first owner's lock away.
        awaitDone(first.append(TestChanges.change(1, 1)));
        first.close();
        try (ChangeStore again = SqliteChangeStore.open(file())) {
            assertEquals(1, again.changeCount());
        }
    }

    @Test
    void aStoreHeldByAnotherProcessIsRefusedWithAClearError() throws Exception {
        Files.createDirectories(file().getParent());
        String java = ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Process holder = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), StoreHolderMain.class.getName(), file().toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(),
                StandardCharsets.UTF_8))) {
            CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
                try {
                    return out.readLine();
                } catch (Exception e) {
                    return "error: " + e;
                }
            });
            assertEquals(StoreHolderMain.READY, line.get(WAIT_SECONDS, TimeUnit.SECONDS));
            StoreException e = assertThrows(StoreException.class, () -> SqliteChangeStore.open(file()));
            assertTrue(e.getMessage().contains("another process"), e.getMessage());
        } finally {
            holder.getOutputStream().close();
            if (!holder.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)) {
                holder.destroyForcibly();
            }
        }
        try (ChangeStore store = SqliteChangeStore.open(file())) {
            assertEquals(0, store.changeCount());
        }
    }

    @Test
    void closingRemovesTheWriteAheadLogSoTheFileIsSelfContained() throws Exception {
        try (ChangeStore store = openStore()) {
            awaitDone(store.append(TestChanges.change(1, 1)));
        }
        try (Stream<Path> files = Files.list(file().getParent())) {
            assertEquals(List.of("store.db", "store.db.lock"),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }
}
