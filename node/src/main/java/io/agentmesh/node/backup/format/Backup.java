package io.agentmesh.node.backup.format;

import java.util.List;

/**
 * One backup as {@link BackupWriter} makes it: the new objects to put (segments, identity and snapshot first, the
 * manifest last, so a reader never sees a manifest before the objects it names), and the manifest.
 *
 * @param newObjects  objects this run adds, the manifest object last
 * @param manifest    the decoded manifest (cumulative: it names older objects too)
 * @param ref         the manifest's (number, hash): what the writer remembers to detect a rollback later
 */
public record Backup(List<BackupObject> newObjects, Manifest manifest, ManifestRef ref) {
    public Backup {
        newObjects = List.copyOf(newObjects);
    }

    public BackupObject manifestObject() {
        return newObjects.get(newObjects.size() - 1);
    }
}
