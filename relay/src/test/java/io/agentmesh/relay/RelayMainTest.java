package io.agentmesh.relay;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RelayMainTest {

    @Test
    void flagsBecomeTheConfig() {
        RelayMain.Run run = new RelayMain.Run();
        new CommandLine(run).parseArgs("--listen", "127.0.0.1:7701", "--http", "off", "--max-registrations", "5",
                "--max-registrations-per-agent", "2", "--max-circuits", "7", "--max-circuits-per-node", "3",
                "--circuit-max-bytes", "1000", "--circuit-max-seconds", "9", "--max-connections", "11");
        RelayConfig c = run.config();
        assertEquals("127.0.0.1", c.listenHost());
        assertEquals(7701, c.listenPort());
        assertEquals(-1, c.httpPort());
        assertEquals(5, c.maxRegistrations());
        assertEquals(2, c.maxRegistrationsPerAgent());
        assertEquals(7, c.maxCircuits());
        assertEquals(3, c.maxCircuitsPerNode());
        assertEquals(1000, c.circuitMaxBytes());
        assertEquals(9_000, c.circuitMaxMillis());
        assertEquals(11, c.maxConnections());
        RelayMain.Run defaults = new RelayMain.Run();
        new CommandLine(defaults).parseArgs();
        assertEquals(RelayConfig.DEFAULT_PORT, defaults.config().listenPort());
        assertTrue(RelayConfig.DEFAULT_PORT != 7700, "7700 is the node's default mesh port");
        assertEquals("0.0.0.0", defaults.config().listenHost());
        assertEquals(7780, defaults.config().httpPort());
    }

    @Test
    void helpAndBadFlags() {
        StringWriter out = new StringWriter();
        CommandLine cli = RelayMain.commandLine();
        cli.setOut(new PrintWriter(out));
        assertEquals(0, cli.execute("relay", "run", "--help"));
        assertTrue(out.toString().contains("--max-circuits-per-node"), out.toString());
        CommandLine bad = RelayMain.commandLine();
        bad.setErr(new PrintWriter(new StringWriter()));
        assertEquals(2, bad.execute("relay", "run", "--nope"));
        assertEquals(2, RelayMain.commandLine().execute("relay", "run", "--listen", "nonsense"));
        assertEquals(2, RelayMain.commandLine().execute("relay", "run", "--max-requests-per-source-per-second",
                "0"), "a zero source limit is refused before the relay listens");
    }

    @Test
    void hostPortParsing() {
        assertEquals(new InetSocketAddress("10.0.0.1", 7700), HostPort.parse("10.0.0.1:7700"));
        assertEquals(new InetSocketAddress("::1", 7700), HostPort.parse("[::1]:7700"));
        InetSocketAddress named = HostPort.parse("relay.example.org:7700");
        assertTrue(named.isUnresolved());
        assertEquals("relay.example.org:7700", HostPort.format(named));
        assertTrue(HostPort.format(HostPort.parse("[::1]:7700")).endsWith("]:7700"));
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse("relay"));
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse("relay:x"));
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse("relay:70000"));
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse("::1:7700"));
    }
}
