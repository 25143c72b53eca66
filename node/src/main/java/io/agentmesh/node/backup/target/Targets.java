package io.agentmesh.node.backup.target;

import io.agentmesh.protocol.time.Clock;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Opens the target a config entry describes, with its credentials looked up now (from the node's environment or a
 * node-local file). Messages name the variable or file, never a key.
 *
 * <p>A credentials file holds two lines, {@code access_key_id=...} and {@code secret_access_key=...} (blank lines
 * and lines starting with '#' ignored), at most {@value #MAX_CREDENTIALS_FILE_BYTES} bytes, and must not be readable
 * by group or others.
 */
public final class Targets {
    public static final int MAX_CREDENTIALS_FILE_BYTES = 4096;

    private Targets() {
    }

    /**
     * Opens {@code target}. Throws {@link IllegalArgumentException} when its directory is missing or its credentials
     * are missing or malformed; opening an S3 target contacts nothing yet.
     *
     * @param env the node's environment ({@code System.getenv()} in production)
     */
    public static BackupTarget open(BackupConfig.TargetConfig target, Map<String, String> env, Clock clock) {
        String who = "backup target \"" + target.id() + "\": ";
        return switch (target.uri()) {
            case TargetUri.Directory d -> {
                try {
                    yield DirectoryTarget.open(d.path(), clock);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(who + e.getMessage());
                }
            }
            case TargetUri.S3 s -> S3Target.open(s, credentials(target, env, who));
        };
    }

    static S3Credentials credentials(BackupConfig.TargetConfig target, Map<String, String> env, String who) {
        BackupConfig.CredentialSource source = target.credentials().orElseThrow(
                () -> new IllegalArgumentException(who + "an S3 target needs credentials"));
        return switch (source) {
            case BackupConfig.CredentialSource.Env e -> new S3Credentials(
                    envValue(env, e.accessKeyIdVar(), who), envValue(env, e.secretAccessKeyVar(), who));
            case BackupConfig.CredentialSource.File f -> fromFile(f.path(), who);
        };
    }

    private static String envValue(Map<String, String> env, String var, String who) {
        String v = env.get(var);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException(who + "environment variable " + var + " is "
                    + (v == null ? "not set" : "empty") + " in the node's environment");
        }
        return v.strip();
    }

    private static S3Credentials fromFile(Path path, String who) {
        String from = "credentials file " + path;
        try {
            if (!Files.isRegularFile(path)) {
                throw new IllegalArgumentException(who + from + " does not exist or is not a file");
            }
            if (Files.size(path) > MAX_CREDENTIALS_FILE_BYTES) {
                throw new IllegalArgumentException(who + from + " is larger than " + MAX_CREDENTIALS_FILE_BYTES
                        + " bytes");
            }
            try {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS);
                if (perms.contains(PosixFilePermission.GROUP_READ) || perms.contains(PosixFilePermission.OTHERS_READ)) {
                    throw new IllegalArgumentException(who + from + " can be read by other users: chmod 600 it");
                }
            } catch (UnsupportedOperationException ignored) {
                // Not a POSIX file system: nothing to check.
            }
            String text;
            try {
                text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(Files.readAllBytes(path)))
                        .toString();
            } catch (CharacterCodingException e) {
                throw new IllegalArgumentException(who + from + " is not UTF-8 text");
            }
            Map<String, String> values = new HashMap<>();
            int lineNo = 0;
            for (String line : text.split("\n", -1)) {
                lineNo++;
                String l = line.strip();
                if (l.isEmpty() || l.startsWith("#")) {
                    continue;
                }
                int eq = l.indexOf('=');
                String key = eq < 0 ? l : l.substring(0, eq).strip();
                if (eq < 0 || !(key.equals("access_key_id") || key.equals("secret_access_key"))) {
                    // The line is not quoted: it may hold a key.
                    throw new IllegalArgumentException(who + from + " line " + lineNo + ": expected access_key_id=..."
                            + " or secret_access_key=...");
                }
                if (values.put(key, l.substring(eq + 1).strip()) != null) {
                    throw new IllegalArgumentException(who + from + " line " + lineNo + ": " + key + " is given twice");
                }
            }
            for (String key : new String[]{"access_key_id", "secret_access_key"}) {
                if (values.getOrDefault(key, "").isEmpty()) {
                    throw new IllegalArgumentException(who + from + " has no " + key);
                }
            }
            return new S3Credentials(values.get("access_key_id"), values.get("secret_access_key"));
        } catch (IOException e) {
            throw new IllegalArgumentException(who + from + " cannot be read: " + e.getClass().getSimpleName());
        }
    }
}
