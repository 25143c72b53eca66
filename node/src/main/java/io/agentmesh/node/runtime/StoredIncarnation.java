package io.agentmesh.node.runtime;

import io.agentmesh.protocol.bytes.BoundedReader;
import io.agentmesh.protocol.bytes.BoundedWriter;
import io.agentmesh.protocol.bytes.MalformedException;
import io.agentmesh.state.store.ChangeStore;
import io.agentmesh.state.store.StoreException;

import java.util.Optional;

/**
 * The incarnation a store was created under (DESIGN.md invariant 5), kept in the store itself so a node that loses
 * its store also loses the record and takes a new incarnation. Layout: one big-endian i64, as earlier versions wrote.
 */
final class StoredIncarnation {
    /** The store meta key the incarnation lives under. */
    static final String META_KEY = "incarnation";

    private StoredIncarnation() {
    }

    /** The stored incarnation, or empty for a store no node has written yet. */
    static Optional<Long> read(ChangeStore store) {
        Optional<byte[]> stored = store.getMeta(META_KEY);
        if (stored.isEmpty()) {
            return Optional.empty();
        }
        try {
            BoundedReader r = new BoundedReader(stored.get());
            long incarnation = r.i64("incarnation");
            r.end();
            if (incarnation < 1) {
                throw new MalformedException("incarnation", "must be >= 1, got " + incarnation);
            }
            return Optional.of(incarnation);
        } catch (MalformedException e) {
            throw new StoreException("the store's incarnation record is damaged (" + e.getMessage() + "); restore"
                    + " the store from a backup or move it away to resync from peers", e);
        }
    }

    static void write(ChangeStore store, long incarnation) {
        store.putMeta(META_KEY, new BoundedWriter(Long.BYTES).i64(incarnation).toByteArray());
    }
}
