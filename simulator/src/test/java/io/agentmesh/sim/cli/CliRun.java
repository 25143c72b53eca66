package io.agentmesh.sim.cli;

import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

/** One {@code agentmesh} command line run in this JVM, as the launcher would: its exit status, stdout and stderr. */
public record CliRun(int exit, String out, String err) {
    public static CliRun run(String... args) {
        CommandLine cli = SimMain.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new CliRun(exit, out.toString(), err.toString());
    }
}
