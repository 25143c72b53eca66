package io.agentmesh.node.cli;

import io.agentmesh.node.wallet.spend.WalletConfig;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

/** The node's wallet keystore, as the offline wallet commands ({@code keygen}, {@code import}, {@code address}) name it. */
final class KeystoreOptions {
    @Mixin
    HomeOptions home;

    @Option(names = "--keystore", description = "The keystore file (default: <home>/" + WalletConfig.DEFAULT_KEYSTORE
            + ").")
    Path keystore;

    Path path() {
        return keystore != null ? keystore : home.home().resolve(WalletConfig.DEFAULT_KEYSTORE);
    }

    /** The node passphrase, which encrypts the keystore; refused with how to give it when there is none. */
    char[] passphrase() throws IOException {
        return home.passphrase().orElseThrow(() -> new IllegalArgumentException("the wallet keystore is encrypted"
                + " with the node passphrase: set " + HomeOptions.PASSPHRASE_ENV + " or --passphrase-file"));
    }
}
