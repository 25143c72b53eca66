package io.agentmesh.node.net;

import io.agentmesh.node.port.Network;
import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.wire.WireMessage;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records listener events and the thread each arrived on. */
final class RecordingListener implements Network.Listener {
    sealed interface Event {
    }

    record PeerUp(NodeId peer, byte[] certificate, long incarnation, boolean outbound) implements Event {
    }

    record PeerDown(NodeId peer, String reason) implements Event {
    }

    record DialFailed(NodeId peer, String reason) implements Event {
    }

    record Message(NodeId peer, WireMessage message) implements Event {
    }

    final List<Event> events = new CopyOnWriteArrayList<>();
    final List<String> threads = new CopyOnWriteArrayList<>();
    /** Also told about every event, after it is recorded (on the node thread). */
    volatile java.util.function.Consumer<Event> observer = e -> { };

    private void record(Event e) {
        threads.add(Thread.currentThread().getName());
        events.add(e);
        observer.accept(e);
    }

    @Override
    public void peerUp(NodeId peer, byte[] certificate, long incarnation, boolean outbound) {
        record(new PeerUp(peer, certificate, incarnation, outbound));
    }

    @Override
    public void peerDown(NodeId peer, String reason) {
        record(new PeerDown(peer, reason));
    }

    @Override
    public void dialFailed(NodeId peer, String reason) {
        record(new DialFailed(peer, reason));
    }

    @Override
    public void message(NodeId peer, WireMessage message) {
        record(new Message(peer, message));
    }

    <T extends Event> List<T> all(Class<T> type) {
        return events.stream().filter(type::isInstance).map(type::cast).toList();
    }

    List<WireMessage> messagesFrom(NodeId peer) {
        return all(Message.class).stream().filter(m -> m.peer().equals(peer)).map(Message::message).toList();
    }
}
