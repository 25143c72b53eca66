package io.agentmesh.node.actions.exec;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The node-local exec config: what it accepts, its defaults, and that every mistake is named. */
class ExecCommandsTest {
    @TempDir
    Path dir;

    private Path write(String json) throws Exception {
        Path f = dir.resolve("exec.json");
        Files.writeString(f, json);
        return f;
    }

    private String refusal(String json) throws Exception {
        Path f = write(json);
        return assertThrows(IllegalArgumentException.class, () -> ExecCommands.load(f)).getMessage();
    }

    @Test
    void aFullCommandAndAMinimalOneWithItsDefaults() throws Exception {
        Path f = write("""
                {"commands": {
                  "report": {"argv": ["/usr/bin/env", "true"], "timeoutMs": 5000, "killGraceMs": 100,
                             "maxOutputBytes": 100, "mode": "idempotent", "workdir": "%s"},
                  "plain": {"argv": ["true"]}
                }}""".formatted(dir));
        ExecCommands table = ExecCommands.load(f);
        assertEquals(Optional.of(f.toAbsolutePath().normalize()), table.source());
        ExecCommand report = table.command("report").orElseThrow();
        assertEquals(List.of("/usr/bin/env", "true"), report.argv());
        assertEquals(5000, report.timeoutMs());
        assertEquals(100, report.killGraceMs());
        assertEquals(100, report.maxOutputBytes());
        assertEquals(ExecCommand.Mode.IDEMPOTENT, report.mode());
        assertEquals(Optional.of(dir), report.workdir());
        ExecCommand plain = table.command("plain").orElseThrow();
        assertEquals(ExecCommand.DEFAULT_TIMEOUT_MS, plain.timeoutMs());
        assertEquals(ExecCommand.DEFAULT_KILL_GRACE_MS, plain.killGraceMs());
        assertEquals(ExecCommand.DEFAULT_MAX_OUTPUT_BYTES, plain.maxOutputBytes());
        assertEquals(ExecCommand.Mode.AT_MOST_ONCE, plain.mode(), "at most once unless said otherwise");
        assertEquals(Optional.empty(), plain.workdir());
        assertEquals(List.of("plain", "report"), List.copyOf(table.commands().keySet()));
    }

    @Test
    void everyMistakeIsRefusedWithItsReason() throws Exception {
        assertTrue(refusal("{\"commands\": {\"a\": {\"argv\": [\"true\"], \"timeout\": 5}}}")
                .contains("unknown key \"timeout\""), "a typo is not a silent default");
        assertTrue(refusal("{\"commands\": {\"a\": {}}}").contains("\"argv\""));
        assertTrue(refusal("{\"commands\": {\"a\": {\"argv\": []}}}").contains("at least the program"));
        assertTrue(refusal("{\"commands\": {\"a\": {\"argv\": [\"true\", 3]}}}").contains("must be a string"));
        assertTrue(refusal("{\"commands\": {\"a\": {\"argv\": [\"true\"], \"mode\": \"twice\"}}}")
                .contains("at-most-once"));
        assertTrue(refusal("{\"commands\": {\"a\": {\"argv\": [\"true\"], \"timeoutMs\": 0}}}")
                .contains("timeoutMs must be"));
        assertTrue(refusal("{\"commands\": {\"a\": {\"argv\": [\"true\"], \"maxOutputBytes\": 10000000}}}")
                .contains("maxOutputBytes must be"));
        assertTrue(refusal("{\"commands\": {\"a b\": {\"argv\": [\"true\"]}}}").contains("name"));
        assertTrue(refusal("{\"commands\": {\"a\": {\"argv\": [\"true\"], \"workdir\": \"relative\"}}}")
                .contains("absolute path"));
        assertTrue(refusal("{\"commands\": {\"a\": {\"argv\": [\"true\"]}}, \"extra\": 1}")
                .contains("unknown key \"extra\""));
        assertTrue(refusal("{\"commands\": {\"a\": {\"argv\": [\"true\"]}, \"a\": {\"argv\": [\"false\"]}}}")
                .contains("not valid JSON"), "a duplicated name is refused, not last-wins");
        assertTrue(refusal("{\"commands\": ").contains("not valid JSON"));
        assertTrue(refusal("[]").contains("JSON object"));
        String missing = assertThrows(IllegalArgumentException.class,
                () -> ExecCommands.load(dir.resolve("nope.json"))).getMessage();
        assertTrue(missing.contains("does not exist"), missing);
    }

    @Test
    void noConfigMeansNoCommandsAndSaysWhereOneGoes() {
        ExecCommands none = ExecCommands.none();
        assertTrue(none.commands().isEmpty());
        assertTrue(none.describeSource().contains("--exec-config"), none.describeSource());
    }
}
