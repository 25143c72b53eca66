package io.agentmesh.node.replication;

import io.agentmesh.state.store.ChangeStore;

/**
 * A store whose asynchronous reads and metadata writes finish before they return (the {@link ChangeStore} defaults
 * over another store's blocking calls), so a test that drives a replicator by hand on its own thread sees their
 * effects at once, as it did before they moved off the node thread. Appends stay asynchronous.
 */
final class InlineStore extends ForwardingStore {
    InlineStore(ChangeStore inner) {
        super(inner);
    }
}
