/**
 * The wallet's replicated half (issue 14, docs/wallet.md): the spend protocol as operations of the Raft state machine.
 *
 * <p>{@link io.agentmesh.node.wallet.ledger.WalletOp} is the protocol (claim, approve or reject or expire, prepare
 * each signed variant, included or reorged, complete; freeze, policy, chain binding) and its javadoc is the
 * specification; {@link io.agentmesh.node.wallet.ledger.WalletResult} is what applying one gave.
 * {@link io.agentmesh.node.wallet.ledger.WalletPolicy} is the policy the ledger enforces;
 * {@link io.agentmesh.node.wallet.ledger.Spend} (with its {@link io.agentmesh.node.wallet.ledger.Variant}s) and
 * {@link io.agentmesh.node.wallet.ledger.WalletStatus} are what {@link io.agentmesh.node.wallet.ledger.WalletView}
 * shows. The leader submits operations with {@code ConsensusNode.submitWallet(WalletOp)}, which completes on the node
 * thread with the {@code WalletResult} once the entry commits; every member reads the committed state with
 * {@code ConsensusNode.wallet()}.
 *
 * <p>Nothing here holds a key, reads a clock or talks to a chain: keys, signing and the chain client are node-local
 * (the chain half of the wallet); the ledger sees only signed bytes, their hashes and what the leader observed.
 */
package io.agentmesh.node.wallet.ledger;
