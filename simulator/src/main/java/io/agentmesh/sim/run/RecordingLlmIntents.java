package io.agentmesh.sim.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.node.actions.ActionContext;
import io.agentmesh.node.actions.ActionExecutor;
import io.agentmesh.node.actions.ActionResult;
import io.agentmesh.sim.check.LlmRecords;

import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * A simulated node's {@code llm} intent executor, recording each result it returns (what goes into the intent's
 * outcome).
 */
final class RecordingLlmIntents implements ActionExecutor {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Simulation sim;
    private final String node;
    private final ActionExecutor delegate;

    RecordingLlmIntents(Simulation sim, String node, ActionExecutor delegate) {
        this.sim = sim;
        this.node = node;
        this.delegate = delegate;
    }

    @Override
    public String kind() {
        return delegate.kind();
    }

    @Override
    public CompletionStage<ActionResult> perform(ActionContext ctx) {
        return delegate.perform(ctx).whenComplete((r, e) -> record(ctx, r));
    }

    @Override
    public CompletionStage<ActionResult> reconcile(ActionContext ctx, Optional<byte[]> prepared) {
        return delegate.reconcile(ctx, prepared).whenComplete((r, e) -> record(ctx, r));
    }

    private void record(ActionContext ctx, ActionResult r) {
        if (r == null) {
            return;
        }
        String text = "";
        boolean retried = false;
        try {
            JsonNode json = JSON.readTree(r.result());
            text = json.path("text").asText("");
            retried = json.path("note").asText("").startsWith("retried");
        } catch (IOException e) {
            // Not JSON ("not performed: ..."): no text.
        }
        sim.history().record(LlmRecords.IntentResult.class, new LlmRecords.IntentResult(sim.nextOrder(),
                sim.loop().nowMillis(), node, ctx.intentId(), ActionResult.SUCCEEDED.equals(r.status()),
                text, retried, r.result()));
    }
}
