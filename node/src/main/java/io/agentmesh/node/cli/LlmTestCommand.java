package io.agentmesh.node.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.DefaultChatRequestParameters;
import dev.langchain4j.model.openai.OpenAiChatRequestParameters;
import io.agentmesh.node.llm.AttemptResult;
import io.agentmesh.node.llm.ProviderKind;
import io.agentmesh.node.llm.Usage;
import io.agentmesh.node.llm.config.ApiKey;
import io.agentmesh.node.llm.config.LlmConfig;
import io.agentmesh.node.llm.config.ProviderConfig;
import io.agentmesh.node.llm.config.ProviderKeys;
import io.agentmesh.node.llm.config.ProviderKeys.KeyStatus;
import io.agentmesh.node.llm.config.Target;
import io.agentmesh.node.llm.cost.Charge;
import io.agentmesh.node.llm.cost.NanoUsd;
import io.agentmesh.node.llm.cost.PriceTable;
import io.agentmesh.node.llm.provider.AttemptCancel;
import io.agentmesh.node.llm.provider.LlmProvider;
import io.agentmesh.node.llm.provider.LlmRequest;
import io.agentmesh.node.llm.provider.Providers;
import io.agentmesh.protocol.time.SystemClock;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Sends one tiny request to each configured provider and model, through the real provider layer, and says which
 * answered. An operator's check run by hand after writing llm.json or rotating a key: it is not an agent's side
 * effect, so it does not go through the journal, and it does not touch health or budgets.
 */
@Command(name = "test", mixinStandardHelpOptions = true,
        description = {"Send one tiny request to each provider and model in llm.json (or the one named) and print"
                + " one line per target: ok with latency, usage and cost, or the error class and message.",
                "This SPENDS A FEW TOKENS at each provider tested (a short prompt, at most --max-output-tokens"
                        + " output tokens): each request is real and billed. It is not journaled and changes nothing"
                        + " on the node.",
                "Keys come from this process's environment or the key files llm.json names, as on the node:"
                        + " run it as the node's user, with the node's environment."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
                "0:every target asked answered",
                "1:at least one target failed or has no key on this machine",
                "2:bad arguments, or the llm config is missing or invalid (nothing was sent)"})
public final class LlmTestCommand implements Callable<Integer> {
    static final int EXIT_ALL_ANSWERED = 0;
    static final int EXIT_SOME_FAILED = 1;
    private static final int MAX_OUTPUT_TOKENS = 8;
    /** Short, and answerable in one token by any chat model. */
    private static final String PROMPT = "Reply with the single word: ok";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--home", description = "The node's base directory (default: $AGENTMESH_HOME or ~/.agentmesh).")
    Path home;

    @Option(names = "--llm-config", paramLabel = "FILE",
            description = "The provider file to test (default: <home>/" + LlmConfig.DEFAULT_FILE_NAME + ").")
    Path llmConfig;

    @Option(names = "--provider", paramLabel = "ID", description = "Test only this provider's models.")
    String provider;

    @Option(names = "--model", paramLabel = "NAME",
            description = "Test only this model (at every provider that lists it, or at --provider's).")
    String model;

    @Option(names = "--max-output-tokens", paramLabel = "N", defaultValue = "8",
            description = "Output tokens each request may produce, 1.." + MAX_OUTPUT_TOKENS
                    + " (default ${DEFAULT-VALUE}). A reasoning model may spend them all thinking and still pass.")
    int maxOutputTokens;

