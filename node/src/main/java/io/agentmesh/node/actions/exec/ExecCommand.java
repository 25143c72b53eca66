package io.agentmesh.node.actions.exec;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One named command of the node-local exec table.
 *
 * @param name           what an intent's payload names it by ({@code {"command": name}})
 * @param argv           the program and its fixed arguments; the program is looked up on the node's PATH when it has
 *                       no slash. The intent's arguments never reach argv: they go to stdin as JSON.
 * @param timeoutMs      how long one run may take; then its whole process group gets SIGTERM, and SIGKILL after
 *                       {@code killGraceMs}
 * @param killGraceMs    how long a timed-out command gets between SIGTERM and SIGKILL
 * @param maxOutputBytes how much of stdout, and of stderr, the outcome keeps (each; the rest is counted and dropped)
 * @param mode           what a new leader does with a run its predecessor started and could not report
 * @param workdir        the working directory, or empty for the node's own
 */
public record ExecCommand(String name, List<String> argv, long timeoutMs, long killGraceMs, int maxOutputBytes,
                          Mode mode, Optional<Path> workdir) {
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    public static final long DEFAULT_TIMEOUT_MS = 60_000;
    public static final long MAX_TIMEOUT_MS = 3_600_000;
    public static final long DEFAULT_KILL_GRACE_MS = 2_000;
    public static final long MAX_KILL_GRACE_MS = 60_000;
    public static final int DEFAULT_MAX_OUTPUT_BYTES = 16 * 1024;
    /** Two streams of this much, escaped, still fit the 64 KiB an outcome may carry (ActionResult). */
    public static final int MAX_OUTPUT_BYTES = 24 * 1024;
    public static final int MAX_ARGS = 256;

    /** What a new leader does with a run its predecessor started (start mark committed) and could not report. */
    public enum Mode {
        /** Never run twice: the outcome is {@code uncertain}. The default. */
        AT_MOST_ONCE("at-most-once"),
        /** Run again under the new claim: the command tolerates a second run (same idempotency key). */
        IDEMPOTENT("idempotent");

        private final String text;

        Mode(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }

        public static Mode parse(String text, String where) {
            for (Mode m : values()) {
                if (m.text.equals(text)) {
                    return m;
                }
            }
            throw new IllegalArgumentException(where + ": mode is \"at-most-once\" (the default) or \"idempotent\","
                    + " got \"" + text + "\"");
        }
    }

    public ExecCommand {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(workdir, "workdir");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("exec command name \"" + name + "\" must be 1-64 characters of"
                    + " letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        argv = List.copyOf(argv);
        if (argv.isEmpty() || argv.get(0).isBlank()) {
            throw new IllegalArgumentException("exec command \"" + name + "\": argv needs at least the program,"
                    + " e.g. [\"/usr/local/bin/send-report\", \"--quiet\"]");
        }
        if (argv.size() > MAX_ARGS) {
            throw new IllegalArgumentException("exec command \"" + name + "\": argv has " + argv.size()
                    + " entries, at most " + MAX_ARGS);
        }
        for (String a : argv) {
            if (a.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("exec command \"" + name + "\": argv contains a NUL character");
            }
        }
        if (timeoutMs < 1 || timeoutMs > MAX_TIMEOUT_MS) {
            throw new IllegalArgumentException("exec command \"" + name + "\": timeoutMs must be 1.." + MAX_TIMEOUT_MS
                    + ", got " + timeoutMs);
        }
        if (killGraceMs < 0 || killGraceMs > MAX_KILL_GRACE_MS) {
            throw new IllegalArgumentException("exec command \"" + name + "\": killGraceMs must be 0.."
                    + MAX_KILL_GRACE_MS + ", got " + killGraceMs);
        }
        if (maxOutputBytes < 0 || maxOutputBytes > MAX_OUTPUT_BYTES) {
            throw new IllegalArgumentException("exec command \"" + name + "\": maxOutputBytes must be 0.."
                    + MAX_OUTPUT_BYTES + " (each of stdout and stderr), got " + maxOutputBytes);
        }
    }
}
