package io.agentmesh.node.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The fake LLM provider of {@code agentmesh up} (examples/fake-llm/FakeLlm.java), run by the JDK's source launcher as
 * a child process on loopback, so the embedded defaults can show an agent calling an LLM through its node without an
 * account. It is an example, not part of any jar. Its stdin is a pipe from `up`: when `up` dies, even by kill -9,
 * the pipe closes and the fake exits with it. Not thread-safe: `up`'s thread owns it.
 */
final class FakeLlmChild {
    /** The source launcher compiles the file first: seconds on a loaded machine. */
    private static final long START_TIMEOUT_MS = 60_000;
    private final Path source;
    private final Path dir;
    private Process process;

    /** @param dir where its log and port file go ({@code up}'s --dir) */
    FakeLlmChild(Path source, Path dir) {
        this.source = source;
        this.dir = dir;
    }

    Path log() {
        return dir.resolve("fake-llm.log");
    }

    /**
     * Starts it on {@code port} (0: any free port) and waits until it listens; returns the port. Fails with the end
     * of its log when it exits or does not listen within {@link #START_TIMEOUT_MS}.
     */
    int start(String javaBinary, int port) throws IOException, InterruptedException {
        Path portFile = dir.resolve("fake-llm.port");
        Files.createDirectories(dir);
        Files.deleteIfExists(portFile);
        process = new ProcessBuilder(List.of(javaBinary, source.toString(), "--port", Integer.toString(port),
                "--port-file", portFile.toString(), "--exit-on-stdin-eof"))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile())).start();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MS);
        while (System.nanoTime() < deadline) {
            if (Files.exists(portFile)) {
                return Integer.parseInt(Files.readString(portFile).trim());
            }
            if (!process.isAlive()) {
                throw new IOException("the fake LLM exited with status " + process.exitValue() + ": "
                        + lastLines());
            }
            Thread.sleep(100);
        }
        stop(2_000);
        throw new IOException("the fake LLM did not listen within " + START_TIMEOUT_MS + " ms: " + lastLines());
    }

    long pid() {
        return process == null ? -1 : process.pid();
    }

    /** SIGTERM by its pid, then SIGKILL after {@code graceMs}. */
    void stop(long graceMs) throws InterruptedException {
        ChildNode.stop(process, graceMs);
    }

    private String lastLines() {
        try {
            List<String> lines = Files.readAllLines(log());
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }
}
