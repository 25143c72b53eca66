package io.agentmesh.sim.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Busy CPUs for {@code bench failover --load}: a separate JVM that spins {@code threads} threads until its stdin
 * closes. A separate process, so the CPUs are taken from the nodes by the operating system's scheduler as another
 * program on the same machine would take them, not by threads of the benchmark's own JVM. The child ends when the
 * benchmark closes its stdin, and also when the benchmark dies (even by kill -9), because the pipe then closes.
 */
final class CpuBurner implements AutoCloseable {
    static final int MAX_THREADS = 64;
    private static final String READY = "burning";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final Process process;
    private final int threads;
    private final long startedNanos;
    private Map<String, Object> figures;

    private CpuBurner(Process process, int threads) {
        this.process = process;
        this.threads = threads;
        this.startedNanos = System.nanoTime();
    }

    /** Starts the child JVM with {@code threads} busy threads and returns once they spin. */
    static CpuBurner start(int threads) throws IOException, InterruptedException {
        if (threads < 1 || threads > MAX_THREADS) {
            throw new IllegalArgumentException("busy threads must be 1.." + MAX_THREADS + ", got " + threads);
        }
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx32m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                CpuBurner.class.getName(), Integer.toString(threads));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        CpuBurner b = new CpuBurner(p, threads);
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine();
            } catch (IOException e) {
                return null;
            }
        });
        try {
            String line = first.get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            if (line == null || !line.startsWith(READY)) {
                b.close();
                throw new IOException("the CPU burner did not start (exit " + (p.isAlive() ? "-" : p.exitValue())
                        + ", said: " + line + ")");
            }
        } catch (ExecutionException | TimeoutException e) {
            b.close();
            throw new IOException("the CPU burner did not start within " + START_TIMEOUT.toSeconds() + " s", e);
        }
        return b;
    }

    /** Whether the child still runs. */
    boolean alive() {
        return process.isAlive();
    }

    /** The child's process id, for checks that it is gone. */
    long pid() {
        return process.pid();
    }

    /**
     * Stops the child; returns what it burned: the threads, wall seconds, CPU seconds it was given and so the cores
     * it kept busy on average (the scheduler shares the cores with the nodes, so this may be below the threads).
     */
    Map<String, Object> stop() {
        if (figures != null) {
            return figures;
        }
        double wallSeconds = (System.nanoTime() - startedNanos) / 1e9;
        double cpuSeconds = process.toHandle().info().totalCpuDuration().map(d -> d.toMillis() / 1000.0).orElse(-1.0);
        try (OutputStream in = process.getOutputStream()) {
            in.flush();
        } catch (IOException ignored) {
            // the child is gone already; nothing to tell it
        }
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("busyThreads", threads);
        m.put("wallSeconds", Math.round(wallSeconds * 10) / 10.0);
        m.put("cpuSeconds", cpuSeconds < 0 ? null : Math.round(cpuSeconds * 10) / 10.0);
        m.put("coresKeptBusy", cpuSeconds < 0 || wallSeconds <= 0 ? null
                : Math.round(cpuSeconds / wallSeconds * 100) / 100.0);
        figures = m;
        return m;
    }

    @Override
    public void close() {
        stop();
    }

    /** The child: {@code threads} spinning threads, until stdin reaches its end. */
    public static void main(String[] args) throws IOException {
        int n = Integer.parseInt(args[0]);
        for (int i = 0; i < n; i++) {
            Thread t = new Thread(new Spin(0x9E3779B97F4A7C15L * (i + 1)), "burn-" + i);
            t.setDaemon(true);
            t.start();
        }
        System.out.println(READY + " " + n + " threads");
        System.out.flush();
        while (System.in.read() != -1) {
            // stdin carries nothing; its end is the signal to stop
        }
        System.exit(0);
    }

    /** Pure arithmetic the JIT cannot drop: the result escapes now and then. */
    private static final class Spin implements Runnable {
        private final long seed;
        private volatile long sink;

        Spin(long seed) {
            this.seed = seed;
        }

        @Override
        public void run() {
            long x = seed;
            while (true) {
                x ^= x << 13;
                x ^= x >>> 7;
                x ^= x << 17;
                if ((x & 0xFFFFF) == 0) {
                    sink = x;
                }
            }
        }
    }
}
