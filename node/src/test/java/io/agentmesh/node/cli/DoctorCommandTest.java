package io.agentmesh.node.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DoctorCommandTest {
    @Test
    void doctorReadsTheConfigFileAndFailsOnAReadableKeyAndAnUnreachablePeer(@TempDir Path dir) throws Exception {
        Path home = dir.resolve("home");
        assertEquals(0, AgentmeshCommand.execute("init", "--home", home.toString(), "--quiet-phrase"));
        int closed;
        int listen;
        try (ServerSocket a = new ServerSocket(0); ServerSocket b = new ServerSocket(0)) {
            closed = a.getLocalPort();
            listen = b.getLocalPort();
        }
        Files.writeString(home.resolve("agentmesh.yaml"), "node:\n  listen: 127.0.0.1:" + listen + "\n"
                + "  http: 127.0.0.1:0\n  relay: [127.0.0.1:" + closed + "]\n");
        Files.setPosixFilePermissions(home.resolve("identity").resolve("node.key"),
                PosixFilePermissions.fromString("rw-r--r--"));
        picocli.CommandLine cli = new picocli.CommandLine(new AgentmeshCommand());
        StringWriter out = new StringWriter();
        cli.setOut(new PrintWriter(out));
        int exit = cli.execute("doctor", "--home", home.toString(), "--timeout-ms", "500");
        String text = out.toString();
        assertEquals(1, exit, text);
        assertTrue(text.contains("OK    jdk"), text);
        assertTrue(text.contains("OK    listen                 127.0.0.1:" + listen + " is free"), text);
        assertTrue(text.contains("FAIL  node key"), text);
        assertTrue(text.contains("chmod 600"), text);
        assertTrue(text.contains("FAIL  relay 127.0.0.1:" + closed), text);
        assertTrue(text.contains("2 problem(s) to fix"), text);
    }

    @Test
    void eachPeerWithAClockEstimateGetsACheckAndPeersWithoutOneGetNone() throws Exception {
        var status = new com.fasterxml.jackson.databind.ObjectMapper().readTree("""
                {"peers":[{"node":"node1aaaaaaaaaaaaaaa","clockOffsetMs":-6200,"clockOffsetErrorMs":2},
                          {"node":"node1bbbbbbbbbbbbbbb","clockOffsetMs":40,"clockOffsetErrorMs":1},
                          {"node":"node1ccccccccccccccc","clockOffsetMs":null,"clockOffsetErrorMs":null}]}""");
        var checks = DoctorCommand.peerClockChecks(status);
        assertEquals(2, checks.size());
        assertEquals(io.agentmesh.node.ops.Doctor.Status.FAIL, checks.get(0).status());
        assertTrue(checks.get(0).line().contains("peer node1aaaaaaaa") && checks.get(0).line().contains("-6200 ms"),
                checks.get(0).line());
        assertEquals(io.agentmesh.node.ops.Doctor.Status.OK, checks.get(1).status());
    }
}
