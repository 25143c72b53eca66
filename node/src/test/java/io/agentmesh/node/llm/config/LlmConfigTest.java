package io.agentmesh.node.llm.config;

import io.agentmesh.node.llm.ProviderKind;
import io.agentmesh.node.llm.cost.NanoUsd;
import io.agentmesh.node.llm.cost.PriceSource;
import io.agentmesh.node.llm.cost.PriceTable;
import io.agentmesh.node.llm.cost.UnpricedModelException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** llm.json: what it accepts, its defaults, and that every mistake is refused with its place and what is allowed. */
class LlmConfigTest {
    private static final PriceTable TABLE = PriceTable.shipped();
    private static final String OPENAI = """
            {"id": "openai", "kind": "openai", "keyEnv": "OPENAI_API_KEY",
             "models": [{"name": "gpt-4o", "contextTokens": 128000, "maxOutputTokens": 16384}]}""";

    @TempDir
    Path dir;

    private Path write(String json) throws Exception {
        Path f = dir.resolve("llm.json");
        Files.writeString(f, json);
        return f;
    }

    private LlmConfig load(String json) throws Exception {
        return LlmConfig.load(write(json), TABLE);
    }

    private String refusal(String json) throws Exception {
        Path f = write(json);
        String m = assertThrows(IllegalArgumentException.class, () -> LlmConfig.load(f, TABLE)).getMessage();
        assertTrue(m.startsWith("llm config " + f.toAbsolutePath().normalize()), "names the file: " + m);
        return m;
    }

    private String refusalWithProvider(String provider) throws Exception {
        return refusal("{\"providers\": [" + provider + "]}");
    }

    @Test
    void textHeldInMemoryIsReadAndRefusedAsAFileIs() {
        Path name = Path.of("simulated-llm.json");
        LlmConfig c = LlmConfig.parse(("{\"providers\": [" + OPENAI + "]}").getBytes(StandardCharsets.UTF_8), name,
                TABLE);
        assertEquals(List.of("openai"), c.providers().stream().map(ProviderConfig::id).toList());
        assertEquals(Optional.of(name), c.source());
        String bad = assertThrows(IllegalArgumentException.class, () -> LlmConfig.parse("{\"providers\": ["
                .getBytes(StandardCharsets.UTF_8), name, TABLE)).getMessage();
        assertTrue(bad.startsWith("llm config simulated-llm.json is not valid JSON"), bad);
        String unknown = assertThrows(IllegalArgumentException.class, () -> LlmConfig.parse(
                "{\"retries\": 3}".getBytes(StandardCharsets.UTF_8), name, TABLE)).getMessage();
        assertTrue(unknown.contains("unknown key \"retries\""), unknown);
        String big = assertThrows(IllegalArgumentException.class, () -> LlmConfig.parse(
                new byte[LlmConfig.MAX_FILE_BYTES + 1], name, TABLE)).getMessage();
        assertTrue(big.contains("more than " + LlmConfig.MAX_FILE_BYTES), big);
    }

