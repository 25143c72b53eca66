package io.agentmesh.node.runtime;

import io.agentmesh.node.actions.exec.ExecCommands;
import io.agentmesh.node.agent.AgentSettings;
import io.agentmesh.node.llm.config.LlmConfig;
import io.agentmesh.protocol.identity.NodeId;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Everything a node process needs to start, gathered by the CLI from flags, environment and config file.
 *
 * @param listen           where the mesh transport listens
 * @param advertise        the address peers should dial (defaults to {@code listen})
 * @param http             where the HTTP API listens (loopback by default)
 * @param peers            peers known at start
 * @param relays           relays to register with and discover peers through (may be empty)
 * @param snapshotEveryChanges a snapshot is written after this many changes, so a restart replays at most that many
 * @param faultInjection   enables the fault-injection admin endpoints (live simulator only)
 * @param agent            the agent's workspace and command this node hosts ({@link AgentSettings#none()} for none)
 * @param exec             the commands intents of kind {@code exec} may run on this node, from its own config file
 *                         ({@link ExecCommands#none()} for none)
 * @param llm              the LLM gateway's providers, from this node's own llm.json ({@link LlmConfig#none()} for
 *                         none: every call is refused with where the file goes)
 * @param backup           the backup targets, from this node's own backup.json (no targets for none)
 * @param wallet           the wallet, from this node's own wallet.json (empty for none: /v1/wallet answers 404)
 * @param relayPins        keys relays must present, by relay name ({@code host:port} as written in {@code relays});
 *                         a relay without one is trusted on first use and recorded in the state directory
 */
public record NodeSettings(Path identityDir, Path stateDir, Optional<char[]> passphrase, InetSocketAddress listen,
                           Optional<InetSocketAddress> advertise, InetSocketAddress http, List<PeerSpec> peers,
                           List<InetSocketAddress> relays, long snapshotEveryChanges, boolean faultInjection,
                           AgentSettings agent, ExecCommands exec, LlmConfig llm,
                           io.agentmesh.node.backup.target.BackupConfig backup,
                           Optional<io.agentmesh.node.wallet.spend.WalletConfig> wallet,
                           java.util.Map<String, io.agentmesh.relay.tls.RelayFingerprint> relayPins,
                           int maxWritesPerChange) {
    /** Writes that share one change at most when the node is not told otherwise ({@code --max-writes-per-change}). */
    public static final int DEFAULT_MAX_WRITES_PER_CHANGE =
            io.agentmesh.node.replication.WriteBatching.DEFAULT.maxWritesPerBatch();

    /** Settings with the default batching of local writes. */
    public NodeSettings(Path identityDir, Path stateDir, Optional<char[]> passphrase, InetSocketAddress listen,
                        Optional<InetSocketAddress> advertise, InetSocketAddress http, List<PeerSpec> peers,
                        List<InetSocketAddress> relays, long snapshotEveryChanges, boolean faultInjection,
                        AgentSettings agent, ExecCommands exec, LlmConfig llm,
                        io.agentmesh.node.backup.target.BackupConfig backup,
                        Optional<io.agentmesh.node.wallet.spend.WalletConfig> wallet,
                        java.util.Map<String, io.agentmesh.relay.tls.RelayFingerprint> relayPins) {
        this(identityDir, stateDir, passphrase, listen, advertise, http, peers, relays, snapshotEveryChanges,
                faultInjection, agent, exec, llm, backup, wallet, relayPins, DEFAULT_MAX_WRITES_PER_CHANGE);
    }

    /** Settings whose relays are all trusted on first use. */
    public NodeSettings(Path identityDir, Path stateDir, Optional<char[]> passphrase, InetSocketAddress listen,
                        Optional<InetSocketAddress> advertise, InetSocketAddress http, List<PeerSpec> peers,
                        List<InetSocketAddress> relays, long snapshotEveryChanges, boolean faultInjection,
                        AgentSettings agent, ExecCommands exec, LlmConfig llm,
                        io.agentmesh.node.backup.target.BackupConfig backup,
                        Optional<io.agentmesh.node.wallet.spend.WalletConfig> wallet) {
        this(identityDir, stateDir, passphrase, listen, advertise, http, peers, relays, snapshotEveryChanges,
                faultInjection, agent, exec, llm, backup, wallet, java.util.Map.of());
    }

    public NodeSettings {
        java.util.Objects.requireNonNull(wallet, "wallet (Optional.empty() for none)");
        relayPins = java.util.Map.copyOf(relayPins);
        java.util.Objects.requireNonNull(backup, "backup (no targets for none)");
        java.util.Objects.requireNonNull(llm, "llm (LlmConfig.none() for no LLM providers)");
        java.util.Objects.requireNonNull(agent, "agent (AgentSettings.none() for no agent)");
        java.util.Objects.requireNonNull(exec, "exec (ExecCommands.none() for no exec commands)");
        peers = List.copyOf(peers);
        relays = List.copyOf(relays);
        if (snapshotEveryChanges < 1) {
            throw new IllegalArgumentException("snapshotEveryChanges must be positive");
        }
        io.agentmesh.node.replication.WriteBatching.writesPerChange(maxWritesPerChange); // checks the range
    }

    /** Settings without a wallet. */
    public NodeSettings(Path identityDir, Path stateDir, Optional<char[]> passphrase, InetSocketAddress listen,
                        Optional<InetSocketAddress> advertise, InetSocketAddress http, List<PeerSpec> peers,
                        List<InetSocketAddress> relays, long snapshotEveryChanges, boolean faultInjection,
                        AgentSettings agent, ExecCommands exec, LlmConfig llm,
                        io.agentmesh.node.backup.target.BackupConfig backup) {
        this(identityDir, stateDir, passphrase, listen, advertise, http, peers, relays, snapshotEveryChanges,
                faultInjection, agent, exec, llm, backup, Optional.empty());
    }

    /** Settings without backup targets. */
    public NodeSettings(Path identityDir, Path stateDir, Optional<char[]> passphrase, InetSocketAddress listen,
                        Optional<InetSocketAddress> advertise, InetSocketAddress http, List<PeerSpec> peers,
                        List<InetSocketAddress> relays, long snapshotEveryChanges, boolean faultInjection,
                        AgentSettings agent, ExecCommands exec, LlmConfig llm) {
        this(identityDir, stateDir, passphrase, listen, advertise, http, peers, relays, snapshotEveryChanges,
                faultInjection, agent, exec, llm, new io.agentmesh.node.backup.target.BackupConfig(List.of()));
    }

    /** Settings without LLM providers. */
    public NodeSettings(Path identityDir, Path stateDir, Optional<char[]> passphrase, InetSocketAddress listen,
                        Optional<InetSocketAddress> advertise, InetSocketAddress http, List<PeerSpec> peers,
                        List<InetSocketAddress> relays, long snapshotEveryChanges, boolean faultInjection,
                        AgentSettings agent, ExecCommands exec) {
        this(identityDir, stateDir, passphrase, listen, advertise, http, peers, relays, snapshotEveryChanges,
                faultInjection, agent, exec, LlmConfig.none());
    }

    /** Settings without exec commands (tests, benchmarks, `agentmesh up`). */
    public NodeSettings(Path identityDir, Path stateDir, Optional<char[]> passphrase, InetSocketAddress listen,
                        Optional<InetSocketAddress> advertise, InetSocketAddress http, List<PeerSpec> peers,
                        List<InetSocketAddress> relays, long snapshotEveryChanges, boolean faultInjection,
                        AgentSettings agent) {
        this(identityDir, stateDir, passphrase, listen, advertise, http, peers, relays, snapshotEveryChanges,
                faultInjection, agent, ExecCommands.none());
    }

    /** These settings with at most {@code n} local writes in one change (1: a change per write). */
    public NodeSettings withMaxWritesPerChange(int n) {
        return new NodeSettings(identityDir, stateDir, passphrase, listen, advertise, http, peers, relays,
                snapshotEveryChanges, faultInjection, agent, exec, llm, backup, wallet, relayPins, n);
    }

    /** A peer given as {@code <node-id>@host:port}. */
    public record PeerSpec(NodeId node, InetSocketAddress address) {
        public static PeerSpec parse(String text) {
            int at = text.indexOf('@');
            int colon = text.lastIndexOf(':');
            if (at <= 0 || colon < at + 2 || colon == text.length() - 1) {
                throw new IllegalArgumentException("a peer is written <node-id>@host:port, got '" + text + "'");
            }
            NodeId node = NodeId.parse(text.substring(0, at));
            String host = text.substring(at + 1, colon);
            int port;
            try {
                port = Integer.parseInt(text.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("peer port in '" + text + "' is not a number");
            }
            if (port < 1 || port > 65_535) {
                throw new IllegalArgumentException("peer port in '" + text + "' must be 1..65535");
            }
            return new PeerSpec(node, InetSocketAddress.createUnresolved(host, port));
        }

        @Override
        public String toString() {
            return node + "@" + address.getHostString() + ":" + address.getPort();
        }
    }

    public static InetSocketAddress parseHostPort(String text, String what) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new IllegalArgumentException(what + " is written host:port, got '" + text + "'");
        }
        try {
            int port = Integer.parseInt(text.substring(colon + 1));
            if (port < 0 || port > 65_535) {
                throw new IllegalArgumentException(what + " port must be 0..65535, got " + port);
            }
            return new InetSocketAddress(text.substring(0, colon), port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " port in '" + text + "' is not a number");
        }
    }
}
