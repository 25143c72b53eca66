package io.agentmesh.node.actions.exec;

import io.agentmesh.protocol.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs one command as a child process, off the node thread (each run on virtual threads of its own: one waits, one
 * drains each of stdout and stderr, so a child that fills a pipe never blocks). Its stdin is a file holding the whole
 * input, so a child that outlives a killed node still has its arguments.
 *
 * <p>The child gets a process group of its own ({@code setsid}, when the system has it), so a timeout reaches what it
 * started too: SIGTERM to the whole group, then SIGKILL after the grace period. A child whose output pipes stay open
 * after it exits (a background process it left) has that group killed once output has been waited for a bounded
 * time. Without {@code setsid} the runner falls back to signalling the process and its descendants by PID.
 *
 * <p>Output is bounded: the first {@code maxOutputBytes} of each stream are kept, the rest counted and dropped.
 */
public final class CommandRunner {
    private static final Logger log = LoggerFactory.getLogger(CommandRunner.class);
    /** How long output may keep flowing after the process has exited before its group is killed. */
    static final long OUTPUT_DRAIN_MS = 2_000;
    private static final long KILL_COMMAND_WAIT_MS = 2_000;

    private final Clock clock;
    private final Optional<Path> setsid;
    private final Optional<Path> kill;

    /** @param clock the node's clock; times the runs (monotonic) */
    public CommandRunner(Clock clock) {
        this(clock, findExecutable("setsid"), findExecutable("kill"));
    }

    CommandRunner(Clock clock, Optional<Path> setsid, Optional<Path> kill) {
        this.clock = clock;
        this.setsid = setsid.filter(s -> kill.isPresent());
        this.kill = kill;
    }

    /** Whether runs get a process group of their own (setsid and kill found). */
    public boolean groupsProcesses() {
        return setsid.isPresent();
    }

    /**
     * What to run.
     *
     * @param program        the resolved program (absolute path)
     * @param args           its arguments after the program
     * @param env            added to the node's environment
     * @param stdin          written to the child's stdin, which is then closed
     */
    public record Spec(Path program, List<String> args, Optional<Path> workdir, Map<String, String> env, byte[] stdin,
                       long timeoutMs, long killGraceMs, int maxOutputBytes) {
        public Spec {
            args = List.copyOf(args);
            env = Map.copyOf(env);
        }
    }

    /**
     * How a run ended.
     *
     * @param exitCode    the exit status (128 + signal for a signalled process), or empty when it never started
     * @param startError  why it never started, or empty
     * @param timedOut    the timeout expired and the group was signalled
     * @param killed      SIGKILL was needed (the process outlived SIGTERM by the grace period)
     * @param leftovers   processes of its group still held its output open after it exited, and were killed
     */
    public record Finished(Optional<Integer> exitCode, Optional<String> startError, boolean timedOut, boolean killed,
                           boolean leftovers, long durationMs, Output stdout, Output stderr) {
    }

    /** The kept head of one output stream, and how many bytes the stream had in all. */
    public record Output(String text, long totalBytes, boolean truncated) {
        static final Output EMPTY = new Output("", 0, false);
    }

    /** Runs {@code work} on a thread of its own (file checks that must not block the node thread). */
    public <T> CompletableFuture<T> offNodeThread(java.util.function.Supplier<T> work) {
        CompletableFuture<T> done = new CompletableFuture<>();
        Thread.ofVirtual().name("exec-check").start(() -> {
            try {
                done.complete(work.get());
            } catch (RuntimeException | Error e) {
                done.completeExceptionally(e);
            }
        });
        return done;
    }

    /** Starts the run on its own threads; the future completes when the process and its output are done. */
    public CompletableFuture<Finished> run(Spec spec) {
        CompletableFuture<Finished> done = new CompletableFuture<>();
        Thread.ofVirtual().name("exec-" + spec.program().getFileName()).start(() -> {
            try {
                done.complete(runHere(spec));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                done.completeExceptionally(e);
            } catch (RuntimeException | Error e) {
                done.completeExceptionally(e);
            }
        });
        return done;
    }

    private static Path stdinFile(byte[] stdin) throws IOException {
        Path file;
        try {
            file = Files.createTempFile("agentmesh-exec-", ".stdin", PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            file = Files.createTempFile("agentmesh-exec-", ".stdin");
        }
        try {
            Files.write(file, stdin);
        } catch (IOException e) {
            deleteQuietly(file);
            throw e;
        }
        return file;
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            log.warn("exec: could not remove the temporary input file {}: {}", file, e.getMessage());
        }
    }

