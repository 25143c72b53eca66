/**
 * Where backup objects go (docs/backup.md, "Targets"): {@link io.agentmesh.node.backup.target.BackupTarget}, the
 * put-if-absent object store contract, with a directory ({@code DirectoryTarget}) and an S3-compatible bucket
 * ({@code S3Target}) behind it; target URIs ({@code TargetUri}) and the node-local {@code backup.json}
 * ({@code BackupConfig}) naming two or more of them. Objects are immutable and content-addressed by the format
 * (backup.format), so writes need no lock and a killed writer leaves nothing a human must clear. Everything here
 * blocks (file and network IO): never call it on the node thread.
 */
package io.agentmesh.node.backup.target;
