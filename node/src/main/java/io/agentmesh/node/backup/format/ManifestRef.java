package io.agentmesh.node.backup.format;

import io.agentmesh.protocol.bytes.Bytes;

/**
 * A manifest's number and the SHA-256 of its object: what a node remembers of the newest backup it wrote or verified
 * at a target, so a later reader can refuse a target rolled back to an older manifest or rewritten.
 */
public record ManifestRef(long number, Bytes sha256) {
    public ManifestRef {
        if (number < 1) {
            throw new IllegalArgumentException("manifest numbers start at 1, got " + number);
        }
        Bytes.requireLength(sha256, 32, "a manifest hash");
    }

    public String name() {
        return ObjectName.manifest(number, sha256);
    }
}
