package io.agentmesh.node.actions;

import io.agentmesh.node.port.Scheduler;
import io.agentmesh.protocol.time.Clock;

import java.util.Comparator;
import java.util.PriorityQueue;
import java.util.function.BooleanSupplier;

/** One node thread and clock for several coordinators in a test: tasks run in time order, time moves only here. */
final class VirtualTime implements Scheduler, Clock {
    private static final long EPOCH_MS = 1_700_000_000_000L;

    private record Task(long atMs, long seq, Runnable run) {
    }

    private final PriorityQueue<Task> queue = new PriorityQueue<>(
            Comparator.comparingLong(Task::atMs).thenComparingLong(Task::seq));
    private long nowMs;
    private long seq;

    @Override
    public void execute(Runnable task) {
        queue.add(new Task(nowMs, seq++, task));
    }

    @Override
    public Cancellable schedule(Runnable task, long delayMs) {
        Task t = new Task(nowMs + Math.max(0, delayMs), seq++, task);
        queue.add(t);
        return () -> queue.remove(t);
    }

    @Override
    public long nowMillis() {
        return EPOCH_MS + nowMs;
    }

    @Override
    public long monotonicNanos() {
        return nowMs * 1_000_000;
    }

    long elapsedMs() {
        return nowMs;
    }

    void runFor(long ms) {
        long end = nowMs + ms;
        while (!queue.isEmpty() && queue.peek().atMs() <= end) {
            step();
        }
        nowMs = end;
    }

    /** Runs until {@code holds} (checked after every task); false if it does not within {@code maxMs}. */
    boolean runUntil(BooleanSupplier holds, long maxMs) {
        long end = nowMs + maxMs;
        while (!holds.getAsBoolean()) {
            if (queue.isEmpty() || queue.peek().atMs() > end) {
                nowMs = end;
                return holds.getAsBoolean();
            }
            step();
        }
        return true;
    }

    private void step() {
        Task t = queue.poll();
        nowMs = t.atMs();
        t.run().run();
    }
}
