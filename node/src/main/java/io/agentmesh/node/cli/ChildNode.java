package io.agentmesh.node.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One `agentmesh node run` of {@code agentmesh up}, as its own OS process, so a user can kill -9 it as they would a
 * server. Started with the same JVM and classpath as `up` itself; its output is appended to {@code node.log} in its
 * home. Not thread-safe: `up`'s supervising thread owns it.
 */
final class ChildNode {
    private final String name;
    private final Path home;
    private final List<String> nodeArgs;
    private Process process;

    /** @param nodeArgs everything after {@code agentmesh}, e.g. {@code node run --home ...} */
    ChildNode(String name, Path home, List<String> nodeArgs) {
        this.name = name;
        this.home = home;
        this.nodeArgs = List.copyOf(nodeArgs);
    }

    String name() {
        return name;
    }

    Path log() {
        return home.resolve("node.log");
    }

    Path pidFile() {
        return home.resolve("up.pid");
    }

    void start() throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Xmx256m", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), AgentmeshCommand.class.getName()));
        command.addAll(nodeArgs);
        Files.createDirectories(home);
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile())).start();
        Files.writeString(pidFile(), Long.toString(process.pid()));
    }

    boolean alive() {
        return process != null && process.isAlive();
    }

    long pid() {
        return process == null ? -1 : process.pid();
    }

    /** The exit status once the process has ended. */
    Optional<Integer> exitStatus() {
        return process == null || process.isAlive() ? Optional.empty() : Optional.of(process.exitValue());
    }

    /** SIGTERM (the node hands leadership over and stops its agent), then SIGKILL after {@code graceMs}. */
    void stop(long graceMs) throws InterruptedException {
        stop(process, graceMs);
    }

    /** SIGTERM to {@code process} (null or ended: nothing), then SIGKILL after {@code graceMs}. */
    static void stop(Process process, long graceMs) throws InterruptedException {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroy();
        if (!process.waitFor(graceMs, TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }

    /**
     * Stops a node left running by an earlier `up` that was itself killed: its pid file names it, and it is ours
     * only if its command line still names this node's home (a pid may have been reused since).
     */
    static Optional<Long> stopOrphan(Path home) throws IOException, InterruptedException {
        Path pidFile = home.resolve("up.pid");
        if (!Files.exists(pidFile)) {
            return Optional.empty();
        }
        long pid;
        try {
            pid = Long.parseLong(Files.readString(pidFile).trim());
        } catch (NumberFormatException e) {
            Files.delete(pidFile);
            return Optional.empty();
        }
        Optional<ProcessHandle> handle = ProcessHandle.of(pid);
        if (handle.isEmpty() || !handle.get().isAlive()) {
            return Optional.empty();
        }
        String commandLine = handle.get().info().commandLine().orElse("");
        if (!commandLine.contains(AgentmeshCommand.class.getName()) || !commandLine.contains(home.toString())) {
            return Optional.empty();
        }
        handle.get().destroy();
        try {
            handle.get().onExit().get(15, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            handle.get().destroyForcibly();
        }
        return Optional.of(pid);
    }
}
