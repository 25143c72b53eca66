package io.agentmesh.node.consensus;

import io.agentmesh.protocol.identity.NodeId;
import io.microraft.RaftEndpoint;
import io.microraft.model.message.RaftMessage;
import io.microraft.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Predicate;

/**
 * MicroRaft's transport over the mesh: encodes each message with {@link RaftCodec} and hands the bytes to {@code
 * sender}, which the node core turns into {@code network.send(peer, new WireMessage.Consensus(bytes))}.
 *
 * <p>Never blocks and never throws (MicroRaft's contract): an unencodable message or a failing sender is logged and
 * dropped; Raft retransmits. {@code isReachable} (connected peers) only decides which followers may serve snapshot
 * chunks; it plays no part in elections.
 */
public final class MeshTransport implements Transport {
    private static final Logger log = LoggerFactory.getLogger(MeshTransport.class);

    private final RaftCodec codec;
    private final BiConsumer<NodeId, byte[]> sender;
    private final Predicate<NodeId> reachable;
    // Endpoint text -> parsed id; parsing a Bech32m id on every send would be wasted work. Lookups only.
    private final Map<String, NodeId> ids = new HashMap<>();
    private long sendFailures;

    public MeshTransport(RaftCodec codec, BiConsumer<NodeId, byte[]> sender, Predicate<NodeId> reachable) {
        this.codec = codec;
        this.sender = sender;
        this.reachable = reachable;
    }

    /** Registers the node id behind an endpoint text (so endpoints need not be parseable node ids, e.g. in tests). */
    public void register(NodeId node) {
        ids.put(node.toString(), node);
    }

    @Override
    public void send(RaftEndpoint target, RaftMessage message) {
        try {
            NodeId peer = nodeId(target);
            sender.accept(peer, codec.encodeMessage(message));
        } catch (RuntimeException e) {
            if (sendFailures++ == 0 || log.isDebugEnabled()) {
                log.warn("dropped a consensus message to {} ({}): {}", target, message.getClass().getSimpleName(),
                        e.toString());
            }
        }
    }

    @Override
    public boolean isReachable(RaftEndpoint endpoint) {
        try {
            return reachable.test(nodeId(endpoint));
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Messages dropped because they could not be encoded or handed over. */
    public long sendFailures() {
        return sendFailures;
    }

    private NodeId nodeId(RaftEndpoint endpoint) {
        String text = (String) endpoint.getId();
        NodeId id = ids.get(text);
        if (id == null) {
            id = NodeId.parse(text);
            ids.put(text, id);
        }
        return id;
    }
}
