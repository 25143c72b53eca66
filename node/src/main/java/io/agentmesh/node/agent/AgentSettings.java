package io.agentmesh.node.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What this node hosts for the agent: its workspace directory (mirrored across the mesh) and the command that runs the
 * agent (started only while this node leads). Both are node-local settings, never taken from the replicated state:
 * any node can write the state, so a command in it would let one node run code on another.
 *
 * @param workspace       the agent's workspace directory, as a real path (symlinks resolved), or empty for none
 * @param command         the agent's command and arguments, or empty to host no agent process
 * @param stopGraceMs     how long the process may take to exit after SIGTERM before its group gets SIGKILL; the next
 *                        leader waits for it at failover (it travels in the journal), so it adds to failover time
 * @param crashLoopExits  this many exits within {@code crashLoopWindowMs} make a crash loop: the node stops restarting
 *                        the agent and hands leadership to another voter
 * @param crashLoopWindowMs the window of the crash-loop count
 */
public record AgentSettings(Optional<Path> workspace, List<String> command, long stopGraceMs, int crashLoopExits,
                            long crashLoopWindowMs) {
    /** Half a second: an agent that needs longer to save its work should save as it goes (docs/agents.md). */
    public static final long DEFAULT_STOP_GRACE_MS = 500;
    public static final int DEFAULT_CRASH_LOOP_EXITS = 5;
    public static final long DEFAULT_CRASH_LOOP_WINDOW_MS = 60_000;
    /** The longest grace a node accepts: every failover waits for it. */
    public static final long MAX_STOP_GRACE_MS = 60_000;

    public AgentSettings {
        command = List.copyOf(command);
        if (!command.isEmpty() && command.get(0).isBlank()) {
            throw new IllegalArgumentException("the agent command is empty; write it after `--`, e.g. "
                    + "`agentmesh node run --workspace ~/agent -- python3 agent.py`");
        }
        if (stopGraceMs < 0 || stopGraceMs > MAX_STOP_GRACE_MS) {
            throw new IllegalArgumentException("--agent-stop-grace-ms must be 0.." + MAX_STOP_GRACE_MS + ", got "
                    + stopGraceMs);
        }
        if (crashLoopExits < 1) {
            throw new IllegalArgumentException("crashLoopExits must be >= 1, got " + crashLoopExits);
        }
        if (crashLoopWindowMs < 1) {
            throw new IllegalArgumentException("crashLoopWindowMs must be >= 1, got " + crashLoopWindowMs);
        }
    }

    /** A workspace and a command, with the default stop grace and crash-loop limit. */
    public AgentSettings(Optional<Path> workspace, List<String> command) {
        this(workspace, command, DEFAULT_STOP_GRACE_MS, DEFAULT_CRASH_LOOP_EXITS, DEFAULT_CRASH_LOOP_WINDOW_MS);
    }

    /** No workspace and no agent process: the node holds the agent's state and performs its actions only. */
    public static AgentSettings none() {
        return new AgentSettings(Optional.empty(), List.of());
    }

    /**
     * Checks a workspace given on the command line: it must exist and be a directory this process can read and write.
     * Returns its real path, so later checks (a symlink pointing out of the workspace) compare against the real thing.
     */
    public static Path checkWorkspace(Path given) {
        Path abs = given.toAbsolutePath().normalize();
        if (!Files.isDirectory(abs)) {
            throw new IllegalArgumentException("--workspace " + given + " is not a directory; create it first (mkdir -p "
                    + abs + ") or point at the agent's existing workspace");
        }
        if (!Files.isReadable(abs) || !Files.isWritable(abs)) {
            throw new IllegalArgumentException("--workspace " + abs + " must be readable and writable by this user");
        }
        try {
            return abs.toRealPath();
        } catch (IOException e) {
            throw new IllegalArgumentException("--workspace " + abs + " cannot be resolved: " + e.getMessage(), e);
        }
    }

    /** The same settings with another stop grace. */
    public AgentSettings withStopGraceMs(long ms) {
        return new AgentSettings(workspace, command, ms, crashLoopExits, crashLoopWindowMs);
    }

    /**
     * Checks that the agent's command can be run: a name without a slash must be an executable file on PATH; a path
     * (absolute, or relative to the workspace, where the process runs) must be an executable file. Refusing at start
     * beats a crash loop on every node.
     *
     * @throws IllegalArgumentException saying which command is missing and where it was looked for
     */
    public static void checkCommand(List<String> command, Optional<Path> workspace, String pathVariable) {
        if (command.isEmpty()) {
            return;
        }
        String program = command.get(0);
        if (program.contains("/")) {
            Path p = Path.of(program);
            Path resolved = p.isAbsolute() ? p : workspace.orElse(Path.of("").toAbsolutePath()).resolve(p);
            if (!Files.isRegularFile(resolved) || !Files.isExecutable(resolved)) {
                throw new IllegalArgumentException("the agent command " + program + " is not an executable file ("
                        + resolved.normalize() + "); relative paths are read from the workspace, where the agent"
                        + " runs");
            }
            return;
        }
        String path = pathVariable == null ? "" : pathVariable;
        for (String dir : path.split(":")) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir).resolve(program);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return;
            }
        }
        throw new IllegalArgumentException("the agent command '" + program + "' is not on PATH (" + path
                + "); install it, or give its full path after `--`");
    }

    public boolean hostsAgent() {
        return !command.isEmpty();
    }
}
