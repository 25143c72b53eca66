package io.agentmesh.sim.world;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.openai.OpenAiChatRequestParameters;
import io.agentmesh.node.llm.AttemptResult;
import io.agentmesh.node.llm.ErrorClass;
import io.agentmesh.node.llm.Usage;
import io.agentmesh.node.llm.config.LlmConfig;
import io.agentmesh.node.llm.config.Target;
import io.agentmesh.node.llm.config.Timeouts;
import io.agentmesh.node.llm.provider.LlmRequest;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.SplittableRandom;

/**
 * The LLM providers of the outside world in a seeded run: one per run, shared by every node (like the job executors'
 * {@link RecordingExecutor.Ledger}), not behind the mesh's partitions. Each request it receives is answered after a
 * seeded latency (time to first token, then the rest) with a seeded or scripted {@link Answer}, and recorded with
 * the node that sent it, its call id and attempt number, its target, the virtual time, what it answered and what it
 * billed (usage x the model's price). A request that reached it is billed whatever becomes of the node that sent it.
 *
 * <p>It also plays the node's provider layer: {@link Received#result} is the {@link AttemptResult} the real layer
 * would make of that answer (a 429 with its Retry-After, a 503, a total or first-token timeout for a request that
 * hangs, a cut stream, a 200 without usage as a malformed response), and {@link Received#endAfterMs} when the node
 * has it. Whether the end reaches the node (it may have died meanwhile) is the caller's business.
 */
public final class FakeLlmProvider {
    /** What the provider does with one request. */
    public enum Answer {
        /** A whole answer with its usage. Billed. */
        COMPLETE,
        /** 429 with a Retry-After. Not billed. */
        RATE_LIMITED,
        /** 503. Not billed. */
        SERVER_ERROR,
        /** Never answers; the node's deadline ends the attempt. Billed: the provider worked on it all the same. */
        HANG,
        /** The connection closes after part of the text. Billed. */
        CUT,
        /** 200 with the text but no usage, which the provider layer refuses as malformed. Billed. */
        NO_USAGE
    }

    /**
     * How the provider behaves when no script says otherwise: the share of each failure (the rest is
     * {@link Answer#COMPLETE}) and the latencies, all drawn from the run's seed.
     */
    public record Behaviour(double rateLimited, double serverError, double hang, double cut, double noUsage,
                            long firstTokenMinMs, long firstTokenMaxMs, long restMaxMs, long retryAfterMs,
                            long maxOutputTokens) {
        public static final Behaviour RELIABLE = new Behaviour(0, 0, 0, 0, 0, 50, 400, 600, 1_000, 300);
        public static final Behaviour FLAKY = new Behaviour(0.08, 0.08, 0.03, 0.05, 0.04, 50, 400, 600, 1_000, 300);

        public Behaviour {
            double failures = rateLimited + serverError + hang + cut + noUsage;
            if (rateLimited < 0 || serverError < 0 || hang < 0 || cut < 0 || noUsage < 0 || failures > 1) {
                throw new IllegalArgumentException("failure shares are >= 0 and add up to at most 1");
            }
            if (firstTokenMinMs < 1 || firstTokenMaxMs < firstTokenMinMs || restMaxMs < 0 || retryAfterMs < 0
                    || maxOutputTokens < 1) {
                throw new IllegalArgumentException("latencies are positive, min <= max; maxOutputTokens >= 1");
            }
        }
    }

    /**
     * One request as the provider received it.
     *
     * @param seq           its number in the run (1 for the first)
     * @param node          the simulated node that sent it ("n1")
     * @param receivedMs    virtual time of the run when it arrived
     * @param text          the whole answer for {@link Answer#COMPLETE} and {@link Answer#NO_USAGE}, the part sent
     *                      before the cut for {@link Answer#CUT}, else empty
     * @param billedUsage   the usage the provider bills (NONE when not billed)
     * @param billedNanoUsd what that usage costs at the model's price
     * @param epochDay      the UTC day of the request, by the world's clock
     */
    public record Request(long seq, String node, String callId, int attempt, Target target, boolean stream,
                          long receivedMs, Answer answer, String text, Usage billedUsage, long billedNanoUsd,
                          long epochDay) {
        /** Whether the provider sent a whole answer (with or without its usage). */
        public boolean complete() {
            return answer == Answer.COMPLETE || answer == Answer.NO_USAGE;
        }
    }

