package io.agentmesh.node.workspace;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bases on disk: snapshots, small updates appended to them, and what a crash or a damaged disk leaves. */
class BaseStoreTest {
    private static final String PATH = "MEMORY.md";
    @TempDir
    Path state;
    @TempDir
    Path root;
    Path dir;

    @BeforeEach
    void setUp() {
        dir = state.resolve("workspace-base");
        fresh().load(p -> true); // creates the directory and names the workspace it belongs to
    }

    private BaseStore fresh() {
        return new BaseStore(dir, root, "n1", 100);
    }

    private Path file() {
        return dir.resolve(BaseStore.fileName(PATH));
    }

    private static String big() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 16_383; i++) {
            b.append(String.format("line %06d ", i)).append("x".repeat(51)).append('\n');
        }
        return b.toString();
    }

    private static String editLine(String text, int line, String with) {
        return text.substring(0, line * 64) + with + text.substring(line * 64 + 64);
    }

    @Test
    void aOneLineEditOfAOneMiBBaseAppendsAFewBytesAndLoadsBackExactly() throws IOException {
        BaseStore store = fresh();
        store.load(p -> true);
        String v1 = big();
        store.save(PATH, v1);
        long snapshot = Files.size(file());
        assertTrue(snapshot > v1.length(), "the first save is a snapshot");
        String v2 = editLine(v1, 8_000, "edited " + "y".repeat(56) + "\n");
        store.save(PATH, v2);
        long grown = Files.size(file()) - snapshot;
        assertTrue(grown > 64 && grown < 64 + 80, "one update of the changed line, not a rewrite: " + grown);
        String v3 = editLine(v2, 3, "third  " + "z".repeat(56) + "\n");
        store.save(PATH, v3);
        assertEquals(Map.of(PATH, v3), fresh().load(p -> true));
    }

    @Test
    void updatesNeverSplitASurrogatePair() throws IOException {
        BaseStore store = fresh();
        store.load(p -> true);
        String filler = "0123456789abcdef\n".repeat(4_096);
        String v1 = filler + "smile \ud83d\ude00 end\n" + filler;
        store.save(PATH, v1);
        // U+1F600 to U+1F601: the same high surrogate, another low one.
        String v2 = filler + "smile \ud83d\ude01 end\n" + filler;
        store.save(PATH, v2);
        String v3 = filler + "smile \ud83d\ude01\ud834\udd1e end\n" + filler;
        store.save(PATH, v3);
        assertTrue(Files.size(file()) < v1.length() * 3 / 2, "appended, not rewritten");
        assertEquals(Map.of(PATH, v3), fresh().load(p -> true));
    }

    @Test
    void anUpdateCutShortByACrashLeavesTheBaseBeforeItAndTheNextSaveWritesASnapshot() throws IOException {
        BaseStore store = fresh();
        store.load(p -> true);
        String v1 = big();
        String v2 = editLine(v1, 10, "second " + "a".repeat(56) + "\n");
        String v3 = editLine(v2, 20, "third  " + "b".repeat(56) + "\n");
        store.save(PATH, v1);
        store.save(PATH, v2);
        long afterV2 = Files.size(file());
        store.save(PATH, v3);
        try (FileChannel ch = FileChannel.open(file(), StandardOpenOption.WRITE)) {
            ch.truncate(Files.size(file()) - 10); // the append of v3 did not all reach the disk
        }
        BaseStore restarted = fresh();
        assertEquals(Map.of(PATH, v2), restarted.load(p -> true), "one sync behind");
        String v4 = editLine(v2, 30, "fourth " + "c".repeat(56) + "\n");
        restarted.save(PATH, v4);
        assertTrue(Files.size(file()) < afterV2, "a new snapshot, with nothing after it");
        assertEquals(Map.of(PATH, v4), fresh().load(p -> true));
    }

    @Test
    void aDamagedUpdateWithMoreAfterItDropsTheBase() throws IOException {
        BaseStore store = fresh();
        store.load(p -> true);
        String v1 = big();
        store.save(PATH, v1);
        long snapshot = Files.size(file());
        String v2 = editLine(v1, 10, "second " + "a".repeat(56) + "\n");
        store.save(PATH, v2);
        store.save(PATH, editLine(v2, 20, "third  " + "b".repeat(56) + "\n"));
        byte[] bytes = Files.readAllBytes(file());
        int inFirstUpdate = (int) snapshot + 60;
        bytes[inFirstUpdate] = (byte) (bytes[inFirstUpdate] == 'q' ? 'r' : 'q');
        Files.write(file(), bytes);
        assertEquals(Map.of(), fresh().load(p -> true));
        assertTrue(Files.notExists(file()), "a damaged base is removed");
    }

    @Test
    void aWellFormedUpdateMadeFromAnotherTextIsRefused() throws IOException {
        BaseStore store = fresh();
        store.load(p -> true);
        store.save(PATH, big());
        byte[] insert = "new line\n".getBytes(StandardCharsets.UTF_8);
        CRC32 wrong = new CRC32();
        wrong.update("some other text".getBytes(StandardCharsets.UTF_8));
        byte[] update = new BaseStore.Update(64, 64, "new line\n").encode(insert, wrong.getValue());
        Files.write(file(), update, StandardOpenOption.APPEND);
        assertEquals(Map.of(), fresh().load(p -> true));
    }

    @Test
    void manyUpdatesOrLargeOnesEndInANewSnapshot() throws IOException {
        BaseStore store = fresh();
        store.load(p -> true);
        String text = big();
        store.save(PATH, text);
        long snapshot = Files.size(file());
        for (int i = 0; i < BaseStore.MAX_UPDATES; i++) {
            text = editLine(text, i * 100, String.format("edit %02d ", i) + "e".repeat(55) + "\n");
            store.save(PATH, text);
        }
        assertTrue(Files.size(file()) > snapshot, "updates appended");
        text = editLine(text, 5_000, "one more" + "f".repeat(55) + "\n");
        store.save(PATH, text);
        assertTrue(Math.abs(Files.size(file()) - snapshot) <= 8, "past " + BaseStore.MAX_UPDATES
                + " updates: a snapshot alone");
        String rewritten = text.substring(0, 1_000) + "n".repeat(599_999) + "\n" + text.substring(601_000);
        store.save(PATH, rewritten);
        assertTrue(Math.abs(Files.size(file()) - snapshot) <= 8, "more than half the snapshot to append: a snapshot");
        assertEquals(Map.of(PATH, rewritten), fresh().load(p -> true));
    }

    @Test
    void aBaseOfTheFirstFormatIsReadAndReplacedByASnapshotAtItsNextSave() throws IOException {
        String content = "counter 41\n";
        CRC32 crc = new CRC32();
        crc.update(content.getBytes(StandardCharsets.UTF_8));
        Files.writeString(file(), BaseStore.MAGIC_V1 + "\n" + PATH + "\n" + Long.toHexString(crc.getValue()) + "\n"
                + content);
        BaseStore store = fresh();
        assertEquals(Map.of(PATH, content), store.load(p -> true));
        store.save(PATH, "counter 57\n");
        assertTrue(Files.readString(file()).startsWith(BaseStore.MAGIC + "\n"), Files.readString(file()));
        assertEquals(Map.of(PATH, "counter 57\n"), fresh().load(p -> true));
    }
}
