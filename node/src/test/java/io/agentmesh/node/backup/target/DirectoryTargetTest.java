package io.agentmesh.node.backup.target;

import io.agentmesh.node.port.ManualClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DirectoryTargetTest extends BackupTargetContract {
    @TempDir
    Path dir;
    private final ManualClock clock = new ManualClock(1_800_000_000_000L);

    @Override
    protected BackupTarget newTarget() {
        return DirectoryTarget.open(dir, clock);
    }

    @Override
    protected String childUri() {
        return dir.toUri().toString();
    }

    @Override
    protected Map<String, String> childEnv() {
        return Map.of();
    }

    private List<Path> temporaries() throws Exception {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(DirectoryTarget.TEMP_SUFFIX)).toList();
        }
    }

    @Override
    protected void afterKilledWriter() throws Exception {
        System.out.println("temporary files left by the killed writer: " + temporaries());
        clock.nowMillis = System.currentTimeMillis() + 1000;
        ((DirectoryTarget) target).removeStaleTemporaries(0);
        assertEquals(List.of(), temporaries());
    }

    @Test
    void aMissingDirectoryIsRefusedRatherThanCreated() {
        Path missing = dir.resolve("not-mounted");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DirectoryTarget.open(missing, clock));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        assertFalse(Files.exists(missing));
    }

    @Test
    void temporaryFilesAreNeverListedAndAreSweptByALaterPutOnceStale() throws Exception {
        Path seg = Files.createDirectories(dir.resolve("seg/a"));
        Path stale = Files.write(seg.resolve("1-2.age.0011223344556677" + DirectoryTarget.TEMP_SUFFIX), new byte[]{1});
        Path fresh = Files.write(seg.resolve("3-4.age.8899aabbccddeeff" + DirectoryTarget.TEMP_SUFFIX), new byte[]{2});
        Files.setLastModifiedTime(stale, FileTime.fromMillis(clock.nowMillis - DirectoryTarget.DEFAULT_STALE_TEMP_AFTER_MS
                - 1));
        Files.setLastModifiedTime(fresh, FileTime.fromMillis(clock.nowMillis - 1000));
        assertEquals(List.of(), target.list("", 10));

        target.put("seg/a/5-6.age", new byte[]{5});

        assertFalse(Files.exists(stale));
        assertTrue(Files.exists(fresh)); // another writer may still be writing it
        assertEquals(List.of("seg/a/5-6.age"), target.list("", 10));
        clock.nowMillis += DirectoryTarget.DEFAULT_STALE_TEMP_AFTER_MS;
        assertEquals(1, ((DirectoryTarget) target).removeStaleTemporaries(DirectoryTarget.DEFAULT_STALE_TEMP_AFTER_MS));
        assertFalse(Files.exists(fresh));
    }

    @Test
    void aPutLeavesOnlyTheObjectAndNoLockOrTemporaryFile() throws Exception {
        target.put("man/1.age", new byte[]{1, 2, 3});
        try (Stream<Path> s = Files.walk(dir)) {
            assertEquals(List.of("man/1.age"),
                    s.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString()).toList());
        }
    }

    @Test
    void foreignFilesAndSymlinksAreNotListed() throws Exception {
        Files.createDirectories(dir.resolve("seg"));
        Files.write(dir.resolve("seg/README.TXT"), new byte[]{1});
        Files.write(dir.resolve("seg/ok.age"), new byte[]{1});
        Files.createSymbolicLink(dir.resolve("seg/link.age"), dir.resolve("seg/ok.age"));
        assertEquals(List.of("seg/ok.age"), target.list("seg/", 10));
    }

    @Test
    void aFileInThePlaceOfADirectoryIsAClearError() throws Exception {
        Files.write(dir.resolve("seg"), new byte[]{1});
        BackupTargetException e = assertThrows(BackupTargetException.class, () -> target.put("seg/a.age",
                new byte[]{1}));
        assertTrue(e.getMessage().contains("seg"), e.getMessage());
    }
}
