package io.agentmesh.node.consensus;

import io.agentmesh.node.port.VirtualScheduler;
import io.agentmesh.protocol.identity.NodeId;
import io.microraft.RaftEndpoint;
import io.microraft.model.RaftModelFactory;
import io.microraft.model.message.RaftMessage;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/**
 * One real consensus member on virtual time whose peers the test plays: it hands the member messages and reads what
 * the member sent. Nothing runs until the test advances {@link #thread}.
 */
final class HandDrivenMember implements AutoCloseable {
    static final RaftCodec CODEC = new RaftCodec();
    static final RaftModelFactory F = CODEC.modelFactory();
    static final String GROUP = "g";

    /** What the member sent, in order: to whom, what, when (virtual ms). */
    record Sent(NodeId to, RaftMessage message, long atMs) {
    }

    final VirtualScheduler thread = new VirtualScheduler();
    final List<Sent> sent = new ArrayList<>();
    final ConsensusNode node;
    private final RaftLogStore store;

    /** Starts {@code self} (100 ms heartbeats, 300 ms leader timeout, no election jitter) with a log in {@code dir}. */
    HandDrivenMember(NodeId self, List<NodeId> voters, Path dir) throws IOException {
        this(self, voters, dir, ConsensusConfig.defaults().withElectionJitterMs(0));
    }

    /** As above, with {@code config} in place of the defaults without jitter. */
    HandDrivenMember(NodeId self, List<NodeId> voters, Path dir, ConsensusConfig config) throws IOException {
        this(self, voters, dir, config, b -> b);
    }

    /** As above, with {@code more} applied to the builder last (enrollment, hooks, tuning). */
    HandDrivenMember(NodeId self, List<NodeId> voters, Path dir, ConsensusConfig config,
                     java.util.function.UnaryOperator<ConsensusNode.Builder> more) throws IOException {
        store = SqliteRaftStore.open(dir.resolve("raft.db"), CODEC);
        ConsensusNode.Builder builder = ConsensusNode.builder().self(self).founders(voters).enrolled(List::of)
                .groupId(GROUP).store(store)
                .scheduler(thread).clock(thread).random(new Random(7))
                .config(config)
                .send((to, bytes) -> {
                    if (CODEC.decodePayload(bytes) instanceof RaftMessage m) {
                        sent.add(new Sent(to, m, thread.nowMs()));
                    }
                })
                .reachable(to -> true).pendingIntents(List::of).outcomes((intent, outcome) -> { })
                .recordedOutcome(id -> Optional.empty())
                .onFatal(reason -> {
                    throw new AssertionError("fatal: " + reason);
                });
        node = more.apply(builder).build();
        node.start();
        // The other founders answer that they are in no group yet, with the same founding list: the member founds.
        List<RaftEndpoint> founders = voters.stream().map(v -> (RaftEndpoint) MeshEndpoint.of(v)).toList();
        for (NodeId other : voters) {
            if (!other.equals(self)) {
                node.handle(other, CODEC.encodeGroupMessage(new GroupMessage.Info(GROUP, MeshEndpoint.of(other),
                        founders, List.of(), List.of(), List.of(), 0)));
            }
        }
    }

    /** Hands the member {@code message} from {@code from} and lets it run for a millisecond. */
    void receive(NodeId from, RaftMessage message) {
        node.handle(from, CODEC.encodeMessage(message));
        thread.runFor(1);
    }

    void runFor(long ms) {
        thread.runFor(ms);
    }

    /** The last message of {@code type} the member sent, if any. */
    <T extends RaftMessage> Optional<T> last(Class<T> type) {
        for (int i = sent.size() - 1; i >= 0; i--) {
            if (type.isInstance(sent.get(i).message())) {
                return Optional.of(type.cast(sent.get(i).message()));
            }
        }
        return Optional.empty();
    }

    /** Messages of {@code type} the member sent after the first {@code from} of {@link #sent}. */
    <T extends RaftMessage> List<Sent> sentSince(int from, Class<T> type) {
        return sent.subList(from, sent.size()).stream().filter(s -> type.isInstance(s.message())).toList();
    }

    @Override
    public void close() throws IOException {
        store.close();
    }

    static RaftEndpoint ep(NodeId id) {
        return MeshEndpoint.of(id);
    }

    static NodeId id(int fill) {
        byte[] raw = new byte[NodeId.LENGTH];
        Arrays.fill(raw, (byte) fill);
        return new NodeId(raw);
    }

    static RaftMessage heartbeat(NodeId leader, int term) {
        return F.createAppendEntriesRequestBuilder().setGroupId(GROUP).setSender(ep(leader)).setTerm(term)
                .setPreviousLogIndex(0).setPreviousLogTerm(0).setCommitIndex(0).setLogEntries(List.of()).build();
    }

    static RaftMessage preVoteResponse(NodeId from, int term, boolean granted) {
        return F.createPreVoteResponseBuilder().setGroupId(GROUP).setSender(ep(from)).setTerm(term)
                .setGranted(granted).build();
    }

    static RaftMessage voteResponse(NodeId from, int term, boolean granted) {
        return F.createVoteResponseBuilder().setGroupId(GROUP).setSender(ep(from)).setTerm(term).setGranted(granted)
                .build();
    }

    static RaftMessage preVoteRequest(NodeId from, int term, int lastLogTerm, long lastLogIndex) {
        return F.createPreVoteRequestBuilder().setGroupId(GROUP).setSender(ep(from)).setTerm(term)
                .setLastLogTerm(lastLogTerm).setLastLogIndex(lastLogIndex).build();
    }

    static RaftMessage voteRequest(NodeId from, int term, int lastLogTerm, long lastLogIndex, boolean sticky) {
        return F.createVoteRequestBuilder().setGroupId(GROUP).setSender(ep(from)).setTerm(term)
                .setLastLogTerm(lastLogTerm).setLastLogIndex(lastLogIndex).setSticky(sticky).build();
    }
}
