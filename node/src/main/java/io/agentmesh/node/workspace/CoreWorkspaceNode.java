package io.agentmesh.node.workspace;

import io.agentmesh.node.port.Failures;
import io.agentmesh.node.replication.Durability;
import io.agentmesh.node.core.NodeCore;
import io.agentmesh.node.port.Scheduler;
import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.state.AgentState;
import io.agentmesh.state.LocalChange;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/** The workspace's view of a node core: each call hops to the node thread. */
public final class CoreWorkspaceNode implements WorkspaceNode, WorkspaceHttp.Writer {
    private final NodeCore core;
    private final Scheduler nodeThread;
    private final String name;

    public CoreWorkspaceNode(NodeCore core, Scheduler nodeThread, String name) {
        this.core = core;
        this.nodeThread = nodeThread;
        this.name = name;
    }

    @Override
    public <T> CompletableFuture<T> read(Function<AgentState, T> read) {
        CompletableFuture<T> out = new CompletableFuture<>();
        nodeThread.execute(() -> {
            try {
                out.complete(read.apply(core.state()));
            } catch (RuntimeException e) {
                out.completeExceptionally(e);
            }
        });
        return out;
    }

    @Override
    public CompletableFuture<Boolean> write(Function<AgentState, Optional<LocalChange>> mutation) {
        return write(mutation, Durability.LOCAL);
    }

    @Override
    public CompletableFuture<Boolean> write(Function<AgentState, Optional<LocalChange>> mutation,
                                            Durability durability) {
        CompletableFuture<Boolean> out = new CompletableFuture<>();
        nodeThread.execute(() -> {
            boolean[] unchanged = {false};
            CompletableFuture<SignedChange> written = core.write(s -> {
                Optional<LocalChange> change = mutation.apply(s);
                if (change.isEmpty()) {
                    unchanged[0] = true;
                    throw new NoChange();
                }
                return change.get();
            }, durability);
            written.whenComplete((ok, error) -> {
                if (unchanged[0]) {
                    out.complete(false);
                } else if (error != null) {
                    out.completeExceptionally(Failures.cause(error));
                } else {
                    out.complete(true);
                }
            });
        });
        return out;
    }

    @Override
    public String nodeName() {
        return name;
    }

    /** A mutation that found nothing to change: the write path refuses it and nothing is signed or stored. */
    private static final class NoChange extends RuntimeException {
        NoChange() {
            super("no change", null, false, false);
        }
    }
}
