package io.agentmesh.node.core;

import io.agentmesh.protocol.bytes.BoundedReader;
import io.agentmesh.protocol.bytes.BoundedWriter;
import io.agentmesh.protocol.bytes.MalformedException;
import io.agentmesh.protocol.identity.NodeRevocation;

import java.util.ArrayList;
import java.util.List;

/**
 * The revocations a node keeps in its store, so that after a restart it refuses a removed node before any peer has
 * told it again. Layout (version 1):
 * <pre>
 *   u8  version = 1
 *   u16 count (at most {@link RevocationRegistry#MAX_RECORDS})
 *   each: u16 length, then the revocation's own encoding ({@link NodeRevocation#toBytes()})
 * </pre>
 */
public final class StoredRevocations {
    /** The store meta key the list lives under. */
    public static final String META_KEY = "revocations";
    static final int VERSION = 1;

    private StoredRevocations() {
    }

    /** Public for a restore, which writes a restored node's revocations before that node first starts. */
    public static byte[] encode(List<NodeRevocation> revocations) {
        if (revocations.size() > RevocationRegistry.MAX_RECORDS) {
            throw new IllegalArgumentException("at most " + RevocationRegistry.MAX_RECORDS + " revocations are kept");
        }
        List<byte[]> encoded = revocations.stream().map(NodeRevocation::toBytes).toList();
        int size = 1 + Short.BYTES + encoded.stream().mapToInt(b -> Short.BYTES + b.length).sum();
        BoundedWriter w = new BoundedWriter(size).u8(VERSION).u16(encoded.size());
        encoded.forEach(w::bytes16);
        return w.toByteArray();
    }

    /**
     * Splits a stored list into each revocation's bytes; decoding and verifying each (and refusing a bad one) is the
     * caller's job. An empty value is an empty list.
     *
     * @throws MalformedException when the list itself is damaged, naming where
     */
    static List<byte[]> decode(byte[] stored) {
        if (stored.length == 0) {
            return List.of();
        }
        BoundedReader r = new BoundedReader(stored);
        int version = r.u8("version");
        if (version != VERSION) {
            throw new MalformedException("version", "stored revocations have version " + version + ", this agentmesh"
                    + " reads " + VERSION);
        }
        int count = r.count16("count", RevocationRegistry.MAX_RECORDS, Short.BYTES);
        List<byte[]> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(r.bytes16("revocation " + i, NodeRevocation.MAX_ENCODED_LENGTH));
        }
        r.end();
        return out;
    }
}
