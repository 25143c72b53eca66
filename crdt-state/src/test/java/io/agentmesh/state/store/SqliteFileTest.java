package io.agentmesh.state.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SqliteFileTest {
    private static final SqliteFile.Format WIDGETS = new SqliteFile.Format("widget file", 0x57494447, 3,
            List.of("CREATE TABLE widgets (id INTEGER PRIMARY KEY)"), false, "the widgets are gone.", null);
    private static final SqliteFile.Format GADGETS = new SqliteFile.Format("gadget file", 0x47414447, 1,
            List.of("CREATE TABLE gadgets (id INTEGER PRIMARY KEY)"), true, "the gadgets are gone.", null);

    @TempDir
    Path dir;

    @Test
    void aNewFileCarriesItsApplicationIdSchemaVersionAndTablesInWalMode() throws Exception {
        SqliteFile file = new SqliteFile(dir.resolve("w.db"), WIDGETS);
        try (Connection c = file.openWriter(SqliteFile.OpenCheck.INTEGRITY); Statement s = c.createStatement()) {
            assertEquals(0x57494447, SqliteFile.queryLong(s, "PRAGMA application_id"));
            assertEquals(3, SqliteFile.queryLong(s, "PRAGMA user_version"));
            assertEquals("wal", SqliteFile.queryString(s, "PRAGMA journal_mode"));
            assertEquals(2, SqliteFile.queryLong(s, "PRAGMA synchronous"));
            assertEquals(0, SqliteFile.queryLong(s, "SELECT count(*) FROM widgets"));
        }
    }

    @Test
    void aFileOfAnotherKindIsRefusedNamingTheKindExpected() throws Exception {
        Path path = dir.resolve("g.db");
        new SqliteFile(path, GADGETS).openWriter(SqliteFile.OpenCheck.QUICK).close();
        StoreException e = assertThrows(StoreException.class,
                () -> new SqliteFile(path, WIDGETS).openWriter(SqliteFile.OpenCheck.QUICK));
        assertTrue(e.getMessage().contains("not an agentmesh widget file"), e.getMessage());
        assertTrue(e.getMessage().contains(path.toString()), e.getMessage());
    }

    @Test
    void aReaderNeverCreatesAMissingFile() {
        SqliteFile file = new SqliteFile(dir.resolve("missing.db"), WIDGETS);
        StoreException e = assertThrows(StoreException.class, file::openReader);
        assertTrue(e.getMessage().contains("cannot open"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("missing.db")));
    }

    @Test
    void theWayOutNamesTheFileItsLogsAndWhatMovingThemAsideMeans() {
        SqliteFile file = new SqliteFile(dir.resolve("w.db"), WIDGETS);
        String message = file.corrupt("is broken", null).getMessage();
        assertEquals(dir.resolve("w.db") + " is broken. The widget file cannot be used as it is. Restore it from a"
                + " backup, or move w.db (with w.db-wal and w.db-shm if present) out of " + dir + "; the widgets are"
                + " gone.", message);
    }
}