    @Test
    void aFullConfigIsReadWithEverySetting() throws Exception {
        LlmConfig c = load("""
                {
                  "providers": [
                    {"id": "anthropic", "kind": "anthropic", "keyFile": "/etc/agentmesh/anthropic.key",
                     "models": [{"name": "claude-sonnet-4-5", "contextTokens": 1000000, "maxOutputTokens": 64000},
                                {"name": "claude-haiku-4-5", "contextTokens": 200000, "maxOutputTokens": 64000}],
                     "timeouts": {"firstTokenMs": 90000}},
                    {"id": "azure", "kind": "azure-openai", "baseUrl": "https://acme.openai.azure.com/openai/v1",
                     "keyEnv": "AZURE_OPENAI_KEY",
                     "models": [{"name": "prod-4o", "priceAs": "gpt-4o", "contextTokens": 128000,
                                 "maxOutputTokens": 16384}]},
                    {"id": "local", "kind": "openai-compatible", "baseUrl": "http://127.0.0.1:11434/v1",
                     "noKey": true,
                     "models": [{"name": "llama3.1:8b", "contextTokens": 8192, "maxOutputTokens": 2048,
                                 "streaming": false, "price": {"inputPerMTok": 0, "outputPerMTok": 0}}]}
                  ],
                  "timeouts": {"connectMs": 3000, "totalMs": 300000},
                  "routing": {"strategy": "cost", "maxAttempts": 4, "maxWaitMs": 10000,
                              "aliases": {"smart": ["anthropic/claude-sonnet-4-5", "azure/prod-4o"]},
                              "onContentPolicy": "failover"},
                  "circuit": {"windowMs": 120000, "minimumCalls": 3, "failureRatePercent": 60, "openMs": 20000,
                              "halfOpenProbes": 2},
                  "cooldowns": {"baseMs": 1000, "maxMs": 60000, "rateLimitedMs": 2000, "maxRetryAfterMs": 120000,
                                "spendLimitMs": 7200000, "modelNotFoundMs": 600000},
                  "probes": {"maxPerHour": 12},
                  "budgets": [{"period": "day", "limitUsd": 20},
                              {"provider": "anthropic", "period": "month", "limitUsd": 150.5, "enforcement": "soft"},
                              {"provider": "azure", "model": "prod-4o", "period": "day", "limitUsd": 0.25}]
                }""");
        assertEquals(List.of("anthropic", "azure", "local"), c.providers().stream().map(ProviderConfig::id).toList());
        ProviderConfig anthropic = c.provider("anthropic").orElseThrow();
        assertEquals(ProviderKind.ANTHROPIC, anthropic.kind());
        assertEquals(new KeySource.KeyFile(Path.of("/etc/agentmesh/anthropic.key")), anthropic.key());
        assertEquals(new Timeouts(3000, 90000, Timeouts.DEFAULTS.streamIdleMs(), 300000), anthropic.timeouts(),
                "the provider's own over the file's over the defaults");
        assertEquals(new Timeouts(3000, Timeouts.DEFAULTS.firstTokenMs(), Timeouts.DEFAULTS.streamIdleMs(), 300000),
                c.provider("azure").orElseThrow().timeouts());
        assertEquals(Optional.of(URI.create("https://acme.openai.azure.com/openai/v1")),
                c.provider("azure").orElseThrow().baseUrl());
        assertEquals(new KeySource.NoKey(), c.provider("local").orElseThrow().key());
        assertFalse(c.model(new Target("local", "llama3.1:8b")).orElseThrow().streaming());
        assertEquals(new RoutingConfig(RoutingConfig.Strategy.COST, 4, 10000,
                java.util.Map.of("smart", List.of(new Target("anthropic", "claude-sonnet-4-5"),
                        new Target("azure", "prod-4o"))), RoutingConfig.ContentPolicyAction.FAILOVER), c.routing());
        assertEquals(new CircuitConfig(120000, 3, 60, 20000, 2), c.circuit());
        assertEquals(new CooldownConfig(1000, 60000, 2000, 120000, 7200000, 600000), c.cooldowns());
        assertEquals(new ProbeConfig(12), c.probes());
        assertEquals(3, c.budgets().size());
        assertEquals(new Budget(Optional.of("anthropic"), Optional.empty(), Budget.Period.MONTH, 150_500_000_000L,
                Budget.Enforcement.SOFT), c.budgets().get(1));
        assertEquals(NanoUsd.PER_USD / 4, c.budgets().get(2).limitNanoUsd());
        assertEquals(Budget.Enforcement.HARD, c.budgets().get(0).enforcement(), "hard unless said otherwise");
        assertTrue(c.budgets().get(0).covers(new Target("local", "llama3.1:8b")), "no scope: every call");
        assertTrue(c.budgets().get(1).covers(new Target("anthropic", "claude-haiku-4-5")));
        assertFalse(c.budgets().get(1).covers(new Target("azure", "prod-4o")));
        assertFalse(c.budgets().get(2).covers(new Target("azure", "other")));
        assertEquals("anthropic/every model per month: $150.50 (soft)", c.budgets().get(1).describe());
        // Prices: the table, the table under another name, an explicit $0 for a local model.
        assertEquals(PriceSource.Kind.TABLE, c.pricing().price("anthropic", "claude-sonnet-4-5").source().kind());
        assertEquals(TABLE.find(ProviderKind.OPENAI, "gpt-4o").orElseThrow().price(),
                c.pricing().price("azure", "prod-4o").price());
        assertEquals(PriceSource.Kind.OVERRIDE, c.pricing().price("local", "llama3.1:8b").source().kind());
        assertThrows(UnpricedModelException.class, () -> c.pricing().price("anthropic", "claude-opus-9"),
                "no ceiling: a model that is not configured is refused, not $0");
    }