    private Finished runHere(Spec spec) throws InterruptedException {
        long t0 = clock.monotonicNanos();
        List<String> command = new ArrayList<>();
        setsid.ifPresent(s -> command.add(s.toString()));
        command.add(spec.program().toString());
        command.addAll(spec.args());
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().putAll(spec.env());
        spec.workdir().ifPresent(w -> pb.directory(w.toFile()));
        // The child's stdin is a file holding the whole input when it starts, never a pipe written after: a child
        // started in a session of its own outlives a node killed right after starting it, and would then read an
        // empty pipe and run without its arguments (seen in AgentFailoverLiveTest). The file is owner-only and
        // removed as soon as the child holds it open.
        Path stdinFile;
        try {
            stdinFile = stdinFile(spec.stdin());
        } catch (IOException e) {
            return new Finished(Optional.empty(), Optional.of("cannot write the command's input to a temporary file: "
                    + e.getMessage()), false, false, false, elapsedMs(t0), Output.EMPTY, Output.EMPTY);
        }
        pb.redirectInput(stdinFile.toFile());
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            return new Finished(Optional.empty(), Optional.of(e.getMessage()), false, false, false,
                    elapsedMs(t0), Output.EMPTY, Output.EMPTY);
        } finally {
            deleteQuietly(stdinFile);
        }
        Capture out = new Capture(spec.maxOutputBytes());
        Capture err = new Capture(spec.maxOutputBytes());
        Thread outReader = Thread.ofVirtual().start(() -> out.drain(p.getInputStream()));
        Thread errReader = Thread.ofVirtual().start(() -> err.drain(p.getErrorStream()));

        boolean timedOut = false;
        boolean killed = false;
        if (!p.waitFor(spec.timeoutMs(), TimeUnit.MILLISECONDS)) {
            timedOut = true;
            signal(p, "TERM");
            if (!p.waitFor(spec.killGraceMs(), TimeUnit.MILLISECONDS)) {
                killed = true;
                signal(p, "KILL");
                p.waitFor();
            }
        }
        // The group may outlive its leader (a background child holding the pipes): wait a bound, then kill it.
        boolean leftovers = false;
        if (!joined(outReader, errReader, OUTPUT_DRAIN_MS)) {
            leftovers = true;
            signal(p, "KILL");
            if (!joined(outReader, errReader, OUTPUT_DRAIN_MS)) {
                // Something outside the group holds the pipes (it escaped with setsid of its own): stop reading.
                closeQuietly(p.getInputStream());
                closeQuietly(p.getErrorStream());
            }
        }
        return new Finished(Optional.of(p.exitValue()), Optional.empty(), timedOut, killed, leftovers, elapsedMs(t0),
                out.result(), err.result());
    }

    private long elapsedMs(long t0) {
        return (clock.monotonicNanos() - t0) / 1_000_000;
    }

    private static boolean joined(Thread a, Thread b, long ms) throws InterruptedException {
        return a.join(Duration.ofMillis(ms)) && b.join(Duration.ofMillis(ms));
    }

    /** Sends {@code signal} (TERM or KILL) to the child's process group, or to it and its descendants. */
    private void signal(Process p, String signal) {
        if (setsid.isPresent()) {
            // setsid made the child a session and group leader: its pid is the group id.
            try {
                Process k = new ProcessBuilder(kill.orElseThrow().toString(), "-s", signal, "--", "-" + p.pid())
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                if (!k.waitFor(KILL_COMMAND_WAIT_MS, TimeUnit.MILLISECONDS)) {
                    k.destroyForcibly();
                }
                return;
            } catch (IOException e) {
                log.warn("could not run {} to signal process group {}: {}; signalling by pid", kill.orElseThrow(),
                        p.pid(), e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        boolean force = signal.equals("KILL");
        p.descendants().forEach(h -> {
            if (force) {
                h.destroyForcibly();
            } else {
                h.destroy();
            }
        });
        if (force) {
            p.destroyForcibly();
        } else {
            p.destroy();
        }
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // nothing more to read either way
        }
    }

    /**
     * The program an argv names: a path with a slash as given (relative to the working directory), else the first
     * executable match on {@code pathEnv}. Empty when there is none, so a missing binary is reported before anything
     * starts.
     */
    public static Optional<Path> resolveProgram(String program, String pathEnv, Optional<Path> workdir) {
        if (program.contains("/")) {
            Path p = Path.of(program);
            if (!p.isAbsolute()) {
                p = workdir.orElse(Path.of("").toAbsolutePath()).resolve(p);
            }
            return Files.isRegularFile(p) && Files.isExecutable(p) ? Optional.of(p.normalize()) : Optional.empty();
        }
        if (pathEnv == null) {
            return Optional.empty();
        }
        for (String dir : pathEnv.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = Path.of(dir, program);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return Optional.of(p.toAbsolutePath());
            }
        }
        return Optional.empty();
    }

    private static Optional<Path> findExecutable(String name) {
        for (String dir : List.of("/usr/bin", "/bin", "/usr/sbin", "/sbin")) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return resolveProgram(name, System.getenv("PATH"), Optional.empty());
    }

    /** Keeps the first {@code max} bytes of a stream and counts the rest. */
    private static final class Capture {
        private final byte[] head;
        private int kept;
        private long total;

        Capture(int max) {
            this.head = new byte[max];
        }

        void drain(InputStream in) {
            byte[] buf = new byte[8192];
            try (in) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    synchronized (this) {
                        int room = head.length - kept;
                        if (room > 0) {
                            int take = Math.min(room, n);
                            System.arraycopy(buf, 0, head, kept, take);
                            kept += take;
                        }
                        total += n;
                    }
                }
            } catch (IOException e) {
                // The stream was closed under us (leftovers that escaped the group): keep what was read.
            }
        }

        synchronized Output result() {
            return new Output(new String(head, 0, kept, StandardCharsets.UTF_8), total, total > kept);
        }
    }
}
