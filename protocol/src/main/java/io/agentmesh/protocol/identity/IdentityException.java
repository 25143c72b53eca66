package io.agentmesh.protocol.identity;

import java.util.Objects;

/**
 * Identity material that cannot be used: a malformed id, certificate, phrase or key file, a certificate that does
 * not hold, a wrong passphrase. The message is meant for the person running agentmesh and says what to do; the
 * {@link #reason()} is for code (metrics, exit codes) and never changes with the wording.
 *
 * <p>Unchecked because most callers can only report it; code that takes identity data from peers or files
 * catches it at that boundary (DESIGN.md invariant 8).
 */
public final class IdentityException extends RuntimeException {

    public enum Reason {
        /** Input does not have the expected shape (length, characters, fields, encoding). */
        MALFORMED,
        /** A checksum does not match: an id or a recovery phrase with a typo. */
        TYPO,
        /** Written by a newer agentmesh, or in a version this one no longer reads. */
        UNSUPPORTED_VERSION,
        /** The certificate belongs to another agent than the one expected. */
        WRONG_AGENT,
        /** The signature does not verify. */
        BAD_SIGNATURE,
        /** Before the certificate's notBefore. */
        NOT_YET_VALID,
        /** At or after the certificate's notAfter. */
        EXPIRED,
        /** The passphrase does not decrypt the key file. */
        WRONG_PASSPHRASE,
        /** The key file is encrypted and no passphrase was given. */
        PASSPHRASE_REQUIRED,
        /** A file is truncated, corrupt or not what its name says. */
        CORRUPT_FILE,
        /** An expected file does not exist. */
        MISSING_FILE,
        /** A file would overwrite one that must be kept (a key). */
        ALREADY_EXISTS,
        /** A secret file or the identity directory can be read by other users. */
        UNSAFE_PERMISSIONS
    }

    private static final long serialVersionUID = 1L;
    private final Reason reason;

    public IdentityException(Reason reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason);
    }

    public IdentityException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason);
    }

    public Reason reason() {
        return reason;
    }
}
