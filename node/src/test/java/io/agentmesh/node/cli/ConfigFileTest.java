package io.agentmesh.node.cli;

import io.agentmesh.relay.RelayMain;
import io.agentmesh.relay.config.ConfigFile;
import io.agentmesh.relay.config.ConfigKeys;
import io.agentmesh.relay.config.OptionDefaults;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigFileTest {
    private static final String NODE_ID = "node1qyqszqgpqyqszqgpqyqszqgpqyqszqgpjm9sjn";

    @TempDir
    Path home;

    private Path write(String yaml) throws IOException {
        Path f = home.resolve(ConfigFile.DEFAULT_NAME);
        Files.writeString(f, yaml);
        return f;
    }

    private static String sample(OptionSpec o) {
        if (o.type() == boolean.class || o.type() == Boolean.class) {
            return "true";
        }
        return o.defaultValue() != null ? o.defaultValue() : "/tmp/x";
    }

    /** Every flag of `node run` (but the ones that choose the file) is a key the file accepts: a new flag cannot be missed. */
    @Test
    void everyNodeRunOptionIsAKeyTheFileAccepts() throws IOException {
        CommandLine run = new CommandLine(new NodeCommand.Run());
        List<OptionSpec> options = ConfigKeys.configurable(run.getCommandSpec());
        StringBuilder yaml = new StringBuilder("node:\n");
        for (OptionSpec o : options) {
            String key = ConfigKeys.keyOf(o).orElseThrow();
            yaml.append("  ").append(key).append(": ").append(o.isMultiValue() ? "[\"" + sample(o) + "\"]"
                    : "\"" + sample(o) + "\"").append('\n');
        }
        write(yaml.toString());
        OptionDefaults d = ConfigCommand.installNodeRun(run, new String[]{"--home", home.toString()}, Map.of());
        run.parseArgs("--home", home.toString());
        Set<String> keys = new TreeSet<>();
        for (OptionSpec o : options) {
            assertEquals(OptionDefaults.Source.FILE, d.originWithoutFlag(o).source(), o.longestName());
            keys.add(ConfigKeys.keyOf(o).orElseThrow());
        }
        Set<String> flags = new TreeSet<>();
        for (OptionSpec o : run.getCommandSpec().options()) {
            if (!o.hidden() && !o.usageHelp() && !o.versionHelp()) {
                flags.add(o.longestName().substring(2));
            }
        }
        flags.removeAll(Set.of("config", "home"));
        assertEquals(flags, keys);
        assertTrue(keys.containsAll(Set.of("listen", "advertise", "http", "peer", "relay", "snapshot-every",
                "workspace", "exec-config", "llm-config", "agent-stop-grace-ms", "take-over", "identity-dir",
                "state-dir", "passphrase-file")), keys.toString());
    }

    @Test
    void listsComeFromYamlListsAndCommaSeparatedVariables() throws IOException {
        write("node:\n  peer:\n    - " + NODE_ID + "@a.example:7700\n    - " + NODE_ID + "@b.example:7700\n"
                + "  listen: 0.0.0.0:7700\n");
        NodeCommand.Run fromFile = new NodeCommand.Run();
        CommandLine run = new CommandLine(fromFile);
        ConfigCommand.installNodeRun(run, new String[]{"--home", home.toString()},
                Map.of("AGENTMESH_RELAY", "r1.example:7600,r2.example:7600"));
        run.parseArgs("--home", home.toString());
        assertEquals(List.of(NODE_ID + "@a.example:7700", NODE_ID + "@b.example:7700"), fromFile.peers);
        assertEquals(List.of("r1.example:7600", "r2.example:7600"), fromFile.relays);
        assertEquals("0.0.0.0:7700", fromFile.listen);

        NodeCommand.Run flagged = new NodeCommand.Run();
        CommandLine again = new CommandLine(flagged);
        ConfigCommand.installNodeRun(again, new String[]{"--home", home.toString()}, Map.of());
        again.parseArgs("--home", home.toString(), "--peer", NODE_ID + "@c.example:1");
        assertEquals(List.of(NODE_ID + "@c.example:1"), flagged.peers, "a flag replaces the file's list");
    }

    @Test
    void aRefusedFileExitsTwoAndStartsNothing() throws IOException {
        write("node:\n  snapshot-every: often\n");
        assertEquals(2, AgentmeshCommand.execute(Map.of(), "node", "run", "--home", home.toString()));
        write("node:\n  lisen: 0.0.0.0:7700\n");
        assertEquals(2, AgentmeshCommand.execute(Map.of(), "node", "run", "--home", home.toString()));
        assertFalse(Files.exists(home.resolve("state")), "nothing started");
    }

    @Test
    void aBadAddressFromTheFileNamesTheFileAndLine() throws IOException {
        Path f = write("node:\n  http: 127.0.0.1:7070\n  listen: nonsense\n");
        CommandLine run = new CommandLine(new NodeCommand.Run());
        ConfigCommand.installNodeRun(run, new String[]{"--home", home.toString()}, Map.of());
        StringWriter err = new StringWriter();
        run.setErr(new PrintWriter(err));
        assertNotEquals(0, run.execute("--home", home.toString()));
        assertTrue(err.toString().contains("--listen (from node.listen at " + f + " line 3) is written host:port"),
                err.toString());
        assertFalse(Files.exists(home.resolve("state")), "nothing started");
    }

    @Test
    void showSaysWhereEachValueCameFrom() throws IOException {
        Path f = write("node:\n  listen: 0.0.0.0:7700\n  snapshot-every: 500\n");
        List<String> lines = ConfigCommand.effective(new CommandLine(new NodeCommand.Run()), "node",
                ConfigCommand.NODE_ENV_PREFIX, new String[]{"--home", home.toString(), "--http", "127.0.0.1:7071"},
                Map.of("AGENTMESH_SNAPSHOT_EVERY", "700"), home.resolve(ConfigFile.DEFAULT_NAME));
        String all = String.join("\n", lines);
        assertTrue(line(lines, "listen:").endsWith("file " + f + " line 2"), all);
        assertTrue(line(lines, "snapshot-every:").contains("700"), all);
        assertTrue(line(lines, "snapshot-every:").endsWith("env $AGENTMESH_SNAPSHOT_EVERY"), all);
        assertTrue(line(lines, "http:").endsWith("flag"), all);
        assertTrue(line(lines, "agent-stop-grace-ms:").endsWith("default"), all);
    }

    @CommandLine.Command(name = "secretive")
    static final class Secretive {
        @CommandLine.Option(names = "--api-token")
        String token;
        @CommandLine.Option(names = "--api-token-file")
        Path tokenFile;
    }

    @Test
    void showMasksSecretsButNotPathsToThem() throws IOException {
        List<String> lines = ConfigCommand.effective(new CommandLine(new Secretive()), "node", "AGENTMESH_",
                new String[]{"--api-token", "s3cr3t", "--api-token-file", "/etc/token"}, Map.of(),
                home.resolve("none.yaml"));
        String all = String.join("\n", lines);
        assertFalse(all.contains("s3cr3t"), all);
        assertTrue(line(lines, "api-token:").contains("****"), all);
        assertTrue(all.contains("/etc/token"), all);
    }

    @Test
    void operationsDocListsEveryKey() throws IOException {
        String doc = Files.readString(Path.of("..", "docs", "operations.md"));
        assertTrue(doc.contains(ConfigCommand.markdownTables()),
                "docs/operations.md is out of date; paste `agentmesh config keys --markdown`:\n"
                        + ConfigCommand.markdownTables());
        assertTrue(ConfigKeys.configurable(RelayMain.runCommandLine().getCommandSpec()).size() > 5);
    }

    private static String line(List<String> lines, String prefix) {
        return lines.stream().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow(() ->
                new AssertionError("no line " + prefix + " in " + lines));
    }
}
