package io.agentmesh.node.llm.cost;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentmesh.node.configfile.StrictJson;

import java.math.BigDecimal;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * The one JSON shape of a price, shared by the shipped table and llm.json's per-model overrides: USD per million
 * tokens as exact decimal numbers.
 * <pre>
 * {"inputPerMTok": 3, "cachedInputPerMTok": 0.30, "cacheWritePerMTok": 3.75, "outputPerMTok": 15,
 *  "longContext": {"aboveInputTokens": 200000, "inputPerMTok": 6, "outputPerMTok": 22.50, ...}}
 * </pre>
 * Only {@code inputPerMTok} and {@code outputPerMTok} are required. A missing cached-input or cache-write price is
 * the input price (no discount assumed: never under-counts); a missing reasoning price is the output price.
 */
public final class PriceJson {
    public static final Set<String> RATE_KEYS = Set.of("inputPerMTok", "cachedInputPerMTok", "cacheWritePerMTok",
            "outputPerMTok", "reasoningPerMTok");
    private static final Set<String> TIER_KEYS = union(RATE_KEYS, Set.of("aboveInputTokens"));
    public static final Set<String> PRICE_KEYS = union(RATE_KEYS, Set.of("longContext"));

    private PriceJson() {
    }

    /**
     * Reads a price from {@code node}, which may also hold {@code otherKeys} (a table entry's model and source);
     * any other key is refused. {@code where} names the place for messages.
     */
    public static Price parse(JsonNode node, String where, Set<String> otherKeys) {
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException(where + " must be an object with at least \"inputPerMTok\" and"
                    + " \"outputPerMTok\" (USD per million tokens)");
        }
        StrictJson.refuseUnknownKeys(node, union(PRICE_KEYS, otherKeys), where);
        Rates base = rates(node, where);
        Optional<Price.LongContext> tier = Optional.empty();
        JsonNode lc = node.get("longContext");
        if (lc != null) {
            String tierWhere = where + ".longContext";
            if (!lc.isObject()) {
                throw new IllegalArgumentException(tierWhere + " must be an object {\"aboveInputTokens\": N, "
                        + "\"inputPerMTok\": ..., \"outputPerMTok\": ...}");
            }
            StrictJson.refuseUnknownKeys(lc, TIER_KEYS, tierWhere);
            JsonNode above = lc.get("aboveInputTokens");
            if (above == null || !above.isIntegralNumber() || !above.canConvertToLong() || above.asLong() < 1) {
                throw new IllegalArgumentException(tierWhere + ".aboveInputTokens (the input tokens above which"
                        + " every token pays the tier's rates) is required, a whole number of at least 1");
            }
            tier = Optional.of(new Price.LongContext(above.asLong(), rates(lc, tierWhere)));
        }
        try {
            return new Price(base, tier);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ".longContext: " + e.getMessage(), e);
        }
    }

    private static Rates rates(JsonNode node, String where) {
        long input = required(node, "inputPerMTok", where);
        long output = required(node, "outputPerMTok", where);
        long cached = optional(node, "cachedInputPerMTok", where, input);
        long cacheWrite = optional(node, "cacheWritePerMTok", where, input);
        long reasoning = optional(node, "reasoningPerMTok", where, output);
        return new Rates(input, cached, cacheWrite, output, reasoning);
    }

    private static long required(JsonNode node, String key, String where) {
        if (!node.has(key)) {
            throw new IllegalArgumentException(where + "." + key + " (USD per million tokens) is required");
        }
        return optional(node, key, where, 0);
    }

    private static long optional(JsonNode node, String key, String where, long fallback) {
        JsonNode v = node.get(key);
        if (v == null) {
            return fallback;
        }
        String allowed = " must be a number of USD per million tokens from 0 to 10000 with at most 9 decimals"
                + " (e.g. 2.5), got " + v;
        if (!v.isNumber()) {
            throw new IllegalArgumentException(where + "." + key + allowed);
        }
        BigDecimal usd = v.decimalValue();
        long nano;
        try {
            nano = NanoUsd.fromUsd(usd);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(where + "." + key + allowed);
        }
        if (nano < 0 || nano > Rates.MAX_NANO_USD_PER_MTOK) {
            throw new IllegalArgumentException(where + "." + key + allowed);
        }
        return nano;
    }

    static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> out = new HashSet<>(a);
        out.addAll(b);
        return Set.copyOf(out);
    }
}