    @Test
    void aMinimalConfigTakesTheDocumentedDefaults() throws Exception {
        LlmConfig c = load("{\"providers\": [" + OPENAI + "]}");
        assertEquals(Timeouts.DEFAULTS, c.providers().get(0).timeouts());
        assertEquals(new Timeouts(5_000, 30_000, 30_000, 600_000), Timeouts.DEFAULTS);
        assertEquals(RoutingConfig.defaults(), c.routing());
        assertEquals(RoutingConfig.Strategy.ORDERED, c.routing().strategy());
        assertEquals(3, c.routing().maxAttempts());
        assertEquals(CircuitConfig.DEFAULTS, c.circuit());
        assertEquals(5, c.circuit().minimumCalls());
        assertEquals(CooldownConfig.DEFAULTS, c.cooldowns());
        assertEquals(ProbeConfig.DEFAULTS, c.probes());
        assertTrue(c.budgets().isEmpty());
        assertEquals(Optional.empty(), c.providers().get(0).baseUrl(), "the provider's own");
        assertEquals(List.of(new Target("openai", "gpt-4o")), c.targets());
    }

    @Test
    void aKeyWrittenInlineIsRefusedWithWhereToPutItAndIsNeverQuoted() throws Exception {
        String secret = "sk-proj-THISISTHEKEY0123456789";
        for (String name : new String[]{"apiKey", "api_key", "key", "token", "Authorization"}) {
            String m = refusalWithProvider(OPENAI.replace("\"keyEnv\": \"OPENAI_API_KEY\"",
                    "\"" + name + "\": \"" + secret + "\""));
            assertTrue(m.contains("a key written inline (\"" + name + "\") is refused"), m);
            assertTrue(m.contains("\"keyEnv\"") && m.contains("\"keyFile\""), "says where to put it: " + m);
            assertFalse(m.contains(secret), "never echoes the key: " + m);
        }
        String top = refusal("{\"apiKey\": \"" + secret + "\", \"providers\": [" + OPENAI + "]}");
        assertTrue(top.contains("a key written inline") && !top.contains(secret), top);
    }

    @Test
    void aKeyPastedWhereItsSourceShouldBeIsRefusedWithoutEchoingIt() throws Exception {
        String secret = "sk-ant-api03-abcdefghijklmnop";
        String env = refusalWithProvider(OPENAI.replace("OPENAI_API_KEY", secret));
        assertTrue(env.contains("keyEnv must name an environment variable"), env);
        assertFalse(env.contains(secret), env);
        String file = refusalWithProvider(OPENAI.replace("\"keyEnv\": \"OPENAI_API_KEY\"",
                "\"keyFile\": \"" + secret + "\""));
        assertTrue(file.contains("keyFile: must be the absolute path"), file);
        assertFalse(file.contains(secret), file);
        String garbled = refusal("{\"providers\": [{\"id\": \"openai\", \"keyEnv\": " + secret + "}]}");
        assertTrue(garbled.contains("not valid JSON: a syntax error at line 1"), garbled);
        assertFalse(garbled.contains("abcdefghijklmnop"), "a parse error does not quote the file: " + garbled);
    }

