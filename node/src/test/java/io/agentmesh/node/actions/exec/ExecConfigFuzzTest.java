package io.agentmesh.node.actions.exec;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.agentmesh.node.configfile.StrictJson;

import java.nio.file.Path;

/**
 * Coverage-guided fuzzing of {@code exec.json} (docs/fuzzing.md), read as {@link ExecCommands#load} reads it (strict
 * JSON, then the command table's checks): anything must give a table or an IllegalArgumentException naming the file.
 */
class ExecConfigFuzzTest {

    @FuzzTest(maxDuration = "10s")
    void anyBytesGiveACommandTableOrAnIllegalArgument(byte[] json) {
        try {
            ExecCommands.parse(StrictJson.parse(json, "exec config", StrictJson.ParseErrors.QUOTE),
                    Path.of("/nonexistent/exec.json"));
        } catch (IllegalArgumentException refused) {
            // the documented refusal
        }
    }
}
