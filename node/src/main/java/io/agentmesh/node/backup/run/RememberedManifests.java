package io.agentmesh.node.backup.run;

import io.agentmesh.node.backup.format.ManifestRef;
import io.agentmesh.protocol.bytes.Bytes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The newest manifest this node wrote or verified at each target, one small file per target under
 * {@code <state>/backup/<target id>.manifest} ("number sha256hex"): a target later found holding an older newest
 * manifest was rolled back, and the reader refuses it (REPLAYED).
 */
public final class RememberedManifests {
    private static final Pattern LINE = Pattern.compile("([0-9]{1,19}) ([0-9a-f]{64})");
    private final Path dir;

    public RememberedManifests(Path stateDir) {
        this.dir = stateDir.resolve("backup");
    }

    public Path file(String targetId) {
        return dir.resolve(targetId + ".manifest");
    }

    public Optional<ManifestRef> get(String targetId) {
        Path f = file(targetId);
        try {
            if (!Files.exists(f)) {
                return Optional.empty();
            }
            String text = Files.readString(f, StandardCharsets.US_ASCII).strip();
            Matcher m = LINE.matcher(text);
            if (!m.matches()) {
                throw new IllegalStateException(f + " is damaged (expected \"<number> <sha256 hex>\"); remove it to"
                        + " trust the target's newest manifest again");
            }
            return Optional.of(new ManifestRef(Long.parseLong(m.group(1)),
                    Bytes.copyOf(HexFormat.of().parseHex(m.group(2)))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Remembers {@code ref} durably (temporary file, fsync, atomic rename). */
    public void put(String targetId, ManifestRef ref) {
        try {
            Files.createDirectories(dir);
            Path tmp = dir.resolve(targetId + ".manifest.tmp");
            try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.TRUNCATE_EXISTING, java.nio.file.StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.wrap((ref.number() + " " + ref.sha256().hex() + "\n")
                        .getBytes(StandardCharsets.US_ASCII)));
                ch.force(true);
            }
            try {
                Files.move(tmp, file(targetId), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file(targetId), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
