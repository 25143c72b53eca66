package io.agentmesh.sim.run;

import io.agentmesh.node.llm.AttemptResult;
import io.agentmesh.node.llm.ErrorClass;
import io.agentmesh.node.llm.Usage;
import io.agentmesh.node.llm.gateway.AttemptSender;
import io.agentmesh.node.llm.provider.AttemptCancel;
import io.agentmesh.node.llm.provider.StreamSink;
import io.agentmesh.sim.check.LlmRecords;
import io.agentmesh.sim.world.FakeLlmProvider;
import io.agentmesh.protocol.time.Clock;
import io.agentmesh.sim.world.SimScheduler;

import java.util.OptionalLong;
import java.util.function.Consumer;

/**
 * A simulated node process's {@link AttemptSender}: the attempt leaves in an event of its own on the node's thread
 * (as a real attempt thread picks it up after the node thread handed it over, so a process killed in between sent
 * nothing), reaches the run's {@link FakeLlmProvider} (recorded into the history), and its end comes back at the
 * provider's latency. The provider is outside the mesh: a partition does not stop it, but a crash loses the end
 * (the process's thread is gone, and the gateway's hand-back with it).
 */
final class SimAttemptSender implements AttemptSender {
    private static final long MS = 1_000_000L;

    private final Simulation sim;
    private final String node;
    private final SimScheduler scheduler;
    private final Clock clock;
    private boolean closed;

    /** @param clock the node's clock, whose UTC day its ledger charges the attempt to */
    SimAttemptSender(Simulation sim, String node, SimScheduler scheduler, Clock clock) {
        this.sim = sim;
        this.node = node;
        this.scheduler = scheduler;
        this.clock = clock;
    }

    @Override
    public void send(Attempt attempt, StreamSink sink, AttemptCancel cancel, Consumer<AttemptResult> onEnd) {
        if (closed) {
            onEnd.accept(new AttemptResult.Failed(attempt.target().providerId(), attempt.target().model(), 0,
                    ErrorClass.CANCELLED, 0, OptionalLong.empty(), Usage.NONE, "node " + node + " is stopping"));
            return;
        }
        scheduler.post("llm send " + attempt.callId() + " #" + attempt.attemptNumber(), () -> {
            long now = sim.loop().nowNanos();
            FakeLlmProvider.Received r = sim.llmProvider().receive(node, now / MS, attempt.callId(),
                    attempt.attemptNumber(), attempt.target(), attempt.request(), attempt.stream());
            FakeLlmProvider.Request q = r.request();
            sim.history().record(LlmRecords.ProviderRequest.class, new LlmRecords.ProviderRequest(sim.nextOrder(),
                    q.receivedMs(), node, q.callId(), q.attempt(), q.target().providerId(), q.target().model(),
                    q.answer().name(), q.text(), q.complete(), q.billedNanoUsd(),
                    Math.floorDiv(clock.nowMillis(), 86_400_000L)));
            sim.loop().trace().record(now, node, "llm request " + q.seq() + " " + q.callId() + " #" + q.attempt()
                    + " to " + q.target() + ": " + q.answer() + ", billed " + q.billedNanoUsd());
            if (attempt.stream() && !r.streamedText().isEmpty()) {
                scheduler.postAfter(r.firstTokenAfterMs() * MS, "llm text " + attempt.callId(),
                        () -> sink.offer(r.streamedText()));
            }
            // A world event: the provider answers whether or not the node still runs; the gateway hands the end to
            // its node thread, which a crash has killed (so the end is lost with the process).
            sim.loop().world(now + r.endAfterMs() * MS, "llm end " + attempt.callId() + " #"
                    + attempt.attemptNumber() + " to " + node, () -> {
                sim.llmAnswerDelivered(attempt.callId(), attempt.attemptNumber());
                onEnd.accept(r.result());
            });
        });
    }

    @Override
    public void close() {
        closed = true;
    }
}
