package io.agentmesh.node.actions.exec;

import io.agentmesh.protocol.time.SystemClock;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

class CommandRunnerTest {
    /**
     * A child in its own session outlives a node killed right after starting it; if its input were a pipe the node
     * writes after the start, it would then read nothing and run without its arguments. So the input must already be
     * whole when the child starts: a file, not a pipe.
     */
    @Test
    void theChildsInputIsCompleteWhenItStartsNotAPipeWrittenAfterwards() throws Exception {
        CommandRunner runner = new CommandRunner(new SystemClock());
        String script = "if [ -p /dev/stdin ]; then echo pipe; exit 3; fi; cat";
        CommandRunner.Spec spec = new CommandRunner.Spec(Path.of("/bin/sh"), List.of("-c", script), Optional.empty(),
                Map.of(), "{\"to\":\"ops\"}".getBytes(StandardCharsets.UTF_8), 10_000, 1_000, 4096);
        CommandRunner.Finished done = runner.run(spec).get(20, TimeUnit.SECONDS);
        assertEquals(Optional.of(0), done.exitCode(), done.stdout().text());
        assertEquals("{\"to\":\"ops\"}", done.stdout().text());
    }
}