    /**
     * What the node's provider layer makes of a request.
     *
     * @param firstTokenAfterMs when streamed text (if any) reaches the node, after the send
     * @param streamedText      what a streaming client is offered before the end (empty when none)
     * @param endAfterMs        when the attempt's end reaches the node, after the send
     */
    public record Received(Request request, AttemptResult result, long firstTokenAfterMs, String streamedText,
                           long endAfterMs) {
    }

    private final LlmConfig config;
    private final Behaviour behaviour;
    private final SplittableRandom random;
    private final long epochMillis;
    private final List<Request> requests = new ArrayList<>();
    private final Deque<Answer> script = new ArrayDeque<>();

    /**
     * @param config      the prices it bills at and the deadlines of the node's provider layer
     * @param epochMillis the wall-clock time at virtual time 0 (billing days are UTC days of it)
     */
    public FakeLlmProvider(LlmConfig config, Behaviour behaviour, SplittableRandom random, long epochMillis) {
        this.config = Objects.requireNonNull(config, "config");
        this.behaviour = Objects.requireNonNull(behaviour, "behaviour");
        this.random = Objects.requireNonNull(random, "random");
        this.epochMillis = epochMillis;
    }

    /** The next requests get these answers, in order, before the behaviour's draws resume. */
    public void script(Answer... answers) {
        script.addAll(List.of(answers));
    }

    /** A request arrives now ({@code nowMs} of virtual time) from {@code node}. */
    public Received receive(String node, long nowMs, String callId, int attempt, Target target, LlmRequest request,
                            boolean stream) {
        long seq = requests.size() + 1;
        Answer answer = script.isEmpty() ? draw() : script.removeFirst();
        long firstTokenMs = behaviour.firstTokenMinMs()
                + random.nextLong(behaviour.firstTokenMaxMs() - behaviour.firstTokenMinMs() + 1);
        long totalMs = firstTokenMs + random.nextLong(behaviour.restMaxMs() + 1);
        long outputTokens = Math.max(1, Math.min(maxOutput(request), 1 + random.nextLong(behaviour.maxOutputTokens())));
        Usage usage = new Usage(inputTokens(request), 0, 0, outputTokens, 0);
        String whole = "answer " + seq + " to " + callId + " attempt " + attempt + " from " + target;
        String cutText = whole.substring(0, whole.length() / 2);
        Timeouts deadlines = config.provider(target.providerId()).map(p -> p.timeouts()).orElse(Timeouts.DEFAULTS);
        String p = target.providerId();
        String m = target.model();
        long shortMs = Math.min(firstTokenMs, 50);
        Received r = switch (answer) {
            case COMPLETE -> new Received(request(seq, node, callId, attempt, target, stream, nowMs, answer, whole,
                    usage), new AttemptResult.Completed(p, m, totalMs, stream ? firstTokenMs : totalMs, usage, "stop",
                    "req-" + seq, ChatResponse.builder().aiMessage(AiMessage.from(whole)).build()), firstTokenMs,
                    stream ? whole : "", totalMs);
            case RATE_LIMITED -> new Received(request(seq, node, callId, attempt, target, stream, nowMs, answer, "",
                    Usage.NONE), new AttemptResult.Failed(p, m, shortMs, ErrorClass.RATE_LIMITED, 429,
                    OptionalLong.of(behaviour.retryAfterMs()), Usage.NONE, "429 rate limited (simulated)"), shortMs,
                    "", shortMs);
            case SERVER_ERROR -> new Received(request(seq, node, callId, attempt, target, stream, nowMs, answer, "",
                    Usage.NONE), new AttemptResult.Failed(p, m, shortMs, ErrorClass.OVERLOADED, 503,
                    OptionalLong.empty(), Usage.NONE, "503 overloaded (simulated)"), shortMs, "", shortMs);
            case HANG -> {
                long deadline = stream ? deadlines.firstTokenMs() : deadlines.totalMs();
                yield new Received(request(seq, node, callId, attempt, target, stream, nowMs, answer, "", usage),
                        new AttemptResult.Failed(p, m, deadline, stream ? ErrorClass.FIRST_TOKEN_TIMEOUT
                                : ErrorClass.TIMEOUT, 0, OptionalLong.empty(), Usage.NONE,
                                "no answer within " + deadline + " ms (simulated)"), deadline, "", deadline);
            }
            case CUT -> new Received(request(seq, node, callId, attempt, target, stream, nowMs, answer, cutText,
                    usage), new AttemptResult.Failed(p, m, totalMs, ErrorClass.STREAM_CUT, 200, OptionalLong.empty(),
                    Usage.NONE, "the connection closed mid-answer (simulated)"), firstTokenMs,
                    stream ? cutText : "", totalMs);
            case NO_USAGE -> new Received(request(seq, node, callId, attempt, target, stream, nowMs, answer, whole,
                    usage), new AttemptResult.Failed(p, m, totalMs, ErrorClass.MALFORMED_RESPONSE, 200,
                    OptionalLong.empty(), Usage.NONE, "a 200 without usage (simulated)"), firstTokenMs,
                    stream ? whole : "", totalMs);
        };
        requests.add(r.request());
        return r;
    }

