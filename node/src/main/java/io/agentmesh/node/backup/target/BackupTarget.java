package io.agentmesh.node.backup.target;

import java.util.List;
import java.util.Optional;

/**
 * One place backup objects are kept: a write-once store of named, immutable objects (docs/backup.md, "Targets").
 *
 * <p>Contract, the same for every implementation:
 * <ul>
 *   <li><b>Blocking.</b> Every method blocks on disk or network IO (bounded by the implementation's timeouts and
 *   retries); never call one on the node thread. Implementations are safe for concurrent use by several threads.</li>
 *   <li><b>Names and sizes.</b> Names and prefixes are checked with {@link ObjectNames} before anything is touched:
 *   a bad one throws {@link IllegalArgumentException} and changes nothing; so do bytes over
 *   {@link ObjectNames#MAX_OBJECT_BYTES}.</li>
 *   <li><b>Put if absent.</b> {@link #put} makes the object visible whole or not at all: a writer killed at any point
 *   leaves no partial object under the name, and nothing that needs a human (no lock). Putting the same name with the
 *   same bytes again succeeds without writing ({@link PutOutcome#ALREADY_PRESENT}), so a retried or repeated backup
 *   is harmless; the same name with different bytes throws {@link ObjectConflictException} naming the object and
 *   leaves the existing one unchanged.</li>
 *   <li><b>Failures.</b> IO and transport failures throw {@link BackupTargetException} (an {@link java.io.IOException})
 *   with the target's {@link #describe() description}; after one, the object is either whole or absent, and the call
 *   may be repeated.</li>
 *   <li><b>Idempotent deletes.</b> {@link #delete} of an absent object succeeds.</li>
 * </ul>
 */
public interface BackupTarget extends AutoCloseable {

    /** Stores {@code bytes} under {@code name} unless that object already exists (see the class comment). */
    PutOutcome put(String name, byte[] bytes) throws BackupTargetException;

    /**
     * The bytes of the object {@code name}, or empty when there is none. Throws {@link BackupTargetException} when the
     * stored object is larger than {@link ObjectNames#MAX_OBJECT_BYTES} (it is not one of ours).
     */
    Optional<byte[]> get(String name) throws BackupTargetException;

    /**
     * The names of every object whose name starts with {@code prefix} (a plain string prefix: "seg/" or "man/0000"),
     * sorted, read in bounded pages. Anything the store holds that is not a valid object name (temporary files,
     * directory placeholders) is left out. Throws {@link BackupTargetException} rather than return a partial list when
     * more than {@code maxNames} names match, and {@link IllegalArgumentException} when {@code maxNames < 1}.
     */
    List<String> list(String prefix, int maxNames) throws BackupTargetException;

    /**
     * When the object {@code name} was stored, by the store's own clock (a file's modification time, S3's
     * Last-Modified), or empty when there is no such object. Prune uses it to leave alone the objects of a backup
     * still being written (docs/backup.md, "Pruning").
     */
    Optional<Long> lastModifiedMs(String name) throws BackupTargetException;

    /** Removes the object {@code name} if it exists (for prune); deleting an absent object succeeds. */
    void delete(String name) throws BackupTargetException;

    /** A one-line description for messages and logs ("directory /mnt/nas/am", "s3://bucket/prefix at ..."): never a secret. */
    String describe();

    /** Releases connections and threads; the target is not used afterwards. */
    @Override
    void close();
}
