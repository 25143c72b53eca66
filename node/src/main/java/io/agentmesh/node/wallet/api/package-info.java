/**
 * The wallet's surface (docs/wallet.md, "Using the wallet"): {@link io.agentmesh.node.wallet.api.WalletHttp} (the
 * {@code /v1/wallet} endpoints), {@link io.agentmesh.node.wallet.api.WalletIntentExecutor} (the {@code wallet} intent
 * kind), {@link io.agentmesh.node.wallet.api.SpendJson} (the one JSON shape of a spend: idempotency key, nonce, every
 * variant hash, the final hash and block). The MCP tools and the CLI call these endpoints.
 */
package io.agentmesh.node.wallet.api;
