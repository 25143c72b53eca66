package io.agentmesh.node.runtime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** Test help: whether a process still runs, as `ps` sees it (a zombie runs nothing, so it counts as gone). */
final class Processes {
    private Processes() {
    }

    static boolean running(long pid) {
        try {
            Process ps = new ProcessBuilder("ps", "-o", "stat=", "-p", Long.toString(pid)).start();
            ps.getOutputStream().close();
            String stat = new String(ps.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            ps.waitFor();
            return !stat.isEmpty() && !stat.startsWith("Z");
        } catch (IOException e) {
            throw new IllegalStateException("ps failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }
}
