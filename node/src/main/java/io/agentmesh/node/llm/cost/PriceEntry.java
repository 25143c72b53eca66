package io.agentmesh.node.llm.cost;

import io.agentmesh.node.llm.ProviderKind;

import java.net.URI;
import java.time.LocalDate;
import java.util.List;
import java.util.Objects;

/**
 * One model's price in the shipped table.
 *
 * @param kind      the provider kind whose API sells the model at this price
 * @param model     the model name as that API takes it
 * @param aliases   other names of the same model at the same price (older names, snapshots)
 * @param price     its rates
 * @param source    where the figures were taken from
 * @param checkedAt when the source's figures were last checked against the provider's own pricing page
 */
public record PriceEntry(ProviderKind kind, String model, List<String> aliases, Price price, URI source,
                         LocalDate checkedAt) {
    public PriceEntry {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(model, "model");
        aliases = List.copyOf(aliases);
        Objects.requireNonNull(price, "price");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(checkedAt, "checkedAt");
    }

    /** How a charge cites this entry. */
    public PriceSource asSource() {
        return new PriceSource(PriceSource.Kind.TABLE, "price table entry " + kind + " " + model + " (source "
                + source + ", checked " + checkedAt + ")");
    }
}
