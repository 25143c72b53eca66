package io.agentmesh.node.cli;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress of long command-line work on stderr (docs/backup.md, "Progress"): on a terminal, one bar redrawn in place at
 * most every {@value #BAR_EVERY_MS} ms; otherwise (a log, a pipe, CI) one plain line at most every
 * {@value #LINE_EVERY_MS} ms, so a long restore in a log is neither silent nor a flood. {@code AGENTMESH_PROGRESS=bar},
 * {@code lines} or {@code off} overrides the choice. Output is bounded: one line of at most {@value #WIDTH} characters
 * per redraw. Not thread-safe: one thread drives it. Public because the simulator's long commands ({@code sim run}
 * over many seeds) use the same renderer.
 */
public final class Progress implements AutoCloseable {
    static final int WIDTH = 100;
    static final long BAR_EVERY_MS = 100;
    static final long LINE_EVERY_MS = 5_000;
    private static final int BAR_CELLS = 24;

    public enum Mode { BAR, LINES, OFF }

    private final PrintStream err;
    private final Mode mode;
    private final String unit;
    private final long startNanos = System.nanoTime();
    private String label;
    private long total;
    private long done;
    private long lastDrawNanos;
    private boolean drawnBar;
    private final long lineEveryMs;
    private boolean printedLine;
    private String note = "";

    public Progress(PrintStream err, Mode mode, String label, long total, String unit) {
        this(err, mode, label, total, unit, LINE_EVERY_MS);
    }

    public Progress(PrintStream err, Mode mode, String label, long total, String unit, long lineEveryMs) {
        this.err = err;
        this.mode = mode;
        this.label = label;
        this.total = total;
        this.unit = unit;
        this.lineEveryMs = lineEveryMs;
    }

    /** Progress on System.err in the mode the environment asks for. */
    public static Progress start(String label, long total, String unit) {
        return new Progress(System.err, mode(System.getenv("AGENTMESH_PROGRESS")), label, total, unit);
    }

    public static Mode mode(String override) {
        if (override != null) {
            switch (override.trim().toLowerCase(Locale.ROOT)) {
                case "bar" -> {
                    return Mode.BAR;
                }
                case "lines" -> {
                    return Mode.LINES;
                }
                case "off" -> {
                    return Mode.OFF;
                }
                default -> {
                    // an unknown value: the automatic choice
                }
            }
        }
        return interactive() ? Mode.BAR : Mode.LINES;
    }

    /** A terminal on the other end (Java 22+ says so itself; before, a console exists only on a terminal). */
    private static boolean interactive() {
        java.io.Console c = System.console();
        if (c == null || "dumb".equals(System.getenv("TERM"))) {
            return false;
        }
        try {
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(c);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }

    /** A new phase: its own label and total (0: unknown), counted from 0. */
    public void phase(String newLabel, long newTotal) {
        finishBar();
        label = newLabel;
        total = newTotal;
        done = 0;
        lastDrawNanos = 0;
        draw(false);
    }

    public void advance(long n) {
        set(done + n);
    }

    public void set(long value) {
        done = Math.max(0, value);
        draw(false);
    }

    /** Text after the count, e.g. "2 failed, 140x real time"; shown from the next redraw (empty: none). */
    public void note(String text) {
        note = text == null ? "" : text;
    }

    public void total(long newTotal) {
        total = newTotal;
    }

    /**
     * The final state of the current phase: drawn on a terminal, and as a last line where progress lines were printed
     * (work shorter than one line period prints none: its result says enough).
     */
    @Override
    public void close() {
        if (mode == Mode.BAR || printedLine) {
            draw(true);
        }
        finishBar();
    }

    private void finishBar() {
        if (drawnBar) {
            err.println();
            drawnBar = false;
        }
    }

    private void draw(boolean force) {
        if (mode == Mode.OFF) {
            return;
        }
        long now = System.nanoTime();
        long every = (mode == Mode.BAR ? BAR_EVERY_MS : lineEveryMs) * 1_000_000;
        if (!force && lastDrawNanos != 0 && now - lastDrawNanos < every) {
            return;
        }
        if (!force && mode == Mode.LINES && lastDrawNanos == 0 && now - startNanos < every) {
            lastDrawNanos = now; // short work prints no progress line at all before its result
            return;
        }
        lastDrawNanos = now;
        String line = render((now - startNanos) / 1_000_000);
        if (mode == Mode.BAR) {
            err.print("\r" + line + " ".repeat(Math.max(0, WIDTH - line.length())));
            err.flush();
            drawnBar = true;
        } else {
            err.println(line);
            printedLine = true;
        }
    }

    String render(long elapsedMs) {
        StringBuilder b = new StringBuilder(label).append(' ');
        if (total > 0) {
            long pct = Math.min(100, done * 100 / total);
            if (mode == Mode.BAR) {
                int cells = (int) Math.min(BAR_CELLS, done * BAR_CELLS / total);
                b.append('[').append("#".repeat(cells)).append(".".repeat(BAR_CELLS - cells)).append("] ");
            }
            b.append(pct).append("% ").append(count(done)).append('/').append(count(total));
        } else {
            b.append(count(done));
        }
        b.append(unit.equals("bytes") ? "" : " " + unit);
        if (!note.isEmpty()) {
            b.append(", ").append(note);
        }
        b.append(String.format(Locale.ROOT, " %.1f s", elapsedMs / 1000.0));
        return b.length() > WIDTH ? b.substring(0, WIDTH) : b.toString();
    }

    private String count(long n) {
        if (unit.equals("bytes")) {
            return n < 10 * 1024 * 1024 ? (n / 1024) + " KiB" : (n / (1024 * 1024)) + " MiB";
        }
        return Long.toString(n);
    }

    /** How often a command waiting on the node asks it how far its run is. */
    static final long POLL_MS = 500;

    /**
     * POSTs {@code pathAndQuery} (a run the node answers when it ends: a backup, a drill) and returns the node's
     * answer, meanwhile showing the run's progress as {@link #follow} does; a failed request is its IOException.
     */
    static String postAndFollow(String http, String pathAndQuery, long timeoutMs, String key) throws Exception {
        java.util.concurrent.CompletableFuture<String> post = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return NodeHttp.send(http, "POST", pathAndQuery, timeoutMs);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        });
        try {
            return follow(http, post, key);
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /**
     * Waits for {@code request} (a POST the node answers when its run ends), meanwhile showing the run's progress as
     * {@code GET /v1/backup} reports it under {@code key} ("progress" for a backup, "drillProgress" for a drill).
     * A poll that fails is skipped: the progress is a courtesy, the answer is what counts.
     */
    static String follow(String http, java.util.concurrent.CompletableFuture<String> request, String key)
            throws Exception {
        Progress p = null;
        String phase = null;
        try {
            while (!request.isDone()) {
                try {
                    com.fasterxml.jackson.databind.JsonNode r = new com.fasterxml.jackson.databind.ObjectMapper()
                            .readTree(NodeHttp.get(http, "/v1/backup")).path(key);
                    if (r.isObject()) {
                        String now = r.path("target").asText() + ": " + r.path("phase").asText();
                        if (p == null) {
                            p = start(now, r.path("total").asLong(), r.path("unit").asText());
                        } else if (!now.equals(phase)) {
                            p.phase(now, r.path("total").asLong());
                        }
                        phase = now;
                        p.total(r.path("total").asLong());
                        p.set(r.path("done").asLong());
                    }
                } catch (java.io.IOException e) {
                    // the node is busy or restarting: the next poll tries again
                }
                try {
                    request.get(POLL_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    // still running
                }
            }
        } finally {
            if (p != null) {
                p.close();
            }
        }
        try {
            return request.get();
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof Exception x) {
                throw x;
            }
            throw e;
        }
    }
}
