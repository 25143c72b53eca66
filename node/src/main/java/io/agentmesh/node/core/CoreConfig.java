package io.agentmesh.node.core;

import io.agentmesh.node.membership.Backoff;
import io.agentmesh.node.replication.ReplicationConfig;

import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * Timing and limits of the node core.
 *
 * @param advertisedAddress where peers can dial this node, told to them with its certificate (empty: not dialable)
 * @param heartbeatIntervalMs how often each connected peer is sent a heartbeat
 * @param suspectAfterMs      a peer silent this long is disconnected (then redialed with backoff)
 * @param redial              backoff between dial attempts to the same peer
 * @param replication         replication knobs
 */
public record CoreConfig(Optional<InetSocketAddress> advertisedAddress, long heartbeatIntervalMs, long suspectAfterMs,
                         Backoff redial, ReplicationConfig replication) {
    public static CoreConfig defaults(Optional<InetSocketAddress> advertisedAddress) {
        return new CoreConfig(advertisedAddress, 200, 2_000, new Backoff(100, 5_000), ReplicationConfig.DEFAULTS);
    }

    public CoreConfig {
        if (heartbeatIntervalMs < 1 || suspectAfterMs <= heartbeatIntervalMs) {
            throw new IllegalArgumentException("need 1 <= heartbeatIntervalMs < suspectAfterMs");
        }
    }
}
