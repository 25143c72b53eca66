package io.agentmesh.node.llm.cost;

import java.util.Objects;

/**
 * The price one configured model is charged at.
 *
 * @param providerId the provider as llm.json names it
 * @param model      the model name sent to the provider
 * @param price      its rates
 * @param source     where the rates came from
 */
public record ModelPrice(String providerId, String model, Price price, PriceSource source) {
    public ModelPrice {
        Objects.requireNonNull(providerId, "providerId");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(price, "price");
        Objects.requireNonNull(source, "source");
    }
}
