package io.agentmesh.node.llm.cost;

import io.agentmesh.node.llm.Usage;

import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The price of every model this node is configured to call, resolved once at start (llm.json's override, else the
 * shipped table, else the ceiling), so a missing price is a start-up error and never a $0 charge later.
 */
public final class Pricing {
    private final Map<String, Map<String, ModelPrice>> byProvider;
    private final Optional<Price> ceiling;

    private Pricing(Map<String, Map<String, ModelPrice>> byProvider, Optional<Price> ceiling) {
        this.byProvider = byProvider;
        this.ceiling = ceiling;
    }

    /**
     * @param prices  one per configured (provider, model)
     * @param ceiling the price of a model asked for that is not among them, or empty to refuse such a model
     */
    public static Pricing of(Collection<ModelPrice> prices, Optional<Price> ceiling) {
        Objects.requireNonNull(ceiling, "ceiling");
        Map<String, Map<String, ModelPrice>> byProvider = new TreeMap<>();
        for (ModelPrice p : prices) {
            ModelPrice before = byProvider.computeIfAbsent(p.providerId(), k -> new TreeMap<>()).put(p.model(), p);
            if (before != null) {
                throw new IllegalArgumentException("model " + p.providerId() + "/" + p.model() + " priced twice");
            }
        }
        byProvider.replaceAll((k, v) -> Collections.unmodifiableMap(v));
        return new Pricing(Collections.unmodifiableMap(byProvider), ceiling);
    }

    /** The price of a model; the ceiling for one not configured; UnpricedModelException without a ceiling. */
    public ModelPrice price(String providerId, String model) {
        ModelPrice p = byProvider.getOrDefault(providerId, Map.of()).get(model);
        if (p != null) {
            return p;
        }
        return ceiling.map(c -> new ModelPrice(providerId, model, c, new PriceSource(PriceSource.Kind.CEILING,
                        "llm.json unknownModels ceiling (" + providerId + "/" + model + " has no price)")))
                .orElseThrow(() -> new UnpricedModelException("no price for " + providerId + "/" + model
                        + ": it is not configured in llm.json and no \"unknownModels\" ceiling is set"));
    }

    /** What an attempt at {@code providerId}/{@code model} with this usage cost. */
    public Charge cost(String providerId, String model, Usage usage) {
        return Cost.of(price(providerId, model), usage);
    }

    /** The most an attempt can cost; see {@link Cost#worstCase}. */
    public Charge worstCase(String providerId, String model, long estimatedInputTokens, long maxOutputTokens) {
        return Cost.worstCase(price(providerId, model), estimatedInputTokens, maxOutputTokens);
    }

    /** Every configured model's price, by provider and model. */
    public Map<String, Map<String, ModelPrice>> prices() {
        return byProvider;
    }
}
