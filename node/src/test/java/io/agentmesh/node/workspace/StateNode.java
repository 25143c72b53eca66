package io.agentmesh.node.workspace;

import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.state.AgentState;
import io.agentmesh.state.LocalChange;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * A node for mirror tests: a real {@link AgentState} owned by one thread of its own (as the node thread owns it),
 * and a second document, the "peer", whose changes the test delivers as remote ones.
 */
final class StateNode implements WorkspaceNode, AutoCloseable {
    static final byte[] AGENT = "workspace-test-agent".getBytes(StandardCharsets.UTF_8);
    final AgentState state = AgentState.create(AGENT, ActorId.fromHex("0a".repeat(16)));
    final AgentState peer = AgentState.create(AGENT, ActorId.fromHex("0b".repeat(16)));
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "test-node-thread");
        t.setDaemon(true);
        return t;
    });
    private final List<byte[]> local = new ArrayList<>();
    /** Runs once on the node thread just before the next write's mutation (the test's chance to race it). */
    volatile Runnable beforeNextWrite;
    /** When set, writes report durable only once it completes (a store that has not synced yet). */
    volatile CompletableFuture<Void> durableWhen;

    @Override
    public <T> CompletableFuture<T> read(Function<AgentState, T> read) {
        return CompletableFuture.supplyAsync(() -> read.apply(state), thread);
    }

    @Override
    public CompletableFuture<Boolean> write(Function<AgentState, Optional<LocalChange>> mutation) {
        CompletableFuture<Void> gate = durableWhen;
        CompletableFuture<Boolean> applied = CompletableFuture.supplyAsync(() -> {
            Runnable hook = beforeNextWrite;
            if (hook != null) {
                beforeNextWrite = null;
                hook.run();
            }
            Optional<LocalChange> change = mutation.apply(state);
            change.ifPresent(c -> local.add(c.changeBytes()));
            return change.isPresent();
        }, thread);
        return gate == null ? applied : applied.thenCombine(gate, (changed, durable) -> changed);
    }

    @Override
    public String nodeName() {
        return "test";
    }

    /** The peer catches up with this node, makes a change, and this node receives it. */
    void remote(Function<AgentState, Optional<LocalChange>> change) throws Exception {
        CompletableFuture.runAsync(() -> {
            for (byte[] c : local) {
                peer.applyChange(c);
            }
            local.clear();
            change.apply(peer).ifPresent(c -> state.applyChange(c.changeBytes()));
        }, thread).get();
    }

    <T> T onThread(Function<AgentState, T> read) throws Exception {
        return read(read).get();
    }

    @Override
    public void close() {
        thread.shutdownNow();
        state.close();
        peer.close();
    }
}
