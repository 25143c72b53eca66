package io.agentmesh.node.membership;

import io.agentmesh.node.port.Network;
import io.agentmesh.node.port.Scheduler;
import io.agentmesh.protocol.identity.NodeId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.TreeMap;
import java.util.random.RandomGenerator;

/**
 * Keeps a connection open to every member with a known address: dials when one is missing, and after a failure or a
 * lost connection retries with {@link Backoff}. Both ends of a pair may dial; the network keeps one connection.
 * Node thread only.
 */
public final class Dialer {
    private static final Logger log = LoggerFactory.getLogger(Dialer.class);

    private final Membership membership;
    private final Network network;
    private final Scheduler scheduler;
    private final RandomGenerator random;
    private final Backoff backoff;
    private final String selfName;
    private final Map<NodeId, PeerDial> peers = new TreeMap<>();

    private static final class PeerDial {
        int failures;
        boolean connected;
        boolean dialing;
        Scheduler.Cancellable retry;
    }

    public Dialer(Membership membership, Network network, Scheduler scheduler, RandomGenerator random, Backoff backoff) {
        this.membership = membership;
        this.network = network;
        this.scheduler = scheduler;
        this.random = random;
        this.backoff = backoff;
        this.selfName = membership.self().shortForm();
    }

    /** Dials every member with an address that is neither connected nor waiting for a retry. */
    public void dialMissing() {
        for (NodeId peer : membership.dialable()) {
            PeerDial d = peers.computeIfAbsent(peer, p -> new PeerDial());
            if (!d.connected && !d.dialing && d.retry == null) {
                dial(peer, d);
            }
        }
    }

    public void connected(NodeId peer) {
        PeerDial d = peers.computeIfAbsent(peer, p -> new PeerDial());
        d.connected = true;
        d.dialing = false;
        d.failures = 0;
        cancelRetry(d);
    }

    public void disconnected(NodeId peer, String reason) {
        PeerDial d = peers.computeIfAbsent(peer, p -> new PeerDial());
        d.connected = false;
        d.dialing = false;
        scheduleRetry(peer, d, reason);
    }

    public void dialFailed(NodeId peer, String reason) {
        PeerDial d = peers.computeIfAbsent(peer, p -> new PeerDial());
        d.dialing = false;
        if (!d.connected) {
            scheduleRetry(peer, d, reason);
        }
    }

    /** Consecutive failed attempts to reach {@code peer} since its last connection. */
    public int failures(NodeId peer) {
        PeerDial d = peers.get(peer);
        return d == null ? 0 : d.failures;
    }

    private void dial(NodeId peer, PeerDial d) {
        InetSocketAddress address = membership.address(peer).orElse(null);
        if (address == null) {
            return;
        }
        d.dialing = true;
        network.dial(peer, address);
    }

    private void scheduleRetry(NodeId peer, PeerDial d, String reason) {
        if (d.retry != null || membership.address(peer).isEmpty()) {
            return;
        }
        long delayMs = backoff.delayMs(d.failures, random);
        d.failures++;
        if (d.failures == 1 || d.failures % 10 == 0) {
            log.info("node {} will redial {} in {} ms (attempt {}): {}", selfName, peer.shortForm(), delayMs,
                    d.failures, reason);
        }
        d.retry = scheduler.schedule(() -> {
            d.retry = null;
            if (!d.connected && !d.dialing) {
                dial(peer, d);
            }
        }, delayMs);
    }

    private static void cancelRetry(PeerDial d) {
        if (d.retry != null) {
            d.retry.cancel();
            d.retry = null;
        }
    }
}
