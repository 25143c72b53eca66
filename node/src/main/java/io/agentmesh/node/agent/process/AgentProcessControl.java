package io.agentmesh.node.agent.process;

import io.agentmesh.protocol.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Starts and stops the agent's process; blocking, so the node calls it off its thread.
 *
 * <p>The process runs in its own session and process group ({@code setsid}; where there is no setsid binary, as on
 * macOS, Perl's {@code POSIX::setsid}), under a small {@code sh} wrapper ({@link #WRAPPER}) that is the group leader.
 * So the whole tree the agent spawns is signalled at once: {@code kill -s TERM -- -pgid}, the grace, then
 * {@code kill -s KILL -- -pgid}. The wrapper is also the watchdog: its stdin is a pipe whose only writer is this node,
 * which never writes. When the node dies, even by kill -9, the kernel closes that end, the watchdog reads end of file,
 * and it does the same TERM, grace, KILL to the group. So the agent outlives its node by at most the grace plus the
 * time to notice (measured in {@code AgentProcessControlTest}).
 *
 * <p>Each start is recorded (pid and start time) in the state directory, and the record is removed once the group is
 * gone. At node start, {@link #stopOrphans} finds a group left by an earlier run of this node from that record, checks
 * it is really ours (the leader's start time and the wrapper's name in its command line, or members of that group
 * started after it), and stops it.
 */
public final class AgentProcessControl {
    private static final Logger log = LoggerFactory.getLogger(AgentProcessControl.class);
    /** The wrapper's {@code $0}: how a command line is recognised as ours. */
    static final String MARKER = "agentmesh-agent";
    static final String RECORD_FILE = "agent-process";
    /** How long to wait for a group to go after SIGKILL before giving up on it (a process in D state). */
    private static final long KILL_WAIT_MS = 5_000;

    /**
     * The wrapper. {@code $1} is the grace in seconds, the rest the agent's command. It runs the agent in the
     * background with stdin from /dev/null; a watchdog subshell holds the node's pipe (fd 3) and, at its end of file,
     * signals the whole group (itself included: it ignores TERM and dies with the KILL). The wrapper traps TERM, so a
     * group SIGTERM stops the agent and the wrapper then exits with the agent's code.
     */
    static final String WRAPPER = String.join("\n",
            "g=\"$1\"; shift",
            "trap 'stopping=1' TERM",
            "exec 3<&0",
            "\"$@\" </dev/null 3<&- &",
            "a=$!",
            "(",
            "  trap '' TERM",
            "  while read -r _ <&3; do :; done",
            "  kill -TERM 0 2>/dev/null",
            "  sleep \"$g\"",
            "  kill -KILL 0 2>/dev/null",
            ") &",
            "w=$!",
            "exec 3<&-",
            "while :; do",
            "  wait \"$a\"; c=$?",
            "  kill -0 \"$a\" 2>/dev/null || break",
            "done",
            "kill -KILL \"$w\" 2>/dev/null",
            "exit \"$c\"");

    /** A started process: the wrapper (group leader) and when its group is gone. */
    public record Running(long pid, Instant startedAt, Process process, CompletableFuture<Integer> gone) {
    }

    private final List<String> command;
    private final Path workingDir;
    private final Path stateDir;
    private final long graceMs;
    private final AgentOutput output;
    private final List<String> launcher;
    private final Clock clock;

    /**
     * @param command    the agent's command
     * @param workingDir where it runs (the workspace)
     * @param stateDir   where the record of the running process is kept
     * @param graceMs    SIGTERM to SIGKILL, also the watchdog's
     * @param clock      the node's clock; times the waits for an orphaned group to go (monotonic)
     * @throws IllegalStateException when there is no way to start a new session (no setsid, no perl)
     */
    public AgentProcessControl(List<String> command, Path workingDir, Path stateDir, long graceMs,
                               AgentOutput output, Clock clock) {
        if (command.isEmpty()) {
            throw new IllegalArgumentException("no agent command");
        }
        this.command = List.copyOf(command);
        this.workingDir = workingDir;
        this.stateDir = stateDir;
        this.graceMs = graceMs;
        this.output = output;
        this.launcher = sessionLauncher(System.getenv("PATH"));
        this.clock = clock;
    }

    /** {@code setsid}, or Perl's setsid where there is no such binary (macOS). */
    static List<String> sessionLauncher(String pathVariable) {
        if (onPath("setsid", pathVariable)) {
            return List.of("setsid");
        }
        if (onPath("perl", pathVariable)) {
            return List.of("perl", "-e", "use POSIX qw(setsid); setsid() >= 0 or die \"setsid: $!\\n\";"
                    + " exec { $ARGV[0] } @ARGV or die \"exec: $!\\n\";");
        }
        throw new IllegalStateException("cannot run the agent in its own process group: neither setsid (util-linux)"
                + " nor perl is on PATH");
    }

    private static boolean onPath(String program, String pathVariable) {
        if (pathVariable == null) {
            return false;
        }
        for (String dir : pathVariable.split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir).resolve(program))) {
                return true;
            }
        }
        return false;
    }

    /** The full command line handed to the OS. */
    List<String> wrappedCommand() {
        List<String> cmd = new ArrayList<>(launcher);
        cmd.addAll(List.of("sh", "-c", WRAPPER, MARKER, graceSeconds(graceMs)));
        cmd.addAll(command);
        return cmd;
    }

    static String graceSeconds(long ms) {
        return ms / 1000 + "." + String.format("%03d", ms % 1000);
    }

    /**
     * Starts the agent with these extra environment variables. Blocking (fork, exec, a small file write).
     *
     * @throws IOException when the process cannot be started; nothing is left running
     */
    public Running start(Map<String, String> env) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(wrappedCommand()).directory(workingDir.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        long pid = p.pid();
        Instant started = p.toHandle().info().startInstant().orElse(Instant.EPOCH);
        try {
            writeRecord(pid, started);
        } catch (IOException e) {
            signalGroup(pid, "KILL");
            p.destroyForcibly();
            throw new IOException("could not record the agent process in " + stateDir + ": " + e.getMessage(), e);
        }
        output.pump(p.getInputStream(), pid, false);
        output.pump(p.getErrorStream(), pid, true);
        CompletableFuture<Integer> gone = new CompletableFuture<>();
        Thread reaper = new Thread(() -> {
            int code = waitQuietly(p);
            // Whatever the agent left behind in its group goes with it.
            signalGroup(pid, "KILL");
            deleteRecord(pid);
            gone.complete(code);
        }, "agent-" + pid + "-reaper");
        reaper.setDaemon(true);
        reaper.start();
        log.info("agent[{}] started in {} as process group {}: {}", pid, workingDir, pid, String.join(" ", command));
        return new Running(pid, started, p, gone);
    }

    private static int waitQuietly(Process p) {
        while (true) {
            try {
                return p.waitFor();
            } catch (InterruptedException e) {
                // The reaper must see the exit; the node never interrupts it on purpose.
            }
        }
    }

    /**
     * SIGTERM to the group, up to the grace for the wrapper to exit, then SIGKILL to the group; returns once the
     * group is gone (or after a further bounded wait). Blocking. Returns the exit code, or empty if the process did
     * not go even after SIGKILL within that wait.
     */
    public Optional<Integer> stop(Running r, String reason) {
        if (r.gone().isDone()) {
            return Optional.of(r.gone().join());
        }
        log.info("agent[{}] stopping ({}): SIGTERM to its process group, SIGKILL after {} ms", r.pid(), reason,
                graceMs);
        signalGroup(r.pid(), "TERM");
        Optional<Integer> code = await(r.gone(), graceMs);
        if (code.isPresent()) {
            return code;
        }
        log.info("agent[{}] still running {} ms after SIGTERM: SIGKILL to its process group", r.pid(), graceMs);
        signalGroup(r.pid(), "KILL");
        r.process().destroyForcibly();
        code = await(r.gone(), KILL_WAIT_MS);
        if (code.isEmpty()) {
            log.warn("agent[{}] did not go within {} ms of SIGKILL", r.pid(), KILL_WAIT_MS);
        }
        return code;
    }

    private static Optional<Integer> await(CompletableFuture<Integer> f, long ms) {
        try {
            return Optional.of(f.get(ms, TimeUnit.MILLISECONDS));
        } catch (TimeoutException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } catch (ExecutionException e) {
            return Optional.of(-1);
        }
    }

    /** Sends a signal to a process group; false when no such group exists (or kill failed). Blocking. */
    static boolean signalGroup(long pgid, String signal) {
        if (pgid <= 1) {
            throw new IllegalArgumentException("refusing to signal process group " + pgid);
        }
        try {
            Process k = new ProcessBuilder("sh", "-c", "kill -s \"$1\" -- \"-$2\" 2>/dev/null", "agentmesh-kill",
                    signal, Long.toString(pgid)).redirectErrorStream(true).start();
            k.getOutputStream().close();
            k.getInputStream().readAllBytes();
            return k.waitFor() == 0;
        } catch (IOException e) {
            log.warn("could not signal process group {} with {}: {}", pgid, signal, e.getMessage());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    // ------------------------------------------------------------------------------------------------ orphans

    /**
     * Stops a process group an earlier run of this node left behind, if the record names one that is still ours.
     * Blocking (up to the grace and the SIGKILL wait). Returns the group id it stopped, if any.
     */
    public Optional<Long> stopOrphans() {
        Optional<Record> record = readRecord();
        if (record.isEmpty()) {
            return Optional.empty();
        }
        long pgid = record.get().pid();
        Instant started = record.get().startedAt();
        List<Long> members = ourGroupMembers(pgid, started);
        if (members.isEmpty()) {
            deleteRecord(pgid);
            return Optional.empty();
        }
        log.warn("agent process group {} (started {}) from an earlier run of this node is still running ({} processes):"
                + " stopping it", pgid, started, members.size());
        signalGroup(pgid, "TERM");
        if (!awaitGone(pgid, started, graceMs)) {
            signalGroup(pgid, "KILL");
            awaitGone(pgid, started, KILL_WAIT_MS);
        }
        deleteRecord(pgid);
        return Optional.of(pgid);
    }

    /**
     * The processes of group {@code pgid} that are ours: the leader if its start time and command line match the
     * record, and any member of the group started no earlier than the recorded leader (a process group id stays
     * taken while any member lives, so such a member belongs to our group, not to a later one reusing the number).
     */
    static List<Long> ourGroupMembers(long pgid, Instant leaderStarted) {
        List<Long> out = new ArrayList<>();
        Map<Long, Long> groups = processGroups();
        Optional<ProcessHandle> leader = groups.containsKey(pgid) ? ProcessHandle.of(pgid) : Optional.empty();
        boolean leaderOurs = leader.isPresent()
                && leader.get().info().startInstant().map(t -> t.toEpochMilli() == leaderStarted.toEpochMilli())
                        .orElse(false)
                && leader.get().info().commandLine().map(c -> c.contains(MARKER)).orElse(true);
        if (leader.isPresent() && !leaderOurs) {
            return out; // the number belongs to another process now
        }
        groups.forEach((pid, group) -> {
            if (group != pgid) {
                return;
            }
            boolean ours = pid == pgid ? leaderOurs : ProcessHandle.of(pid).flatMap(h -> h.info().startInstant())
                    .map(t -> t.toEpochMilli() >= leaderStarted.toEpochMilli()).orElse(false);
            if (ours) {
                out.add(pid);
            }
        });
        return out;
    }

    /**
     * Every running process's pid and process group, from {@code ps}, which Linux and macOS both have. Zombies are
     * left out: they run nothing, and only their parent (or init, for an orphan) can remove them.
     */
    static Map<Long, Long> processGroups() {
        Map<Long, Long> out = new java.util.TreeMap<>();
        try {
            Process ps = new ProcessBuilder("ps", "-A", "-o", "pid=", "-o", "pgid=", "-o", "stat=").start();
            ps.getOutputStream().close();
            String text = new String(ps.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            ps.getErrorStream().readAllBytes();
            ps.waitFor();
            for (String line : text.split("\n")) {
                String[] parts = line.trim().split("\\s+");
                if (parts.length == 3 && !parts[2].startsWith("Z")) {
                    try {
                        out.put(Long.parseLong(parts[0]), Long.parseLong(parts[1]));
                    } catch (NumberFormatException e) {
                        // not a process line
                    }
                }
            }
        } catch (IOException e) {
            log.warn("could not list processes with ps: {}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return out;
    }

    /** Polls until no process of our group {@code pgid} is left, for at most {@code ms}; whether none is. */
    private boolean awaitGone(long pgid, Instant leaderStarted, long ms) {
        long deadlineNanos = clock.monotonicNanos() + ms * 1_000_000;
        while (!ourGroupMembers(pgid, leaderStarted).isEmpty()) {
            if (clock.monotonicNanos() - deadlineNanos >= 0) {
                return false;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    // ------------------------------------------------------------------------------------------------ the record

    /** What the state directory remembers of the running process. */
    record Record(long pid, Instant startedAt) {
    }

    private Path recordPath() {
        return stateDir.resolve(RECORD_FILE);
    }

    private void writeRecord(long pid, Instant startedAt) throws IOException {
        Files.createDirectories(stateDir);
        Path tmp = stateDir.resolve(RECORD_FILE + ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            out.write(("pid " + pid + "\nstarted " + startedAt.toEpochMilli() + "\n").getBytes(StandardCharsets.US_ASCII));
        }
        try {
            Files.move(tmp, recordPath(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, recordPath(), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** The record, if there is a well-formed one; a malformed one is logged and removed. */
    Optional<Record> readRecord() {
        Path path = recordPath();
        if (!Files.exists(path)) {
            return Optional.empty();
        }
        try {
            return Optional.of(parseRecord(Files.readString(path, StandardCharsets.US_ASCII)));
        } catch (IOException | IllegalArgumentException e) {
            log.warn("ignored the agent process record {}: {}", path, e.getMessage());
            try {
                Files.deleteIfExists(path);
            } catch (IOException ignored) {
                // left for the next start to report again
            }
            return Optional.empty();
        }
    }

    /**
     * Reads {@code pid <n>\nstarted <epoch ms>\n} strictly.
     *
     * @throws IllegalArgumentException saying what is wrong
     */
    static Record parseRecord(String text) {
        String[] lines = text.split("\n", -1);
        if (lines.length != 3 || !lines[2].isEmpty() || !lines[0].startsWith("pid ")
                || !lines[1].startsWith("started ")) {
            throw new IllegalArgumentException("expected 'pid <n>' and 'started <epoch ms>' lines");
        }
        try {
            long pid = Long.parseLong(lines[0].substring(4));
            long started = Long.parseLong(lines[1].substring(8));
            if (pid <= 1 || started < 0) {
                throw new IllegalArgumentException("pid " + pid + " or start time " + started + " out of range");
            }
            return new Record(pid, Instant.ofEpochMilli(started));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a number: " + e.getMessage());
        }
    }

    private void deleteRecord(long pid) {
        Optional<Record> r;
        try {
            r = Files.exists(recordPath()) ? Optional.of(parseRecord(Files.readString(recordPath(),
                    StandardCharsets.US_ASCII))) : Optional.empty();
        } catch (IOException | IllegalArgumentException e) {
            r = Optional.empty();
        }
        // Only our own record: a later start may have replaced it already.
        if (r.isPresent() && r.get().pid() == pid) {
            try {
                Files.deleteIfExists(recordPath());
            } catch (IOException e) {
                log.warn("could not remove the agent process record {}: {}", recordPath(), e.getMessage());
            }
        }
    }
}
