package io.agentmesh.node.backup.format;

/**
 * A backup object or set of objects that a reader refuses: names the object and says what is wrong with it, so
 * {@code verify} and the drill can print it and fall back to another target. Nothing is restored from a backup that
 * raised one.
 */
public final class BackupFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What is wrong; one per thing a reader can do about it. */
    public enum Problem {
        /** None of the reader's age identities opens the object: wrong phrase, or a backup made for other keys. */
        WRONG_KEY,
        /** The object does not match its name's hash, or its age encryption or framing is damaged. */
        CORRUPT,
        /** The object is shorter than its encryption or framing says (an interrupted upload or copy). */
        TRUNCATED,
        /** The object belongs to another agent (its frame, writer certificate or identity material says so). */
        FOREIGN_AGENT,
        /** A signature does not verify: a change, a manifest, a certificate or a revocation. */
        BAD_SIGNATURE,
        /** A signer is revoked, or a change lies past its node's revocation cut. */
        REVOKED,
        /** A manifest's chain to its predecessor does not hold. */
        BROKEN_CHAIN,
        /** The newest manifest is older than the one this node remembers: the target was rolled back. */
        REPLAYED,
        /** A manifest names an object the target does not have, or its changes leave a gap. */
        MISSING,
        /** Written in a format version this agentmesh does not read. */
        UNSUPPORTED_VERSION
    }

    private final Problem problem;
    private final String objectName;

    public BackupFormatException(Problem problem, String objectName, String message) {
        super("backup object " + objectName + ": " + message);
        this.problem = problem;
        this.objectName = objectName;
    }

    public BackupFormatException(Problem problem, String objectName, String message, Throwable cause) {
        super("backup object " + objectName + ": " + message, cause);
        this.problem = problem;
        this.objectName = objectName;
    }

    public Problem problem() {
        return problem;
    }

    /** The object's name at its target, e.g. {@code seg/<actor>/<from>-<to>-<sha256>.age}. */
    public String objectName() {
        return objectName;
    }
}
