package io.agentmesh.node.backup.target;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@link BackupTarget} contract, run against every implementation (DirectoryTargetTest, S3TargetTest).
 */
abstract class BackupTargetContract {
    protected BackupTarget target;

    /** A fresh, empty target. */
    protected abstract BackupTarget newTarget() throws Exception;

    /** The target URI a separate writer process opens the same target with. */
    protected abstract String childUri();

    /** The writer process's extra environment (S3 credentials). */
    protected abstract Map<String, String> childEnv();

    /** Checks after the writer was killed that are particular to the implementation (temporary files...). */
    protected void afterKilledWriter() throws Exception {
    }

    @BeforeEach
    void openTarget() throws Exception {
        target = newTarget();
    }

    @AfterEach
    void closeTarget() {
        if (target != null) {
            target.close();
        }
    }

    static byte[] bytes(long seed, int size) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private byte[] stored(String name) throws Exception {
        return target.get(name).orElseThrow(() -> new AssertionError(name + " is not on " + target.describe()));
    }

    @Test
    void putThenGetReturnsExactlyTheBytes() throws Exception {
        byte[] b = bytes(1, 100_000);
        assertEquals(PutOutcome.CREATED, target.put("seg/actor1/1-10-abc.age", b));
        assertArrayEquals(b, stored("seg/actor1/1-10-abc.age"));
        assertEquals(PutOutcome.CREATED, target.put("empty", new byte[0]));
        assertArrayEquals(new byte[0], stored("empty"));
    }

    @Test
    void anObjectsTimeIsWhenItWasStoredAndAnAbsentOneHasNone() throws Exception {
        long before = System.currentTimeMillis();
        target.put("seg/actor1/1-2-time.age", bytes(7, 10));
        long after = System.currentTimeMillis();
        long at = target.lastModifiedMs("seg/actor1/1-2-time.age").orElseThrow();
        // S3 stamps whole seconds; a server's clock may differ from ours by a little.
        assertTrue(at >= before - 5_000 && at <= after + 5_000, at + " not in [" + before + ", " + after + "]");
        assertTrue(target.lastModifiedMs("seg/actor1/absent.age").isEmpty());
    }

    @Test
    void getOfAnAbsentObjectIsEmpty() throws Exception {
        assertTrue(target.get("man/nothing-here.age").isEmpty());
    }

    @Test
    void puttingTheSameBytesAgainIsANoOpSuccess() throws Exception {
        byte[] b = bytes(2, 5000);
        assertEquals(PutOutcome.CREATED, target.put("man/1-2.age", b));
        assertEquals(PutOutcome.ALREADY_PRESENT, target.put("man/1-2.age", b.clone()));
        assertEquals(List.of("man/1-2.age"), target.list("man/", 10));
    }

    @Test
    void puttingDifferentBytesUnderAnExistingNameIsRefusedNamingItAndKeepsTheOriginal() throws Exception {
        byte[] original = bytes(3, 4000);
        target.put("seg/a/1-2-x.age", original);
        ObjectConflictException sameSize = assertThrows(ObjectConflictException.class,
                () -> target.put("seg/a/1-2-x.age", bytes(4, 4000)));
        assertEquals("seg/a/1-2-x.age", sameSize.objectName());
        assertTrue(sameSize.getMessage().contains("seg/a/1-2-x.age"), sameSize.getMessage());
        ObjectConflictException otherSize = assertThrows(ObjectConflictException.class,
                () -> target.put("seg/a/1-2-x.age", bytes(4, 10)));
        assertTrue(otherSize.getMessage().contains("4000 bytes"), otherSize.getMessage());
        assertArrayEquals(original, stored("seg/a/1-2-x.age"));
    }

