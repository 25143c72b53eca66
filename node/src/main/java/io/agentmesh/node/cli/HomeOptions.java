package io.agentmesh.node.cli;

import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where a node keeps its files, shared by every command. The identity directory (keys, certificate) and the state
 * directory (the durable store) are separate so the state can be wiped or restored without touching keys.
 */
public final class HomeOptions {
    static final String PASSPHRASE_ENV = "AGENTMESH_PASSPHRASE";

    @Option(names = "--home", description = "Base directory (default: $AGENTMESH_HOME or ~/.agentmesh).")
    Path home;

    @Option(names = "--identity-dir", description = "Identity directory (default: <home>/identity).")
    Path identityDir;

    @Option(names = "--state-dir", description = "State directory (default: <home>/state).")
    Path stateDir;

    @Option(names = "--passphrase-file",
            description = "File holding the passphrase that encrypts private keys (else $" + PASSPHRASE_ENV
                    + "; neither means keys are stored unencrypted).")
    Path passphraseFile;

    Path home() {
        return home(home);
    }

    /** {@code given}, else $AGENTMESH_HOME, else ~/.agentmesh: for commands that need only the home. */
    static Path home(Path given) {
        if (given != null) {
            return given;
        }
        String env = System.getenv("AGENTMESH_HOME");
        return env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".agentmesh");
    }

    Path identityDir() {
        return identityDir != null ? identityDir : home().resolve("identity");
    }

    Path stateDir() {
        return stateDir != null ? stateDir : home().resolve("state");
    }

    Optional<char[]> passphrase() throws IOException {
        if (passphraseFile != null) {
            String text = Files.readString(passphraseFile, StandardCharsets.UTF_8).strip();
            if (text.isEmpty()) {
                throw new IllegalArgumentException("passphrase file " + passphraseFile + " is empty");
            }
            return Optional.of(text.toCharArray());
        }
        String env = System.getenv(PASSPHRASE_ENV);
        return env == null || env.isEmpty() ? Optional.empty() : Optional.of(env.toCharArray());
    }
}
