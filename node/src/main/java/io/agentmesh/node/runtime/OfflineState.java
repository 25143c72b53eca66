package io.agentmesh.node.runtime;

import io.agentmesh.node.port.LocalIdentity;
import io.agentmesh.node.core.Recovery;
import io.agentmesh.node.replication.ChangeAuthor;
import io.agentmesh.protocol.identity.IdentityDirectory;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.state.AgentState;
import io.agentmesh.state.LocalChange;
import io.agentmesh.state.store.ChangeStore;
import io.agentmesh.state.store.SqliteChangeStore;
import io.agentmesh.state.store.StoreException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * A node's state opened without running the node, for `agentmesh state export|import`. It holds the store's lock,
 * so it refuses to open while the node runs. Writes go through the same signed, durable path as a running node's.
 */
public final class OfflineState implements AutoCloseable {
    private final ChangeStore store;
    private final NodeThread thread;
    private final AgentState state;
    private final ChangeAuthor author;

    private OfflineState(ChangeStore store, NodeThread thread, AgentState state, ChangeAuthor author) {
        this.store = store;
        this.thread = thread;
        this.state = state;
        this.author = author;
    }

    /** Opens the state of the node whose identity is in {@code identityDir}; {@code passphrase} unlocks its key. */
    public static OfflineState open(Path identityDir, Path stateDir, Optional<char[]> passphrase) throws IOException {
        Path file = stateDir.resolve(NodeRuntime.STORE_FILE);
        if (!Files.exists(file)) {
            throw new StoreException("no node state at " + file + "; run `agentmesh node run` first, or pass --state-dir");
        }
        IdentityDirectory ids = IdentityDirectory.of(identityDir);
        SigningKey key = ids.readNodeKey(passphrase);
        ChangeStore store = SqliteChangeStore.open(file);
        try {
            long incarnation = StoredIncarnation.read(store).orElseThrow(() -> new StoreException(
                    file + " has no incarnation record; it was not written by a node"));
            LocalIdentity identity = new LocalIdentity(ids.agentPublicKey(), key, ids.readCertificate(),
                    incarnation);
            AgentState state = Recovery.recover(identity.agentId().bytes(), identity.actor(), store).state();
            NodeThread thread = new NodeThread("offline");
            ChangeAuthor author = new ChangeAuthor(identity, state, store, thread, Runnable::run, reason -> { });
            return new OfflineState(store, thread, state, author);
        } catch (IOException | RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /** Runs {@code read} on the thread that owns the document. */
    public <T> T read(Function<AgentState, T> read) {
        return thread.call(() -> CompletableFuture.completedFuture(read.apply(state))).join();
    }

    /** Applies a write and waits until it is durable. */
    public void write(Function<AgentState, LocalChange> mutation) {
        thread.call(() -> author.write(mutation)).join();
    }

    @Override
    public void close() {
        thread.shutdown(5_000);
        store.close();
    }
}
