package io.agentmesh.sim.crash;

import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.state.store.SqliteChangeStore;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.agentmesh.sim.bench.DerivedChanges;
/**
 * The child side of the crash loop: opens the store in a directory and appends from several threads until it is
 * killed. Each writer owns one actor and continues after the highest seq the store already holds for it.
 *
 * <p>Protocol on stdout, one line each, flushed:
 * <ul>
 *   <li>{@code O} once the store is open;</li>
 *   <li>{@code A <writer> <seq>} for each append, only after its future completed, i.e. after it is durable.
 *       Only these lines are acknowledgements; a line cut off by the kill is not one.</li>
 * </ul>
 * A failed append goes to stderr and ends the process with status 2, since the loop then measures nothing.
 * When stdin closes (the parent died), the child halts, so no orphan keeps writing.
 */
public final class CrashLoopWriter {
    static final String STORE_FILE = "store.db";
    static final int EXIT_WRITE_FAILED = 2;
    static final int EXIT_PARENT_GONE = 3;
    /** Test-only: acknowledge when the append is queued, before it is durable; the loop must then report losses. */
    static final String ACK_BEFORE_DURABLE = "--ack-before-durable";

    private CrashLoopWriter() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = null;
        long seed = 1;
        int writers = 4;
        int window = 64;
        boolean ackEarly = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--dir" -> dir = Path.of(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--writers" -> writers = Integer.parseInt(args[++i]);
                case "--window" -> window = Integer.parseInt(args[++i]);
                case ACK_BEFORE_DURABLE -> ackEarly = true;
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (dir == null) {
            throw new IllegalArgumentException("--dir is required");
        }
        Thread watchdog = Thread.ofPlatform().daemon(true).name("parent-watch").start(() -> {
            try {
                while (System.in.read() >= 0) {
                    // Only EOF matters.
                }
            } catch (IOException ignored) {
                // Same as EOF: the parent is gone.
            }
            Runtime.getRuntime().halt(EXIT_PARENT_GONE);
        });
        Acks out = new Acks(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16));
        DerivedChanges changes = new DerivedChanges(seed, writers);
        // Never closed: the process ends by SIGKILL, which is the point.
        SqliteChangeStore store = SqliteChangeStore.open(dir.resolve(STORE_FILE));
        out.line("O");
        Thread[] threads = new Thread[writers];
        for (int w = 0; w < writers; w++) {
            int writer = w;
            int inFlight = window;
            boolean early = ackEarly;
            threads[w] = Thread.ofPlatform().name("writer-" + w).start(() -> write(store, changes, writer, inFlight,
                    early, out));
        }
        for (Thread t : threads) {
            t.join();
        }
        watchdog.interrupt();
    }

    private static void write(SqliteChangeStore store, DerivedChanges changes, int writer, int window,
                              boolean ackEarly, Acks out) {
        long seq = store.vector().get(changes.actor(writer)) + 1;
        ArrayDeque<Pending> pending = new ArrayDeque<>();
        StringBuilder lines = new StringBuilder();
        while (true) {
            SignedChange change = changes.change(writer, seq);
            pending.addLast(new Pending(seq, store.append(change)));
            if (ackEarly) {
                lines.append("A ").append(writer).append(' ').append(seq).append('\n');
            }
            seq++;
            // Futures of one writer complete in queue order, so acknowledging from the head keeps the order.
            while (!pending.isEmpty() && (pending.size() >= window || pending.peekFirst().done().isDone())) {
                Pending p = pending.pollFirst();
                try {
                    p.done().get(60, TimeUnit.SECONDS);
                } catch (Exception e) {
                    System.err.println("append of writer " + writer + " seq " + p.seq() + " failed: " + e);
                    System.err.flush();
                    Runtime.getRuntime().halt(EXIT_WRITE_FAILED);
                }
                if (!ackEarly) {
                    lines.append("A ").append(writer).append(' ').append(p.seq()).append('\n');
                }
            }
            if (!lines.isEmpty()) {
                out.write(lines);
                lines.setLength(0);
            }
        }
    }

    private record Pending(long seq, CompletableFuture<Void> done) {
    }

    /** Serializes whole lines from several threads onto stdout and flushes each group. */
    private static final class Acks {
        private final OutputStream out;

        Acks(OutputStream out) {
            this.out = out;
        }

        synchronized void line(String line) throws IOException {
            out.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }

        synchronized void write(CharSequence lines) {
            try {
                out.write(lines.toString().getBytes(StandardCharsets.US_ASCII));
                out.flush();
            } catch (IOException e) {
                Runtime.getRuntime().halt(EXIT_PARENT_GONE);
            }
        }
    }
}
