/**
 * The wallet's side of the chain (issue 14, docs/wallet.md "Keys and the chain"): everything that touches an EVM
 * chain or the wallet's private key, and nothing that decides anything.
 *
 * <ul>
 *   <li>{@link io.agentmesh.node.wallet.chain.ChainClient}: the port to one chain's JSON-RPC endpoint (the handful of
 *       methods the spend driver needs), its errors split into {@link io.agentmesh.node.wallet.chain.ChainException.Definite}
 *       (the request as sent can never succeed: a chain id mismatch, a method the node lacks) and
 *       {@link io.agentmesh.node.wallet.chain.ChainException.LookAgain} (the world may or may not have seen it:
 *       "nonce too low", "already known", "underpriced", timeouts, refused connections), which is never a failure;
 *       {@link io.agentmesh.node.wallet.chain.JsonRpcChainClient} implements it on the JDK's HttpClient.</li>
 *   <li>{@link io.agentmesh.node.wallet.chain.Keystore}: the node-local Web3 Secret Storage (V3, scrypt, AES-128-CTR)
 *       file, encrypted with the node passphrase; it never enters the replicated state, the journal, logs or
 *       backups.</li>
 *   <li>{@link io.agentmesh.node.wallet.chain.Signer}: raw EIP-1559 bytes and their hash from an unlocked key
 *       (RFC 6979: the same fields always give the same bytes).</li>
 * </ul>
 * Everything here blocks (HTTP, scrypt, disk): never on the node thread.
 */
package io.agentmesh.node.wallet.chain;
