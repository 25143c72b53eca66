package io.agentmesh.relay.protocol;

import io.agentmesh.protocol.identity.AgentId;
import io.agentmesh.protocol.identity.Ed25519;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeId;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * The relay control protocol (see {@link RelayCodec} for framing and encoding). Each TCP connection to a relay
 * starts with the relay's {@link Challenge}; the client's first message decides what the connection is:
 * <ul>
 *   <li>{@link Register}: a <em>control connection</em> of a node. Afterwards the node may re-{@link Register}
 *       (refresh, signing the nonce of the last {@link Registered}) and {@link Lookup}; the relay pushes
 *       {@link Incoming} when someone wants a circuit to this node.</li>
 *   <li>{@link Connect}: a <em>dial</em>: after {@link Connected} the connection carries raw bytes, spliced to the
 *       target's attached connection.</li>
 *   <li>{@link Attach}: the target's side of a circuit it was told about in {@link Incoming}; raw after
 *       {@link Attached}.</li>
 * </ul>
 * {@link Error} says why something was refused; after an error on anything but a control connection's
 * {@link Lookup}, the relay closes the connection.
 */
public sealed interface RelayMessage {
    int NONCE_BYTES = 32;
    int CIRCUIT_ID_BYTES = 16;

    /** Relay to client, first: protocol version, a fresh nonce to sign, the client's address as the relay sees it. */
    record Challenge(int version, byte[] nonce, InetSocketAddress observed) implements RelayMessage {
        public Challenge {
            requireLength(nonce, NONCE_BYTES, "nonce");
        }
    }

    /** Registration or refresh: an encoded {@link RegistrationRecord} and the node key's signature over it. */
    record Register(int version, byte[] record, byte[] proof) implements RelayMessage {
        public Register {
            if (record == null || record.length > RegistrationRecord.MAX_ENCODED_BYTES) {
                throw new IllegalArgumentException("record missing or longer than "
                        + RegistrationRecord.MAX_ENCODED_BYTES + " bytes");
            }
            requireLength(proof, Ed25519.SIGNATURE_LENGTH, "proof");
        }
    }

    /** The registration is stored until {@code expiresAt}; a refresh must sign {@code nextNonce}. */
    record Registered(long expiresAt, byte[] nextNonce) implements RelayMessage {
        public Registered {
            requireLength(nextNonce, NONCE_BYTES, "nextNonce");
        }
    }

    record Lookup(AgentId agent) implements RelayMessage {
        public Lookup {
            if (agent == null) {
                throw new IllegalArgumentException("lookup needs an agent id");
            }
        }
    }

    /** Encoded registration records; the client must verify each one. */
    record Records(List<byte[]> records) implements RelayMessage {
        public Records {
            records = List.copyOf(records);
        }
    }

    /** Open a circuit to {@code target}; the source proves its node key and shows its certificate. */
    record Connect(int version, byte[] certificate, NodeId target, byte[] proof) implements RelayMessage {
        public Connect {
            if (certificate == null || certificate.length > RegistrationRecord.MAX_CERTIFICATE_BYTES
                    || target == null) {
                throw new IllegalArgumentException("connect needs a certificate (at most "
                        + RegistrationRecord.MAX_CERTIFICATE_BYTES + " bytes) and a target");
            }
            requireLength(proof, Ed25519.SIGNATURE_LENGTH, "proof");
        }

        public NodeCertificate sourceCertificate() {
            return NodeCertificate.fromBytes(certificate);
        }
    }

    /** The circuit is spliced: from now on this connection carries the target's bytes. */
    record Connected(byte[] circuitId) implements RelayMessage {
        public Connected {
            requireLength(circuitId, CIRCUIT_ID_BYTES, "circuitId");
        }
    }

    /** Pushed on a control connection: {@code source} wants a circuit; attach to {@code circuitId}. */
    record Incoming(byte[] circuitId, NodeId source) implements RelayMessage {
        public Incoming {
            requireLength(circuitId, CIRCUIT_ID_BYTES, "circuitId");
            if (source == null) {
                throw new IllegalArgumentException("incoming needs a source");
            }
        }
    }

    /** The target's connection for a circuit; {@code node} proves its key by signing the nonce and circuit id. */
    record Attach(int version, NodeId node, byte[] circuitId, byte[] proof) implements RelayMessage {
        public Attach {
            if (node == null) {
                throw new IllegalArgumentException("attach needs a node id");
            }
            requireLength(circuitId, CIRCUIT_ID_BYTES, "circuitId");
            requireLength(proof, Ed25519.SIGNATURE_LENGTH, "proof");
        }
    }

    /** The circuit is spliced: from now on this connection carries the source's bytes. */
    record Attached(byte[] circuitId) implements RelayMessage {
        public Attached {
            requireLength(circuitId, CIRCUIT_ID_BYTES, "circuitId");
        }
    }

    record Error(ErrorCode code, String message) implements RelayMessage {
        public Error {
            if (code == null || message == null) {
                throw new IllegalArgumentException("an error needs a code and a message");
            }
            if (message.length() > 1000) {
                message = message.substring(0, 997) + "...";
            }
        }
    }

    private static void requireLength(byte[] b, int length, String what) {
        if (b == null || b.length != length) {
            throw new IllegalArgumentException(what + " must be " + length + " bytes, got "
                    + (b == null ? "none" : b.length));
        }
    }
}
