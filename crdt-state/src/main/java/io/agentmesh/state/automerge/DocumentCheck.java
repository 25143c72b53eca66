package io.agentmesh.state.automerge;

import io.agentmesh.state.automerge.AutomergeFormatException.Reason;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Set;

/**
 * The framing check a saved document passes before {@code Document.load} sees it: a sequence of one or more
 * chunks, each a document chunk or a change chunk, each with a valid checksum; change chunks are checked in full by
 * {@link ChangeHeader}. This catches truncation, stray bytes and random corruption (a flipped bit breaks the
 * SHA-256 checksum) in Java.
 *
 * <p>It cannot make an adversarial document safe: Automerge 0.5.7 can still abort the JVM on a document chunk whose
 * checksum is right but whose op columns are crafted (an unknown action reaches {@code unreachable!} in
 * types.rs:265/272). Documents from anyone but this node's own store must go through the isolated loader,
 * {@code io.agentmesh.state.export.AutomergeFile#validate}.
 */
public final class DocumentCheck {
    private DocumentCheck() {
    }

    /** Summary of a checked file. */
    public record Summary(int documentChunks, int changeChunks) {
    }

    public static Summary check(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            throw new AutomergeFormatException(Reason.MALFORMED, "malformed Automerge document: no bytes");
        }
        int docs = 0;
        int changes = 0;
        int at = 0;
        while (at < bytes.length) {
            Chunk chunk = Chunk.read(bytes, at);
            switch (chunk.type()) {
                case ChangeHeader.CHUNK_DOCUMENT -> {
                    byte[] hash = ChangeHeader.sha256(bytes, chunk.typeOffset(), chunk.end());
                    if (!Arrays.equals(chunk.checksum(), 0, 4, hash, 0, 4)) {
                        throw new AutomergeFormatException(Reason.BAD_CHECKSUM, "Automerge document chunk at offset "
                                + at + " has checksum " + HexFormat.of().formatHex(chunk.checksum())
                                + " but its contents hash to " + HexFormat.of().formatHex(hash, 0, 4)
                                + " (the file is corrupt)");
                    }
                    docs++;
                }
                case ChangeHeader.CHUNK_CHANGE, ChangeHeader.CHUNK_COMPRESSED_CHANGE -> {
                    ChangeHeader.fromChunk(bytes, chunk, Set.of());
                    changes++;
                }
                default -> throw new AutomergeFormatException(Reason.WRONG_CHUNK, "Automerge chunk at offset " + at
                        + " has type " + chunk.type() + "; a saved document holds only document and change chunks");
            }
            at = chunk.end();
        }
        return new Summary(docs, changes);
    }
}
