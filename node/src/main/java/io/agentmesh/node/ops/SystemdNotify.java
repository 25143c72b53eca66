package io.agentmesh.node.ops;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Tells systemd the node is up (READY=1) and alive (WATCHDOG=1) when it runs as a {@code Type=notify} service.
 * Java has no unix datagram socket, and $NOTIFY_SOCKET is one, so the messages go through {@code systemd-notify}
 * (a child process: the unit needs {@code NotifyAccess=all}; since systemd 246 it waits until systemd has taken
 * the message, so the child's exit loses nothing). Outside systemd ($NOTIFY_SOCKET unset) it does nothing.
 */
public final class SystemdNotify implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SystemdNotify.class);
    private static final long NOTIFY_TIMEOUT_MS = 5_000;

    private final Path tool;
    private final String nodeName;
    private final ScheduledExecutorService pinger;

    private SystemdNotify(Path tool, String nodeName) {
        this.tool = tool;
        this.nodeName = nodeName;
        this.pinger = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "systemd-watchdog");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Sends READY=1, then WATCHDOG=1 every half of $WATCHDOG_USEC while {@code alive} says the node answers.
     * Empty outside systemd; when systemd asks but systemd-notify is missing, logs why once and does nothing (the
     * unit then times out at start: install systemd, or make the unit Type=simple).
     */
    public static Optional<SystemdNotify> start(Map<String, String> env, String nodeName, BooleanSupplier alive) {
        if (env.get("NOTIFY_SOCKET") == null) {
            return Optional.empty();
        }
        Optional<Path> tool = Tailnet.onPath(env.get("PATH"), "systemd-notify");
        if (tool.isEmpty()) {
            log.warn("node {}: systemd asked for notifications ($NOTIFY_SOCKET) but systemd-notify is not on the PATH;"
                    + " no READY=1 will be sent (make the unit Type=simple, or put systemd-notify on its PATH)",
                    nodeName);
            return Optional.empty();
        }
        SystemdNotify n = new SystemdNotify(tool.get(), nodeName);
        n.send("--ready");
        long watchdogUs = parseOr(env.get("WATCHDOG_USEC"), 0);
        if (watchdogUs > 0) {
            long everyMs = Math.max(500, watchdogUs / 2_000);
            n.pinger.scheduleWithFixedDelay(() -> {
                if (alive.getAsBoolean()) {
                    n.send("WATCHDOG=1");
                } else {
                    log.warn("node {}: not answering; no WATCHDOG=1 sent, systemd restarts it when WatchdogSec runs"
                            + " out", nodeName);
                }
            }, everyMs, everyMs, TimeUnit.MILLISECONDS);
        }
        return Optional.of(n);
    }

    private void send(String message) {
        Process p = null;
        try {
            p = new ProcessBuilder(tool.toString(), message).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(NOTIFY_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
                log.warn("node {}: systemd-notify {} did not finish within {} ms", nodeName, message, NOTIFY_TIMEOUT_MS);
            } else if (p.exitValue() != 0) {
                log.warn("node {}: systemd-notify {} exited with {}", nodeName, message, p.exitValue());
            }
        } catch (IOException e) {
            log.warn("node {}: cannot run systemd-notify {}: {}", nodeName, message, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (p != null && p.isAlive()) {
                p.destroyForcibly();
            }
        }
    }

    private static long parseOr(String text, long fallback) {
        try {
            return text == null ? fallback : Long.parseLong(text.strip());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    /** Says STOPPING=1 and stops the watchdog pings. */
    @Override
    public void close() {
        pinger.shutdownNow();
        send("STOPPING=1");
    }
}
