package io.agentmesh.node.net;

import io.agentmesh.relay.tls.RelayFingerprint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.CertificateException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Which key each relay must present. A relay pinned by the operator ({@code --relay host:port#sha256:...} or
 * {@code relay-pins}) must present exactly that key. An unpinned relay is trusted on first use: the key it presents
 * the first time is recorded, with one loud log line, in {@code <state>/known-relays} (one {@code host:port
 * sha256:...} per line), and from then on only that key is accepted. Either way a different key is refused with an
 * error naming both fingerprints. Thread-safe: TLS handshakes on several event loops check here.
 */
final class RelayPins {
    static final String KNOWN_RELAYS_FILE = "known-relays";
    private static final Logger log = LoggerFactory.getLogger(RelayPins.class);
    private static final int MAX_FILE_BYTES = 64 * 1024;

    private final Map<String, RelayFingerprint> pinned;
    private final Optional<Path> knownFile;
    private final String selfName;
    private final Map<String, RelayFingerprint> known = new LinkedHashMap<>();

    /**
     * @param pinned    the operator's pins, by relay name ({@code host:port} as written)
     * @param knownFile where first-use keys are kept; empty: in memory only (they last as long as this process)
     * @throws IllegalArgumentException when the file is malformed, naming the line
     */
    RelayPins(Map<String, RelayFingerprint> pinned, Optional<Path> knownFile, String selfName) throws IOException {
        this.pinned = Map.copyOf(pinned);
        this.knownFile = knownFile;
        this.selfName = selfName;
        if (knownFile.isPresent() && Files.exists(knownFile.get())) {
            load(knownFile.get());
        }
    }

    private void load(Path file) throws IOException {
        if (Files.size(file) > MAX_FILE_BYTES) {
            throw new IllegalArgumentException(file + " is over " + MAX_FILE_BYTES + " bytes: not a known-relays file");
        }
        int n = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            n++;
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#")) {
                continue;
            }
            String[] parts = t.split("\\s+");
            if (parts.length != 2) {
                throw new IllegalArgumentException(file + " line " + n + ": expected 'host:port sha256:...', got '"
                        + t + "'");
            }
            try {
                known.put(parts[0], RelayFingerprint.parse(parts[1]));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + " line " + n + ": " + e.getMessage(), e);
            }
        }
    }

    /** The check for relay {@code name}, for its TLS trust manager. */
    io.agentmesh.relay.tls.RelayTls.PinCheck checkFor(String name) {
        return presented -> check(name, presented);
    }

    /**
     * Accepts {@code presented} for relay {@code name} or throws a {@link RelayPinException} naming both keys.
     * Records the key of an unpinned relay seen for the first time.
     */
    void check(String name, RelayFingerprint presented) throws RelayPinException {
        RelayFingerprint pin = pinned.get(name);
        if (pin != null) {
            if (!pin.equals(presented)) {
                throw new RelayPinException("relay " + name + " presented key " + presented + ", not the pinned "
                        + pin + " (--relay " + name + "#" + pin + "): refusing it; if the relay's key really"
                        + " changed, pin the new one");
            }
            return;
        }
        synchronized (known) {
            RelayFingerprint first = known.get(name);
            if (first != null) {
                if (!first.equals(presented)) {
                    throw new RelayPinException("relay " + name + " presented key " + presented + ", not "
                            + first + ", the key this node trusted on first use"
                            + knownFile.map(f -> " (" + f + ")").orElse("") + ": refusing it; if the relay's key"
                            + " really changed, remove its line" + knownFile.map(f -> " from " + f).orElse("")
                            + " or pin the new key with --relay " + name + "#" + presented);
                }
                return;
            }
            known.put(name, presented);
            try {
                save();
            } catch (IOException e) {
                known.remove(name);
                throw new RelayPinException("cannot record relay " + name + "'s key in " + knownFile.orElse(null)
                        + ": " + e.getMessage());
            }
        }
        log.warn("{} relay {} is not pinned: trusting its key {} on first use{} and refusing any other from now on;"
                        + " pin it to be sure it is the right one: --relay {}#{}", selfName, name, presented,
                knownFile.map(f -> " (recorded in " + f + ")").orElse(" (for this process)"), name, presented);
    }

    private void save() throws IOException {
        if (knownFile.isEmpty()) {
            return;
        }
        Path file = knownFile.get();
        StringBuilder b = new StringBuilder("# relay keys trusted on first use by this node (agentmesh);"
                + " one 'host:port sha256:...' per line\n");
        known.forEach((k, v) -> b.append(k).append(' ').append(v).append('\n'));
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(tmp, b, StandardCharsets.UTF_8);
        try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** A relay presented another key than the one pinned or first seen. */
    static final class RelayPinException extends CertificateException {
        RelayPinException(String message) {
            super(message);
        }
    }
}