    @Test
    void badNamesAreRefusedEverywhereAndChangeNothing() throws Exception {
        List<String> bad = List.of("", "/abs", "a//b", "a/", "../x", "a/../b", "./a", "Upper", "sp ace", "a\\b",
                "x".repeat(201), "caf\u00e9", "a?b", "a%2fb");
        for (String name : bad) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> target.put(name, new byte[]{1}), name);
            assertTrue(e.getMessage().startsWith("bad backup object name"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> target.get(name), name);
            assertThrows(IllegalArgumentException.class, () -> target.delete(name), name);
        }
        assertThrows(IllegalArgumentException.class, () -> target.list("../", 10));
        assertThrows(IllegalArgumentException.class, () -> target.list("A", 10));
        assertThrows(IllegalArgumentException.class, () -> target.list("", 0));
        assertThrows(IllegalArgumentException.class, () -> target.put("ok", null));
        assertEquals(List.of(), target.list("", 100));
    }

    @Test
    void anObjectOverTheSizeLimitIsRefusedBeforeAnythingIsWritten() throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> target.put("big", new byte[ObjectNames.MAX_OBJECT_BYTES + 1]));
        assertTrue(e.getMessage().contains("big"), e.getMessage());
        assertEquals(List.of(), target.list("", 10));
    }

    @Test
    void listingReturnsSortedNamesUnderThePrefixOnly() throws Exception {
        for (String n : List.of("seg/b/2.age", "seg/a/1.age", "seg/a/0.age", "man/1.age", "segx/1.age", "seg.age")) {
            target.put(n, n.getBytes(StandardCharsets.UTF_8));
        }
        assertEquals(List.of("seg/a/0.age", "seg/a/1.age", "seg/b/2.age"), target.list("seg/", 100));
        assertEquals(List.of("seg/a/0.age", "seg/a/1.age"), target.list("seg/a/", 100));
        assertEquals(List.of("seg/a/1.age"), target.list("seg/a/1", 100));
        assertEquals(List.of("seg.age", "seg/a/0.age", "seg/a/1.age", "seg/b/2.age", "segx/1.age"),
                target.list("seg", 100));
        assertEquals(List.of(), target.list("snap/", 100));
        assertEquals(6, target.list("", 100).size());
    }

    @Test
    void aLargePrefixIsListedWholeAcrossPagesAndRefusedPastTheBound() throws Exception {
        int count = 1_500; // more than one S3 page of 1000 keys
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String name = String.format("seg/actor/%05d-%05d.age", i, i + 1);
            target.put(name, new byte[]{(byte) i});
            expected.add(name);
        }
        target.put("man/1.age", new byte[]{1});
        assertEquals(expected, target.list("seg/", count));
        BackupTargetException e = assertThrows(BackupTargetException.class, () -> target.list("seg/", count - 1));
        assertTrue(e.getMessage().contains("more than " + (count - 1)), e.getMessage());
    }

    @Test
    void deleteRemovesTheObjectAndDeletingAgainSucceeds() throws Exception {
        target.put("man/old.age", new byte[]{1, 2});
        target.put("man/new.age", new byte[]{3});
        target.delete("man/old.age");
        assertTrue(target.get("man/old.age").isEmpty());
        assertEquals(List.of("man/new.age"), target.list("man/", 10));
        target.delete("man/old.age");
        target.delete("never/existed.age");
        assertEquals(PutOutcome.CREATED, target.put("man/old.age", new byte[]{9}));
    }

    @Test
    void theDescriptionNamesThePlaceAndNoSecret() {
        assertFalse(target.describe().isBlank());
        assertFalse(target.describe().contains(S3TargetTest.SECRET), target.describe());
    }

    /**
     * A separate process puts 48 MiB objects in a loop and is killed with SIGKILL while putting its second one: the
     * listing then holds only whole objects, and a new put of the interrupted name succeeds with no human step.
     */
    @Test
    void aWriterKilledMidPutLeavesNoPartialObjectAndTheNextPutSucceeds() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), KilledWriter.class.getName(), childUri())
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().putAll(childEnv());
        Process p = pb.start();
        List<String> lines = Collections.synchronizedList(new ArrayList<>());
        String interrupted = KilledWriter.name(1);
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            Thread reader = Thread.ofVirtual().start(() -> out.lines().forEach(lines::add));
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(2)).until(() -> {
                if (!p.isAlive()) {
                    throw new AssertionError("the writer exited early: " + lines);
                }
                return lines.contains("putting " + interrupted);
            });
            p.destroyForcibly(); // SIGKILL, at once: the put of a 48 MiB object has just begun
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            reader.join(Duration.ofSeconds(10));
        } finally {
            p.destroyForcibly();
        }
        List<String> listed = target.list(KilledWriter.PREFIX, 100);
        assertTrue(listed.contains(KilledWriter.name(0)), listed.toString());
        for (String name : listed) {
            assertArrayEquals(KilledWriter.content(KilledWriter.index(name)), stored(name), name);
        }
        System.out.println(getClass().getSimpleName() + ": writer killed while putting " + interrupted
                + (lines.contains("put " + interrupted) ? " (it had finished it)" : " (unfinished)") + "; listed "
                + listed);
        afterKilledWriter();
        PutOutcome again = target.put(interrupted, KilledWriter.content(1));
        assertTrue(again == PutOutcome.CREATED || again == PutOutcome.ALREADY_PRESENT);
        assertArrayEquals(KilledWriter.content(1), stored(interrupted));
    }
}
