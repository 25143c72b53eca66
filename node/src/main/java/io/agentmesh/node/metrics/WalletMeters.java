package io.agentmesh.node.metrics;

import io.agentmesh.node.wallet.spend.SpendDriver;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.function.ToDoubleFunction;

/**
 * The wallet driver's meters (docs/wallet.md), read from its thread-safe counters and status at each scrape:
 * <pre>
 * agentmesh_wallet_variants_prepared_total   first variants committed by this node's driver
 * agentmesh_wallet_bumps_total               fee-bump variants committed
 * agentmesh_wallet_broadcasts_total          sends of committed bytes (rebroadcasts included)
 * agentmesh_wallet_spends_completed_total    completions committed
 * agentmesh_wallet_reorgs_total              included spends whose receipt vanished
 * agentmesh_wallet_freezes_total             freezes proposed (foreign key use, chain mismatch, bad receipt)
 * agentmesh_wallet_chain_errors_total        chain requests that ended a round or an observation early
 * agentmesh_wallet_driver_leading            1 while this node drives spends
 * agentmesh_wallet_driver_holds_key          1 when this node can sign
 * agentmesh_wallet_driver_reconciled         1 once this leader reconciled every prepared spend in its term
 * </pre>
 */
public final class WalletMeters {
    public WalletMeters(MeterRegistry registry, SpendDriver driver) {
        counter(registry, driver, "agentmesh.wallet.variants.prepared", "first signed variants committed",
                d -> d.counts().prepared());
        counter(registry, driver, "agentmesh.wallet.bumps", "fee-bump variants committed", d -> d.counts().bumps());
        counter(registry, driver, "agentmesh.wallet.broadcasts", "sends of committed transaction bytes",
                d -> d.counts().broadcasts());
        counter(registry, driver, "agentmesh.wallet.spends.completed", "spends completed by this node's driver",
                d -> d.counts().completed());
        counter(registry, driver, "agentmesh.wallet.reorgs", "included spends whose receipt a reorg removed",
                d -> d.counts().reorgs());
        counter(registry, driver, "agentmesh.wallet.freezes", "freezes proposed by this node's driver",
                d -> d.counts().freezes());
        counter(registry, driver, "agentmesh.wallet.chain.errors", "chain requests that ended a round early",
                d -> d.counts().chainErrors());
        Gauge.builder("agentmesh.wallet.driver.leading", driver, d -> d.status().leading() ? 1 : 0)
                .description("1 while this node's wallet driver drives spends (it leads)").register(registry);
        Gauge.builder("agentmesh.wallet.driver.holds.key", driver, d -> d.holdsKey() ? 1 : 0)
                .description("1 when this node holds the wallet key").register(registry);
        Gauge.builder("agentmesh.wallet.driver.reconciled", driver, d -> d.status().reconciled() ? 1 : 0)
                .description("1 once this leader reconciled every prepared spend in its term").register(registry);
    }

    private static void counter(MeterRegistry registry, SpendDriver driver, String name, String description,
                                ToDoubleFunction<SpendDriver> value) {
        FunctionCounter.builder(name, driver, value).description(description).register(registry);
    }
}
