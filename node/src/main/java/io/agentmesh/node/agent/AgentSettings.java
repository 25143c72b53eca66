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
 * @param workspace the agent's workspace directory, as a real path (symlinks resolved), or empty for none
 * @param command   the agent's command and arguments, or empty to host no agent process
 */
public record AgentSettings(Optional<Path> workspace, List<String> command) {
    public AgentSettings {
        command = List.copyOf(command);
        if (!command.isEmpty() && command.get(0).isBlank()) {
            throw new IllegalArgumentException("the agent command is empty; write it after `--`, e.g. "
                    + "`agentmesh node run --workspace ~/agent -- python3 agent.py`");
        }
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

    public boolean hostsAgent() {
        return !command.isEmpty();
    }
}
