package io.agentmesh.node.llm.cost;

import java.util.Objects;

/**
 * Where a model's price came from, carried on every charge so a ledger line says what it was computed from.
 *
 * @param kind        the shipped table, the node's llm.json, or the ceiling for models with no known price
 * @param description for people: the table entry's source URL and check date, or the config file
 */
public record PriceSource(Kind kind, String description) {
    public enum Kind {
        /** The price table shipped in the node (llm-prices.json). */
        TABLE,
        /** A price written for this model in llm.json. */
        OVERRIDE,
        /** llm.json's ceiling price for models the table does not know: an upper bound, never $0. */
        CEILING
    }

    public PriceSource {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(description, "description");
    }
}
