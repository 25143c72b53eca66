package io.agentmesh.sim.world;

import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.protocol.wire.WireMessage;

/** Short, deterministic descriptions of wire messages for the trace (never dependent on hash iteration order). */
public final class Messages {
    private Messages() {
    }

    public static String describe(WireMessage m) {
        return switch (m) {
            case WireMessage.Changes c -> changes(c);
            case WireMessage.Digest d -> {
                long total = 0;
                for (WireMessage.VectorEntry e : d.vector()) {
                    total += e.seq();
                }
                yield "Digest[" + d.vector().size() + " actors, " + total + (d.pull() ? ", pull" : "") + "]";
            }
            case WireMessage.Heartbeat h -> "Heartbeat";
            case WireMessage.HeartbeatAck a -> "HeartbeatAck";
            case WireMessage.Certificates c -> "Certificates[" + c.certificates().size() + " certs, "
                    + c.addresses().size() + " addrs]";
            case WireMessage.Consensus c -> "Consensus[" + c.payload().length + " bytes]";
            case WireMessage.Goodbye g -> "Goodbye[" + g.reason() + "]";
            case WireMessage.Hello h -> "Hello";
            case WireMessage.Revocations r -> "Revocations[" + r.revocations().size() + "]";
            case WireMessage.Durable d -> "Durable[" + d.query() + ", " + d.vector().size() + " actors]";
            case WireMessage.DurableQuery q -> "DurableQuery[" + q.query() + "]";
        };
    }

    private static String changes(WireMessage.Changes c) {
        StringBuilder b = new StringBuilder("Changes[").append(c.changes().size());
        int shown = 0;
        for (SignedChange s : c.changes()) {
            if (shown == 3) {
                b.append(" ...");
                break;
            }
            b.append(shown == 0 ? ": " : ", ").append(s.actor().hex(), 0, 8).append('/').append(s.seq());
            shown++;
        }
        if (c.more()) {
            b.append(" +more");
        }
        return b.append(']').toString();
    }
}
