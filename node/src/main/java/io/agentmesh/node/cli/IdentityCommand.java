package io.agentmesh.node.cli;

import io.agentmesh.protocol.identity.IdentityDirectory;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.RecoveryPhrase;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.concurrent.Callable;

@Command(name = "identity", mixinStandardHelpOptions = true, description = "Show or recover identities.",
        subcommands = {IdentityCommand.Show.class, IdentityCommand.Recover.class})
public final class IdentityCommand {

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Print the agent id, node id and certificate.")
    static final class Show implements Callable<Integer> {
        @Mixin
        HomeOptions home;

        @Override
        public Integer call() throws Exception {
            IdentityDirectory dir = IdentityDirectory.of(home.identityDir());
            System.out.println("agent       " + dir.agentId());
            System.out.println("root key    " + (dir.hasAgentRootKey() ? "held here (" + dir.agentRootKeyFile() + ")" : "not held here"));
            if (dir.hasNodeKey()) {
                System.out.println("node        " + dir.nodeId());
            }
            if (Files.exists(dir.certificateFile())) {
                NodeCertificate cert = dir.readCertificate();
                System.out.println("certificate " + cert.role().name().toLowerCase() + ", valid "
                        + Instant.ofEpochMilli(cert.notBefore()) + " .. " + Instant.ofEpochMilli(cert.notAfter()));
            }
            return 0;
        }
    }

    @Command(name = "recover", mixinStandardHelpOptions = true,
            description = "Rebuild the agent root key from its 24-word recovery phrase (read from stdin or --phrase-file).")
    static final class Recover implements Callable<Integer> {
        @Mixin
        HomeOptions home;

        @Option(names = "--phrase-file", description = "File with the 24 words (default: read one line from stdin).")
        Path phraseFile;

        @Override
        public Integer call() throws Exception {
            String words;
            if (phraseFile != null) {
                words = Files.readString(phraseFile, StandardCharsets.UTF_8);
            } else {
                System.err.println("Type the 24-word recovery phrase and press Enter:");
                words = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
                if (words == null) {
                    throw new IllegalArgumentException("no recovery phrase on standard input");
                }
            }
            RecoveryPhrase phrase = RecoveryPhrase.parse(words);
            IdentityDirectory dir = IdentityDirectory.of(home.identityDir());
            if (dir.hasAgentRootKey()) {
                throw new IllegalArgumentException(dir.agentRootKeyFile() + " already exists; recover into an empty"
                        + " --identity-dir, or move that file away first");
            }
            dir.writeAgentRoot(phrase.signingKey(), home.passphrase(), new SecureRandom());
            System.out.println("recovered the root key of agent " + dir.agentId() + " into " + dir.agentRootKeyFile());
            return 0;
        }
    }
}