    @Test
    void aProviderMustSayWhereItsKeyIs() throws Exception {
        String m = refusalWithProvider(OPENAI.replace("\"keyEnv\": \"OPENAI_API_KEY\",", ""));
        assertTrue(m.contains("providers[0] (\"openai\"): say where this node finds the key: \"keyEnv\""), m);
        assertFalse(m.contains("noKey"), "noKey is only offered to openai-compatible servers: " + m);
        assertTrue(refusalWithProvider(OPENAI.replace("\"keyEnv\": \"OPENAI_API_KEY\"",
                "\"keyEnv\": \"A\", \"keyFile\": \"/k\"")).contains("give one of keyEnv, keyFile and noKey"));
        assertTrue(refusalWithProvider(OPENAI.replace("\"keyEnv\": \"OPENAI_API_KEY\"", "\"noKey\": true"))
                .contains("only an openai-compatible server may take no key"));
    }

    @Test
    void everyBadValueIsRefusedWithItsPathAndWhatIsAllowed() throws Exception {
        assertTrue(refusal("{}").contains("at providers: required: an array of 1..32 providers"));
        assertTrue(refusal("[]").contains("must be a JSON object"));
        assertTrue(refusal("{\"providers\": [" + OPENAI + "], \"routng\": {}}")
                .contains("unknown key \"routng\" (known: budgets, circuit, cooldowns, probes, providers, routing,"
                        + " timeouts, unknownModels)"));
        assertTrue(refusalWithProvider(OPENAI.replace("\"kind\": \"openai\"", "\"kind\": \"gemini\""))
                .contains("providers[0] (\"openai\").kind: one of [openai, azure-openai, anthropic, deepseek,"
                        + " openai-compatible], got \"gemini\""));
        assertTrue(refusalWithProvider(OPENAI.replace("\"id\": \"openai\"", "\"id\": \"Open AI\""))
                .contains("a provider id is 1-64 lowercase letters"));
        assertTrue(refusal("{\"providers\": [" + OPENAI + ", " + OPENAI + "]}")
                .contains("providers[1].id: \"openai\" names two providers"));
        assertTrue(refusalWithProvider(OPENAI.replace("\"contextTokens\": 128000, ", ""))
                .contains("models[0] (\"gpt-4o\"): \"contextTokens\" (its context window in tokens"));
        assertTrue(refusalWithProvider(OPENAI.replace("\"maxOutputTokens\": 16384", "\"maxOutputTokens\": 200000"))
                .contains("maxOutputTokens must be 1..contextTokens (128000), got 200000"));
        assertTrue(refusalWithProvider(OPENAI.replace("\"maxOutputTokens\": 16384", "\"maxOutputTokens\": \"lots\""))
                .contains("maxOutputTokens must be a whole number"));
        assertTrue(refusalWithProvider(OPENAI.replace("16384}", "16384, \"context\": 5}"))
                .contains("models[0]: unknown key \"context\""));
        assertTrue(refusalWithProvider(OPENAI.replace("\"models\": [", "\"models\": [], \"x\": ["))
                .contains("unknown key \"x\""));
        assertTrue(refusalWithProvider(OPENAI.replace("{\"name\": \"gpt-4o\", \"contextTokens\": 128000,"
                + " \"maxOutputTokens\": 16384}", "")).contains(".models: required: an array of 1..64 models"));
        assertTrue(refusalWithProvider(OPENAI.replace("16384}", "16384}, {\"name\": \"gpt-4o\", \"contextTokens\":"
                + " 1, \"maxOutputTokens\": 1}")).contains("lists model \"gpt-4o\" twice"));
        assertTrue(refusalWithProvider(OPENAI.replace("16384}", "16384, \"streaming\": \"yes\"}"))
                .contains(".streaming: is true (the default) or false"));
        assertTrue(refusalWithProvider(OPENAI.replace("\"models\"", "\"timeouts\": {\"firstTokenMs\": 0}, \"models\""))
                .contains("timeouts: firstTokenMs must be 1..3600000 ms, got 0"));
        assertTrue(refusalWithProvider(OPENAI.replace("\"models\"", "\"timeouts\": {\"firstTokenMs\": 700000},"
                + " \"models\"")).contains("must each be at most totalMs (600000)"));
        assertTrue(refusalWithProvider(OPENAI.replace("\"models\"", "\"timeouts\": {\"ttftMs\": 5}, \"models\""))
                .contains("unknown key \"ttftMs\" (known: connectMs, firstTokenMs, streamIdleMs, totalMs)"));
    }

