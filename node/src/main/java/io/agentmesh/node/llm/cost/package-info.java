/**
 * LLM costs (docs/llm.md, "Costs and prices"): the price table shipped as {@code llm-prices.json}, each entry with its
 * source and check date; and {@link io.agentmesh.node.llm.cost.Cost}, the exact integer arithmetic of an
 * attempt's cost (from usage the provider layer normalised, so cached tokens count once) and of the worst case the journal reserves before sending one. Money is nano-USD in a {@code long};
 * an unknown model is refused or priced at a configured ceiling, never at $0. Pure: no clock, no IO but the table.
 */
package io.agentmesh.node.llm.cost;
