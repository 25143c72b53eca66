package io.agentmesh.node.llm.provider;

import io.agentmesh.node.llm.ProviderKind;

import java.net.URI;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where one provider lives and how long its attempts may take: everything a provider needs except its key.
 *
 * @param id              the operator's name for it ({@code openai}, {@code azure-eu}), in logs, metrics and outcomes
 * @param kind            its wire format
 * @param baseUrl         the URL the API paths are appended to: {@code https://api.openai.com/v1},
 *                        {@code https://api.anthropic.com/v1}, {@code https://api.deepseek.com/v1}, an Azure
 *                        deployment ({@code https://RESOURCE.openai.azure.com/openai/deployments/DEPLOYMENT}), or any
 *                        OpenAI-compatible server ({@code http://127.0.0.1:11434/v1} for Ollama)
 * @param timeouts        the attempt's deadlines
 * @param azureApiVersion Azure's {@code api-version} query parameter (required for AZURE_OPENAI, refused otherwise)
 */
public record ProviderEndpoint(String id, ProviderKind kind, URI baseUrl, Timeouts timeouts,
                               Optional<String> azureApiVersion) {
    private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

    public ProviderEndpoint {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(baseUrl, "baseUrl");
        Objects.requireNonNull(timeouts, "timeouts");
        Objects.requireNonNull(azureApiVersion, "azureApiVersion");
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("a provider id is 1-64 of a-z 0-9 . _ -, starting with a letter or"
                    + " digit: " + id);
        }
        String scheme = baseUrl.getScheme();
        if (!baseUrl.isAbsolute() || !("https".equals(scheme) || "http".equals(scheme)) || baseUrl.getHost() == null
                || baseUrl.getRawQuery() != null || baseUrl.getRawFragment() != null) {
            throw new IllegalArgumentException("provider " + id + ": the base URL must be an http(s) URL with a host"
                    + " and no query or fragment: " + baseUrl);
        }
        if (kind == ProviderKind.AZURE_OPENAI && azureApiVersion.filter(v -> !v.isBlank()).isEmpty()) {
            throw new IllegalArgumentException("provider " + id + ": Azure OpenAI needs an api-version"
                    + " (for example 2024-10-21)");
        }
        if (kind != ProviderKind.AZURE_OPENAI && azureApiVersion.isPresent()) {
            throw new IllegalArgumentException("provider " + id + ": api-version is an Azure OpenAI setting, not "
                    + kind);
        }
    }

    /** The public endpoint of a kind that has one. */
    public static URI defaultBaseUrl(ProviderKind kind) {
        return switch (kind) {
            case OPENAI -> URI.create("https://api.openai.com/v1");
            case ANTHROPIC -> URI.create("https://api.anthropic.com/v1");
            case DEEPSEEK -> URI.create("https://api.deepseek.com/v1");
            case AZURE_OPENAI, OPENAI_COMPATIBLE -> throw new IllegalArgumentException(kind
                    + " has no default base URL: configure the deployment's or the server's URL");
        };
    }

    /** The base URL with exactly one trailing slash, as LangChain4j joins paths. */
    String baseUrlText() {
        String s = baseUrl.toString();
        return s.endsWith("/") ? s : s + "/";
    }
}