    @Test
    void routingCircuitCooldownAndProbeSettingsAreBounded() throws Exception {
        String p = "{\"providers\": [" + OPENAI + "], ";
        assertTrue(refusal(p + "\"routing\": {\"strategy\": \"random\"}}")
                .contains("routing.strategy: one of [ordered, cost, latency], got \"random\""));
        assertTrue(refusal(p + "\"routing\": {\"maxAttempts\": 50}}").contains("maxAttempts must be 1..10, got 50"));
        assertTrue(refusal(p + "\"routing\": {\"maxWaitMs\": -1}}").contains("maxWaitMs must be 0..600000"));
        assertTrue(refusal(p + "\"routing\": {\"onContentPolicy\": \"retry\"}}")
                .contains("one of [fail, failover]"));
        assertTrue(refusal(p + "\"routing\": {\"aliases\": {\"fast\": [\"openai/gpt-5\"]}}}")
                .contains("routing.aliases.\"fast\"[0]: provider \"openai\" has no model \"gpt-5\""));
        assertTrue(refusal(p + "\"routing\": {\"aliases\": {\"fast\": [\"azure/gpt-4o\"]}}}")
                .contains("no provider \"azure\""));
        assertTrue(refusal(p + "\"routing\": {\"aliases\": {\"fast\": [\"gpt-4o\"]}}}")
                .contains("\"gpt-4o\" is not provider/model"));
        assertTrue(refusal(p + "\"routing\": {\"aliases\": {\"gpt-4o\": [\"openai/gpt-4o\"]}}}")
                .contains("is also a configured model name"));
        assertTrue(refusal(p + "\"routing\": {\"aliases\": {\"fast\": [\"openai/gpt-4o\", \"openai/gpt-4o\"]}}}")
                .contains("listed twice"));
        assertTrue(refusal(p + "\"circuit\": {\"minimumCalls\": 100}}")
                .contains("at circuit: minimumCalls must be 3..20, got 100"), "a window of 100 never opens");
        assertTrue(refusal(p + "\"circuit\": {\"failureRatePercent\": 0}}")
                .contains("failureRatePercent must be 1..100"));
        assertTrue(refusal(p + "\"circuit\": {\"openMs\": 10}}").contains("openMs must be 1000..3600000"));
        assertTrue(refusal(p + "\"cooldowns\": {\"baseMs\": 10000, \"maxMs\": 5000}}")
                .contains("maxMs must be 10000..3600000, got 5000"));
        assertTrue(refusal(p + "\"probes\": {\"maxPerHour\": 0}}").contains("maxPerHour must be 1..3600"));
        assertTrue(refusal(p + "\"probes\": 5}").contains("at probes: an object with any of [maxPerHour]"));
    }

