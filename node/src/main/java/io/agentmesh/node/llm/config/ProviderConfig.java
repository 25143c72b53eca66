package io.agentmesh.node.llm.config;

import io.agentmesh.node.llm.ProviderKind;

import java.net.URI;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One provider of llm.json, in the order routing tries them.
 *
 * @param id       the operator's name for it: in targets ({@code openai/gpt-4o}), budgets, status and the journal
 * @param kind     the wire format
 * @param baseUrl  where to send requests; empty for the provider's own (required for Azure and OpenAI-compatible)
 * @param key      where this node finds the key
 * @param models   the models called there, in preference order
 * @param timeouts llm.json's top-level timeouts with this provider's own over them
 */
public record ProviderConfig(String id, ProviderKind kind, Optional<URI> baseUrl, KeySource key,
                             List<ModelConfig> models, Timeouts timeouts) {
    public static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    public static final int MAX_MODELS = 64;

    public ProviderConfig {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(baseUrl, "baseUrl");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(timeouts, "timeouts");
        models = List.copyOf(models);
        if (!ID.matcher(id).matches()) {
            throw new IllegalArgumentException("a provider id is 1-64 lowercase letters, digits, '.', '_' or '-',"
                    + " starting with a letter or digit, got \"" + id + "\"");
        }
        if (models.isEmpty() || models.size() > MAX_MODELS) {
            throw new IllegalArgumentException("provider \"" + id + "\" needs 1.." + MAX_MODELS + " models, got "
                    + models.size());
        }
        Set<String> names = new HashSet<>();
        for (ModelConfig m : models) {
            if (!names.add(m.name())) {
                throw new IllegalArgumentException("provider \"" + id + "\" lists model \"" + m.name() + "\" twice");
            }
        }
        if (baseUrl.isEmpty() && (kind == ProviderKind.AZURE_OPENAI || kind == ProviderKind.OPENAI_COMPATIBLE)) {
            throw new IllegalArgumentException("provider \"" + id + "\" (" + LlmConfig.kindText(kind)
                    + ") needs a baseUrl");
        }
        if (key instanceof KeySource.NoKey && kind != ProviderKind.OPENAI_COMPATIBLE) {
            throw new IllegalArgumentException("provider \"" + id + "\": noKey is only for openai-compatible servers"
                    + " that take no key; " + LlmConfig.kindText(kind) + " needs keyEnv or keyFile");
        }
    }

    public Optional<ModelConfig> model(String name) {
        return models.stream().filter(m -> m.name().equals(name)).findFirst();
    }
}
