package io.agentmesh.node.backup.target;

/**
 * A put found an object of the same name with different bytes. Names carry the hash of their bytes, so this means
 * a damaged object or a foreign writer: the existing object is left as it is, and retrying will not help.
 */
public final class ObjectConflictException extends BackupTargetException {
    private final String objectName;

    public ObjectConflictException(String target, String objectName, String detail) {
        super(target + ": object " + objectName + " already exists with different bytes (" + detail + "); it was left"
                + " unchanged");
        this.objectName = objectName;
    }

    public String objectName() {
        return objectName;
    }
}
