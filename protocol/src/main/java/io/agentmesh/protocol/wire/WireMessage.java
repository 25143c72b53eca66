package io.agentmesh.protocol.wire;

import io.agentmesh.protocol.change.SignedChange;

import java.util.List;

/**
 * Everything nodes say to each other after the TLS handshake. Each message is one frame (see {@link WireCodec}).
 * Records validate their own fields, so a decoded message is always well formed; whether it is acceptable (signed,
 * enrolled, expected) is for the receiver to decide.
 */
public sealed interface WireMessage {

    /**
     * First message on a connection, both ways: the sender's node certificate and its node-key signature over both
     * TLS certificates of this session (each self-signed with its node's key, fresh per process), which binds the
     * proof to this very TLS session: a relay or a man in the middle cannot replay it on another. Java 21 has no
     * public TLS exporter API, hence certificates rather than the exporter value (docs/protocol.md).
     */
    record Hello(int protocolVersion, byte[] certificate, byte[] sessionProof, long incarnation)
            implements WireMessage {
        public Hello {
            requireBytes(certificate, "certificate", 4096);
            requireBytes(sessionProof, "sessionProof", 64);
        }
    }

    /** Liveness; the receiver echoes {@code sentNanos} back in a {@link HeartbeatAck} to measure round trips. */
    record Heartbeat(long sentNanos) implements WireMessage {
    }

    /**
     * The answer to a {@link Heartbeat}: its {@code sentNanos} echoed, and the answering node's wall clock when it
     * answered ({@code wallMillis}), from which the asking node estimates the clock offset between the two
     * ({@code agentmesh doctor}). {@code wallMillis} was added after version 1 first shipped: an ack without it decodes
     * with {@link #NO_WALL_TIME} (docs/protocol.md, "Adding a field").
     */
    record HeartbeatAck(long echoedNanos, long wallMillis) implements WireMessage {
        /** An ack from a node that does not send its wall clock: no offset estimate from it. */
        public static final long NO_WALL_TIME = 0;

        public HeartbeatAck {
            if (wallMillis < 0) {
                throw new IllegalArgumentException("wallMillis must not be negative, got " + wallMillis);
            }
        }
    }

    /**
     * The sender's version vector (actor -> highest contiguous seq). With {@code pull} the receiver answers with the
     * changes the sender lacks, in bounded batches (Scuttlebutt-style anti-entropy); without it the digest only
     * tells the receiver where the sender stands. A node pulls from one peer at a time.
     */
    record Digest(List<VectorEntry> vector, boolean pull) implements WireMessage {
        public Digest {
            if (vector.size() > MAX_ACTORS) {
                throw new IllegalArgumentException("a digest lists at most " + MAX_ACTORS + " actors");
            }
            vector = List.copyOf(vector);
        }
    }

    /**
     * Signed changes. {@code more} says the sender has further changes for the receiver's last digest, so the
     * receiver should ask again (with a fresh digest) after applying these.
     */
    record Changes(List<SignedChange> changes, boolean more) implements WireMessage {
        public Changes {
            if (changes.size() > MAX_CHANGES_PER_BATCH) {
                throw new IllegalArgumentException("a batch carries at most " + MAX_CHANGES_PER_BATCH + " changes");
            }
            changes = List.copyOf(changes);
        }
    }

    /** Node certificates the sender knows, so a newly enrolled node learns the membership from one peer. */
    record Certificates(List<byte[]> certificates, List<PeerAddress> addresses) implements WireMessage {
        public Certificates {
            if (certificates.size() > MAX_CERTIFICATES || addresses.size() > MAX_CERTIFICATES) {
                throw new IllegalArgumentException("at most " + MAX_CERTIFICATES + " certificates per message");
            }
            certificates.forEach(c -> requireBytes(c, "certificate", 4096));
            certificates = List.copyOf(certificates);
            addresses = List.copyOf(addresses);
        }
    }

    /**
     * Node revocations (each a {@code NodeRevocation} encoding, signed by the agent root) the sender holds. Sent on
     * every connection before anything else, and to every peer when the sender learns a new one, so a removed node
     * is refused mesh-wide within a round trip of any node learning it. A set that only grows: no message removes one.
     */
    record Revocations(List<byte[]> revocations) implements WireMessage {
        public Revocations {
            if (revocations.size() > MAX_REVOCATIONS) {
                throw new IllegalArgumentException("at most " + MAX_REVOCATIONS + " revocations per message");
            }
            revocations.forEach(r -> requireBytes(r, "revocation", MAX_REVOCATION_BYTES));
            revocations = List.copyOf(revocations);
        }
    }

