package io.agentmesh.sim.world;

import io.agentmesh.node.consensus.Voters;
import io.agentmesh.node.port.LocalIdentity;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.protocol.identity.SigningKey;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * The agent and its nodes for a simulated run, all derived from the seed: the agent root key, each node's key, and a
 * certificate per node (the first seven voters, the rest learners; with a witness, the last node is one) valid from
 * a year before the run's epoch to ten years after, so clock skew never makes one invalid.
 */
public final class SimIdentities {
    public static final int PORT = 7400;
    private static final long YEAR_MS = 365L * 24 * 3_600_000;

    /** One simulated node: name ("n1"), identity and the address peers dial. */
    public record Member(int index, String name, LocalIdentity identity, InetSocketAddress address) {
        public String host() {
            return address.getHostString();
        }
    }

    private SimIdentities() {
    }

    public static List<Member> create(long seed, int nodes, long epochMillis) {
        return create(seed, nodes, epochMillis, false);
    }

    /** @param witness the last node (by index) is enrolled as a witness instead of a voter */
    public static List<Member> create(long seed, int nodes, long epochMillis, boolean witness) {
        SigningKey root = root(seed);
        List<Member> out = new ArrayList<>(nodes);
        for (int i = 0; i < nodes; i++) {
            SigningKey key = SigningKey.fromSeed(seedBytes("agentmesh-sim/node/" + seed + "/" + i));
            Role role = witness && i == nodes - 1 ? Role.WITNESS : i < Voters.MAX ? Role.VOTER : Role.LEARNER;
            NodeCertificate cert = NodeCertificate.issue(root, key.verifyingKey(), role, epochMillis - YEAR_MS,
                    epochMillis + 10 * YEAR_MS);
            LocalIdentity identity = new LocalIdentity(root.verifyingKey(), key, cert, 1);
            String name = "n" + (i + 1);
            out.add(new Member(i, name, identity, InetSocketAddress.createUnresolved(name + ".sim", PORT)));
        }
        return out;
    }

    /**
     * {@code member}'s identity with a voter certificate for the same key and validity, as if its operator had
     * enrolled it again as a voter: the planted bug {@code witness-campaigns} runs the witness's process with it.
     */
    public static LocalIdentity asVoter(long seed, Member member) {
        NodeCertificate own = member.identity().certificate();
        NodeCertificate voter = NodeCertificate.issue(root(seed), own.nodeKey(), Role.VOTER, own.notBefore(),
                own.notAfter(), own.issuedAt());
        return new LocalIdentity(member.identity().agentRoot(), member.identity().nodeKey(), voter,
                member.identity().incarnation());
    }

    private static SigningKey root(long seed) {
        return SigningKey.fromSeed(seedBytes("agentmesh-sim/agent-root/" + seed));
    }

    private static byte[] seedBytes(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