    @Test
    void budgetsNameRealProvidersAndModelsAndExactAmounts() throws Exception {
        String p = "{\"providers\": [" + OPENAI + "], \"budgets\": [";
        assertTrue(refusal(p + "{\"period\": \"week\", \"limitUsd\": 5}]}")
                .contains("budgets[0].period: one of [day, month], got \"week\""));
        assertTrue(refusal(p + "{\"period\": \"day\"}]}").contains("budgets[0].limitUsd: required: a number of USD"));
        assertTrue(refusal(p + "{\"period\": \"day\", \"limitUsd\": 0}]}").contains("more than 0"));
        assertTrue(refusal(p + "{\"period\": \"day\", \"limitUsd\": \"5\"}]}").contains("a number of USD"));
        assertTrue(refusal(p + "{\"period\": \"day\", \"limitUsd\": 0.0000000001}]}").contains("at most 9 decimals"));
        assertTrue(refusal(p + "{\"provider\": \"anthropic\", \"period\": \"day\", \"limitUsd\": 5}]}")
                .contains("budgets[0].provider: no provider \"anthropic\""));
        assertTrue(refusal(p + "{\"model\": \"gpt-5\", \"period\": \"day\", \"limitUsd\": 5}]}")
                .contains("no configured model \"gpt-5\""));
        assertTrue(refusal(p + "{\"period\": \"day\", \"limitUsd\": 5}, {\"period\": \"day\", \"limitUsd\": 9}]}")
                .contains("budgets[1]: a second budget for every provider/every model per day"));
        assertTrue(refusal(p + "{\"period\": \"day\", \"limitUsd\": 5, \"enforcement\": \"strict\"}]}")
                .contains("one of [hard, soft]"));
    }

    @Test
    void aModelWithNoPriceIsRefusedUnlessACeilingIsSetAndNeverCostsZero() throws Exception {
        String vllm = """
                {"id": "vllm", "kind": "openai-compatible", "baseUrl": "https://llm.internal.example/v1",
                 "keyEnv": "VLLM_KEY", "models": [{"name": "qwen3-32b", "contextTokens": 32768,
                 "maxOutputTokens": 8192}]}""";
        String m = refusalWithProvider(vllm);
        assertTrue(m.contains("providers[0].models[0] (\"qwen3-32b\"): no price: the shipped price table has no"
                + " OPENAI_COMPATIBLE model \"qwen3-32b\""), m);
        assertTrue(m.contains("\"price\"") && m.contains("\"priceAs\"") && m.contains("\"unknownModels\""), m);
        LlmConfig c = load("{\"providers\": [" + vllm + "], \"unknownModels\": {\"ceiling\": {\"inputPerMTok\": 15,"
                + " \"outputPerMTok\": 75}}}");
        assertEquals(PriceSource.Kind.CEILING, c.pricing().price("vllm", "qwen3-32b").source().kind());
        assertEquals(15 * NanoUsd.PER_USD, c.pricing().price("vllm", "qwen3-32b").price().base()
                .inputNanoUsdPerMTok());
        assertEquals(PriceSource.Kind.CEILING, c.pricing().price("vllm", "never-configured").source().kind());
        assertTrue(refusalWithProvider(OPENAI.replace("16384}", "16384, \"priceAs\": \"gpt-9\"}"))
                .contains("priceAs: the price table has no OPENAI model \"gpt-9\""));
        assertTrue(refusalWithProvider(OPENAI.replace("16384}", "16384, \"priceAs\": \"gpt-4o\", \"price\":"
                + " {\"inputPerMTok\": 1, \"outputPerMTok\": 1}}")).contains("either \"price\" or \"priceAs\""));
        assertTrue(refusalWithProvider(OPENAI.replace("16384}", "16384, \"price\": {\"inputPerMTok\": 1}}"))
                .contains("price.outputPerMTok (USD per million tokens) is required"));
        assertTrue(refusal("{\"providers\": [" + OPENAI + "], \"unknownModels\": \"free\"}")
                .contains("\"refuse\" (the default"));
        LlmConfig override = load("{\"providers\": [" + OPENAI.replace("16384}", "16384, \"price\": {\"inputPerMTok\":"
                + " 2.25, \"outputPerMTok\": 9}}") + "]}");
        assertEquals(2_250_000_000L, override.pricing().price("openai", "gpt-4o").price().base()
                .inputNanoUsdPerMTok(), "llm.json's price wins over the table");
    }

