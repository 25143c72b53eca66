package io.agentmesh.node.runtime;

import io.agentmesh.state.store.SqliteChangeStore;
import io.agentmesh.state.store.StoreException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StoredIncarnationTest {
    @TempDir
    Path dir;

    @Test
    void aNewStoreHasNoIncarnationAndAWrittenOneReadsBackInTheLayoutEarlierVersionsWrote() throws Exception {
        try (SqliteChangeStore store = SqliteChangeStore.open(dir.resolve("state.db"))) {
            assertEquals(Optional.empty(), StoredIncarnation.read(store));
            StoredIncarnation.write(store, 7);
            assertEquals(Optional.of(7L), StoredIncarnation.read(store));
            assertArrayEquals(HexFormat.of().parseHex("0000000000000007"),
                    store.getMeta(StoredIncarnation.META_KEY).orElseThrow());
        }
    }

    @Test
    void aDamagedIncarnationRecordIsRefusedWithWhatToDo() throws Exception {
        try (SqliteChangeStore store = SqliteChangeStore.open(dir.resolve("state.db"))) {
            for (String damaged : new String[]{"00000007", "000000000000000700", "0000000000000000"}) {
                store.putMeta(StoredIncarnation.META_KEY, HexFormat.of().parseHex(damaged));
                StoreException e = assertThrows(StoreException.class, () -> StoredIncarnation.read(store));
                assertTrue(e.getMessage().contains("incarnation record is damaged")
                        && e.getMessage().contains("restore the store from a backup"), e.getMessage());
            }
        }
    }
}
