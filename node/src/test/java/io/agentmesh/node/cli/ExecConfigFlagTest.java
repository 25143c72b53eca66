package io.agentmesh.node.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A bad exec config stops `node run` at once with exit code 2 and the file's problem, given or found in the home. */
class ExecConfigFlagTest {

    private static String runAndCaptureErr(int expectedExit, String... args) {
        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            assertEquals(expectedExit, AgentmeshCommand.execute(args));
        } finally {
            System.setErr(saved);
        }
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aGivenConfigWithATypoIsRefusedWithItsReason(@TempDir Path home) throws Exception {
        Path config = home.resolve("mine.json");
        Files.writeString(config, "{\"commands\": {\"report\": {\"argv\": [\"true\"], \"timeout\": 5}}}");
        String err = runAndCaptureErr(2, "node", "run", "--home", home.toString(), "--exec-config", config.toString());
        assertTrue(err.contains("unknown key \"timeout\""), err);
    }

    @Test
    void aMissingGivenConfigIsAnError(@TempDir Path home) {
        String err = runAndCaptureErr(2, "node", "run", "--home", home.toString(), "--exec-config",
                home.resolve("nope.json").toString());
        assertTrue(err.contains("does not exist"), err);
    }

    @Test
    void theDefaultFileInTheHomeIsRead(@TempDir Path home) throws Exception {
        Files.writeString(home.resolve("exec.json"), "{\"commands\": {\"report\": {}}}");
        String err = runAndCaptureErr(2, "node", "run", "--home", home.toString());
        assertTrue(err.contains(home.resolve("exec.json").toString()) && err.contains("\"argv\""), err);
    }
}