    @Option(names = "--json", description = "Print one JSON document instead of lines.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (maxOutputTokens < 1 || maxOutputTokens > MAX_OUTPUT_TOKENS) {
            throw new IllegalArgumentException("--max-output-tokens must be 1.." + MAX_OUTPUT_TOKENS + ", got "
                    + maxOutputTokens);
        }
        Path file = configFile();
        LlmConfig config = LlmConfig.load(file, PriceTable.shipped());
        List<Target> targets = selected(config);
        ProviderKeys keys = ProviderKeys.load(config, System.getenv());
        if (!json) {
            System.out.println("llm test: " + targets.size() + (targets.size() == 1 ? " target" : " targets")
                    + " from " + file.toAbsolutePath().normalize() + ", one real request each (at most "
                    + maxOutputTokens + (maxOutputTokens == 1 ? " output token)" : " output tokens)"));
        }
        List<Result> results = new ArrayList<>();
        ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("llm-test-watchdog").daemon().factory());
        Map<String, LlmProvider> open = new LinkedHashMap<>();
        try {
            Providers providers = new Providers(new SystemClock(), timers);
            for (Target target : targets) {
                Result result = test(config, keys, providers, open, target);
                results.add(result);
                if (!json) {
                    System.out.println(result.line());
                }
            }
        } finally {
            open.values().forEach(LlmProvider::close);
            timers.shutdownNow();
        }
        long answered = results.stream().filter(Result::ok).count();
        if (json) {
            System.out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toJson(file, results)));
        } else {
            System.out.println(answered + " of " + results.size() + " answered");
        }
        return answered == results.size() ? EXIT_ALL_ANSWERED : EXIT_SOME_FAILED;
    }

    /** --llm-config (which must exist), else {@code <home>/llm.json}; without either there is nothing to test. */
    private Path configFile() {
        Path file = llmConfig != null ? llmConfig : HomeOptions.home(home).resolve(LlmConfig.DEFAULT_FILE_NAME);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("llm config " + file + " does not exist" + (llmConfig != null ? ""
                    : " (write one, see docs/llm.md \"Configuration\", or pass --llm-config FILE)"));
        }
        return file;
    }

    private List<Target> selected(LlmConfig config) {
        if (provider != null && config.provider(provider).isEmpty()) {
            throw new IllegalArgumentException("--provider " + provider + ": no such provider in "
                    + config.describeSource() + " (it has: " + String.join(", ",
                    config.providers().stream().map(ProviderConfig::id).toList()) + ")");
        }
        List<Target> out = config.targets().stream()
                .filter(t -> provider == null || t.providerId().equals(provider))
                .filter(t -> model == null || t.model().equals(model))
                .toList();
        if (out.isEmpty()) {
            throw new IllegalArgumentException("--model " + model + ": no " + (provider == null ? "provider" : provider)
                    + " in " + config.describeSource() + " lists that model");
        }
        return out;
    }

    private Result test(LlmConfig config, ProviderKeys keys, Providers providers, Map<String, LlmProvider> open,
                        Target target) {
        ProviderConfig p = config.provider(target.providerId()).orElseThrow();
        KeyStatus status = keys.byProvider().get(p.id());
        if (status instanceof KeyStatus.Missing missing) {
            return new Result.NoKey(target, missing.reason());
        }
        Optional<ApiKey> key = status instanceof KeyStatus.Present present ? Optional.of(present.key())
                : Optional.empty();
        LlmProvider llm = open.computeIfAbsent(p.id(), id -> providers.create(p, key));
        AttemptResult attempt = llm.call(request(p.kind(), target.model()), new AttemptCancel());
        return switch (attempt) {
            case AttemptResult.Completed c ->
                    new Result.Answered(target, c, config.pricing().cost(p.id(), target.model(), c.usage()));
            case AttemptResult.Failed f -> new Result.Refused(target, f);
        };
    }

    /**
     * OpenAI and Azure get {@code max_completion_tokens}: their reasoning models refuse {@code max_tokens}, which
     * LangChain4j sends for the generic limit and which DeepSeek and OpenAI-compatible servers expect.
     */
    private LlmRequest request(ProviderKind kind, String modelName) {
        ChatRequest.Builder chat = ChatRequest.builder().messages(UserMessage.from(PROMPT));
        if (kind == ProviderKind.OPENAI || kind == ProviderKind.AZURE_OPENAI) {
            chat.parameters(OpenAiChatRequestParameters.builder().maxCompletionTokens(maxOutputTokens).build());
        } else {
            chat.parameters(DefaultChatRequestParameters.builder().maxOutputTokens(maxOutputTokens).build());
        }
        return new LlmRequest(modelName, chat.build());
    }

    private static ObjectNode toJson(Path file, List<Result> results) {
        ObjectNode root = JSON.createObjectNode();
        root.put("config", file.toAbsolutePath().normalize().toString());
        root.put("ok", results.stream().allMatch(Result::ok));
        ArrayNode list = root.putArray("targets");
        for (Result r : results) {
            ObjectNode o = list.addObject();
            o.put("target", r.target().toString());
            o.put("ok", r.ok());
            switch (r) {
                case Result.Answered a -> {
                    o.put("elapsedMs", a.attempt().elapsedMs());
                    o.put("finishReason", a.attempt().finishReason());
                    Usage u = a.attempt().usage();
                    ObjectNode usage = o.putObject("usage");
                    usage.put("inputTokens", u.inputTokens());
                    usage.put("cachedInputTokens", u.cachedInputTokens());
                    usage.put("cacheWriteTokens", u.cacheWriteTokens());
                    usage.put("outputTokens", u.outputTokens());
                    usage.put("reasoningTokens", u.reasoningTokens());
                    o.put("costNanoUsd", a.charge().totalNanoUsd());
                    o.put("cost", NanoUsd.format(a.charge().totalNanoUsd()));
                }
                case Result.Refused f -> {
                    o.put("elapsedMs", f.attempt().elapsedMs());
                    o.put("error", f.attempt().error().name());
                    o.put("httpStatus", f.attempt().httpStatus());
                    o.put("message", f.attempt().message());
                }
                case Result.NoKey n -> {
                    o.put("error", "NO_KEY");
                    o.put("message", n.reason());
                }
            }
        }
        return root;
    }

    /** What one target did. */
    sealed interface Result {
        Target target();

        boolean ok();

        String line();

        record Answered(Target target, AttemptResult.Completed attempt, Charge charge) implements Result {
            @Override
            public boolean ok() {
                return true;
            }

            @Override
            public String line() {
                Usage u = attempt.usage();
                return "ok    " + target + "  " + attempt.elapsedMs() + " ms  finish " + attempt.finishReason()
                        + "  usage " + u.inputTokens() + " in, " + u.cachedInputTokens() + " cached, "
                        + u.cacheWriteTokens() + " cache-write, " + u.outputTokens() + " out (" + u.reasoningTokens()
                        + " reasoning)  cost " + NanoUsd.format(charge.totalNanoUsd());
            }
        }

        record Refused(Target target, AttemptResult.Failed attempt) implements Result {
            @Override
            public boolean ok() {
                return false;
            }

            @Override
            public String line() {
                // The message names the HTTP status when there was one.
                return "FAIL  " + target + "  " + attempt.error() + "  " + attempt.elapsedMs() + " ms: "
                        + attempt.message();
            }
        }

        record NoKey(Target target, String reason) implements Result {
            @Override
            public boolean ok() {
                return false;
            }

            @Override
            public String line() {
                return "FAIL  " + target + "  NO_KEY: " + reason;
            }
        }
    }
}
