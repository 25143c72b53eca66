package io.agentmesh.node.backup.format;

import io.agentmesh.protocol.bytes.Bytes;
import io.agentmesh.state.store.VersionVector;

import java.util.List;

/**
 * A saved Automerge document, its version vector and heads: a restore accelerator. It carries no per-author
 * signatures (invariant 4), so a restore still imports and verifies the signed changes it covers; the manifest's
 * signature over its hash is what vouches for it.
 */
public record Snapshot(byte[] document, VersionVector versionVector, List<Bytes> heads) {
    public Snapshot {
        if (document == null || document.length == 0 || versionVector == null || heads == null) {
            throw new IllegalArgumentException("a snapshot needs a document, a version vector and heads");
        }
        document = document.clone();
        heads = List.copyOf(heads);
    }

    @Override
    public byte[] document() {
        return document.clone();
    }
}
