package io.agentmesh.node.ops;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DoctorTest {
    @TempDir
    Path dir;

    @Test
    void anOldJdkFails() {
        assertEquals(Doctor.Status.FAIL, Doctor.jdk(17).status());
        assertTrue(Doctor.jdk(17).line().contains("-> install JDK 21"), Doctor.jdk(17).line());
        assertEquals(Doctor.Status.OK, Doctor.jdk(21).status());
    }

    @Test
    void anUnsynchronisedClockFailsAndAnUnknownOneWarns() {
        assertEquals(Doctor.Status.FAIL, Doctor.clockSync(Optional.of("no")).status());
        assertTrue(Doctor.clockSync(Optional.of("no")).fix().contains("timedatectl set-ntp true"));
        assertEquals(Doctor.Status.WARN, Doctor.clockSync(Optional.empty()).status());
        assertEquals(Doctor.Status.OK, Doctor.clockSync(Optional.of("yes\n")).status());
    }

    @Test
    void aPortTakenByAnotherProgramFailsWhileTheNodeIsStopped() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            InetSocketAddress a = new InetSocketAddress("127.0.0.1", taken.getLocalPort());
            Doctor.Check stopped = Doctor.port("listen", a, false, 1000);
            assertEquals(Doctor.Status.FAIL, stopped.status(), stopped.line());
            assertTrue(stopped.fix().contains("ss -ltnp"), stopped.line());
            assertEquals(Doctor.Status.OK, Doctor.port("listen", a, true, 1000).status(), "running: it answers");
        }
        int free;
        try (ServerSocket s = new ServerSocket(0)) {
            free = s.getLocalPort();
        }
        InetSocketAddress a = new InetSocketAddress("127.0.0.1", free);
        assertEquals(Doctor.Status.OK, Doctor.port("http", a, false, 1000).status());
        assertEquals(Doctor.Status.FAIL, Doctor.port("http", a, true, 1000).status(), "running but silent");
    }

    @Test
    void littleDiskWarnsAndAlmostNoneFails() {
        assertEquals(Doctor.Status.FAIL, Doctor.disk(dir, 100L << 20).status());
        assertEquals(Doctor.Status.WARN, Doctor.disk(dir, 2L << 30).status());
        assertEquals(Doctor.Status.OK, Doctor.disk(dir, 50L << 30).status());
    }

    @Test
    void aKeyFileOthersCanReadFailsWithTheChmodToRun() throws IOException {
        Path key = dir.resolve("node.key");
        Files.writeString(key, "k");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
        Doctor.Check open = Doctor.secretFile("node key", key, true);
        assertEquals(Doctor.Status.FAIL, open.status());
        assertEquals("chmod 600 " + key, open.fix());
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        assertEquals(Doctor.Status.OK, Doctor.secretFile("node key", key, true).status());
        assertEquals(Doctor.Status.FAIL, Doctor.secretFile("node key", dir.resolve("missing"), true).status());
        assertEquals(Doctor.Status.OK, Doctor.secretFile("llm", dir.resolve("missing"), false).status());
    }

    @Test
    void anUnreachablePeerFails() throws IOException {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        assertEquals(Doctor.Status.FAIL, Doctor.reachable("peer", new InetSocketAddress("127.0.0.1", closed), 500)
                .status());
        assertEquals(Doctor.Status.FAIL, Doctor.reachable("relay", InetSocketAddress.createUnresolved(
                "no-such-host.invalid", 7600), 500).status());
        try (ServerSocket open = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            assertEquals(Doctor.Status.OK, Doctor.reachable("peer", new InetSocketAddress("127.0.0.1",
                    open.getLocalPort()), 1000).status());
        }
    }

    @Test
    void aPeerClockOffsetWarnsAbove500MsAndFailsAbove5SecondsNamingThePeer() {
        Doctor.Check ok = Doctor.clockOffset("peer node1abc", 120, 3);
        assertEquals(Doctor.Status.OK, ok.status());
        assertTrue(ok.line().contains("peer node1abc is +120 ms from this node"), ok.line());
        Doctor.Check warn = Doctor.clockOffset("peer node1abc", -900, 3);
        assertEquals(Doctor.Status.WARN, warn.status());
        assertTrue(warn.line().contains("clock vs peer node1abc") && warn.line().contains("-900 ms")
                && warn.line().contains("-> run NTP"), warn.line());
        assertEquals(Doctor.Status.FAIL, Doctor.clockOffset("peer node1abc", 7_000, 10).status());
        assertEquals(Doctor.Status.WARN, Doctor.clockOffset("peer node1abc", 5_005, 10).status(),
                "within its error bound of 5 s it is only a warning");
    }

    @Test
    void aSlowLinkAloneDoesNotRaiseAClockWarning() {
        assertEquals(Doctor.Status.OK, Doctor.clockOffset("peer x", 700, 300).status());
        assertEquals(Doctor.Status.WARN, Doctor.clockOffset("peer x", 700, 100).status());
    }
}