    /** An opaque consensus message (MicroRaft), carried on the same authenticated connection. */
    record Consensus(byte[] payload) implements WireMessage {
        public Consensus {
            requireBytes(payload, "payload", WireCodec.MAX_FRAME_BYTES);
        }
    }

    /** The sender is closing the connection, and why. */
    record Goodbye(String reason) implements WireMessage {
        public Goodbye {
            if (reason == null || reason.length() > 512) {
                throw new IllegalArgumentException("goodbye reason must be 0..512 characters");
            }
        }
    }

    /**
     * What is durable at the sender, in answer to the receiver's {@link DurableQuery} numbered {@code query}: for each
     * actor, every seq up to the one given is committed (fsynced) in the sender's store, including every change the
     * receiver sent it before asking. A node that holds no agent state (a witness) answers with an empty vector.
     *
     * <p>{@code votersIndex} and {@code voters} are the sender's effective Raft voter configuration when it answered:
     * the log index of the membership entry that set it and its voting members' node ids ({@code voters} empty when
     * the sender is in no Raft group). The asker counts a majority over the newest configuration any answer reports,
     * not only over its own, which may be several membership changes behind (docs/protocol.md, "Majority-durable
     * writes and catch-up").
     */
    record Durable(long query, List<VectorEntry> vector, long votersIndex, List<String> voters)
            implements WireMessage {
        public Durable {
            if (query < 1) {
                throw new IllegalArgumentException("a durable query number is >= 1, got " + query);
            }
            if (vector.size() > MAX_ACTORS) {
                throw new IllegalArgumentException("a durable vector lists at most " + MAX_ACTORS + " actors");
            }
            if (votersIndex < 0) {
                throw new IllegalArgumentException("a voter configuration's log index is >= 0, got " + votersIndex);
            }
            if (voters.size() > MAX_VOTERS) {
                throw new IllegalArgumentException("a voter configuration lists at most " + MAX_VOTERS + " voters");
            }
            for (String voter : voters) {
                if (voter == null || voter.isEmpty() || voter.length() > 128) {
                    throw new IllegalArgumentException("a voter is a node id of 1..128 characters");
                }
            }
            vector = List.copyOf(vector);
            voters = List.copyOf(voters);
        }
    }

    /**
     * Asks the receiver for its whole durable vector; it answers with a {@link Durable} carrying the same {@code query}
     * number (at least 1) once every change it received before the question is durable. Sent by a majority-durable
     * write right after its push, and by catch-up from a majority (docs/protocol.md).
     */
    record DurableQuery(long query) implements WireMessage {
        public DurableQuery {
            if (query < 1) {
                throw new IllegalArgumentException("a durable query number is >= 1, got " + query);
            }
        }
    }

    record VectorEntry(byte[] actor, long seq) {
        public VectorEntry {
            requireBytes(actor, "actor", 16);
            if (actor.length != 16 || seq < 0) {
                throw new IllegalArgumentException("a vector entry is a 16-byte actor and a seq >= 0");
            }
        }
    }

    /** Where a node listens: its node id text and host:port. */
    record PeerAddress(String nodeId, String host, int port) {
        public PeerAddress {
            if (nodeId == null || nodeId.length() > 128 || host == null || host.isEmpty() || host.length() > 253
                    || port < 1 || port > 65_535) {
                throw new IllegalArgumentException("a peer address is a node id, a host and a port 1..65535");
            }
        }
    }

    int MAX_ACTORS = 10_000;
    /** Far above any Raft group worth running (the mesh caps voters at 7), small enough to bound a bad answer. */
    int MAX_VOTERS = 64;
    int MAX_CHANGES_PER_BATCH = 4096;
    int MAX_CERTIFICATES = 1024;
    int MAX_REVOCATIONS = 1024;
    /** Above the largest revocation encoding (a 256-byte reason, 1,024 actors cut: 24,973 bytes). */
    int MAX_REVOCATION_BYTES = 32 * 1024;

    private static void requireBytes(byte[] value, String name, int maxLength) {
        if (value == null || value.length == 0 || value.length > maxLength) {
            throw new IllegalArgumentException(name + " must be 1.." + maxLength + " bytes");
        }
    }
}
