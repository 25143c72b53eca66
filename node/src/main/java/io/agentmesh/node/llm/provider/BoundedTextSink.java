package io.agentmesh.node.llm.provider;

import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A {@link StreamSink} that holds at most {@code maxChars} characters not yet taken by its consumer. The producer never
 * waits: text that would overflow the bound is refused, which cancels the attempt (a consumer that fell that far
 * behind is not reading). The consumer takes with a bounded wait.
 */
public final class BoundedTextSink implements StreamSink {
    private final int maxChars;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition nonEmpty = lock.newCondition();
    private final ArrayDeque<String> pieces = new ArrayDeque<>();
    private int heldChars;
    private boolean closed;

    public BoundedTextSink(int maxChars) {
        if (maxChars <= 0) {
            throw new IllegalArgumentException("maxChars must be positive: " + maxChars);
        }
        this.maxChars = maxChars;
    }

    @Override
    public boolean offer(String textDelta) {
        lock.lock();
        try {
            if (closed || heldChars + (long) textDelta.length() > maxChars) {
                return false;
            }
            pieces.addLast(textDelta);
            heldChars += textDelta.length();
            nonEmpty.signalAll();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** The next piece, waiting at most {@code timeoutMs}; empty when none came in time. */
    public Optional<String> take(long timeoutMs) throws InterruptedException {
        long remainingNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        lock.lock();
        try {
            while (pieces.isEmpty()) {
                if (remainingNanos <= 0) {
                    return Optional.empty();
                }
                remainingNanos = nonEmpty.awaitNanos(remainingNanos);
            }
            String piece = pieces.removeFirst();
            heldChars -= piece.length();
            return Optional.of(piece);
        } finally {
            lock.unlock();
        }
    }

    /** Everything held now, concatenated, without waiting. */
    public String drain() {
        lock.lock();
        try {
            StringBuilder all = new StringBuilder(heldChars);
            pieces.forEach(all::append);
            pieces.clear();
            heldChars = 0;
            return all.toString();
        } finally {
            lock.unlock();
        }
    }

    /** Refuse all later text: the consumer has gone. */
    public void close() {
        lock.lock();
        try {
            closed = true;
        } finally {
            lock.unlock();
        }
    }
}
