package io.agentmesh.state.store;

import io.agentmesh.protocol.change.SignedChange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
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

    /** Waits until the held writer has exactly {@code expectedQueued} operations queued behind the one it holds. */
    private static void queueBehindHeldWriter(SqliteChangeStore store, int expectedQueued) {
        await().atMost(Duration.ofSeconds(WAIT_SECONDS))
                .until(() -> store.stats().queued() == expectedQueued);
    }

    @Test
    void changesQueuedWhileTheWriterIsBusyAreCommittedInOneTransaction() {
        try (SqliteChangeStore store = openSqlite(SqliteChangeStore.Options.DEFAULTS)) {
            store.holdWriter();
            List<CompletableFuture<Void>> futures = new ArrayList<>();
            for (int seq = 1; seq <= 100; seq++) {
                futures.add(store.append(TestChanges.change(1, seq)));
            }
            queueBehindHeldWriter(store, 99);
            long before = store.stats().transactions();
            store.releaseWriter();
            futures.forEach(ChangeStoreContractTest::awaitDone);
            assertEquals(before + 1, store.stats().transactions());
            assertEquals(100, store.stats().largestBatch());
        }
    }

    @Test
    void anEquivocatingChangeInsideABatchFailsAloneAndTheRestOfTheBatchCommits() {
        try (SqliteChangeStore store = openSqlite(SqliteChangeStore.Options.DEFAULTS)) {
            awaitDone(store.append(TestChanges.changeWithText(1, 1, "original")));
            store.holdWriter();
            CompletableFuture<Void> first = store.append(TestChanges.change(2, 1));
            CompletableFuture<Void> bad = store.append(TestChanges.changeWithText(1, 1, "forged"));
            CompletableFuture<Void> duplicate = store.append(TestChanges.changeWithText(1, 1, "original"));
            CompletableFuture<Void> last = store.append(TestChanges.change(2, 2));
            queueBehindHeldWriter(store, 3);
            long before = store.stats().transactions();
            store.releaseWriter();
            awaitDone(first);
            assertInstanceOf(StoreException.class, failureOf(bad));
            awaitDone(duplicate);
            awaitDone(last);
            assertEquals(before + 1, store.stats().transactions());
            assertEquals(3, store.changeCount());
            assertEquals(2, store.vector().get(TestChanges.actor(2)));
            assertEquals("original", new String(store.read(TestChanges.actor(1), 1, 1).getFirst().bytes(),
                    StandardCharsets.UTF_8));
        }
    }

    @Test
    void aDuplicateWithinOneBatchIsStoredOnce() {
        try (SqliteChangeStore store = openSqlite(SqliteChangeStore.Options.DEFAULTS)) {
            store.holdWriter();
            SignedChange c = TestChanges.change(1, 1);
            CompletableFuture<Void> a = store.append(c);
            CompletableFuture<Void> b = store.append(c);
            CompletableFuture<Void> d = store.append(c);
            queueBehindHeldWriter(store, 2);
            store.releaseWriter();
            awaitDone(a);
            awaitDone(b);
            awaitDone(d);
            assertEquals(1, store.changeCount());
            assertEquals(1, store.readFrom(0, 10).size());
        }
    }

    @Test
    void theVectorAndReadsLeaveOutChangesStillWaitingForTheDisk() {
        try (SqliteChangeStore store = openSqlite(SqliteChangeStore.Options.DEFAULTS)) {
            awaitDone(store.append(TestChanges.change(1, 1)));
            store.holdWriter();
            CompletableFuture<Void> held = store.append(TestChanges.change(1, 2));
            CompletableFuture<Void> queued = store.append(TestChanges.change(1, 3));
            queueBehindHeldWriter(store, 1);
            assertEquals(1, store.vector().get(TestChanges.actor(1)));
            assertEquals(1, store.changeCount());
            assertEquals(1, store.readFrom(0, 10).size());
            assertFalse(held.isDone());
            store.releaseWriter();
            awaitDone(held);
            awaitDone(queued);
            assertEquals(3, store.vector().get(TestChanges.actor(1)));
        }
    }

    @Test
    void appendFailsFastSayingOverloadedWhenTheQueueIsFull() {
        try (SqliteChangeStore store = openSqlite(SqliteChangeStore.Options.DEFAULTS.withQueueCapacity(4))) {
            store.holdWriter();
            List<CompletableFuture<Void>> accepted = new ArrayList<>();
            accepted.add(store.append(TestChanges.change(1, 1)));
            queueBehindHeldWriter(store, 0);
            for (int seq = 2; seq <= 5; seq++) {
                accepted.add(store.append(TestChanges.change(1, seq)));
            }
            CompletableFuture<Void> refused = store.append(TestChanges.change(1, 6));
            assertTrue(refused.isDone(), "an append to a full queue must not wait");
            Throwable failure = failureOf(refused);
            assertInstanceOf(StoreException.class, failure);
            assertTrue(failure.getMessage().contains("overloaded"), failure.getMessage());
            store.releaseWriter();
            accepted.forEach(ChangeStoreContractTest::awaitDone);
            assertEquals(5, store.vector().get(TestChanges.actor(1)));
            awaitDone(store.append(TestChanges.change(1, 6)));
        }
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
