package io.agentmesh.node.cli;

import io.agentmesh.node.llm.config.LlmConfig;
import io.agentmesh.node.runtime.LoneNode;
import io.agentmesh.node.runtime.NodeRuntime;
import io.agentmesh.protocol.identity.IdentityDirectory;
import io.agentmesh.protocol.identity.RecoveryPhrase;
import io.agentmesh.state.MemoryEntry;
import io.agentmesh.state.StateView;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code restore --at TIME} and {@code restore --cut actor:seq,...} through the CLI, into fresh homes. */
class PointInTimeRestoreTest {
    private static CliRun cli(String stdin, String... args) {
        return CliRun.withInput(stdin, args);
    }

    private static NodeRuntime start(Path home) throws Exception {
        return LoneNode.start(home, LlmConfig.none(), NodeCommand.Run.backupConfig(home));
    }

    /** The memory texts a restored home serves. */
    private static List<String> memory(Path home) throws Exception {
        try (NodeRuntime node = start(home)) {
            return ((StateView) node.state().get()).memory().stream().map(MemoryEntry::text).toList();
        }
    }

    @Test
    void restoreAtATimeTakesTheNewestManifestBeforeItAndACutKeepsOnlyTheChangesBelowIt(@TempDir Path dir)
            throws Exception {
        Path home = dir.resolve("a");
        Path target = Files.createDirectories(dir.resolve("nas"));
        assertEquals(0, cli("", "init", "--home", home.toString(), "--quiet-phrase").exit());
        String phrase = RecoveryPhrase.of(IdentityDirectory.of(home.resolve("identity")).readAgentRoot(Optional.empty()))
                .words() + "\n";
        Files.writeString(home.resolve("backup.json"),
                "{\"targets\": [{\"id\": \"nas\", \"uri\": \"file://" + target.toAbsolutePath() + "\"}]}");
        long between;
        try (NodeRuntime node = start(home)) {
            await().atMost(Duration.ofSeconds(20)).until(node::isLeader);
            node.appendMemory("note", "one", List.of()).join();
            assertEquals(0, cli("", "backup", "create", "--http", node.httpAddress()).exit());
            between = System.currentTimeMillis();
            await().until(() -> System.currentTimeMillis() > between + 5);
            node.appendMemory("note", "two", List.of()).join();
            CliRun second = cli("", "backup", "create", "--http", node.httpAddress());
            assertTrue(second.out().contains("manifest 2"), second.out());
        }
        String from = "file://" + target.toAbsolutePath();

        Path atHome = dir.resolve("at");
        CliRun at = cli(phrase, "restore", "--phrase-stdin", "--from", from, "--home", atHome.toString(),
                "--at", Instant.ofEpochMilli(between).toString());
        assertEquals(0, at.exit(), at.out());
        assertTrue(at.out().contains("manifest 1 is the newest written at or before"), at.out());
        assertTrue(at.out().contains("from manifest 1 ("), at.out());
        List<String> restored = memory(atHome);
        assertTrue(restored.contains("one") && !restored.contains("two"), restored.toString());

        Path early = dir.resolve("early");
        CliRun none = cli(phrase, "restore", "--phrase-stdin", "--from", from, "--home", early.toString(),
                "--at", "2001-01-01T00:00:00Z");
        assertEquals(2, none.exit(), none.out());
        assertTrue(none.out().contains("no manifest at directory " + target.toAbsolutePath() + " was written at or"
                + " before 2001-01-01T00:00:00Z; the oldest, 1, was written"), none.out());
        assertFalse(Files.exists(early.resolve("identity")), "nothing restored");
        CliRun badTime = cli(phrase, "restore", "--phrase-stdin", "--from", from, "--home", early.toString(),
                "--at", "yesterday");
        assertEquals(2, badTime.exit(), badTime.out());
        assertTrue(badTime.out().contains("is not an ISO-8601 time"), badTime.out());
        CliRun both = cli(phrase, "restore", "--phrase-stdin", "--from", from, "--home", early.toString(),
                "--at", "2030-01-01T00:00:00Z", "--manifest", "1");
        assertEquals(2, both.exit(), both.out());

        // A cut naming an actor the backup lacks is refused and lists the backup's actors.
        CliRun unknown = cli(phrase, "restore", "--phrase-stdin", "--from", from, "--home", early.toString(),
                "--cut", "deadbeef:1");
        assertEquals(2, unknown.exit(), unknown.out());
        assertFalse(Files.exists(early.resolve("identity")), "nothing restored");
        Matcher m = Pattern.compile("its actors are ([0-9a-f]{32}):([0-9]+)").matcher(unknown.out());
        assertTrue(m.find(), unknown.out());
        String actor = m.group(1);
        long newest = Long.parseLong(m.group(2));
        // The second backup added one change ("two"): a cut one below the newest restores the first backup's state.
        Path cutHome = dir.resolve("cut");
        CliRun cut = cli(phrase, "restore", "--phrase-stdin", "--from", from, "--home", cutHome.toString(),
                "--cut", actor.substring(0, 10) + ":" + (newest - 1));
        assertEquals(0, cut.exit(), cut.out());
        assertTrue(cut.out().contains("the cut keeps " + (newest - 1) + " of " + newest + " changes"), cut.out());
        List<String> cutMemory = memory(cutHome);
        assertTrue(cutMemory.contains("one") && !cutMemory.contains("two"), cutMemory.toString());
    }
}
