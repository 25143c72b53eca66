package io.agentmesh.protocol.wire;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;

import java.io.IOException;

/**
 * Encodes {@link WireMessage}s as frame payloads: one type byte, then the record as CBOR. The length prefix and
 * its limit ({@link #MAX_FRAME_BYTES}) belong to the transport's framing handler.
 *
 * <p>Decoding is strict: an unknown type byte, unknown or missing fields, trailing bytes, deep nesting or a record
 * that fails its own validation all raise {@link WireException} with the reason; nothing half-decoded escapes.
 * Thread-safe.
 */
public final class WireCodec {
    /** The protocol version nodes announce in {@link WireMessage.Hello}; a peer with another one is refused. */
    public static final int PROTOCOL_VERSION = 1;
    public static final int MAX_FRAME_BYTES = 16 * 1024 * 1024;

    // Each message type's byte, by name. Peers of every version must agree on these, so a number is never
    // renumbered or reused; a new message type takes the next free one.
    static final int HELLO = 0;
    static final int HEARTBEAT = 1;
    static final int HEARTBEAT_ACK = 2;
    static final int DIGEST = 3;
    static final int CHANGES = 4;
    static final int CERTIFICATES = 5;
    static final int CONSENSUS = 6;
    static final int GOODBYE = 7;
    static final int REVOCATIONS = 8;
    static final int DURABLE = 9;
    static final int DURABLE_QUERY = 10;

    private final ObjectMapper cbor;

    public WireCodec() {
        CBORFactory factory = CBORFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(16)
                        .maxStringLength(MAX_FRAME_BYTES)
                        .maxDocumentLength(MAX_FRAME_BYTES)
                        .build())
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build();
        cbor = CBORMapper.builder(factory)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_CREATOR_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .build();
    }

    public byte[] encode(WireMessage message) {
        try {
            byte[] body = cbor.writeValueAsBytes(message);
            byte[] frame = new byte[body.length + 1];
            frame[0] = (byte) tagOf(message);
            System.arraycopy(body, 0, frame, 1, body.length);
            if (frame.length > MAX_FRAME_BYTES) {
                throw new WireException("message of " + frame.length + " bytes exceeds the frame limit of "
                        + MAX_FRAME_BYTES + "; send it in smaller batches");
            }
            return frame;
        } catch (IOException e) {
            throw new WireException("could not encode " + message.getClass().getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    public WireMessage decode(byte[] frame) {
        return decode(frame, 0, frame.length);
    }

    public WireMessage decode(byte[] buf, int offset, int length) {
        if (length < 1) {
            throw new WireException("empty frame");
        }
        if (length > MAX_FRAME_BYTES) {
            throw new WireException("frame of " + length + " bytes exceeds the limit of " + MAX_FRAME_BYTES);
        }
        int tag = buf[offset] & 0xff;
        Class<? extends WireMessage> type = typeOf(tag);
        if (type == null) {
            throw new WireException("unknown message type " + tag + " (protocol version " + PROTOCOL_VERSION + ")");
        }
        try {
            if (type == WireMessage.HeartbeatAck.class) {
                return heartbeatAck(cbor.readTree(new java.io.ByteArrayInputStream(buf, offset + 1, length - 1)));
            }
            WireMessage message = cbor.readValue(buf, offset + 1, length - 1, type);
            if (message == null) {
                throw new WireException("empty " + type.getSimpleName() + " message");
            }
            return message;
        } catch (IOException | RuntimeException e) {
            if (e instanceof WireException w) {
                throw w;
            }
            throw new WireException("malformed " + type.getSimpleName() + ": " + firstLine(e.getMessage()), e);
        }
    }

    /**
     * A HeartbeatAck decoded by hand, as strictly as the others except that {@code wallMillis}, added after the
     * first release, may be missing (an older peer): then it is {@link WireMessage.HeartbeatAck#NO_WALL_TIME}.
     */
    private static WireMessage.HeartbeatAck heartbeatAck(com.fasterxml.jackson.databind.JsonNode tree) {
        if (tree == null || !tree.isObject()) {
            throw new WireException("malformed HeartbeatAck: not a map");
        }
        tree.fieldNames().forEachRemaining(name -> {
            if (!name.equals("echoedNanos") && !name.equals("wallMillis")) {
                throw new WireException("malformed HeartbeatAck: unknown field \"" + name + "\"");
            }
        });
        com.fasterxml.jackson.databind.JsonNode echoed = tree.get("echoedNanos");
        com.fasterxml.jackson.databind.JsonNode wall = tree.get("wallMillis");
        if (echoed == null || !echoed.canConvertToLong() || !echoed.isIntegralNumber()) {
            throw new WireException("malformed HeartbeatAck: echoedNanos missing or not an integer");
        }
        if (wall != null && (!wall.isIntegralNumber() || !wall.canConvertToLong())) {
            throw new WireException("malformed HeartbeatAck: wallMillis not an integer");
        }
        return new WireMessage.HeartbeatAck(echoed.longValue(),
                wall == null ? WireMessage.HeartbeatAck.NO_WALL_TIME : wall.longValue());
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "no detail";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }

    /** Exhaustive over the sealed interface: a new message type does not compile until it has a tag. */
    static int tagOf(WireMessage message) {
        return switch (message) {
            case WireMessage.Hello m -> HELLO;
            case WireMessage.Heartbeat m -> HEARTBEAT;
            case WireMessage.HeartbeatAck m -> HEARTBEAT_ACK;
            case WireMessage.Digest m -> DIGEST;
            case WireMessage.Changes m -> CHANGES;
            case WireMessage.Certificates m -> CERTIFICATES;
            case WireMessage.Consensus m -> CONSENSUS;
            case WireMessage.Goodbye m -> GOODBYE;
            case WireMessage.Revocations m -> REVOCATIONS;
            case WireMessage.Durable m -> DURABLE;
            case WireMessage.DurableQuery m -> DURABLE_QUERY;
        };
    }

    /** The message type of a tag, or null for a tag this version does not know. */
    static Class<? extends WireMessage> typeOf(int tag) {
        return switch (tag) {
            case HELLO -> WireMessage.Hello.class;
            case HEARTBEAT -> WireMessage.Heartbeat.class;
            case HEARTBEAT_ACK -> WireMessage.HeartbeatAck.class;
            case DIGEST -> WireMessage.Digest.class;
            case CHANGES -> WireMessage.Changes.class;
            case CERTIFICATES -> WireMessage.Certificates.class;
            case CONSENSUS -> WireMessage.Consensus.class;
            case GOODBYE -> WireMessage.Goodbye.class;
            case REVOCATIONS -> WireMessage.Revocations.class;
            case DURABLE -> WireMessage.Durable.class;
            case DURABLE_QUERY -> WireMessage.DurableQuery.class;
            default -> null;
        };
    }
}
