package io.agentmesh.node.cli;

import io.agentmesh.protocol.identity.IdentityDirectory;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.RecoveryPhrase;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.protocol.identity.SigningKey;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;

/** Creates an agent: its root key (shown once as a recovery phrase) and the first node's key and certificate. */
@Command(name = "init", mixinStandardHelpOptions = true,
        description = "Create a new agent (root key + 24-word recovery phrase) and this machine's first node identity.")
public final class InitCommand implements Callable<Integer> {
    @Mixin
    HomeOptions home;

    @Option(names = "--validity-days", defaultValue = "3650", description = "Node certificate validity (default ${DEFAULT-VALUE}).")
    int validityDays;

    @Option(names = "--quiet-phrase", description = "Do not print the recovery phrase (for scripted local meshes).")
    boolean quietPhrase;

    @Override
    public Integer call() throws Exception {
        IdentityDirectory dir = IdentityDirectory.of(home.identityDir());
        if (dir.hasAgentRootKey() || dir.hasNodeKey()) {
            throw new IllegalArgumentException("identity directory " + dir.path() + " already holds an agent or node key;"
                    + " use another --home, or remove it if you really mean to start a new agent");
        }
        Optional<char[]> passphrase = home.passphrase();
        SecureRandom random = new SecureRandom();
        SigningKey root = dir.createAgent(random, passphrase);
        SigningKey node = dir.createNodeKey(random, passphrase);
        long now = System.currentTimeMillis();
        dir.writeCertificate(NodeCertificate.issue(root, node.verifyingKey(), Role.VOTER, now,
                now + Duration.ofDays(validityDays).toMillis()));
        // The root key is in memory only now: sign the phrase recipient grant, so every backup opens with the phrase.
        dir.createBackupKey(random, passphrase);
        io.agentmesh.node.backup.run.BackupGrants.writePhraseGrant(dir.path(),
                io.agentmesh.node.backup.format.RecipientGrant.phrase(root));
        io.agentmesh.node.api.ApiToken token = io.agentmesh.node.api.ApiToken.generate(random);
        java.nio.file.Path tokenFile = home.home().resolve(io.agentmesh.node.api.ApiToken.FILE_NAME);
        token.write(tokenFile);
        PrintStream out = System.out;
        out.println("agent " + dir.agentId());
        out.println("node  " + dir.nodeId() + " (voter)");
        out.println("identity directory " + dir.path() + (passphrase.isPresent() ? " (keys encrypted)" : " (keys NOT encrypted: set "
                + HomeOptions.PASSPHRASE_ENV + " or --passphrase-file to encrypt them)"));
        if (!quietPhrase) {
            out.println();
            out.println("Recovery phrase for the agent root key. Write it on paper and keep it offline; it is shown once:");
            out.println();
            out.println("  " + RecoveryPhrase.of(root).words());
            out.println();
            out.println("Recover the root key later with: agentmesh identity recover");
        }
        out.println();
        out.println("HTTP API token (needed when --http is not loopback; kept in " + tokenFile + ", mode 0600; shown"
                + " once):");
        out.println("  " + token.reveal());
        out.println();
        out.println("Start the node with: agentmesh node run" + (home.home != null ? " --home " + home.home : ""));
        return 0;
    }
}
