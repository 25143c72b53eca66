package io.agentmesh.sim.world;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;

/**
 * The ordered event log of a run. Every executed event is one line ({@code time who what}); the trace hash is
 * SHA-256 over those lines in order, so two runs with the same hash did the same things at the same virtual times.
 * Lines are kept or printed only when asked for; the hash is always computed.
 */
public final class Trace {
    private final MessageDigest sha;
    private final List<String> kept;
    private final Consumer<String> sink;
    private final StringBuilder line = new StringBuilder(128);
    private long events;
    private String hash;

    /**
     * @param keep  keep the lines in memory (for tests and reports)
     * @param sink  gets each line as it happens (e.g. a printer), or null
     */
    public Trace(boolean keep, Consumer<String> sink) {
        try {
            this.sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
        this.kept = keep ? new ArrayList<>() : null;
        this.sink = sink;
    }

    public static Trace hashOnly() {
        return new Trace(false, null);
    }

    /** Records one event at virtual time {@code nanos}. */
    public void record(long nanos, String who, String what) {
        if (hash != null) {
            throw new IllegalStateException("the trace is finished");
        }
        line.setLength(0);
        appendTime(line, nanos);
        line.append(' ').append(who).append(' ').append(what);
        String text = line.toString();
        sha.update(text.getBytes(StandardCharsets.UTF_8));
        sha.update((byte) '\n');
        events++;
        if (kept != null) {
            kept.add(text);
        }
        if (sink != null) {
            sink.accept(text);
        }
    }

    /** Seconds with microsecond precision, fixed width for alignment: {@code 0012.345678}. */
    static void appendTime(StringBuilder out, long nanos) {
        long micros = nanos / 1_000;
        long seconds = micros / 1_000_000;
        long frac = micros % 1_000_000;
        String s = Long.toString(seconds);
        for (int i = s.length(); i < 4; i++) {
            out.append('0');
        }
        out.append(s).append('.');
        String f = Long.toString(frac);
        for (int i = f.length(); i < 6; i++) {
            out.append('0');
        }
        out.append(f).append('s');
    }

    public long events() {
        return events;
    }

    /** Finishes the log and returns the hex SHA-256 of it; later calls return the same value. */
    public String finish() {
        if (hash == null) {
            hash = HexFormat.of().formatHex(sha.digest());
        }
        return hash;
    }

    /** The kept lines (empty unless constructed with {@code keep}). */
    public List<String> lines() {
        return kept == null ? List.of() : List.copyOf(kept);
    }
}
