package io.agentmesh.node.backup.target;

import java.io.IOException;

/**
 * A target could not do what was asked: unreachable, refused, out of space, or it holds something it must not. The
 * message names the target by its description (never a secret) and the object. Retrying later may succeed, except
 * for {@link ObjectConflictException}.
 */
public class BackupTargetException extends IOException {
    public BackupTargetException(String message) {
        super(message);
    }

    public BackupTargetException(String message, Throwable cause) {
        super(message, cause);
    }
}
