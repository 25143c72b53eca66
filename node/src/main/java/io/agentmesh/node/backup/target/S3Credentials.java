package io.agentmesh.node.backup.target;

import java.util.Objects;

/**
 * An S3 access key pair. Never printed: {@link #toString} shows the key id's first four characters only, and the
 * secret not at all.
 */
public record S3Credentials(String accessKeyId, String secretAccessKey) {
    public S3Credentials {
        Objects.requireNonNull(accessKeyId, "accessKeyId");
        Objects.requireNonNull(secretAccessKey, "secretAccessKey");
        if (accessKeyId.isBlank() || secretAccessKey.isBlank()) {
            throw new IllegalArgumentException("an S3 access key id and secret must not be empty");
        }
    }

    @Override
    public String toString() {
        return "S3Credentials[" + accessKeyId.substring(0, Math.min(4, accessKeyId.length())) + "..., secret hidden]";
    }
}
