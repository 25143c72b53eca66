package io.agentmesh.node.llm.config;

import io.agentmesh.node.configfile.StrictJson;
import io.agentmesh.node.llm.ProviderKind;
import io.agentmesh.node.llm.cost.PriceTable;
import io.agentmesh.node.llm.cost.Pricing;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * The node-local LLM gateway config, {@code <home>/llm.json} (docs/llm.md, "Configuration"): the providers in the
 * order routing tries them, where each one's key is on this node, their models, timeouts, routing, circuit breaker,
 * cooldowns, probe budget, budgets and prices. Node-local like exec.json: it names where keys are, and which servers
 * this node sends prompts to, so it never comes from the replicated state.
 *
 * <p>Read strictly: an unknown key, a bad value, a key written inline or a model without a price is refused with the
 * place in the file and what is allowed, and nothing starts with a half-understood config.
 *
 * @param source    the file it was read from
 * @param providers in routing order
 * @param budgets   every budget, in the file's order
 * @param pricing   the price of every configured model, resolved at load
 */
public record LlmConfig(Optional<Path> source, List<ProviderConfig> providers, RoutingConfig routing,
                        CircuitConfig circuit, CooldownConfig cooldowns, ProbeConfig probes, List<Budget> budgets,
                        Pricing pricing) {
    /** The default location, under the node's home directory, read when present. */
    public static final String DEFAULT_FILE_NAME = "llm.json";
    public static final int MAX_FILE_BYTES = 1024 * 1024;
    public static final int MAX_PROVIDERS = 32;

    public LlmConfig {
        Objects.requireNonNull(source, "source");
        providers = List.copyOf(providers);
        Objects.requireNonNull(routing, "routing");
        Objects.requireNonNull(circuit, "circuit");
        Objects.requireNonNull(cooldowns, "cooldowns");
        Objects.requireNonNull(probes, "probes");
        budgets = List.copyOf(budgets);
        Objects.requireNonNull(pricing, "pricing");
    }

    /**
     * Reads and checks {@code file}, pricing its models from {@code table}. Throws IllegalArgumentException naming the
     * file, the JSON path and what is allowed; IOException when the file cannot be read.
     */
    public static LlmConfig load(Path file, PriceTable table) throws IOException {
        Path abs = file.toAbsolutePath().normalize();
        return LlmConfigParser.parse(StrictJson.readFile(abs, "llm config", MAX_FILE_BYTES,
                StrictJson.ParseErrors.LOCATION_ONLY), abs, table);
    }

    /**
     * Reads and checks llm.json's text held in memory (a seeded simulation's config, which never touches a disk);
     * {@code name} stands for the file in messages and as the config's source.
     */
    public static LlmConfig parse(byte[] json, Path name, PriceTable table) {
        if (json.length > MAX_FILE_BYTES) {
            throw new IllegalArgumentException("llm config " + name + " has " + json.length + " bytes, more than "
                    + MAX_FILE_BYTES);
        }
        return LlmConfigParser.parse(StrictJson.parse(json, "llm config " + name,
                StrictJson.ParseErrors.LOCATION_ONLY), name, table);
    }

    /** No providers: the gateway refuses every call and says where a config goes. */
    public static LlmConfig none() {
        return new LlmConfig(Optional.empty(), List.of(), RoutingConfig.defaults(), CircuitConfig.DEFAULTS,
                CooldownConfig.DEFAULTS, ProbeConfig.DEFAULTS, List.of(), Pricing.of(List.of(), Optional.empty()));
    }

    public Optional<ProviderConfig> provider(String id) {
        return providers.stream().filter(p -> p.id().equals(id)).findFirst();
    }

    /** The configured model a target names, if there is one. */
    public Optional<ModelConfig> model(Target t) {
        return provider(t.providerId()).flatMap(p -> p.model(t.model()));
    }

    /** Every configured target, in routing order: providers in order, each provider's models in order. */
    public List<Target> targets() {
        List<Target> out = new ArrayList<>();
        for (ProviderConfig p : providers) {
            for (ModelConfig m : p.models()) {
                out.add(new Target(p.id(), m.name()));
            }
        }
        return Collections.unmodifiableList(out);
    }

    /** Where the config came from, for messages. */
    public String describeSource() {
        return source.map(p -> "the llm config " + p).orElse("no llm config (start the node with --llm-config FILE,"
                + " or put " + DEFAULT_FILE_NAME + " in its home directory)");
    }

    /** A provider kind as llm.json writes it: {@code openai}, {@code azure-openai}, {@code openai-compatible}. */
    public static String kindText(ProviderKind kind) {
        return kind.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
