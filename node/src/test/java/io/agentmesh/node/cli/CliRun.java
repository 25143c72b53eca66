package io.agentmesh.node.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * The agentmesh command line run in this JVM, as a test drives it: standard input given, standard output and error
 * captured together in the order they came. One run at a time, since it swaps the process's streams.
 *
 * @param exit the exit code
 * @param out  what it printed, output and errors together
 */
public record CliRun(int exit, String out) {
    /** {@code agentmesh args...} with nothing on standard input. */
    public static CliRun run(String... args) {
        return withInput("", args);
    }

    /** {@code agentmesh args...} reading {@code stdin}. */
    public static synchronized CliRun withInput(String stdin, String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        InputStream oldIn = System.in;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
            int exit = AgentmeshCommand.execute(args);
            return new CliRun(exit, out.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
            System.setIn(oldIn);
        }
    }
}
