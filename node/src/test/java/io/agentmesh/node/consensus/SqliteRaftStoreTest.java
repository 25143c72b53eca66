package io.agentmesh.node.consensus;

import io.microraft.persistence.RaftStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The SQLite Raft store keeps the store contract, refuses files and rows it did not write, and commits sparingly. */
class SqliteRaftStoreTest extends RaftLogStoreContractTest {
    @TempDir
    Path dir;

    @Override
    protected RaftLogStore openStore() throws IOException {
        return SqliteRaftStore.open(dir.resolve("state").resolve("raft.db"), CODEC);
    }

    @Override
    protected RaftLogStore crashAndReopen(RaftLogStore crashed) throws IOException {
        ((SqliteRaftStore) crashed).abandon();
        return openStore();
    }

    @Test
    void refusesForeignFilesCorruptRowsAndUseAfterClose() throws Exception {
        Path foreign = dir.resolve("other.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + foreign);
             Statement s = c.createStatement()) {
            s.execute("CREATE TABLE t (x)");
            s.execute("PRAGMA application_id = 7");
        }
        IOException notOurs = assertThrows(IOException.class, () -> SqliteRaftStore.open(foreign, CODEC));
        assertTrue(notOurs.getMessage().contains("not an agentmesh Raft log"), notOurs.getMessage());

        Path file = dir.resolve("raft.db");
        SqliteRaftStore store = SqliteRaftStore.open(file, CODEC);
        init(store, 1);
        store.persistLogEntries(List.of(entry(1, 1)));
        store.close();
        assertThrows(IOException.class, store::flush);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
             Statement s = c.createStatement()) {
            s.execute("UPDATE raft_log SET entry = X'01200000' WHERE idx = 1");
        }
        try (SqliteRaftStore reopened = SqliteRaftStore.open(file, CODEC)) {
            IOException bad = assertThrows(IOException.class, reopened::restore);
            assertTrue(bad.getMessage().contains(file.toString()) && bad.getMessage().contains("does not decode"),
                    bad.getMessage());
        }
        assertTrue(Files.exists(file));
    }

    @Test
    void anEmptyOrTruncatedRaftLogIsRefusedInsteadOfStartingWithNoTermOrVote() throws Exception {
        Path file = dir.resolve("raft.db");
        try (SqliteRaftStore store = SqliteRaftStore.open(file, CODEC)) {
            init(store, 3);
        }
        byte[] complete = Files.readAllBytes(file);
        Files.write(file, new byte[0]);
        IOException empty = assertThrows(IOException.class, () -> SqliteRaftStore.open(file, CODEC));
        assertTrue(empty.getMessage().contains(file.toString()) && empty.getMessage().contains("empty"),
                empty.getMessage());
        assertTrue(empty.getMessage().contains("forgets its term and vote"), empty.getMessage());
        assertEquals(0, Files.size(file), "a refused open leaves the file as it was");

        Files.write(file, Arrays.copyOf(complete, complete.length - 100));
        IOException cut = assertThrows(IOException.class, () -> SqliteRaftStore.open(file, CODEC));
        assertTrue(cut.getMessage().contains("truncated"), cut.getMessage());
    }

    @Test
    void aRaftLogWrittenByANewerSchemaIsRefusedWithTheVersions() throws Exception {
        Path file = dir.resolve("raft.db");
        try (SqliteRaftStore store = SqliteRaftStore.open(file, CODEC)) {
            init(store, 1);
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
             Statement s = c.createStatement()) {
            s.execute("PRAGMA user_version = " + (SqliteRaftStore.SCHEMA_VERSION + 1));
        }
        IOException e = assertThrows(IOException.class, () -> SqliteRaftStore.open(file, CODEC));
        assertTrue(e.getMessage().contains("newer agentmesh (Raft log schema " + (SqliteRaftStore.SCHEMA_VERSION + 1)),
                e.getMessage());
    }

    @Test
    void commitsOncePerFlushAndNotAtAllWhenNothingChanged() throws IOException {
        SqliteRaftStore sqlite = (SqliteRaftStore) store;
        init(sqlite, 1);
        long base = sqlite.commits();
        for (int i = 1; i <= 50; i++) {
            sqlite.persistLogEntries(List.of(entry(i, 1)));
        }
        sqlite.flush();
        sqlite.flush();
        assertEquals(base + 1, sqlite.commits());
    }

    @Test
    void failStopCallsOnFatalOnceAndRefusesEverythingAfter() throws IOException {
        FlakyDisk flaky = new FlakyDisk();
        AtomicInteger fatal = new AtomicInteger();
        FailStopRaftStore guarded = new FailStopRaftStore(flaky.under(store), reason -> fatal.incrementAndGet());
        guarded.persistLogEntries(List.of(entry(1, 1)));
        flaky.failing = true;
        assertThrows(IOException.class, guarded::flush);
        flaky.failing = false; // the disk would work again...
        IOException later = assertThrows(IOException.class, () -> guarded.persistLogEntries(List.of(entry(2, 1))));
        assertTrue(later.getMessage().contains("failed earlier")); // ...but nothing more reaches it
        assertEquals(1, fatal.get());
        assertTrue(guarded.failed());
        assertEquals(1, flaky.reached, "only the write before the failure reached the store");
    }

    /** A disk that fails every call of the store in front of it while {@code failing} is set. */
    private static final class FlakyDisk {
        boolean failing;
        /** Calls that reached the real store. */
        int reached;

        /** {@code inner}, every one of whose calls first goes through this disk. */
        RaftStore under(RaftStore inner) {
            InvocationHandler handler = (proxy, method, args) -> {
                if (method.getDeclaringClass() == RaftStore.class) {
                    if (failing) {
                        throw new IOException("disk I/O error");
                    }
                    reached++;
                }
                try {
                    return method.invoke(inner, args);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            };
            return (RaftStore) Proxy.newProxyInstance(RaftStore.class.getClassLoader(),
                    new Class<?>[] {RaftStore.class}, handler);
        }
    }
}
