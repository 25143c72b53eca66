package io.agentmesh.node.agent.process;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * The agent's stdout and stderr: each line goes to the node's log prefixed {@code agent[pid]}, and the last
 * {@code keptLines} stay here for status. Lines longer than {@link #MAX_LINE_BYTES} are cut (and say so), so a
 * process that never writes a newline cannot grow a buffer without bound. Thread-safe: one pump thread per stream
 * writes, status reads.
 */
public final class AgentOutput {
    private static final Logger log = LoggerFactory.getLogger(AgentOutput.class);
    public static final int MAX_LINE_BYTES = 4096;
    public static final int DEFAULT_KEPT_LINES = 50;

    private final int keptLines;
    private final Deque<String> last = new ArrayDeque<>();

    public AgentOutput(int keptLines) {
        if (keptLines < 1) {
            throw new IllegalArgumentException("keptLines must be positive, got " + keptLines);
        }
        this.keptLines = keptLines;
    }

    /** Reads {@code in} to its end on a new daemon thread, one log line per line. */
    public Thread pump(InputStream in, long pid, boolean stderr) {
        Thread t = new Thread(() -> read(in, pid, stderr), "agent-" + pid + (stderr ? "-err" : "-out"));
        t.setDaemon(true);
        t.start();
        return t;
    }

    private void read(InputStream in, long pid, boolean stderr) {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        boolean cut = false;
        byte[] buf = new byte[8192];
        try (in) {
            int n;
            while ((n = in.read(buf)) > 0) {
                for (int i = 0; i < n; i++) {
                    byte b = buf[i];
                    if (b == '\n') {
                        emit(pid, line, cut, stderr);
                        line.reset();
                        cut = false;
                    } else if (line.size() < MAX_LINE_BYTES) {
                        line.write(b);
                    } else {
                        cut = true;
                    }
                }
            }
        } catch (IOException e) {
            // The stream closes when the process (or the node's side of the pipe) goes away; nothing to report.
        }
        if (line.size() > 0 || cut) {
            emit(pid, line, cut, stderr);
        }
    }

    private void emit(long pid, ByteArrayOutputStream bytes, boolean cut, boolean stderr) {
        String text = bytes.toString(StandardCharsets.UTF_8);
        if (text.endsWith("\r")) {
            text = text.substring(0, text.length() - 1);
        }
        if (cut) {
            text = text + " [line cut at " + MAX_LINE_BYTES + " bytes]";
        }
        log.info("agent[{}]{} {}", pid, stderr ? " stderr" : "", text);
        synchronized (last) {
            last.addLast(text);
            while (last.size() > keptLines) {
                last.removeFirst();
            }
        }
    }

    /** The last lines, oldest first (stdout and stderr interleaved as they arrived). */
    public List<String> lastLines() {
        synchronized (last) {
            return List.copyOf(last);
        }
    }
}
