package io.agentmesh.node.actions.exec;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentmesh.node.configfile.StrictJson;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The node-local table of commands that intents of kind {@code exec} may run, read once at start from a JSON file
 * this node's operator wrote. Never taken from the replicated state: any enrolled node can write the state, so a
 * command table in it would let one node run code on every other.
 *
 * <pre>
 * {
 *   "commands": {
 *     "send-report": {
 *       "argv": ["/usr/local/bin/send-report", "--quiet"],
 *       "timeoutMs": 30000,
 *       "killGraceMs": 2000,
 *       "maxOutputBytes": 16384,
 *       "mode": "at-most-once",
 *       "workdir": "/srv/agent"
 *     }
 *   }
 * }
 * </pre>
 * Only {@code argv} is required. An unknown key is refused (a typo such as {@code "timeout"} would otherwise run with
 * the default silently).
 *
 * @param source   the file it was read from, or empty for {@link #none()}
 * @param commands by name, sorted
 */
public record ExecCommands(Optional<Path> source, Map<String, ExecCommand> commands) {
    /** The default location, under the node's home directory, read when present. */
    public static final String DEFAULT_FILE_NAME = "exec.json";
    public static final int MAX_FILE_BYTES = 1024 * 1024;
    public static final int MAX_COMMANDS = 1024;
    private static final Set<String> TOP_KEYS = Set.of("commands");
    private static final Set<String> COMMAND_KEYS = Set.of("argv", "timeoutMs", "killGraceMs", "maxOutputBytes",
            "mode", "workdir");

    public ExecCommands {
        java.util.Objects.requireNonNull(source, "source");
        commands = Collections.unmodifiableMap(new TreeMap<>(commands));
        commands.forEach((k, v) -> {
            if (!k.equals(v.name())) {
                throw new IllegalArgumentException("exec command keyed \"" + k + "\" is named \"" + v.name() + "\"");
            }
        });
    }

    /** No commands: every exec intent fails with "no such command". */
    public static ExecCommands none() {
        return new ExecCommands(Optional.empty(), Map.of());
    }

    public Optional<ExecCommand> command(String name) {
        return Optional.ofNullable(commands.get(name));
    }

    /** Where the table came from, for messages: the file, or "no exec config". */
    public String describeSource() {
        return source.map(p -> "the exec config " + p).orElse("this node's exec config (none given: start the node"
                + " with --exec-config FILE, or put " + DEFAULT_FILE_NAME + " in its home directory)");
    }

    /** For status: the file and each command's mode and timeout. */
    public Map<String, Object> summary() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("config", source.map(Path::toString).orElse(null));
        Map<String, Object> byName = new LinkedHashMap<>();
        commands.forEach((name, c) -> byName.put(name, Map.of("mode", c.mode().text(), "timeoutMs", c.timeoutMs())));
        out.put("commands", byName);
        return out;
    }

    /**
     * Reads and checks a command table. Throws IllegalArgumentException naming the file and the problem (bad JSON,
     * an unknown key, a missing argv, a value out of range, a workdir that is not a directory); IOException when the
     * file cannot be read.
     */
    public static ExecCommands load(Path file) throws IOException {
        Path abs = file.toAbsolutePath().normalize();
        JsonNode root = StrictJson.readFile(abs, "exec config", MAX_FILE_BYTES, StrictJson.ParseErrors.QUOTE);
        return parse(root, abs);
    }

    static ExecCommands parse(JsonNode root, Path source) {
        String where = "exec config " + source;
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(where + " must be a JSON object {\"commands\": {...}}");
        }
        StrictJson.refuseUnknownKeys(root, TOP_KEYS, where);
        JsonNode cmds = root.path("commands");
        if (!cmds.isObject()) {
            throw new IllegalArgumentException(where + ": \"commands\" (an object of named commands) is required");
        }
        if (cmds.size() > MAX_COMMANDS) {
            throw new IllegalArgumentException(where + ": at most " + MAX_COMMANDS + " commands, got " + cmds.size());
        }
        Map<String, ExecCommand> out = new TreeMap<>();
        for (Map.Entry<String, JsonNode> e : cmds.properties()) {
            out.put(e.getKey(), command(e.getKey(), e.getValue(), where));
        }
        return new ExecCommands(Optional.of(source), out);
    }

    private static ExecCommand command(String name, JsonNode c, String file) {
        String where = file + ", command \"" + name + "\"";
        if (!c.isObject()) {
            throw new IllegalArgumentException(where + " must be an object with at least \"argv\"");
        }
        StrictJson.refuseUnknownKeys(c, COMMAND_KEYS, where);
        JsonNode argvNode = c.path("argv");
        if (!argvNode.isArray()) {
            throw new IllegalArgumentException(where + ": \"argv\" (an array of strings, the program first) is"
                    + " required");
        }
        List<String> argv = new ArrayList<>();
        for (JsonNode a : argvNode) {
            if (!a.isTextual()) {
                throw new IllegalArgumentException(where + ": every argv entry must be a string, got " + a);
            }
            argv.add(a.asText());
        }
        long timeoutMs = StrictJson.longField(c, "timeoutMs", ExecCommand.DEFAULT_TIMEOUT_MS, where);
        long killGraceMs = StrictJson.longField(c, "killGraceMs", ExecCommand.DEFAULT_KILL_GRACE_MS, where);
        long maxOutput = StrictJson.longField(c, "maxOutputBytes", ExecCommand.DEFAULT_MAX_OUTPUT_BYTES, where);
        if (maxOutput > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(where + ": maxOutputBytes must be 0.." + ExecCommand.MAX_OUTPUT_BYTES);
        }
        ExecCommand.Mode mode = ExecCommand.Mode.AT_MOST_ONCE;
        if (c.has("mode")) {
            if (!c.get("mode").isTextual()) {
                throw new IllegalArgumentException(where + ": mode must be a string");
            }
            mode = ExecCommand.Mode.parse(c.get("mode").asText(), where);
        }
        Optional<Path> workdir = Optional.empty();
        if (c.has("workdir")) {
            if (!c.get("workdir").isTextual()) {
                throw new IllegalArgumentException(where + ": workdir must be a string (an absolute path)");
            }
            Path w = Path.of(c.get("workdir").asText());
            if (!w.isAbsolute() || !Files.isDirectory(w)) {
                throw new IllegalArgumentException(where + ": workdir " + w + " must be an absolute path to an"
                        + " existing directory");
            }
            workdir = Optional.of(w);
        }
        try {
            return new ExecCommand(name, argv, timeoutMs, killGraceMs, (int) maxOutput, mode, workdir);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }
}
