package io.agentmesh.node.runtime;

import io.agentmesh.node.cli.AgentmeshCommand;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A node in a child JVM, started through the real CLI, for tests that kill -9 it. Always destroy it. */
final class NodeProcess implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Process process;
    final int httpPort;

    private NodeProcess(Process process, int httpPort) {
        this.process = process;
        this.httpPort = httpPort;
    }

    static int runCli(Path log, String... args) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command(args)).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("agentmesh " + String.join(" ", args) + " did not finish in 60 s");
        }
        return p.exitValue();
    }

    /** {@link #runCli(Path, String...)} with {@code env} added to the child's environment. */
    static int runCli(Path log, java.util.Map<String, String> env, String... args)
            throws IOException, InterruptedException {
        ProcessBuilder b = new ProcessBuilder(command(args)).redirectErrorStream(true).redirectOutput(log.toFile());
        b.environment().putAll(env);
        Process p = b.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("agentmesh " + String.join(" ", args) + " did not finish in 60 s");
        }
        return p.exitValue();
    }

    /** {@link #runCli(Path, java.util.Map, String...)} with {@code stdin} written to the child's standard input. */
    static int runCliWithInput(Path log, java.util.Map<String, String> env, String stdin, String... args)
            throws IOException, InterruptedException {
        ProcessBuilder b = new ProcessBuilder(command(args)).redirectErrorStream(true).redirectOutput(log.toFile());
        b.environment().putAll(env);
        Process p = b.start();
        try (var in = p.getOutputStream()) {
            in.write(stdin.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("agentmesh " + String.join(" ", args) + " did not finish in 60 s");
        }
        return p.exitValue();
    }

    static NodeProcess start(Path home, int meshPort, int httpPort, Path log, String... extra) throws IOException {
        return start(home, meshPort, httpPort, log, java.util.Map.of(), extra);
    }

    /** {@link #start(Path, int, int, Path, String...)} with {@code env} added to the node's environment. */
    static NodeProcess start(Path home, int meshPort, int httpPort, Path log, java.util.Map<String, String> env,
                             String... extra) throws IOException {
        List<String> args = new ArrayList<>(List.of("node", "run", "--home", home.toString(),
                "--listen", "127.0.0.1:" + meshPort, "--http", "127.0.0.1:" + httpPort));
        args.addAll(List.of(extra));
        ProcessBuilder b = new ProcessBuilder(command(args.toArray(String[]::new))).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        b.environment().putAll(env);
        Process p = b.start();
        return new NodeProcess(p, httpPort);
    }

    private static List<String> command(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Xmx512m", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), AgentmeshCommand.class.getName()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String path, String json) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    boolean ready() {
        try {
            return get("/readyz").statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    int terminate() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
            throw new IllegalStateException("node did not stop within 20 s of SIGTERM");
        }
        return process.exitValue();
    }

    static String read(Path log) throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill9();
        }
    }
}
