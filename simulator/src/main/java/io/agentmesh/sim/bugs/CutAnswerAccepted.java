package io.agentmesh.sim.bugs;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.model.chat.response.ChatResponse;
import io.agentmesh.node.llm.AttemptResult;
import io.agentmesh.node.llm.ErrorClass;
import io.agentmesh.node.llm.Usage;
import io.agentmesh.node.llm.gateway.AttemptSender;
import io.agentmesh.node.llm.provider.AttemptCancel;
import io.agentmesh.node.llm.provider.StreamSink;

import java.util.function.Consumer;

/**
 * Planted bug: a provider layer that takes a closed connection for the end of the answer. It reads every attempt as
 * a stream, and when the stream is cut after some text it returns that text as a complete answer (with usage
 * guessed from it). Caught by llm-answers-complete.
 */
public final class CutAnswerAccepted implements AttemptSender {
    private final AttemptSender delegate;

    public CutAnswerAccepted(AttemptSender delegate) {
        this.delegate = delegate;
    }

    @Override
    public void send(Attempt attempt, StreamSink sink, AttemptCancel cancel, Consumer<AttemptResult> onEnd) {
        StringBuilder seen = new StringBuilder();
        StreamSink collecting = text -> {
            seen.append(text);
            return !attempt.stream() || sink.offer(text);
        };
        Attempt streamed = new Attempt(attempt.callId(), attempt.attemptNumber(), attempt.target(),
                attempt.request(), true);
        delegate.send(streamed, collecting, cancel, r -> {
            if (r instanceof AttemptResult.Failed f && f.error() == ErrorClass.STREAM_CUT && !seen.isEmpty()) {
                String text = seen.toString();
                onEnd.accept(new AttemptResult.Completed(f.providerId(), f.model(), f.elapsedMs(), f.elapsedMs(),
                        new Usage(1, 0, 0, Math.max(1, text.length() / 4), 0), "stop", "",
                        ChatResponse.builder().aiMessage(AiMessage.from(text)).build()));
            } else {
                onEnd.accept(r);
            }
        });
    }

    @Override
    public void close() {
        delegate.close();
    }
}
