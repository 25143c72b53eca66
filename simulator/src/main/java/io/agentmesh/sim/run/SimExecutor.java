package io.agentmesh.sim.run;

import io.agentmesh.node.actions.ActionContext;
import io.agentmesh.node.actions.ActionExecutor;
import io.agentmesh.node.actions.ActionResult;
import io.agentmesh.sim.world.RecordingExecutor;
import io.agentmesh.sim.check.ConsensusRecords;

import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * An executor of a simulated node (a {@link RecordingExecutor} on the run's shared ledger, the outside world, or the
 * {@code llm} intents through the node's gateway),
 * with every call also recorded in the run's history with its time and order, for the checkers. With the planted bug
 * {@link PlantedBug#DOUBLE_PERFORM} it performs each intent twice.
 */
final class SimExecutor implements ActionExecutor {
    private final Simulation sim;
    private final String node;
    private final ActionExecutor delegate;
    private final boolean doublePerform;

    SimExecutor(Simulation sim, String node, ActionExecutor delegate, boolean doublePerform) {
        this.sim = sim;
        this.node = node;
        this.delegate = delegate;
        this.doublePerform = doublePerform;
    }

    @Override
    public String kind() {
        return delegate.kind();
    }

    @Override
    public CompletionStage<ActionResult> perform(ActionContext ctx) {
        sim.recordAction(node, ctx, ConsensusRecords.Action.PERFORM);
        CompletionStage<ActionResult> first = delegate.perform(ctx);
        if (!doublePerform) {
            return first;
        }
        sim.recordAction(node, ctx, ConsensusRecords.Action.PERFORM); // the bug: "retry" what already happened
        return delegate.perform(ctx);
    }

    @Override
    public CompletionStage<ActionResult> reconcile(ActionContext ctx, Optional<byte[]> prepared) {
        sim.recordAction(node, ctx, ConsensusRecords.Action.RECONCILE);
        return delegate.reconcile(ctx, prepared);
    }
}