    private Request request(long seq, String node, String callId, int attempt, Target target, boolean stream,
                            long nowMs, Answer answer, String text, Usage billed) {
        long nanoUsd = billed.equals(Usage.NONE) ? 0
                : config.pricing().cost(target.providerId(), target.model(), billed).totalNanoUsd();
        long epochDay = Math.floorDiv(epochMillis + nowMs, 86_400_000L);
        return new Request(seq, node, callId, attempt, target, stream, nowMs, answer, text, billed, nanoUsd,
                epochDay);
    }

    private Answer draw() {
        double x = random.nextDouble();
        Behaviour b = behaviour;
        if ((x -= b.rateLimited()) < 0) {
            return Answer.RATE_LIMITED;
        }
        if ((x -= b.serverError()) < 0) {
            return Answer.SERVER_ERROR;
        }
        if ((x -= b.hang()) < 0) {
            return Answer.HANG;
        }
        if ((x -= b.cut()) < 0) {
            return Answer.CUT;
        }
        if (x - b.noUsage() < 0) {
            return Answer.NO_USAGE;
        }
        return Answer.COMPLETE;
    }

    /**
     * The prompt's tokens as this provider counts them: a token per four characters of message text, which is
     * never above the gateway's upper bound (a token per byte of the messages as JSON), as a real tokenizer's count
     * is not.
     */
    static long inputTokens(LlmRequest request) {
        long chars = 0;
        for (ChatMessage m : request.chat().messages()) {
            chars += switch (m) {
                case UserMessage u -> u.hasSingleText() ? u.singleText().length() : 0;
                case SystemMessage s -> s.text().length();
                case AiMessage a -> a.text() == null ? 0 : a.text().length();
                default -> 0;
            };
        }
        return Math.max(1, (chars + 3) / 4);
    }

    /** The output limit the request carries (the worst case the gateway reserved was priced from it). */
    static long maxOutput(LlmRequest request) {
        ChatRequestParameters p = request.chat().parameters();
        if (p instanceof OpenAiChatRequestParameters o && o.maxCompletionTokens() != null) {
            return o.maxCompletionTokens();
        }
        return p.maxOutputTokens() != null ? p.maxOutputTokens() : Long.MAX_VALUE;
    }

    /** Every request received so far, oldest first. */
    public List<Request> requests() {
        return List.copyOf(requests);
    }

    /** What the provider billed in all. */
    public long billedNanoUsd() {
        return requests.stream().mapToLong(Request::billedNanoUsd).sum();
    }
}
