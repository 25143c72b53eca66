package io.agentmesh.node.llm.config;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The keys this node has for its providers, read from the environment and key files at start (and again when the
 * operator asks). A provider without a key is not an error here: the node reports it, and routing passes over that
 * provider (another node, the next leader, may have the key).
 *
 * @param byProvider each provider's key or why it has none, in llm.json's order
 */
public record ProviderKeys(Map<String, KeyStatus> byProvider) {
    public static final int MAX_KEY_FILE_BYTES = 16 * 1024;

    /** A provider's key, or the reason it has none. Neither ever holds the key's text in its {@code toString}. */
    public sealed interface KeyStatus {
        record Present(ApiKey key, String from) implements KeyStatus {
            public Present {
                Objects.requireNonNull(key, "key");
                Objects.requireNonNull(from, "from");
            }
        }

        record NoKeyNeeded() implements KeyStatus {
        }

        /** @param reason what is wrong and where the key should be; never the key or the file's contents */
        record Missing(String reason) implements KeyStatus {
            public Missing {
                Objects.requireNonNull(reason, "reason");
            }
        }
    }

    public ProviderKeys {
        byProvider = Collections.unmodifiableMap(new LinkedHashMap<>(byProvider));
    }

    /**
     * Looks up every provider's key.
     *
     * @param env the node's environment ({@code System.getenv()} in production)
     */
    public static ProviderKeys load(LlmConfig config, Map<String, String> env) {
        Map<String, KeyStatus> out = new LinkedHashMap<>();
        for (ProviderConfig p : config.providers()) {
            out.put(p.id(), load(p, env));
        }
        return new ProviderKeys(out);
    }

    static KeyStatus load(ProviderConfig p, Map<String, String> env) {
        String who = "provider \"" + p.id() + "\": ";
        return switch (p.key()) {
            case KeySource.NoKey n -> new KeyStatus.NoKeyNeeded();
            case KeySource.EnvVar e -> {
                String v = env.get(e.name());
                if (v == null || v.isBlank()) {
                    yield new KeyStatus.Missing(who + "environment variable " + e.name() + " is "
                            + (v == null ? "not set" : "empty") + " in the node's environment");
                }
                yield parse(v.strip()).map(k -> (KeyStatus) new KeyStatus.Present(k, e.describe()))
                        .orElseGet(() -> new KeyStatus.Missing(who + e.describe() + " does not hold a key: it has"
                                + " spaces, line breaks or non-ASCII characters"));
            }
            case KeySource.KeyFile f -> fromFile(f.path(), who);
        };
    }

    private static KeyStatus fromFile(Path path, String who) {
        try {
            if (!Files.isRegularFile(path)) {
                return new KeyStatus.Missing(who + "key file " + path + " does not exist or is not a file");
            }
            if (Files.size(path) > MAX_KEY_FILE_BYTES) {
                return new KeyStatus.Missing(who + "key file " + path + " is larger than " + MAX_KEY_FILE_BYTES
                        + " bytes: it should hold the key alone");
            }
            Optional<Set<PosixFilePermission>> perms = permissions(path);
            if (perms.isPresent() && (perms.get().contains(PosixFilePermission.OTHERS_READ)
                    || perms.get().contains(PosixFilePermission.GROUP_READ))) {
                return new KeyStatus.Missing(who + "key file " + path + " can be read by other users: chmod 600 it"
                        + " (the node refuses a key others can read)");
            }
            String text;
            try {
                text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(path)))
                        .toString().strip();
            } catch (CharacterCodingException e) {
                return new KeyStatus.Missing(who + "key file " + path + " is not UTF-8 text");
            }
            if (text.isEmpty()) {
                return new KeyStatus.Missing(who + "key file " + path + " is empty");
            }
            String from = "key file " + path;
            return parse(text).map(k -> (KeyStatus) new KeyStatus.Present(k, from))
                    .orElseGet(() -> new KeyStatus.Missing(who + from + " must hold the key alone on one line"));
        } catch (IOException e) {
            return new KeyStatus.Missing(who + "key file " + path + " cannot be read: " + e.getClass().getSimpleName());
        }
    }

    private static Optional<Set<PosixFilePermission>> permissions(Path path) throws IOException {
        try {
            return Optional.of(Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS));
        } catch (UnsupportedOperationException e) {
            return Optional.empty();
        }
    }

    private static Optional<ApiKey> parse(String text) {
        try {
            return Optional.of(new ApiKey(text));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** The provider's key, if this node has one. */
    public Optional<ApiKey> key(String providerId) {
        return byProvider.get(providerId) instanceof KeyStatus.Present p ? Optional.of(p.key()) : Optional.empty();
    }

    /**
     * What routing needs to know of the keys: for each provider that can be called, the fingerprint of its key
     * ({@code "none"} for a provider that takes none). A provider missing here has no key on this node.
     */
    public Map<String, String> fingerprints() {
        Map<String, String> out = new LinkedHashMap<>();
        byProvider.forEach((id, s) -> {
            switch (s) {
                case KeyStatus.Present p -> out.put(id, p.key().fingerprint());
                case KeyStatus.NoKeyNeeded n -> out.put(id, NO_KEY_FINGERPRINT);
                case KeyStatus.Missing m -> {
                }
            }
        });
        return Collections.unmodifiableMap(out);
    }

    /** The fingerprint of "no key", for a provider that takes none. */
    public static final String NO_KEY_FINGERPRINT = "none";
}
