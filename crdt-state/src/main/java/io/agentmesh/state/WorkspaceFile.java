package io.agentmesh.state;

/** A present workspace file: its path and its size in UTF-8 bytes. */
public record WorkspaceFile(String path, long bytes) {
}
