package io.agentmesh.node.ops;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TailnetTest {
    private static InetAddress ip(String literal) throws IOException {
        return InetAddress.getByName(literal);
    }

    private static List<Tailnet.Interface> machine() throws IOException {
        return List.of(new Tailnet.Interface("lo", true, List.of(ip("127.0.0.1"), ip("::1"))),
                new Tailnet.Interface("eth0", true, List.of(ip("192.168.1.20"), ip("100.63.255.255"))),
                new Tailnet.Interface("tailscale0", true, List.of(ip("fd7a:115c:a1e0::1"), ip("100.101.102.103"))));
    }

    @Test
    void theCliAnswerWinsOverTheInterfaces() throws IOException {
        assertEquals(ip("100.64.0.9"), Tailnet.choose(Optional.of("100.64.0.9\n"), machine()));
    }

    @Test
    void withoutTheCliTheFirstInterfaceAddressInTheTailnetRangeIsChosen() throws IOException {
        assertEquals(ip("100.101.102.103"), Tailnet.choose(Optional.empty(), machine()),
                "100.63.255.255 is just outside 100.64.0.0/10");
        assertEquals(ip("100.101.102.103"), Tailnet.choose(Optional.of("not running\n"), machine()));
    }

    @Test
    void interfacesThatAreDownAreSkipped() throws IOException {
        List<Tailnet.Interface> down = List.of(new Tailnet.Interface("tailscale0", false, List.of(ip("100.100.1.1"))),
                new Tailnet.Interface("wg0", true, List.of(ip("100.127.255.254"))));
        assertEquals(ip("100.127.255.254"), Tailnet.choose(Optional.empty(), down));
    }

    @Test
    void neitherCliNorInterfaceIsAClearError() throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tailnet.choose(
                Optional.empty(), List.of(new Tailnet.Interface("eth0", true, List.of(ip("10.0.0.2"),
                        ip("100.128.0.1"))))));
        assertTrue(e.getMessage().contains("no tailnet address"), e.getMessage());
        assertTrue(e.getMessage().contains("tailscale up"), e.getMessage());
    }

    @Test
    void theRangeIsExactly100Dot64Slash10() throws IOException {
        assertTrue(Tailnet.inTailnetRange(ip("100.64.0.0")));
        assertTrue(Tailnet.inTailnetRange(ip("100.127.255.255")));
        assertFalse(Tailnet.inTailnetRange(ip("100.63.255.255")));
        assertFalse(Tailnet.inTailnetRange(ip("100.128.0.0")));
        assertFalse(Tailnet.inTailnetRange(ip("10.64.0.1")));
    }

    @Test
    void theCliIsRunWhenOnThePath(@TempDir Path bin) throws IOException {
        Path fake = bin.resolve("tailscale");
        Files.writeString(fake, "#!/bin/sh\n[ \"$1 $2\" = \"ip -4\" ] && echo 100.90.1.2 && exit 0\nexit 3\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertEquals(Optional.of("100.90.1.2\n"), Tailnet.runCli(bin.toString()));
        assertEquals(ip("100.90.1.2"), Tailnet.ofThisMachine(bin.toString()));
        assertEquals(Optional.empty(), Tailnet.runCli(bin.resolve("empty").toString()));
        Files.writeString(fake, "#!/bin/sh\necho 'not logged in'\nexit 1\n");
        assertEquals(Optional.empty(), Tailnet.runCli(bin.toString()), "a failing CLI counts as none");
    }

    @Test
    void theKeywordIsRecognised() {
        assertTrue(Tailnet.asks("tailscale"));
        assertTrue(Tailnet.asks("Tailscale:7700"));
        assertFalse(Tailnet.asks("tailscale.example:7700"));
        assertFalse(Tailnet.asks("100.64.0.1:7700"));
    }
}
