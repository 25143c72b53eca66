package io.agentmesh.node.llm.config;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentmesh.node.configfile.StrictJson;
import io.agentmesh.node.llm.ProviderKind;
import io.agentmesh.node.llm.cost.ModelPrice;
import io.agentmesh.node.llm.cost.NanoUsd;
import io.agentmesh.node.llm.cost.Price;
import io.agentmesh.node.llm.cost.PriceEntry;
import io.agentmesh.node.llm.cost.PriceJson;
import io.agentmesh.node.llm.cost.PriceSource;
import io.agentmesh.node.llm.cost.PriceTable;
import io.agentmesh.node.llm.cost.Pricing;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Pattern;

/** Reads llm.json into an {@link LlmConfig}; every refusal names the file, the JSON path and what is allowed. */
final class LlmConfigParser {
    private static final Set<String> TOP_KEYS = Set.of("providers", "timeouts", "routing", "circuit", "cooldowns",
            "probes", "budgets", "unknownModels");
    private static final Set<String> PROVIDER_KEYS = Set.of("id", "kind", "baseUrl", "keyEnv", "keyFile", "noKey",
            "models", "timeouts", "apiVersion");
    private static final Set<String> MODEL_KEYS = Set.of("name", "contextTokens", "maxOutputTokens", "price",
            "priceAs", "streaming");
    private static final Set<String> TIMEOUT_KEYS = Set.of("connectMs", "firstTokenMs", "streamIdleMs", "totalMs");
    private static final Set<String> ROUTING_KEYS = Set.of("strategy", "maxAttempts", "maxWaitMs", "aliases",
            "onContentPolicy", "hedge");
    private static final Set<String> HEDGE_KEYS = Set.of("enabled", "multiplier", "minMs", "maxMs");
    private static final Set<String> CIRCUIT_KEYS = Set.of("windowMs", "minimumCalls", "failureRatePercent",
            "openMs", "halfOpenProbes");
    private static final Set<String> COOLDOWN_KEYS = Set.of("baseMs", "maxMs", "rateLimitedMs", "maxRetryAfterMs",
            "spendLimitMs", "modelNotFoundMs");
    private static final Set<String> PROBE_KEYS = Set.of("maxPerHour");
    private static final Set<String> BUDGET_KEYS = Set.of("provider", "model", "period", "limitUsd", "enforcement");
    private static final Set<String> UNKNOWN_MODEL_KEYS = Set.of("ceiling");
    /** Names under which people write a key inline; refused with where to put it instead. */
    private static final Set<String> INLINE_KEY_NAMES = Set.of("key", "apikey", "api_key", "api-key", "apitoken",
            "token", "secret", "password", "authorization", "bearer", "accesstoken", "access_token");
    private static final Set<String> SECRET_QUERY_PARAMS = Set.of("key", "api-key", "api_key", "apikey", "token",
            "access_token", "sig", "signature", "secret", "password");
    private static final Pattern ALIAS = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:@+-]{0,199}");
    private static final int MAX_ALIASES = 64;
    private static final int MAX_ALIAS_TARGETS = 16;
    private static final int MAX_BUDGETS = 64;

    private final Path source;
    private final String file;

    private LlmConfigParser(Path source) {
        this.source = source;
        this.file = "llm config " + source;
    }

    static LlmConfig parse(JsonNode root, Path source, PriceTable table) {
        return new LlmConfigParser(source).config(root, table);
    }

    private String at(String path) {
        return path.isEmpty() ? file : file + " at " + path;
    }

    private IllegalArgumentException bad(String path, String problem) {
        return new IllegalArgumentException(at(path) + ": " + problem);
    }

    private LlmConfig config(JsonNode root, PriceTable table) {
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(file + " must be a JSON object {\"providers\": [...]}");
        }
        refuseInlineKeys(root, "");
        StrictJson.refuseUnknownKeys(root, TOP_KEYS, file);
        Timeouts defaults = timeouts(root.get("timeouts"), "timeouts", Timeouts.DEFAULTS);
        List<ProviderConfig> providers = providers(root.get("providers"), defaults);
        RoutingConfig routing = routing(root.get("routing"), providers);
        CircuitConfig circuit = circuit(root.get("circuit"));
        CooldownConfig cooldowns = cooldowns(root.get("cooldowns"));
        ProbeConfig probes = probes(root.get("probes"));
        List<Budget> budgets = budgets(root.get("budgets"), providers);
        Optional<Price> ceiling = unknownModels(root.get("unknownModels"));
        Pricing pricing = pricing(providers, table, ceiling);
        return new LlmConfig(Optional.of(source), providers, routing, circuit, cooldowns, probes, budgets, pricing);
    }

    // ---- providers ----

    private List<ProviderConfig> providers(JsonNode node, Timeouts defaults) {
        if (node == null || !node.isArray() || node.isEmpty()) {
            throw bad("providers", "required: an array of 1.." + LlmConfig.MAX_PROVIDERS + " providers, in the order"
                    + " calls try them, e.g. [{\"id\": \"openai\", \"kind\": \"openai\","
                    + " \"keyEnv\": \"OPENAI_API_KEY\", \"models\": [...]}]");
        }
        if (node.size() > LlmConfig.MAX_PROVIDERS) {
            throw bad("providers", "at most " + LlmConfig.MAX_PROVIDERS + " providers, got " + node.size());
        }
        List<ProviderConfig> out = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < node.size(); i++) {
            ProviderConfig p = provider(node.get(i), "providers[" + i + "]", defaults);
            if (!ids.add(p.id())) {
                throw bad("providers[" + i + "].id", "\"" + p.id() + "\" names two providers; ids are unique");
            }
            out.add(p);
        }
        return out;
    }

    private ProviderConfig provider(JsonNode p, String path, Timeouts defaults) {
        if (!p.isObject()) {
            throw bad(path, "a provider is an object with id, kind, keyEnv or keyFile, and models");
        }
        refuseInlineKeys(p, path);
        StrictJson.refuseUnknownKeys(p, PROVIDER_KEYS, at(path));
        String id = text(p, "id", path, true).orElseThrow();
        String where = path + " (\"" + id + "\")";
        ProviderKind kind = choice(p.get("kind"), where + ".kind", ProviderKind.class, LlmConfig::kindText, null);
        KeySource key = keySource(p, where, kind);
        Optional<URI> baseUrl = baseUrl(p.get("baseUrl"), where + ".baseUrl", key);
        JsonNode modelsNode = p.get("models");
        if (modelsNode == null || !modelsNode.isArray() || modelsNode.isEmpty()) {
            throw bad(where + ".models", "required: an array of 1.." + ProviderConfig.MAX_MODELS + " models, e.g."
                    + " [{\"name\": \"gpt-4o\", \"contextTokens\": 128000, \"maxOutputTokens\": 16384}]");
        }
        List<ModelConfig> models = new ArrayList<>();
        for (int i = 0; i < modelsNode.size(); i++) {
            models.add(model(modelsNode.get(i), where + ".models[" + i + "]"));
        }
        Timeouts timeouts = timeouts(p.get("timeouts"), where + ".timeouts", defaults);
        Optional<String> apiVersion = text(p, "apiVersion", where, false);
        try {
            return new ProviderConfig(id, kind, baseUrl, key, models, timeouts, apiVersion);
        } catch (IllegalArgumentException e) {
            throw bad(where, e.getMessage());
        }
    }

    private void refuseInlineKeys(JsonNode node, String path) {
        for (var it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (INLINE_KEY_NAMES.contains(k.toLowerCase(Locale.ROOT))) {
                // The value is never quoted: it is probably the key.
                throw bad(path, "a key written inline (\"" + k + "\") is refused: llm.json travels in copies and"
                        + " backups. Put the key in the node's environment and name the variable with \"keyEnv\":"
                        + " \"OPENAI_API_KEY\", or in a file only the node's user can read (chmod 600) and name it"
                        + " with \"keyFile\": \"/etc/agentmesh/openai.key\"");
            }
        }
    }

    private KeySource keySource(JsonNode p, String where, ProviderKind kind) {
        boolean env = p.has("keyEnv");
        boolean file = p.has("keyFile");
        boolean none = p.has("noKey");
        if ((env ? 1 : 0) + (file ? 1 : 0) + (none ? 1 : 0) > 1) {
            throw bad(where, "give one of keyEnv, keyFile and noKey");
        }
        if (env) {
            JsonNode v = p.get("keyEnv");
            if (!v.isTextual()) {
                throw bad(where + ".keyEnv", "must be the name of an environment variable, e.g. \"OPENAI_API_KEY\"");
            }
            try {
                return new KeySource.EnvVar(v.asText());
            } catch (IllegalArgumentException e) {
                throw bad(where + ".keyEnv", e.getMessage());
            }
        }
        if (file) {
            JsonNode v = p.get("keyFile");
            // Checked without quoting the value: it could be the key pasted in the wrong place.
            if (!v.isTextual() || !v.asText().startsWith("/") || v.asText().length() > 4096
                    || v.asText().indexOf('\0') >= 0) {
                throw bad(where + ".keyFile", "must be the absolute path of a file holding the key, e.g."
                        + " \"/etc/agentmesh/openai.key\"");
            }
            return new KeySource.KeyFile(Path.of(v.asText()).normalize());
        }
        if (none) {
            JsonNode v = p.get("noKey");
            if (!v.isBoolean() || !v.asBoolean()) {
                throw bad(where + ".noKey", "is true or absent");
            }
            if (kind != ProviderKind.OPENAI_COMPATIBLE) {
                throw bad(where + ".noKey", "only an openai-compatible server may take no key; "
                        + LlmConfig.kindText(kind) + " needs keyEnv or keyFile");
            }
            return new KeySource.NoKey();
        }
        throw bad(where, "say where this node finds the key: \"keyEnv\": \"OPENAI_API_KEY\" (an environment"
                + " variable) or \"keyFile\": \"/etc/agentmesh/openai.key\" (a file only the node's user can read)"
                + (kind == ProviderKind.OPENAI_COMPATIBLE ? ", or \"noKey\": true for a local server that takes none"
                : ""));
    }

    private Optional<URI> baseUrl(JsonNode v, String path, KeySource key) {
        if (v == null) {
            return Optional.empty();
        }
        String allowed = "must be an http(s) URL such as \"https://api.example.com/v1\"";
        if (!v.isTextual()) {
            throw bad(path, allowed);
        }
        URI uri;
        try {
            uri = new URI(v.asText());
        } catch (URISyntaxException e) {
            throw bad(path, allowed);
        }
        if (uri.getRawUserInfo() != null) {
            // Not quoted: the user-info part is a credential.
            throw bad(path, "must not carry a user name or password; name the key with keyEnv or keyFile");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !scheme.equals("http") || uri.getHost() == null) {
            throw bad(path, allowed + ", got \"" + v.asText() + "\"");
        }
        if (uri.getRawQuery() != null) {
            for (String param : uri.getRawQuery().split("&")) {
                String name = param.split("=", 2)[0].toLowerCase(Locale.ROOT);
                if (SECRET_QUERY_PARAMS.contains(name)) {
                    throw bad(path, "must not carry a key in its query (\"" + name + "=\"); name the key with keyEnv"
                            + " or keyFile");
                }
            }
        }
        if (uri.getRawQuery() != null) {
            // LangChain4j appends the API's paths to the base URL: a query would land inside the path.
            throw bad(path, allowed + " without a ?query (Azure's api-version goes in \"apiVersion\")");
        }
        if (uri.getRawFragment() != null) {
            throw bad(path, allowed + " without a #fragment");
        }
        if (scheme.equals("http") && !(key instanceof KeySource.NoKey) && !loopback(uri.getHost())) {
            throw bad(path, "http:// would send the key unencrypted to " + uri.getHost() + ": use https://, or a"
                    + " loopback address (localhost, 127.0.0.1, [::1])");
        }
        return Optional.of(uri);
    }

    private static boolean loopback(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        return h.equals("localhost") || h.startsWith("127.") || h.equals("[::1]") || h.equals("::1");
    }

    private ModelConfig model(JsonNode m, String path) {
        if (!m.isObject()) {
            throw bad(path, "a model is an object {\"name\": ..., \"contextTokens\": ..., \"maxOutputTokens\": ...}");
        }
        StrictJson.refuseUnknownKeys(m, MODEL_KEYS, at(path));
        String name = text(m, "name", path, true).orElseThrow();
        String where = path + " (\"" + name + "\")";
        long context = requiredLong(m, "contextTokens", where, "its context window in tokens, e.g. 128000");
        long maxOut = requiredLong(m, "maxOutputTokens", where, "the most tokens it answers with, e.g. 16384");
        Optional<Price> price = Optional.empty();
        if (m.has("price")) {
            price = Optional.of(PriceJson.parse(m.get("price"), at(where + ".price"), Set.of()));
        }
        Optional<String> priceAs = text(m, "priceAs", where, false);
        boolean streaming = true;
        if (m.has("streaming")) {
            if (!m.get("streaming").isBoolean()) {
                throw bad(where + ".streaming", "is true (the default) or false");
            }
            streaming = m.get("streaming").asBoolean();
        }
        try {
            return new ModelConfig(name, context, maxOut, price, priceAs, streaming);
        } catch (IllegalArgumentException e) {
            throw bad(where, e.getMessage());
        }
    }

    private Timeouts timeouts(JsonNode node, String path, Timeouts fallback) {
        if (node == null) {
            return fallback;
        }
        if (!node.isObject()) {
            throw bad(path, "an object of " + TIMEOUT_KEYS + " in milliseconds");
        }
        StrictJson.refuseUnknownKeys(node, TIMEOUT_KEYS, at(path));
        try {
            return new Timeouts(
                    StrictJson.longField(node, "connectMs", fallback.connectMs(), at(path)),
                    StrictJson.longField(node, "firstTokenMs", fallback.firstTokenMs(), at(path)),
                    StrictJson.longField(node, "streamIdleMs", fallback.streamIdleMs(), at(path)),
                    StrictJson.longField(node, "totalMs", fallback.totalMs(), at(path)));
        } catch (IllegalArgumentException e) {
            throw rethrow(path, e);
        }
    }

    // ---- routing ----

    private RoutingConfig routing(JsonNode node, List<ProviderConfig> providers) {
        RoutingConfig d = RoutingConfig.defaults();
        if (node == null) {
            return d;
        }
        if (!node.isObject()) {
            throw bad("routing", "an object with any of " + new TreeSet<>(ROUTING_KEYS));
        }
        StrictJson.refuseUnknownKeys(node, ROUTING_KEYS, at("routing"));
        RoutingConfig.Strategy strategy = choice(node.get("strategy"), "routing.strategy",
                RoutingConfig.Strategy.class, s -> s.name().toLowerCase(Locale.ROOT), d.strategy());
        RoutingConfig.ContentPolicyAction onContent = choice(node.get("onContentPolicy"), "routing.onContentPolicy",
                RoutingConfig.ContentPolicyAction.class, s -> s.name().toLowerCase(Locale.ROOT),
                d.onContentPolicy());
        long maxAttempts = StrictJson.longField(node, "maxAttempts", d.maxAttempts(), at("routing"));
        long maxWaitMs = StrictJson.longField(node, "maxWaitMs", d.maxWaitMs(), at("routing"));
        Map<String, List<Target>> aliases = aliases(node.get("aliases"), providers);
        HedgeConfig hedge = hedge(node.get("hedge"));
        try {
            return new RoutingConfig(strategy, toInt(maxAttempts), maxWaitMs, aliases, onContent, hedge);
        } catch (IllegalArgumentException e) {
            throw rethrow("routing", e);
        }
    }

    private HedgeConfig hedge(JsonNode node) {
        HedgeConfig d = HedgeConfig.DEFAULTS;
        String path = "routing.hedge";
        if (node == null) {
            return d;
        }
        if (!node.isObject()) {
            throw bad(path, "an object with any of " + new TreeSet<>(HEDGE_KEYS));
        }
        StrictJson.refuseUnknownKeys(node, HEDGE_KEYS, at(path));
        boolean enabled = d.enabled();
        if (node.has("enabled")) {
            if (!node.get("enabled").isBoolean()) {
                throw bad(path + ".enabled", "true or false");
            }
            enabled = node.get("enabled").asBoolean();
        }
        double multiplier = d.multiplier();
        if (node.has("multiplier")) {
            JsonNode m = node.get("multiplier");
            if (!m.isNumber() || !Double.isFinite(m.asDouble())) {
                throw bad(path + ".multiplier", "a number from 1 to " + (long) HedgeConfig.MAX_MULTIPLIER);
            }
            multiplier = m.asDouble();
        }
        long minMs = StrictJson.longField(node, "minMs", d.minMs(), at(path));
        long maxMs = StrictJson.longField(node, "maxMs", d.maxMs(), at(path));
        try {
            return new HedgeConfig(enabled, multiplier, minMs, maxMs);
        } catch (IllegalArgumentException e) {
            throw rethrow(path, e);
        }
    }

    private Map<String, List<Target>> aliases(JsonNode node, List<ProviderConfig> providers) {
        Map<String, List<Target>> out = new LinkedHashMap<>();
        if (node == null) {
            return out;
        }
        String path = "routing.aliases";
        if (!node.isObject()) {
            throw bad(path, "an object of names, each a list of \"provider/model\" targets in order, e.g."
                    + " {\"fast\": [\"openai/gpt-4o-mini\", \"anthropic/claude-haiku-4-5\"]}");
        }
        if (node.size() > MAX_ALIASES) {
            throw bad(path, "at most " + MAX_ALIASES + " aliases, got " + node.size());
        }
        Set<String> modelNames = new HashSet<>();
        providers.forEach(p -> p.models().forEach(m -> modelNames.add(m.name())));
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            String name = e.getKey();
            String where = path + ".\"" + name + "\"";
            if (!ALIAS.matcher(name).matches()) {
                throw bad(where, "an alias is 1-200 letters, digits and . _ : @ + - (no '/'), starting with a letter"
                        + " or digit");
            }
            if (modelNames.contains(name)) {
                throw bad(where, "\"" + name + "\" is also a configured model name; give the alias another name");
            }
            JsonNode list = e.getValue();
            if (!list.isArray() || list.isEmpty() || list.size() > MAX_ALIAS_TARGETS) {
                throw bad(where, "a list of 1.." + MAX_ALIAS_TARGETS + " \"provider/model\" targets");
            }
            List<Target> targets = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                JsonNode t = list.get(i);
                String tw = where + "[" + i + "]";
                if (!t.isTextual()) {
                    throw bad(tw, "a \"provider/model\" string");
                }
                Target target;
                try {
                    target = Target.parse(t.asText());
                } catch (IllegalArgumentException ex) {
                    throw bad(tw, ex.getMessage());
                }
                ProviderConfig p = providers.stream().filter(x -> x.id().equals(target.providerId())).findFirst()
                        .orElseThrow(() -> bad(tw, "no provider \"" + target.providerId() + "\" (providers: "
                                + providers.stream().map(ProviderConfig::id).toList() + ")"));
                if (p.model(target.model()).isEmpty()) {
                    throw bad(tw, "provider \"" + p.id() + "\" has no model \"" + target.model() + "\" (its models: "
                            + p.models().stream().map(ModelConfig::name).toList() + ")");
                }
                if (targets.contains(target)) {
                    throw bad(tw, target + " is listed twice");
                }
                targets.add(target);
            }
            out.put(name, targets);
        }
        return out;
    }

    private CircuitConfig circuit(JsonNode node) {
        CircuitConfig d = CircuitConfig.DEFAULTS;
        if (node == null) {
            return d;
        }
        JsonNode n = object(node, "circuit", CIRCUIT_KEYS);
        String w = at("circuit");
        try {
            return new CircuitConfig(StrictJson.longField(n, "windowMs", d.windowMs(), w),
                    toInt(StrictJson.longField(n, "minimumCalls", d.minimumCalls(), w)),
                    toInt(StrictJson.longField(n, "failureRatePercent", d.failureRatePercent(), w)),
                    StrictJson.longField(n, "openMs", d.openMs(), w),
                    toInt(StrictJson.longField(n, "halfOpenProbes", d.halfOpenProbes(), w)));
        } catch (IllegalArgumentException e) {
            throw rethrow("circuit", e);
        }
    }

    private CooldownConfig cooldowns(JsonNode node) {
        CooldownConfig d = CooldownConfig.DEFAULTS;
        if (node == null) {
            return d;
        }
        JsonNode n = object(node, "cooldowns", COOLDOWN_KEYS);
        String w = at("cooldowns");
        try {
            return new CooldownConfig(StrictJson.longField(n, "baseMs", d.baseMs(), w),
                    StrictJson.longField(n, "maxMs", d.maxMs(), w),
                    StrictJson.longField(n, "rateLimitedMs", d.rateLimitedMs(), w),
                    StrictJson.longField(n, "maxRetryAfterMs", d.maxRetryAfterMs(), w),
                    StrictJson.longField(n, "spendLimitMs", d.spendLimitMs(), w),
                    StrictJson.longField(n, "modelNotFoundMs", d.modelNotFoundMs(), w));
        } catch (IllegalArgumentException e) {
            throw rethrow("cooldowns", e);
        }
    }

    private ProbeConfig probes(JsonNode node) {
        if (node == null) {
            return ProbeConfig.DEFAULTS;
        }
        JsonNode n = object(node, "probes", PROBE_KEYS);
        try {
            return new ProbeConfig(toInt(StrictJson.longField(n, "maxPerHour", ProbeConfig.DEFAULTS.maxPerHour(),
                    at("probes"))));
        } catch (IllegalArgumentException e) {
            throw rethrow("probes", e);
        }
    }

    // ---- budgets and prices ----

    private List<Budget> budgets(JsonNode node, List<ProviderConfig> providers) {
        List<Budget> out = new ArrayList<>();
        if (node == null) {
            return out;
        }
        if (!node.isArray() || node.size() > MAX_BUDGETS) {
            throw bad("budgets", "an array of at most " + MAX_BUDGETS + " budgets, e.g. [{\"period\": \"day\","
                    + " \"limitUsd\": 20}, {\"provider\": \"openai\", \"period\": \"month\", \"limitUsd\": 200,"
                    + " \"enforcement\": \"soft\"}]");
        }
        Set<List<Object>> scopes = new HashSet<>();
        for (int i = 0; i < node.size(); i++) {
            String path = "budgets[" + i + "]";
            JsonNode b = object(node.get(i), path, BUDGET_KEYS);
            Optional<String> provider = text(b, "provider", path, false);
            Optional<String> model = text(b, "model", path, false);
            if (provider.isPresent() && providers.stream().noneMatch(p -> p.id().equals(provider.get()))) {
                throw bad(path + ".provider", "no provider \"" + provider.get() + "\" (providers: "
                        + providers.stream().map(ProviderConfig::id).toList() + ")");
            }
            if (model.isPresent() && providers.stream()
                    .filter(p -> provider.map(p.id()::equals).orElse(true))
                    .noneMatch(p -> p.model(model.get()).isPresent())) {
                throw bad(path + ".model", "no configured model \"" + model.get() + "\""
                        + provider.map(p -> " at provider \"" + p + "\"").orElse(""));
            }
            Budget.Period period = choice(b.get("period"), path + ".period", Budget.Period.class,
                    x -> x.name().toLowerCase(Locale.ROOT), null);
            Budget.Enforcement enforcement = choice(b.get("enforcement"), path + ".enforcement",
                    Budget.Enforcement.class, x -> x.name().toLowerCase(Locale.ROOT), Budget.Enforcement.HARD);
            JsonNode limit = b.get("limitUsd");
            String allowed = "required: a number of USD, more than 0 and at most 1000000, with at most 9 decimals";
            if (limit == null || !limit.isNumber()) {
                throw bad(path + ".limitUsd", allowed);
            }
            long nano;
            try {
                nano = NanoUsd.fromUsd(limit.decimalValue());
            } catch (ArithmeticException e) {
                throw bad(path + ".limitUsd", allowed + ", got " + limit);
            }
            Budget budget;
            try {
                budget = new Budget(provider, model, period, nano, enforcement);
            } catch (IllegalArgumentException e) {
                throw rethrow(path, e);
            }
            if (!scopes.add(List.of(provider, model, period))) {
                throw bad(path, "a second budget for " + budget.describe() + "; one per scope and period");
            }
            out.add(budget);
        }
        return out;
    }

    private Optional<Price> unknownModels(JsonNode node) {
        if (node == null || node.isTextual() && node.asText().equals("refuse")) {
            return Optional.empty();
        }
        String allowed = "\"refuse\" (the default: a model with no price is an error) or"
                + " {\"ceiling\": {\"inputPerMTok\": 15, \"outputPerMTok\": 75}} (such a model is charged at that"
                + " price, never $0)";
        if (!node.isObject()) {
            throw bad("unknownModels", allowed);
        }
        StrictJson.refuseUnknownKeys(node, UNKNOWN_MODEL_KEYS, at("unknownModels"));
        if (!node.has("ceiling")) {
            throw bad("unknownModels", allowed);
        }
        return Optional.of(PriceJson.parse(node.get("ceiling"), at("unknownModels.ceiling"), Set.of()));
    }

    private Pricing pricing(List<ProviderConfig> providers, PriceTable table, Optional<Price> ceiling) {
        List<ModelPrice> prices = new ArrayList<>();
        for (int i = 0; i < providers.size(); i++) {
            ProviderConfig p = providers.get(i);
            for (int j = 0; j < p.models().size(); j++) {
                ModelConfig m = p.models().get(j);
                String path = "providers[" + i + "].models[" + j + "] (\"" + m.name() + "\")";
                prices.add(price(p, m, path, table, ceiling));
            }
        }
        return Pricing.of(prices, ceiling);
    }

    private ModelPrice price(ProviderConfig p, ModelConfig m, String path, PriceTable table,
                             Optional<Price> ceiling) {
        if (m.price().isPresent()) {
            return new ModelPrice(p.id(), m.name(), m.price().get(),
                    new PriceSource(PriceSource.Kind.OVERRIDE, "price in " + at(path)));
        }
        String tableName = m.priceAs().orElse(m.name());
        Optional<PriceEntry> entry = table.find(p.kind(), tableName);
        if (entry.isPresent()) {
            return new ModelPrice(p.id(), m.name(), entry.get().price(), entry.get().asSource());
        }
        if (m.priceAs().isPresent()) {
            throw bad(path + ".priceAs", "the price table has no " + p.kind() + " model \"" + tableName
                    + "\"; it prices " + p.kind() + " models " + table.entries()
                    .getOrDefault(p.kind() == ProviderKind.AZURE_OPENAI ? ProviderKind.OPENAI : p.kind(), Map.of())
                    .keySet());
        }
        if (ceiling.isPresent()) {
            return new ModelPrice(p.id(), m.name(), ceiling.get(), new PriceSource(PriceSource.Kind.CEILING,
                    "the unknownModels ceiling in " + file + " (the price table has no " + p.kind() + " model \""
                            + tableName + "\")"));
        }
        throw bad(path, "no price: the shipped price table has no " + p.kind() + " model \"" + tableName
                + "\". Add \"price\": {\"inputPerMTok\": ..., \"outputPerMTok\": ...} (USD per million tokens; 0 for"
                + " a free local model) to it, name the table's model with \"priceAs\", or set \"unknownModels\":"
                + " {\"ceiling\": {...}} at the top");
    }

    // ---- small readers ----

    private JsonNode object(JsonNode node, String path, Set<String> keys) {
        if (node == null || !node.isObject()) {
            throw bad(path, "an object with any of " + new TreeSet<>(keys));
        }
        StrictJson.refuseUnknownKeys(node, keys, at(path));
        return node;
    }

    private Optional<String> text(JsonNode node, String key, String path, boolean required) {
        JsonNode v = node.get(key);
        if (v == null) {
            if (required) {
                throw bad(path, "\"" + key + "\" (a string) is required");
            }
            return Optional.empty();
        }
        if (!v.isTextual() || v.asText().isBlank()) {
            throw bad(path + "." + key, "must be a non-empty string, got " + v);
        }
        return Optional.of(v.asText());
    }

    private long requiredLong(JsonNode node, String key, String path, String what) {
        if (!node.has(key)) {
            throw bad(path, "\"" + key + "\" (" + what + ") is required");
        }
        return StrictJson.longField(node, key, 0, at(path));
    }

    private <E extends Enum<E>> E choice(JsonNode v, String path, Class<E> type, Function<E, String> text,
                                         E fallback) {
        List<String> allowed = Arrays.stream(type.getEnumConstants()).map(text).toList();
        if (v == null) {
            if (fallback == null) {
                throw bad(path, "required: one of " + allowed);
            }
            return fallback;
        }
        if (v.isTextual()) {
            for (E e : type.getEnumConstants()) {
                if (text.apply(e).equals(v.asText())) {
                    return e;
                }
            }
        }
        throw bad(path, "one of " + allowed + ", got " + v);
    }

    private static int toInt(long v) {
        return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, v));
    }

    private IllegalArgumentException rethrow(String path, IllegalArgumentException e) {
        String m = e.getMessage();
        return m.startsWith(file) ? e : bad(path, m);
    }
}
