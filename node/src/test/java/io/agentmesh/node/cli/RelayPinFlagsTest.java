package io.agentmesh.node.cli;

import io.agentmesh.relay.config.ConfigFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Relay pins in `node run`'s flags and file: a bad one is refused with where it came from, before anything starts. */
class RelayPinFlagsTest {
    private static final String HEX = "1b23ae083ebabfdb47150d82547786f768878fdeba87cd98b7e8942711bfc7dc";

    @TempDir
    Path home;

    private String refused(String yaml) throws IOException {
        Files.writeString(home.resolve(ConfigFile.DEFAULT_NAME), yaml);
        CommandLine run = new CommandLine(new NodeCommand.Run());
        ConfigCommand.installNodeRun(run, new String[]{"--home", home.toString()}, Map.of());
        StringWriter err = new StringWriter();
        run.setErr(new PrintWriter(err));
        assertNotEquals(0, run.execute("--home", home.toString()));
        assertFalse(Files.exists(home.resolve("state")), "nothing started");
        return err.toString();
    }

    @Test
    void aMalformedPinInTheRelayListNamesTheFileLineAndTheForm() throws IOException {
        String err = refused("node:\n  relay: [\"r1.example:7600#sha256:abc\"]\n");
        assertTrue(err.contains("--relay (from node.relay at") && err.contains("64 hex digits"), err);
    }

    @Test
    void aPinForARelayThatIsNotListedIsRefused() throws IOException {
        String err = refused("node:\n  relay: [\"r1.example:7600\"]\n  relay-pins: [\"r2.example:7600#sha256:" + HEX
                + "\"]\n");
        assertTrue(err.contains("relay-pins") && err.contains("r2.example:7600 is not a relay given by --relay"), err);
    }

    @Test
    void oneRelayPinnedToTwoKeysIsRefused() throws IOException {
        String other = HEX.replace('1', '2');
        String err = refused("node:\n  relay: [\"r1.example:7600#sha256:" + HEX + "\"]\n  relay-pins:"
                + " [\"r1.example:7600#sha256:" + other + "\"]\n");
        assertTrue(err.contains("pinned to two keys") && err.contains(HEX) && err.contains(other), err);
    }
}
