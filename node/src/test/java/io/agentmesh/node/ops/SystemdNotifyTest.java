package io.agentmesh.node.ops;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SystemdNotifyTest {
    @TempDir
    Path dir;

    /** A systemd-notify that appends its arguments to a file. */
    private Path fakeTool() throws IOException {
        Path bin = dir.resolve("bin");
        Files.createDirectories(bin);
        Path tool = bin.resolve("systemd-notify");
        Files.writeString(tool, "#!/bin/sh\necho \"$@\" >> " + dir.resolve("sent") + "\n");
        Files.setPosixFilePermissions(tool, PosixFilePermissions.fromString("rwxr-xr-x"));
        return bin;
    }

    private List<String> sent() throws IOException {
        Path f = dir.resolve("sent");
        return Files.exists(f) ? Files.readAllLines(f) : List.of();
    }

    @Test
    void underSystemdItSaysReadyThenPingsTheWatchdogOnlyWhileTheNodeAnswers() throws IOException {
        Path bin = fakeTool();
        AtomicBoolean alive = new AtomicBoolean(true);
        Optional<SystemdNotify> n = SystemdNotify.start(Map.of("NOTIFY_SOCKET", "/run/x", "WATCHDOG_USEC", "1000000",
                "PATH", bin.toString()), "node1test", alive::get);
        assertTrue(n.isPresent());
        assertEquals("--ready", sent().get(0));
        await().atMost(Duration.ofSeconds(10)).until(() -> sent().contains("WATCHDOG=1"));
        alive.set(false);
        // Let a ping that was under way finish, then no more come.
        await().pollDelay(Duration.ofMillis(700)).atMost(Duration.ofSeconds(5)).until(() -> true);
        int pings = (int) sent().stream().filter("WATCHDOG=1"::equals).count();
        await().pollDelay(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5)).until(() -> true);
        assertEquals(pings, (int) sent().stream().filter("WATCHDOG=1"::equals).count(), "no ping while not answering");
        n.get().close();
        assertEquals("STOPPING=1", sent().get(sent().size() - 1));
    }

    @Test
    void outsideSystemdOrWithoutTheToolNothingIsSent() throws IOException {
        Path bin = fakeTool();
        assertTrue(SystemdNotify.start(Map.of("PATH", bin.toString()), "n", () -> true).isEmpty());
        assertTrue(SystemdNotify.start(Map.of("NOTIFY_SOCKET", "/run/x", "PATH", dir.resolve("none").toString()),
                "n", () -> true).isEmpty());
        assertEquals(List.of(), sent());
    }
}
