package io.agentmesh.node.core;

import io.agentmesh.protocol.bytes.BoundedReader;
import io.agentmesh.protocol.bytes.BoundedWriter;
import io.agentmesh.protocol.identity.NodeCertificate;

import java.util.ArrayList;
import java.util.List;

/**
 * The member certificates a node keeps in its store, so that after a restart it can verify a member's changes before
 * that member reconnects. Layout: the certificates' encodings back to back, with no count and no delimiter. That is
 * the form earlier versions wrote, and it stays readable because every certificate is exactly
 * {@link NodeCertificate#ENCODED_LENGTH} bytes.
 */
public final class StoredCertificates {
    /** The store meta key the list lives under. */
    public static final String META_KEY = "certificates";

    /** What a stored list holds: each certificate's bytes, and any bytes too few to be one more certificate. */
    record Decoded(List<byte[]> certificates, int trailingBytes) {
    }

    private StoredCertificates() {
    }

    public static byte[] encode(List<NodeCertificate> certificates) {
        BoundedWriter w = new BoundedWriter(certificates.size() * NodeCertificate.ENCODED_LENGTH);
        certificates.forEach(c -> w.fixed(c.toBytes()));
        return w.toByteArray();
    }

    /** Splits a stored list; decoding each certificate (and refusing a bad one) is the caller's job. */
    static Decoded decode(byte[] stored) {
        BoundedReader r = new BoundedReader(stored);
        List<byte[]> certificates = new ArrayList<>(stored.length / NodeCertificate.ENCODED_LENGTH);
        while (r.remaining() >= NodeCertificate.ENCODED_LENGTH) {
            certificates.add(r.fixed("certificate", NodeCertificate.ENCODED_LENGTH));
        }
        return new Decoded(certificates, r.remaining());
    }
}
