package io.agentmesh.node.core;

import io.agentmesh.node.membership.Backoff;
import io.agentmesh.node.replication.MajorityConfig;
import io.agentmesh.node.replication.ReplicationConfig;
import io.agentmesh.node.replication.WriteBatching;

import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Optional;

/**
 * Timing and limits of the node core.
 *
 * @param advertisedAddress where peers can dial this node, told to them with its certificate (empty: not dialable)
 * @param heartbeatIntervalMs how often each connected peer is sent a heartbeat
 * @param suspectAfterMs      a peer silent this long is disconnected (then redialed with backoff)
 * @param redial              backoff between dial attempts to the same peer
 * @param replication         replication knobs
 * @param snapshots           when the core saves its document as a snapshot
 * @param majority            bounds of majority-durable writes and catch-up from a majority
 * @param writes              how local writes share changes ({@link WriteBatching})
 */
public record CoreConfig(Optional<InetSocketAddress> advertisedAddress, long heartbeatIntervalMs, long suspectAfterMs,
                         Backoff redial, ReplicationConfig replication, SnapshotPolicy snapshots,
                         MajorityConfig majority, WriteBatching writes) {
    /** What {@code agentmesh node run} uses when not told otherwise: a snapshot every 20,000 own writes. */
    public static final SnapshotPolicy DEFAULT_SNAPSHOTS = SnapshotPolicy.every(20_000);

    public static CoreConfig defaults(Optional<InetSocketAddress> advertisedAddress) {
        return new CoreConfig(advertisedAddress, 200, 2_000, new Backoff(100, 5_000), ReplicationConfig.DEFAULTS,
                DEFAULT_SNAPSHOTS, MajorityConfig.DEFAULTS, WriteBatching.DEFAULT);
    }

    public CoreConfig {
        if (heartbeatIntervalMs < 1 || suspectAfterMs <= heartbeatIntervalMs) {
            throw new IllegalArgumentException("need 1 <= heartbeatIntervalMs < suspectAfterMs");
        }
        Objects.requireNonNull(snapshots, "snapshots");
        Objects.requireNonNull(majority, "majority");
        Objects.requireNonNull(writes, "writes");
    }

    public CoreConfig withReplication(ReplicationConfig r) {
        return new CoreConfig(advertisedAddress, heartbeatIntervalMs, suspectAfterMs, redial, r, snapshots, majority, writes);
    }

    public CoreConfig withSnapshots(SnapshotPolicy policy) {
        return new CoreConfig(advertisedAddress, heartbeatIntervalMs, suspectAfterMs, redial, replication, policy,
                majority, writes);
    }

    public CoreConfig withMajority(MajorityConfig m) {
        return new CoreConfig(advertisedAddress, heartbeatIntervalMs, suspectAfterMs, redial, replication, snapshots,
                m, writes);
    }

    public CoreConfig withWrites(WriteBatching w) {
        return new CoreConfig(advertisedAddress, heartbeatIntervalMs, suspectAfterMs, redial, replication, snapshots,
                majority, w);
    }
}
