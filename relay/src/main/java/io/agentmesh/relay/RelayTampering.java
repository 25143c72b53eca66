package io.agentmesh.relay;

import io.netty.buffer.ByteBuf;

import java.util.List;

/**
 * Makes a {@link RelayServer} misbehave, to test that nodes detect and avoid a dishonest relay. Production relays
 * use {@link #NONE}; nothing in the relay command line can turn tampering on.
 */
public interface RelayTampering {
    RelayTampering NONE = new RelayTampering() {
    };

    /** The encoded records a lookup is about to return; may alter, drop, replay or add records. */
    default List<byte[]> lookupResult(List<byte[]> records) {
        return records;
    }

    /**
     * Bytes about to be forwarded on a circuit ({@code fromSource}: from the dialing node to the target); may
     * modify them in place.
     */
    default void circuitBytes(ByteBuf bytes, boolean fromSource) {
    }
}
