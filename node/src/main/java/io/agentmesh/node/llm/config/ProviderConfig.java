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
 * @param azureApiVersion Azure's {@code api-version} query parameter, for a deployment URL
 *                 ({@code https://RESOURCE.openai.azure.com/openai/deployments/DEPLOYMENT}); Azure's v1 URL
 *                 ({@code .../openai/v1}) takes none. Refused for any other kind.
 */
public record ProviderConfig(String id, ProviderKind kind, Optional<URI> baseUrl, KeySource key,
                             List<ModelConfig> models, Timeouts timeouts, Optional<String> azureApiVersion) {
    public static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    public static final int MAX_MODELS = 64;

    public ProviderConfig {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(baseUrl, "baseUrl");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(timeouts, "timeouts");
        Objects.requireNonNull(azureApiVersion, "azureApiVersion");
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
        if (baseUrl.isPresent()) {
            URI u = baseUrl.get();
            String scheme = u.getScheme();
            // LangChain4j appends the API's paths to the base URL, so a query or fragment there would end up inside
            // the path; Azure's api-version has its own setting.
            if (!u.isAbsolute() || !("https".equals(scheme) || "http".equals(scheme)) || u.getHost() == null
                    || u.getRawQuery() != null || u.getRawFragment() != null || u.getRawUserInfo() != null) {
                throw new IllegalArgumentException("provider \"" + id + "\": the baseUrl must be an http(s) URL with"
                        + " a host and no user, query or fragment (Azure's api-version goes in \"apiVersion\")");
            }
        }
        if (azureApiVersion.isPresent() && (kind != ProviderKind.AZURE_OPENAI
                || !API_VERSION.matcher(azureApiVersion.get()).matches())) {
            throw new IllegalArgumentException("provider \"" + id + "\": apiVersion is an azure-openai setting such as"
                    + " \"2024-10-21\" (letters, digits, '-' and '.')");
        }
    }

    private static final Pattern API_VERSION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9.-]{0,63}");

    /** The public endpoint of a kind that has one. */
    public static URI defaultBaseUrl(ProviderKind kind) {
        return switch (kind) {
            case OPENAI -> URI.create("https://api.openai.com/v1");
            case ANTHROPIC -> URI.create("https://api.anthropic.com/v1");
            case DEEPSEEK -> URI.create("https://api.deepseek.com/v1");
            case AZURE_OPENAI, OPENAI_COMPATIBLE -> throw new IllegalArgumentException(LlmConfig.kindText(kind)
                    + " has no default base URL: configure the deployment's or the server's URL");
        };
    }

    /** Where requests go: the configured base URL, else the kind's public one. */
    public URI endpointUrl() {
        return baseUrl.orElseGet(() -> defaultBaseUrl(kind));
    }

    public Optional<ModelConfig> model(String name) {
        return models.stream().filter(m -> m.name().equals(name)).findFirst();
    }
}
