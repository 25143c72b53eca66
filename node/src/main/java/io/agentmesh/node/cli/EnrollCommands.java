package io.agentmesh.node.cli;

import io.agentmesh.protocol.identity.IdentityDirectory;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.Role;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.protocol.identity.VerifyingKey;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * Adding a node to an agent takes three steps, so a node's private key never leaves its machine:
 * {@code node keygen} on the new machine prints its public key; {@code node enroll} where the agent root key lives
 * signs a certificate for it; {@code node join} on the new machine installs that certificate.
 */
final class EnrollCommands {
    private EnrollCommands() {
    }

    @Command(name = "keygen", mixinStandardHelpOptions = true,
            description = "Make this machine's node key and print its public key, for `agentmesh node enroll`.")
    static final class Keygen implements Callable<Integer> {
        @Mixin
        HomeOptions home;

        @Override
        public Integer call() throws Exception {
            IdentityDirectory dir = IdentityDirectory.of(home.identityDir());
            if (!dir.hasNodeKey()) {
                dir.createNodeKey(new SecureRandom(), home.passphrase());
            }
            System.out.println("node " + dir.nodeId());
            System.out.println("public key " + dir.nodePublicKey().hex());
            System.out.println("Enroll it where the agent root key lives: agentmesh node enroll --public-key "
                    + dir.nodePublicKey().hex() + " --out node-cert.json");
            return 0;
        }
    }

    @Command(name = "enroll", mixinStandardHelpOptions = true,
            description = "Sign a certificate for another node's public key with the agent root key.")
    static final class Enroll implements Callable<Integer> {
        @Mixin
        HomeOptions home;

        @Option(names = "--public-key", required = true, description = "The new node's public key (64 hex digits, from `node keygen`).")
        String publicKey;

        @Option(names = "--role", defaultValue = "voter", description = "voter, learner or witness (default ${DEFAULT-VALUE}). A witness votes"
                + " and keeps only the Raft log: run it on a third machine or a relay host so two servers survive"
                + " losing either; it never leads and holds no agent state.")
        String role;

        @Option(names = "--validity-days", defaultValue = "3650", description = "Certificate validity (default ${DEFAULT-VALUE}).")
        int validityDays;

        @Option(names = "--out", required = true, description = "Where to write the certificate (JSON).")
        Path out;

        @Override
        public Integer call() throws Exception {
            IdentityDirectory dir = IdentityDirectory.of(home.identityDir());
            if (!dir.hasAgentRootKey()) {
                throw new IllegalArgumentException("no agent root key in " + dir.path() + "; run enroll where the root key"
                        + " lives, or recover it with `agentmesh identity recover`");
            }
            Role r = switch (role.toLowerCase()) {
                case "voter" -> Role.VOTER;
                case "learner" -> Role.LEARNER;
                case "witness" -> Role.WITNESS;
                default -> throw new IllegalArgumentException("role must be voter, learner or witness, got '" + role
                        + "'");
            };
            SigningKey root = dir.readAgentRoot(home.passphrase());
            long now = System.currentTimeMillis();
            NodeCertificate cert = NodeCertificate.issue(root, VerifyingKey.fromHex(publicKey.strip()), r, now,
                    now + Duration.ofDays(validityDays).toMillis());
            Files.writeString(out, cert.toJson(), StandardCharsets.UTF_8);
            System.out.println("enrolled node " + cert.nodeId() + " as " + role.toLowerCase() + " of agent " + cert.agentId()
                    + "; certificate written to " + out);
            System.out.println("On that node run: agentmesh node join --certificate " + out.getFileName());
            return 0;
        }
    }

    @Command(name = "join", mixinStandardHelpOptions = true,
            description = "Install the certificate `node enroll` made for this machine's node key.")
    static final class Join implements Callable<Integer> {
        @Mixin
        HomeOptions home;

        @Option(names = "--certificate", required = true, description = "Certificate file from `agentmesh node enroll`.")
        Path certificate;

        @Override
        public Integer call() throws Exception {
            IdentityDirectory dir = IdentityDirectory.of(home.identityDir());
            NodeCertificate cert = NodeCertificate.fromJson(Files.readString(certificate, StandardCharsets.UTF_8));
            if (!cert.signatureValid()) {
                throw new IllegalArgumentException(certificate + " is not signed by the agent root key it names");
            }
            if (!dir.hasNodeKey() || !dir.nodePublicKey().equals(cert.nodeKey())) {
                throw new IllegalArgumentException(certificate + " was issued for node " + cert.nodeId()
                        + ", not for this machine's node key; run `agentmesh node keygen` and enroll that key");
            }
            dir.writeAgentPublicKey(cert.agentRootKey());
            dir.writeCertificate(cert);
            System.out.println("node " + cert.nodeId() + " joined agent " + cert.agentId() + "; start it with: agentmesh node run");
            return 0;
        }
    }
}
