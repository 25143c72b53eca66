package io.agentmesh.node.llm.gateway;

import io.agentmesh.node.llm.AttemptResult;
import io.agentmesh.node.llm.config.Target;
import io.agentmesh.node.llm.provider.AttemptCancel;
import io.agentmesh.node.llm.provider.LlmRequest;
import io.agentmesh.node.llm.provider.StreamSink;

import java.util.Objects;
import java.util.function.Consumer;

/**
 * The gateway's port to the providers: sends one attempt, recorded in the ledger already, and reports how it ended.
 * In production it is the provider instances on a bounded pool of attempt threads ({@code llm.send}); a seeded
 * simulation puts its fake provider of the outside world here, so the gateway itself never starts a thread.
 *
 * <p>Contract: {@link #send} returns at once (it never blocks the node thread) and calls {@code onEnd} exactly once
 * with the attempt's result, on any thread (the gateway hands it back to the node thread); a failure of the sender
 * itself is a {@link AttemptResult.Failed}, never an exception. Streamed text goes to {@code sink} as it arrives; a
 * sink that refuses text, or {@code cancel}, ends the attempt as {@code CANCELLED}.
 */
public interface AttemptSender extends AutoCloseable {
    /**
     * One attempt as the gateway sends it.
     *
     * @param callId        the ledger's call id
     * @param attemptNumber the attempt's number in the call (1 for the first), as its AttemptStart recorded it
     * @param target        the provider and model the router chose
     * @param request       what goes on the wire, with the output limit the worst case was priced from
     * @param stream        whether the attempt streams upstream: every attempt whose model can stream does, whatever
     *                      the client asked, so the first-token deadline applies to every attempt
     */
    record Attempt(String callId, int attemptNumber, Target target, LlmRequest request, boolean stream) {
        public Attempt {
            Objects.requireNonNull(callId, "callId");
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(request, "request");
            if (attemptNumber < 1) {
                throw new IllegalArgumentException("attempt numbers start at 1, got " + attemptNumber);
            }
        }
    }

    void send(Attempt attempt, StreamSink sink, AttemptCancel cancel, Consumer<AttemptResult> onEnd);

    /** Aborts attempts in flight (each still ends, as cancelled, if it ends at all) and releases what it holds. */
    @Override
    void close();
}
