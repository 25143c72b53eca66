package io.agentmesh.state;

import org.automerge.NewValue;
import org.automerge.ObjectId;
import org.automerge.ObjectType;
import org.automerge.Transaction;

/**
 * The operations {@link AgentState}'s writes make, on an Automerge transaction, counted as they go: how many ops and
 * about how many bytes they add to the change. A counting-only instance (no transaction) measures a write before it
 * is applied, so a batch can tell whether the write still fits ({@link LocalBatcher}); there every method that makes
 * an object returns {@code null}, which the same counting-only instance accepts back.
 *
 * <p>The byte figure is an upper bound of what the ops add to an encoded change: the UTF-8 bytes of every key and
 * string value and of every text inserted, plus {@link #OP_OVERHEAD_BYTES} per op. Text inserted into a workspace file
 * counts in it, so a bound on the bytes of a batch also bounds what one change inserts into one file (which peers
 * refuse past {@link Limits#MAX_WORKSPACE_FILE_BYTES}).
 */
final class TxOps {
    /** Generous per-op allowance for Automerge's columns (op id, object, key, action, value metadata, preds). */
    static final int OP_OVERHEAD_BYTES = 32;

    private final Transaction tx;
    private long ops;
    private long bytes;

    private TxOps(Transaction tx) {
        this.tx = tx;
    }

    static TxOps on(Transaction tx) {
        return new TxOps(java.util.Objects.requireNonNull(tx, "tx"));
    }

    static TxOps counting() {
        return new TxOps(null);
    }

    long ops() {
        return ops;
    }

    long bytes() {
        return bytes;
    }

    void set(ObjectId obj, String key, String value) {
        count(1, utf8(key) + utf8(value));
        if (tx != null) {
            tx.set(obj, key, value);
        }
    }

    void set(ObjectId obj, String key, double value) {
        count(1, utf8(key) + 8);
        if (tx != null) {
            tx.set(obj, key, value);
        }
    }

    void set(ObjectId obj, String key, boolean value) {
        count(1, utf8(key));
        if (tx != null) {
            tx.set(obj, key, value);
        }
    }

    void set(ObjectId obj, String key, NewValue value) {
        count(1, utf8(key) + 8);
        if (tx != null) {
            tx.set(obj, key, value);
        }
    }

    ObjectId set(ObjectId obj, String key, ObjectType type) {
        count(1, utf8(key));
        return tx == null ? null : tx.set(obj, key, type);
    }

    ObjectId insert(ObjectId list, long index, ObjectType type) {
        count(1, 0);
        return tx == null ? null : tx.insert(list, index, type);
    }

    void insert(ObjectId list, long index, String value) {
        count(1, utf8(value));
        if (tx != null) {
            tx.insert(list, index, value);
        }
    }

    void delete(ObjectId obj, String key) {
        count(1, utf8(key));
        if (tx != null) {
            tx.delete(obj, key);
        }
    }

    void increment(ObjectId obj, String key, long delta) {
        count(1, utf8(key) + 8);
        if (tx != null) {
            tx.increment(obj, key, delta);
        }
    }

    /** One op per character deleted and per code point inserted (Automerge text is a list of characters). */
    void spliceText(ObjectId text, long at, long delete, String insert) {
        count(delete + insert.codePointCount(0, insert.length()), utf8(insert));
        if (tx != null) {
            tx.spliceText(text, at, delete, insert);
        }
    }

    private void count(long n, long valueBytes) {
        ops += n;
        bytes += valueBytes + n * OP_OVERHEAD_BYTES;
    }

    private static long utf8(String s) {
        return Check.utf8Length(s);
    }
}
