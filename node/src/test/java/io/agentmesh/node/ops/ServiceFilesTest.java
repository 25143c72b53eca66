package io.agentmesh.node.ops;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class ServiceFilesTest {
    @TempDir
    Path dir;

    private Path launcher() throws IOException {
        Path bin = dir.resolve("bin").resolve("agentmesh");
        Files.createDirectories(bin.getParent());
        Files.writeString(bin, "#!/bin/sh\nexit 0\n");
        Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwxr-xr-x"));
        return bin;
    }

    @Test
    void theSystemdUnitIsANotifyServiceWithAWatchdogRestartedOnFailure() throws IOException {
        Path home = dir.resolve("home");
        String unit = ServiceFiles.render(ServiceFiles.Kind.SYSTEMD,
                new ServiceFiles.Spec(launcher(), home, true, Optional.empty()));
        Path written = ServiceFiles.install(ServiceFiles.Kind.SYSTEMD, dir.resolve("units"), unit);
        assertEquals(dir.resolve("units").resolve("agentmesh-node.service"), written);
        String text = Files.readString(written);
        for (String line : List.of("Type=notify", "NotifyAccess=all", "WatchdogSec=30", "Restart=on-failure",
                "ExecStart=" + launcher() + " node run --home " + home, "WantedBy=default.target")) {
            assertTrue(text.lines().anyMatch(l -> l.equals(line)), line + " in\n" + text);
        }
        assertFalse(text.contains("@"), "every placeholder filled: " + text);
        assertFalse(text.contains("User="), "a per-user unit has no User=: " + text);
    }

    @Test
    void aSystemUnitRunsAsTheGivenAccountAndNeverSilentlyAsRoot() throws IOException {
        Path home = dir.resolve("home");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ServiceFiles.render(
                ServiceFiles.Kind.SYSTEMD, new ServiceFiles.Spec(launcher(), home, false, Optional.empty())));
        assertTrue(e.getMessage().contains("--run-as"), e.getMessage());
        String unit = ServiceFiles.render(ServiceFiles.Kind.SYSTEMD,
                new ServiceFiles.Spec(launcher(), home, false, Optional.of("agentmesh")));
        assertTrue(unit.contains("\nUser=agentmesh\n"), unit);
        assertTrue(unit.contains("WantedBy=multi-user.target"), unit);
        assertThrows(IllegalArgumentException.class, () -> new ServiceFiles.Spec(launcher(), home, false,
                Optional.of("bob; rm -rf /")));
    }

    @Test
    void pathsAreQuotedAndEscapedForSystemdOrRefused() throws IOException {
        Path home = dir.resolve("my home 100%");
        String unit = ServiceFiles.render(ServiceFiles.Kind.SYSTEMD,
                new ServiceFiles.Spec(launcher(), home, true, Optional.empty()));
        assertTrue(unit.contains("--home \"" + home.toString().replace("%", "%%") + "\""), unit);
        assertThrows(IllegalArgumentException.class, () -> ServiceFiles.render(ServiceFiles.Kind.SYSTEMD,
                new ServiceFiles.Spec(launcher(), dir.resolve("a\"b"), true, Optional.empty())));
        assertThrows(IllegalArgumentException.class, () -> new ServiceFiles.Spec(Path.of("agentmesh"), home, true,
                Optional.empty()), "relative paths are refused");
    }

    @Test
    void systemdAnalyzeAcceptsTheUnitAndRefusesABrokenOne() throws Exception {
        Optional<Path> analyze = Tailnet.onPath(System.getenv("PATH"), "systemd-analyze");
        assumeTrue(analyze.isPresent(), "systemd-analyze is not installed here");
        Path units = dir.resolve("units");
        Path good = ServiceFiles.install(ServiceFiles.Kind.SYSTEMD, units, ServiceFiles.render(
                ServiceFiles.Kind.SYSTEMD, new ServiceFiles.Spec(launcher(), dir.resolve("home dir"), false,
                        Optional.of("root"))));
        assertEquals(0, verify(analyze.get(), good), "systemd-analyze verify " + good);
        Path broken = ServiceFiles.install(ServiceFiles.Kind.SYSTEMD, dir.resolve("broken"), ServiceFiles.render(
                ServiceFiles.Kind.SYSTEMD, new ServiceFiles.Spec(dir.resolve("missing"), dir.resolve("home"), false,
                        Optional.of("root"))));
        assertNotEquals(0, verify(analyze.get(), broken), "a missing launcher is caught, so the check can fail");
    }

    private static int verify(Path analyze, Path unit) throws Exception {
        Process p = new ProcessBuilder(analyze.toString(), "verify", unit.toString()).redirectErrorStream(true)
                .start();
        byte[] out = p.getInputStream().readNBytes(64 * 1024);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "systemd-analyze finished");
        System.out.println("systemd-analyze verify " + unit + ": " + new String(out, StandardCharsets.UTF_8));
        return p.exitValue();
    }

    @Test
    void theLaunchdJobKeepsTheNodeAliveAndRunsItWithItsHome() throws Exception {
        Path home = dir.resolve("home & co");
        String plist = ServiceFiles.render(ServiceFiles.Kind.LAUNCHD,
                new ServiceFiles.Spec(launcher(), home, true, Optional.empty()));
        Path written = ServiceFiles.install(ServiceFiles.Kind.LAUNCHD, dir.resolve("agents"), plist);
        assertEquals("io.agentmesh.node.plist", written.getFileName().toString());
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        Document doc = f.newDocumentBuilder().parse(written.toFile());
        NodeList strings = doc.getElementsByTagName("string");
        List<String> values = new ArrayList<>();
        for (int i = 0; i < strings.getLength(); i++) {
            values.add(strings.item(i).getTextContent());
        }
        assertTrue(values.containsAll(List.of("io.agentmesh.node", launcher().toString(), "node", "run", "--home",
                home.toString())), values.toString());
        assertTrue(plist.contains("<key>KeepAlive</key>"), plist);
        assertTrue(plist.contains("<key>SuccessfulExit</key>\n    <false/>"), plist);
    }

    @Test
    void uninstallRemovesTheFileOnce() throws IOException {
        Path units = dir.resolve("units");
        ServiceFiles.install(ServiceFiles.Kind.SYSTEMD, units, "x");
        assertTrue(ServiceFiles.uninstall(ServiceFiles.Kind.SYSTEMD, units));
        assertFalse(Files.exists(units.resolve("agentmesh-node.service")));
        assertFalse(ServiceFiles.uninstall(ServiceFiles.Kind.SYSTEMD, units));
    }

    @Test
    void theShippedTemplatesAreTheFilesUnderPackaging() throws IOException {
        assertEquals(Files.readString(Path.of("..", "packaging", "systemd", "agentmesh-node.service")),
                ServiceFiles.template(ServiceFiles.Kind.SYSTEMD));
        assertEquals(Files.readString(Path.of("..", "packaging", "launchd", "io.agentmesh.node.plist")),
                ServiceFiles.template(ServiceFiles.Kind.LAUNCHD));
    }

    @Test
    void defaultDirectoriesFollowEachManagersConvention() {
        Path home = Path.of("/home/ann");
        assertEquals(Path.of("/home/ann/.config/systemd/user"), ServiceFiles.defaultDir(ServiceFiles.Kind.SYSTEMD,
                true, home, Optional.empty()));
        assertEquals(Path.of("/x/systemd/user"), ServiceFiles.defaultDir(ServiceFiles.Kind.SYSTEMD, true, home,
                Optional.of("/x")));
        assertEquals(Path.of("/etc/systemd/system"), ServiceFiles.defaultDir(ServiceFiles.Kind.SYSTEMD, false, home,
                Optional.empty()));
        assertEquals(Path.of("/home/ann/Library/LaunchAgents"), ServiceFiles.defaultDir(ServiceFiles.Kind.LAUNCHD,
                true, home, Optional.empty()));
        assertEquals(ServiceFiles.Kind.LAUNCHD, ServiceFiles.Kind.forOs("Mac OS X"));
        assertEquals(ServiceFiles.Kind.SYSTEMD, ServiceFiles.Kind.forOs("Linux"));
    }
}