    @Test
    void baseUrlsAreRequiredWhereNeededAndNeverCarryCredentialsOrSendKeysInClear() throws Exception {
        String azure = "{\"id\": \"az\", \"kind\": \"azure-openai\", \"keyEnv\": \"K\", \"models\": [{\"name\":"
                + " \"d\", \"priceAs\": \"gpt-4o\", \"contextTokens\": 100, \"maxOutputTokens\": 10}]}";
        assertTrue(refusalWithProvider(azure).contains("(azure-openai) needs a baseUrl"));
        String url = "\"baseUrl\": \"%s\", \"models\"";
        assertTrue(refusalWithProvider(OPENAI.replace("\"models\"", url.formatted("https://u:sekrit@h.example/v1")))
                .matches("(?s).*must not carry a user name or password.*"));
        assertFalse(refusalWithProvider(OPENAI.replace("\"models\"", url.formatted("https://u:sekrit@h.example/v1")))
                .contains("sekrit"));
        assertTrue(refusalWithProvider(OPENAI.replace("\"models\"", url.formatted("https://h.example/v1?api-key=zz")))
                .contains("must not carry a key in its query"));
        assertTrue(refusalWithProvider(OPENAI.replace("\"models\"", url.formatted("http://h.example/v1")))
                .contains("http:// would send the key unencrypted to h.example"));
        assertTrue(refusalWithProvider(OPENAI.replace("\"models\"", url.formatted("ftp://h.example/v1")))
                .contains("must be an http(s) URL"));
        assertEquals(Optional.of(URI.create("http://localhost:8080/v1")), load("{\"providers\": [" + OPENAI.replace(
                "\"models\"", url.formatted("http://localhost:8080/v1")) + "]}").providers().get(0).baseUrl(),
                "loopback http is fine: the fake provider of the tests, a local proxy");
    }

    @Test
    void azuresApiVersionIsItsOwnSettingNeverAQueryAndOnlyForAzure() throws Exception {
        String deployment = "{\"id\": \"az\", \"kind\": \"azure-openai\", \"keyEnv\": \"K\","
                + " \"baseUrl\": \"https://acme.openai.azure.com/openai/deployments/prod-4o\", %s"
                + " \"models\": [{\"name\": \"prod-4o\", \"priceAs\": \"gpt-4o\", \"contextTokens\": 100,"
                + " \"maxOutputTokens\": 10}]}";
        ProviderConfig az = load("{\"providers\": [" + deployment.formatted("\"apiVersion\": \"2024-10-21\",")
                + "]}").providers().get(0);
        assertEquals(Optional.of("2024-10-21"), az.azureApiVersion());
        assertEquals(URI.create("https://acme.openai.azure.com/openai/deployments/prod-4o"), az.endpointUrl());
        assertEquals(Optional.empty(), load("{\"providers\": [" + deployment.formatted("") + "]}").providers().get(0)
                .azureApiVersion(), "Azure's v1 URL takes none");
        assertTrue(refusalWithProvider(OPENAI.replace("\"models\"", "\"apiVersion\": \"2024-10-21\", \"models\""))
                .contains("apiVersion is an azure-openai setting"));
        assertTrue(refusalWithProvider(OPENAI.replace("\"models\"",
                "\"baseUrl\": \"https://h.example/v1?api-version=1\", \"models\"")).contains("without a ?query"));
        assertEquals(URI.create("https://api.openai.com/v1"), load("{\"providers\": [" + OPENAI + "]}").providers()
                .get(0).endpointUrl(), "the kind's public endpoint when no baseUrl is given");
    }

    @Test
    void aMissingOrBrokenFileIsNamed() throws Exception {
        String missing = assertThrows(IllegalArgumentException.class,
                () -> LlmConfig.load(dir.resolve("nope.json"), TABLE)).getMessage();
        assertTrue(missing.contains("does not exist"), missing);
        assertTrue(refusal("{\"providers\": [], \"providers\": []}").contains("not valid JSON"),
                "a duplicated key is refused, not last-wins");
        assertTrue(LlmConfig.none().providers().isEmpty());
        assertTrue(LlmConfig.none().describeSource().contains("--llm-config"));
    }
}
